"""Siamese and triplet networks for one-shot recognition.

One-shot recognition learns a similarity function: an embedding network f
maps an image to a unit vector, ``d(a, b) = ||f(a) - f(b)||_2``, and two images
are "the same" when ``d <= T``. This module holds the pieces of notebook 07:

* :func:`embedding_network`: a small CNN with an L2-normalized output;
* :class:`PKBatches` (P classes × K images, for the triplet losses) and
  :class:`PairBatches` (same/different pairs, for the contrastive loss), both
  ``keras.utils.PyDataset`` s seeded for reproducibility;
* :func:`siamese_pair_model`: the two-tower network that outputs ``d``;
* :func:`make_pairs`, :func:`choose_threshold`, :func:`verification_metrics`:
  verification with a threshold chosen on validation pairs;
* :func:`sample_episodes`, :func:`episode_accuracy`, :func:`mean_ci`: N-way
  k-shot identification over many episodes with 95% confidence intervals;
* :func:`pixel_features`: the raw-pixel nearest-neighbour baseline;
* :func:`one_shot_experiment`: the whole pipeline (split the classes, train,
  score N-way 1-shot and verification on unseen classes) on any labelled
  image set, e.g. real faces.

Used in notebook 07.
"""

from __future__ import annotations

import keras
import numpy as np

__all__ = [
    "embedding_network",
    "PKBatches",
    "PairBatches",
    "siamese_pair_model",
    "embed",
    "cosine_adam",
    "fit_triplet",
    "fit_pairs",
    "pixel_features",
    "make_pairs",
    "pair_distances",
    "choose_threshold",
    "verification_metrics",
    "sample_episodes",
    "episode_accuracy",
    "mean_ci",
    "one_shot_experiment",
]


def _as_images(x) -> np.ndarray:
    """(n, h, w) or (n, h, w, 1) uint8/float -> (n, h, w, 1) float32 in [0, 1]."""
    x = np.asarray(x)
    if x.ndim == 3:
        x = x[..., None]
    if x.ndim != 4:
        raise ValueError(f"x must have shape (n, h, w) or (n, h, w, c), got {x.shape}")
    return x.astype(np.float32) / 255.0 if x.dtype == np.uint8 else x.astype(np.float32)


def embedding_network(
    input_shape=(28, 28, 1),
    embedding_dim: int = 64,
    filters=(64, 64, 64, 64),
    normalize: bool = True,
    pool_last_block: bool = True,
    seed: int | None = None,
    name: str = "embedding",
):
    """A CNN that maps an image to an embedding, L2-normalized by default.

    Each block is Conv 3×3 → BatchNorm → ReLU → MaxPool 2×2 (the "4 blocks of
    64 filters" of Vinyals et al. 2016 and Snell et al. 2017), then a dense
    projection and, with ``normalize``, a ``UnitNormalization`` layer, so
    embeddings lie on the unit sphere and distances are in [0, 2].

    Parameters
    ----------
    input_shape : tuple of int, default=(28, 28, 1)
        Images as float32 in [0, 1].
    embedding_dim : int, default=64
    filters : sequence of int, default=(64, 64, 64, 64)
        Filters per block; one block per entry.
    normalize : bool, default=True
        Without it the embedding can shrink towards one point (collapse).
    pool_last_block : bool, default=True
        ``False`` skips the last block's pooling, so the projection sees where
        in the image each feature is: at 28×28 the last map stays 3×3×64
        (576 features) instead of 1×1×64. In notebook 07 (course profile,
        1,600 steps, seed 0) this raised 20-way 1-shot accuracy on the
        offline glyph set from 91.0 % to 92.4 % for about the same time.
    seed : int, optional
        Seeds the initializers.
    name : str, default="embedding"

    Returns
    -------
    keras.Model
        (batch, *input_shape) float32 -> (batch, embedding_dim) float32.
    """
    if embedding_dim < 1 or len(filters) < 1:
        raise ValueError(f"embedding_dim and len(filters) must be >= 1, got {embedding_dim}, {len(filters)}")
    inputs = keras.Input(shape=tuple(input_shape))
    x = inputs
    for index, width in enumerate(filters):
        init = keras.initializers.HeNormal(seed=None if seed is None else seed + index)
        x = keras.layers.Conv2D(width, 3, padding="same", use_bias=False, kernel_initializer=init)(x)
        x = keras.layers.BatchNormalization()(x)
        x = keras.layers.ReLU()(x)
        last = index == len(filters) - 1
        if min(x.shape[1], x.shape[2]) >= 2 and (pool_last_block or not last):
            x = keras.layers.MaxPooling2D(2)(x)
    x = keras.layers.Flatten()(x)
    init = keras.initializers.GlorotUniform(seed=None if seed is None else seed + len(filters))
    x = keras.layers.Dense(embedding_dim, kernel_initializer=init)(x)
    if normalize:
        x = keras.layers.UnitNormalization()(x)
    return keras.Model(inputs, x, name=name)


def _class_index(y):
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D labels, got shape {y.shape}")
    classes, inverse = np.unique(y, return_inverse=True)
    members = [np.flatnonzero(inverse == c) for c in range(len(classes))]
    return classes, members


def _pk_indices(members, p, k, rng):
    """One P×K batch of indices: P distinct classes, K distinct images each."""
    eligible = [m for m in members if len(m) >= k]
    chosen = rng.choice(len(eligible), p, replace=False)
    return np.concatenate([rng.choice(eligible[c], k, replace=False) for c in chosen])


class _SeededBatches:
    """Mixin: reproducible per-batch generators."""

    def _rng(self, index):
        return np.random.default_rng([self.seed, self.epoch, index])

    def on_epoch_end(self):
        self.epoch += 1


class PKBatches(_SeededBatches, keras.utils.PyDataset):
    """P×K batches for triplet losses: P classes, K images of each.

    Every anchor then has K - 1 positives and (P - 1)·K negatives in its
    batch, which batch-hard and semi-hard mining need. A random batch of
    many classes would hold almost no positive pair.

    Parameters
    ----------
    x : ndarray of shape (n, h, w) or (n, h, w, 1)
        uint8 (scaled to [0, 1]) or float.
    y : ndarray of shape (n,), int
    p, k : int
        Classes per batch and images per class (batch size P·K).
    steps : int
        Batches per epoch.
    seed : int, default=0
        Batch ``i`` of epoch ``e`` depends only on ``(seed, e, i)``.

    Yields
    ------
    (x_batch, y_batch) : (P·K, h, w, 1) float32 and (P·K,) int32
    """

    def __init__(self, x, y, p: int = 16, k: int = 4, steps: int = 100, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.x = _as_images(x)
        self.y = np.asarray(y)
        if len(self.x) != len(self.y):
            raise ValueError(f"x and y must have the same length, got {len(self.x)} and {len(self.y)}")
        self.classes, self.members = _class_index(self.y)
        if k < 2:
            raise ValueError(f"k must be >= 2 so every anchor has a positive, got {k}")
        n_eligible = sum(len(m) >= k for m in self.members)
        if p < 2 or p > n_eligible:
            raise ValueError(f"p must be in [2, {n_eligible}] (classes with >= k={k} images), got {p}")
        if steps < 1:
            raise ValueError(f"steps must be >= 1, got {steps}")
        self.p, self.k, self.steps, self.seed, self.epoch = int(p), int(k), int(steps), int(seed), 0

    def __len__(self):
        return self.steps

    def indices(self, index: int) -> np.ndarray:
        """The image indices of batch ``index``, shape (P·K,), grouped by class."""
        return _pk_indices(self.members, self.p, self.k, self._rng(index))

    def __getitem__(self, index):
        picks = self.indices(index)
        return self.x[picks], self.y[picks].astype(np.int32)


def make_pairs(y, n_pairs: int, positive_fraction: float = 0.5, seed: int = 0) -> tuple:
    """Random same/different pairs of distinct images.

    Parameters
    ----------
    y : ndarray of shape (n,), int
    n_pairs : int
    positive_fraction : float, default=0.5
        Share of "same" pairs.
    seed : int, default=0

    Returns
    -------
    first, second : ndarray of shape (n_pairs,), int
        Image indices, never equal within a pair.
    same : ndarray of shape (n_pairs,), int
        1 where both images have the same label.
    """
    if not 0 <= positive_fraction <= 1:
        raise ValueError(f"positive_fraction must be in [0, 1], got {positive_fraction}")
    if n_pairs < 1:
        raise ValueError(f"n_pairs must be >= 1, got {n_pairs}")
    classes, members = _class_index(y)
    if len(classes) < 2:
        raise ValueError("y must hold at least two classes")
    rng = np.random.default_rng(seed)
    n_same = int(round(n_pairs * positive_fraction))
    multi = [m for m in members if len(m) >= 2]
    if n_same and not multi:
        raise ValueError("no class has two images, so there is no same pair")
    first, second = [], []
    for _ in range(n_same):
        a, b = rng.choice(multi[rng.integers(len(multi))], 2, replace=False)
        first.append(a)
        second.append(b)
    for _ in range(n_pairs - n_same):
        c1, c2 = rng.choice(len(members), 2, replace=False)
        first.append(rng.choice(members[c1]))
        second.append(rng.choice(members[c2]))
    same = np.r_[np.ones(n_same, int), np.zeros(n_pairs - n_same, int)]
    order = rng.permutation(n_pairs)
    return np.array(first)[order], np.array(second)[order], same[order]


class PairBatches(_SeededBatches, keras.utils.PyDataset):
    """Balanced same/different pairs for a Siamese network with contrastive loss.

    Parameters
    ----------
    x : ndarray of shape (n, h, w) or (n, h, w, 1)
    y : ndarray of shape (n,), int
    batch_size : int, default=64
    steps : int, default=100
    seed : int, default=0

    Yields
    ------
    ((x1, x2), same) : two (batch, h, w, 1) float32 and (batch,) float32
    """

    def __init__(self, x, y, batch_size: int = 64, steps: int = 100, seed: int = 0, **kwargs):
        super().__init__(**kwargs)
        self.x = _as_images(x)
        self.y = np.asarray(y)
        if len(self.x) != len(self.y):
            raise ValueError(f"x and y must have the same length, got {len(self.x)} and {len(self.y)}")
        if batch_size < 2 or steps < 1:
            raise ValueError(f"batch_size must be >= 2 and steps >= 1, got {batch_size}, {steps}")
        self.batch_size, self.steps, self.seed, self.epoch = int(batch_size), int(steps), int(seed), 0

    def __len__(self):
        return self.steps

    def __getitem__(self, index):
        first, second, same = make_pairs(self.y, self.batch_size, seed=[self.seed, self.epoch, index])
        return (self.x[first], self.x[second]), same.astype(np.float32)


def siamese_pair_model(embedding):
    """Two towers sharing ``embedding``; the output is their Euclidean distance.

    Train it with :class:`cvhelpers.losses.ContrastiveLoss` on
    :class:`PairBatches`.

    Parameters
    ----------
    embedding : keras.Model
        (batch, h, w, c) -> (batch, dim).

    Returns
    -------
    keras.Model
        Inputs ``[x1, x2]``, output (batch,) float32 distances.
    """
    from keras import ops

    shape = embedding.input_shape[1:]
    first, second = keras.Input(shape), keras.Input(shape)
    e1, e2 = embedding(first), embedding(second)
    distance = keras.layers.Lambda(
        lambda pair: ops.sqrt(ops.maximum(ops.sum(ops.square(pair[0] - pair[1]), axis=1), 1e-12)),
        name="distance",
    )([e1, e2])
    return keras.Model([first, second], distance, name="siamese")


def cosine_adam(learning_rate: float, steps: int):
    """Adam whose learning rate decays along a cosine to 5% over ``steps`` steps.

    Pass the same optimizer to several :func:`fit_triplet` calls to continue
    one schedule across them.
    """
    if learning_rate <= 0 or steps < 1:
        raise ValueError(f"learning_rate must be > 0 and steps >= 1, got {learning_rate}, {steps}")
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, int(steps), alpha=0.05)
    return keras.optimizers.Adam(schedule)


def fit_triplet(
    model,
    x,
    y,
    loss,
    steps: int,
    p: int = 32,
    k: int = 4,
    learning_rate: float = 2e-3,
    warmup=None,
    log_every: int = 25,
    seed: int = 0,
    optimizer=None,
    shuffle: bool = True,
) -> dict:
    """Train an embedding network on P×K batches with a triplet loss.

    Adam with a cosine-decayed learning rate over all steps. With ``warmup``,
    the first steps use another loss (semi-hard before batch-hard avoids the
    collapse that batch-hard mining from scratch can fall into).

    Parameters
    ----------
    model : keras.Model
        (batch, h, w, 1) -> (batch, dim) embeddings.
    x : ndarray of shape (n, h, w) or (n, h, w, 1)
    y : ndarray of shape (n,), int
    loss : keras.losses.Loss
        E.g. ``TripletSemiHardLoss(margin=0.5)``.
    steps : int
        Training steps (batches), warm-up included.
    p, k : int, default=32, 4
    learning_rate : float, default=2e-3
    warmup : tuple (keras.losses.Loss, int), optional
        A loss and its number of steps, run first.
    log_every : int, default=25
        The loss is averaged over blocks of this many steps.
    seed : int, default=0
    optimizer : keras.optimizers.Optimizer, optional
        Default ``cosine_adam(learning_rate, steps)``; pass one to continue
        its schedule from an earlier call.
    shuffle : bool, default=True
        Passed to ``model.fit``: Keras then reorders the batches of each
        block with Python's unseeded ``random``, so two runs with the same
        ``seed`` differ. ``False`` keeps the order and makes training
        reproducible on CPU (the batches are random samples already).

    Returns
    -------
    dict
        ``step`` (list of int, the end of each block), ``loss`` (list of
        float, its mean loss), ``seconds`` (float, training time).
    """
    import time

    if steps < log_every or log_every < 1:
        raise ValueError(f"steps must be >= log_every >= 1, got steps={steps}, log_every={log_every}")
    phases = [(loss, steps)]
    if warmup is not None:
        warmup_loss, warmup_steps = warmup
        if not 0 < warmup_steps < steps:
            raise ValueError(f"warmup steps must be in (0, steps={steps}), got {warmup_steps}")
        phases = [(warmup_loss, warmup_steps), (loss, steps - warmup_steps)]
    optimizer = optimizer or cosine_adam(learning_rate, steps)
    history = {"step": [], "loss": [], "seconds": 0.0}
    start, done = time.perf_counter(), 0
    for phase, (phase_loss, phase_steps) in enumerate(phases):
        model.compile(optimizer=optimizer, loss=phase_loss)
        blocks = max(1, phase_steps // log_every)
        batches = PKBatches(x, y, p=p, k=k, steps=log_every, seed=seed * 1000 + phase)
        result = model.fit(batches, epochs=blocks, verbose=0, shuffle=shuffle)
        history["loss"].extend(float(v) for v in result.history["loss"])
        history["step"].extend(done + log_every * (i + 1) for i in range(blocks))
        done += blocks * log_every
    history["seconds"] = time.perf_counter() - start
    return history


def fit_pairs(pair_model, x, y, loss, steps: int, batch_size: int = 128, learning_rate: float = 2e-3,
              log_every: int = 25, seed: int = 0) -> dict:
    """Train a :func:`siamese_pair_model` on balanced pairs, e.g. with ``ContrastiveLoss``.

    Parameters and return value as :func:`fit_triplet`, with ``batch_size``
    pairs per step.
    """
    import time

    if steps < log_every or log_every < 1:
        raise ValueError(f"steps must be >= log_every >= 1, got steps={steps}, log_every={log_every}")
    pair_model.compile(optimizer=cosine_adam(learning_rate, steps), loss=loss)
    start = time.perf_counter()
    blocks = steps // log_every
    result = pair_model.fit(PairBatches(x, y, batch_size, log_every, seed), epochs=blocks, verbose=0)
    return {
        "step": [log_every * (i + 1) for i in range(blocks)],
        "loss": [float(v) for v in result.history["loss"]],
        "seconds": time.perf_counter() - start,
    }


def embed(model, x, batch_size: int = 512) -> np.ndarray:
    """Embeddings of images, shape (n, dim), float32 (inference mode)."""
    return np.asarray(model.predict(_as_images(x), batch_size=batch_size, verbose=0), np.float32)


def pixel_features(x) -> np.ndarray:
    """Raw pixels as unit vectors, shape (n, h·w·c), float32: the baseline's "embedding".

    Nearest neighbour on these is nearest neighbour by pixel correlation (on
    centred, unit-length vectors, Euclidean distance ranks like correlation).
    """
    flat = _as_images(x).reshape(len(x), -1)
    flat = flat - flat.mean(axis=1, keepdims=True)
    return flat / np.maximum(np.linalg.norm(flat, axis=1, keepdims=True), 1e-8)


def pair_distances(features, first, second) -> np.ndarray:
    """Euclidean distances between ``features[first]`` and ``features[second]``, shape (m,)."""
    features = np.asarray(features, np.float32)
    return np.linalg.norm(features[np.asarray(first)] - features[np.asarray(second)], axis=1)


def verification_metrics(distances, same, threshold: float) -> dict:
    """Decide "same" when ``d <= threshold`` and score the decisions.

    Parameters
    ----------
    distances : ndarray of shape (m,), float
    same : ndarray of shape (m,), int or bool
        1 for a same pair.
    threshold : float

    Returns
    -------
    dict
        ``accuracy``, ``far`` (false-accept rate: different pairs accepted),
        ``frr`` (false-reject rate: same pairs rejected), ``tar`` (1 - frr),
        ``threshold``.
    """
    distances, same = np.asarray(distances, float), np.asarray(same).astype(bool)
    if distances.shape != same.shape:
        raise ValueError(f"distances and same must have the same shape, got {distances.shape}, {same.shape}")
    accept = distances <= threshold
    far = float(accept[~same].mean()) if (~same).any() else float("nan")
    frr = float((~accept[same]).mean()) if same.any() else float("nan")
    return {
        "threshold": float(threshold),
        "accuracy": float((accept == same).mean()),
        "far": far,
        "frr": frr,
        "tar": 1.0 - frr,
    }


def choose_threshold(distances, same, target_far: float | None = None) -> float:
    """Choose T on validation pairs, for the best accuracy or a target false-accept rate.

    Candidates are the midpoints between consecutive sorted distances (and
    values just outside the range), so the choice does not depend on ties.

    Parameters
    ----------
    distances : ndarray of shape (m,), float
    same : ndarray of shape (m,), int or bool
    target_far : float in [0, 1], optional
        ``None``: the T with the highest accuracy (the smallest such T).
        Otherwise the largest T whose false-accept rate is at most
        ``target_far`` (the most same pairs accepted within that budget).

    Returns
    -------
    float
    """
    distances, same = np.asarray(distances, float), np.asarray(same).astype(bool)
    if distances.ndim != 1 or distances.shape != same.shape or len(distances) == 0:
        raise ValueError("distances and same must be 1-D arrays of the same, non-zero length")
    if target_far is not None and not 0 <= target_far <= 1:
        raise ValueError(f"target_far must be in [0, 1] or None, got {target_far}")
    values = np.unique(distances)
    candidates = np.r_[values[0] - 1e-6, (values[:-1] + values[1:]) / 2, values[-1] + 1e-6]
    accept = distances[None, :] <= candidates[:, None]
    if target_far is None:
        accuracy = (accept == same[None, :]).mean(axis=1)
        return float(candidates[np.argmax(accuracy)])
    if not (~same).any():
        return float(candidates[-1])
    far = accept[:, ~same].mean(axis=1)
    return float(candidates[np.flatnonzero(far <= target_far + 1e-12).max()])


def sample_episodes(
    y,
    n_way: int,
    k_shot: int = 1,
    n_query: int = 1,
    episodes: int = 400,
    groups=None,
    seed: int = 0,
) -> tuple:
    """N-way k-shot episodes: N classes, k support and ``n_query`` query images each.

    A query is never one of the support images of its episode: both are drawn
    without replacement from the same class.

    Parameters
    ----------
    y : ndarray of shape (n,), int
        Class of every image.
    n_way, k_shot, n_query : int
    episodes : int, default=400
    groups : ndarray of shape (n,), optional
        E.g. the alphabet of every image: all N classes of an episode then come
        from one group (the harder "within one alphabet" test); groups with
        fewer than N eligible classes are skipped.
    seed : int, default=0

    Returns
    -------
    support : ndarray of shape (episodes, n_way, k_shot), int
        Image indices; ``support[e, c]`` are the shots of the episode's class c.
    query : ndarray of shape (episodes, n_way * n_query), int
    query_class : ndarray of shape (episodes, n_way * n_query), int
        The position (0..n_way-1) of each query's class in ``support[e]``.
    """
    if n_way < 2 or k_shot < 1 or n_query < 1 or episodes < 1:
        raise ValueError(
            f"need n_way >= 2, k_shot >= 1, n_query >= 1, episodes >= 1, got {n_way}, {k_shot}, {n_query}, {episodes}"
        )
    y = np.asarray(y)
    classes, members = _class_index(y)
    eligible = np.array([len(m) >= k_shot + n_query for m in members])
    if groups is None:
        pools = [np.flatnonzero(eligible)]
    else:
        groups = np.asarray(groups)
        if groups.shape != y.shape:
            raise ValueError(f"groups must have the shape of y {y.shape}, got {groups.shape}")
        class_group = np.array([groups[m[0]] for m in members])
        pools = [np.flatnonzero(eligible & (class_group == g)) for g in np.unique(class_group)]
    pools = [pool for pool in pools if len(pool) >= n_way]
    if not pools:
        raise ValueError(
            f"n_way={n_way} is more than the classes with >= k_shot + n_query = {k_shot + n_query} images"
            + (" in any one group" if groups is not None else "")
        )
    rng = np.random.default_rng(seed)
    support = np.zeros((episodes, n_way, k_shot), int)
    query = np.zeros((episodes, n_way * n_query), int)
    query_class = np.zeros((episodes, n_way * n_query), int)
    for e in range(episodes):
        pool = pools[rng.integers(len(pools))]
        chosen = rng.choice(pool, n_way, replace=False)
        for c, cls in enumerate(chosen):
            picks = rng.choice(members[cls], k_shot + n_query, replace=False)
            support[e, c] = picks[:k_shot]
            query[e, c * n_query : (c + 1) * n_query] = picks[k_shot:]
            query_class[e, c * n_query : (c + 1) * n_query] = c
    return support, query, query_class


def episode_accuracy(features, support, query, query_class) -> np.ndarray:
    """Accuracy of each episode, nearest prototype by Euclidean distance.

    The prototype of a class is the mean of its k support embeddings (for
    k = 1, the support image itself: nearest neighbour).

    Parameters
    ----------
    features : ndarray of shape (n, dim), float
        Embeddings (or :func:`pixel_features`) of every image.
    support, query, query_class : from :func:`sample_episodes`

    Returns
    -------
    ndarray of shape (episodes,), float
    """
    features = np.asarray(features, np.float32)
    prototypes = features[support].mean(axis=2)  # (E, N, dim)
    queries = features[query]  # (E, Q, dim)
    distances = ((queries[:, :, None, :] - prototypes[:, None, :, :]) ** 2).sum(-1)  # (E, Q, N)
    return (distances.argmin(-1) == query_class).mean(axis=1)


def mean_ci(values, confidence: float = 0.95) -> tuple:
    """Mean and half-width of its normal-approximation confidence interval.

    Parameters
    ----------
    values : ndarray of shape (m,), float
        E.g. per-episode accuracies.
    confidence : float, default=0.95

    Returns
    -------
    (mean, half_width) : tuple of float
        The interval is ``mean ± half_width``.
    """
    from scipy import stats

    values = np.asarray(values, float)
    if values.size < 2:
        raise ValueError(f"values needs at least 2 entries, got {values.size}")
    if not 0 < confidence < 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    z = stats.norm.ppf(0.5 + confidence / 2)
    return float(values.mean()), float(z * values.std(ddof=1) / np.sqrt(values.size))


def _check_int(name: str, value, minimum: int) -> int:
    """``value`` as an int >= ``minimum``; TypeError / ValueError naming ``name``."""
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)):
        raise TypeError(f"{name} must be an int, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be >= {minimum}, got {value}")
    return int(value)


def _divisor_at_most(n: int, limit: int) -> int:
    """The largest divisor of ``n`` that is <= ``limit``."""
    return max(d for d in range(1, min(n, limit) + 1) if n % d == 0)


def one_shot_experiment(
    images,
    labels,
    *,
    n_test_classes: int,
    image_size=(28, 28),
    steps: int = 300,
    p: int = 16,
    k: int = 4,
    margin: float = 0.5,
    learning_rate: float = 1e-2,
    n_way: int = 5,
    episodes: int = 200,
    n_pairs: int = 1000,
    filters=(32, 64, 64, 64),
    embedding_dim: int = 64,
    seed: int = 0,
) -> dict:
    """Notebook 07's pipeline on any labelled image set: train on some classes, test on unseen ones.

    Used in notebook 07 for real faces (scikit-learn's Olivetti set: 40 people
    × 10 photos, 64×64, see :func:`cvhelpers.faces.faces_if_available`): one
    person plays the part of one character, one photo the part of one writer's
    drawing. The steps:

    1. resize every image to ``image_size`` by area averaging
       (:func:`cvhelpers.eda.resize_batch`), as float32 in [0, 1];
    2. split the *classes* with a permutation seeded by ``seed``:
       ``n_test_classes`` unseen test classes (people enrolled after training)
       and the rest for training;
    3. train :func:`embedding_network` (L2-normalized, last block unpooled)
       with :class:`~cvhelpers.metric_losses.TripletSemiHardLoss` by
       :func:`fit_triplet` on P×K batches of the training classes;
    4. on the test classes only: N-way 1-shot accuracy over ``episodes``
       episodes (:func:`sample_episodes`, :func:`episode_accuracy`,
       :func:`mean_ci`) for the embedding and for raw pixels
       (:func:`pixel_features`), and verification ROC AUC on ``n_pairs``
       same/different pairs (:func:`make_pairs`, :func:`pair_distances`; the
       score is ``-distance``) for both.

    Parameters
    ----------
    images : ndarray of shape (n, h, w) or (n, h, w, 1)
        Integers in [0, 255] (e.g. uint8) or floats in [0, 1].
    labels : ndarray of shape (n,)
        Class (person) of every image, ints or strings. Every class needs at least ``k`` images.
    n_test_classes : int
        Classes held out for testing, >= 2, leaving >= 2 training classes.
    image_size : tuple of int (height, width), default=(28, 28)
        Both >= 8.
    steps : int, default=300
        Training steps (P×K batches), >= 1. The loss is logged every
        ``log_every`` steps, the largest divisor of ``steps`` up to 25, so
        exactly ``steps`` steps are trained.
    p : int, default=16
        Classes per batch (>= 2), clipped to the number of training classes.
    k : int, default=4
        Images per class in a batch (>= 2).
    margin : float, default=0.5
        Of the semi-hard triplet loss.
    learning_rate : float, default=1e-2
        Peak of :func:`cosine_adam`.
    n_way : int, default=5
        Classes per episode (>= 2), clipped to ``n_test_classes``.
    episodes : int, default=200
        Episodes (>= 2), each with one query per class.
    n_pairs : int, default=1000
        Verification pairs of test images, half "same".
    filters : sequence of int, default=(32, 64, 64, 64)
        Of :func:`embedding_network`.
    embedding_dim : int, default=64
    seed : int, default=0
        Seeds the class split, the initializers, the batches, the episodes
        and the pairs: on CPU the same seed gives the same result (the batch
        order is not shuffled by Keras); a GPU may differ slightly.

    Returns
    -------
    dict
        ``n_way`` (int, after clipping), ``one_shot`` and ``pixels`` (tuple
        (mean, half-width of the 95% CI) of N-way 1-shot accuracy, learned
        embedding and raw pixels), ``chance`` (1 / n_way),
        ``verification_auc`` and ``pixel_verification_auc`` (float),
        ``train_classes`` and ``test_classes`` (sorted lists of label values,
        disjoint, covering all of ``labels``), ``p`` (int, after clipping),
        ``image_size`` (tuple), ``seconds`` (float, whole experiment),
        ``history`` (:func:`fit_triplet`'s dict) and ``model`` (the trained
        embedding network, a ``keras.Model``; drop it before saving the dict
        as JSON).

    Raises
    ------
    TypeError
        When ``images`` is not numeric or an integer argument is not an int.
    ValueError
        When a shape or value is out of range; the message names the argument.

    Examples
    --------
    >>> from cvhelpers.faces import faces_if_available  # doctest: +SKIP
    >>> faces = faces_if_available("olivetti")  # doctest: +SKIP
    >>> result = one_shot_experiment(faces.images, faces.labels, n_test_classes=10)  # doctest: +SKIP
    >>> result["one_shot"], result["pixels"], result["chance"]  # doctest: +SKIP
    """
    import time

    from sklearn.metrics import roc_auc_score

    from cvhelpers.metric_losses import TripletSemiHardLoss

    start = time.perf_counter()
    images = np.asarray(images)
    if not (np.issubdtype(images.dtype, np.integer) or np.issubdtype(images.dtype, np.floating)):
        raise TypeError(f"images must be a numeric array, got dtype {images.dtype}")
    if images.ndim == 4 and images.shape[-1] == 1:
        images = images[..., 0]
    if images.ndim != 3 or min(images.shape) < 1:
        raise ValueError(f"images must have shape (n, h, w) or (n, h, w, 1), got {np.shape(images)}")
    if np.issubdtype(images.dtype, np.integer):
        if images.min() < 0 or images.max() > 255:
            raise ValueError(f"integer images must be in [0, 255], got [{images.min()}, {images.max()}]")
        images = images.astype(np.uint8, copy=False)
    else:
        images = images.astype(np.float32, copy=False)
        if not np.isfinite(images).all() or images.min() < 0 or images.max() > 1:
            raise ValueError("float images must be finite and in [0, 1] (pass uint8 for [0, 255])")
    labels = np.asarray(labels)
    if labels.shape != (len(images),):
        raise ValueError(f"labels must have shape ({len(images)},) like images, got {labels.shape}")
    if np.ndim(image_size) != 1 or len(image_size) != 2:
        raise ValueError(f"image_size must be (height, width), got {image_size!r}")
    image_size = (_check_int("image_size", image_size[0], 8), _check_int("image_size", image_size[1], 8))
    steps = _check_int("steps", steps, 1)
    p = _check_int("p", p, 2)
    k = _check_int("k", k, 2)
    n_way = _check_int("n_way", n_way, 2)
    episodes = _check_int("episodes", episodes, 2)
    n_pairs = _check_int("n_pairs", n_pairs, 2)
    n_test_classes = _check_int("n_test_classes", n_test_classes, 2)
    seed = _check_int("seed", seed, 0)
    classes, counts = np.unique(labels, return_counts=True)
    if n_test_classes > len(classes) - 2:
        raise ValueError(
            f"n_test_classes must leave >= 2 training classes: at most {len(classes) - 2} for "
            f"{len(classes)} classes, got {n_test_classes}"
        )
    if counts.min() < k:
        raise ValueError(
            f"k={k} images per class in a batch, but class {classes[counts.argmin()]!r} has only "
            f"{counts.min()} images: lower k or drop the small classes"
        )

    from cvhelpers.eda import resize_batch

    x = resize_batch(images, image_size)  # (n, h, w, 1) float32 in [0, 1], area-averaged
    rng = np.random.default_rng(seed)
    order = rng.permutation(len(classes))
    test_classes = np.sort(classes[order[:n_test_classes]])
    train_classes = np.sort(classes[order[n_test_classes:]])
    is_test = np.isin(labels, test_classes)
    x_train, y_train = x[~is_test], labels[~is_test]
    x_test, y_test = x[is_test], labels[is_test]
    p = min(p, len(train_classes))
    n_way = min(n_way, n_test_classes)

    model = embedding_network(
        input_shape=(*image_size, 1),
        embedding_dim=embedding_dim,
        filters=filters,
        normalize=True,
        pool_last_block=False,
        seed=seed,
    )
    history = fit_triplet(
        model,
        x_train,
        np.unique(y_train, return_inverse=True)[1],
        TripletSemiHardLoss(margin=margin),
        steps=steps,
        p=p,
        k=k,
        learning_rate=learning_rate,
        log_every=_divisor_at_most(steps, 25),
        seed=seed,
        shuffle=False,  # reproducible: same seed, same result on CPU
    )

    features = embed(model, x_test)
    pixels = pixel_features(x_test)
    episode_sets = sample_episodes(y_test, n_way, k_shot=1, n_query=1, episodes=episodes, seed=seed)
    first, second, same = make_pairs(y_test, n_pairs, seed=seed)
    return {
        "n_way": n_way,
        "one_shot": mean_ci(episode_accuracy(features, *episode_sets)),
        "pixels": mean_ci(episode_accuracy(pixels, *episode_sets)),
        "chance": 1.0 / n_way,
        "verification_auc": float(roc_auc_score(same, -pair_distances(features, first, second))),
        "pixel_verification_auc": float(roc_auc_score(same, -pair_distances(pixels, first, second))),
        "train_classes": train_classes.tolist(),
        "test_classes": test_classes.tolist(),
        "p": p,
        "image_size": image_size,
        "seconds": time.perf_counter() - start,
        "history": history,
        "model": model,
    }
