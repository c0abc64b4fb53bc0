"""The whole one-shot pipeline on any labelled image set: :func:`one_shot_experiment`.

Split the classes, train an embedding with the semi-hard triplet loss, and
score N-way 1-shot identification and verification on the unseen classes,
against the raw-pixel baseline.
"""

from __future__ import annotations

import numpy as np

from cvhelpers.methods.siamese.batches import make_pairs
from cvhelpers.methods.siamese.episodes import episode_accuracy, mean_ci, sample_episodes
from cvhelpers.methods.siamese.features import embed, pixel_features
from cvhelpers.methods.siamese.networks import embedding_network
from cvhelpers.methods.siamese.training import fit_triplet
from cvhelpers.metrics.few_shot import pair_distances
from cvhelpers.validation import check_number, check_positive_int, check_seed

__all__ = ["one_shot_experiment"]


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
    × 10 photos, 64×64, see :func:`cvhelpers.data.faces.faces_if_available`): one
    person plays the part of one character, one photo the part of one writer's
    drawing. The steps:

    1. resize every image to ``image_size`` by area averaging
       (:func:`cvhelpers.eda.resize_batch`), as float32 in [0, 1];
    2. split the *classes* with a permutation seeded by ``seed``:
       ``n_test_classes`` unseen test classes (people enrolled after training)
       and the rest for training;
    3. train :func:`embedding_network` (L2-normalized, last block unpooled)
       with :class:`~cvhelpers.methods.metric_losses.TripletSemiHardLoss` by
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
        When ``images`` is not numeric, or ``margin`` or ``learning_rate`` is not a number.
    ValueError
        When a shape or value is out of range, or an integer argument is not
        an int (a float or a bool); the message names the argument.

    Examples
    --------
    >>> from cvhelpers.data.faces import faces_if_available  # doctest: +SKIP
    >>> faces = faces_if_available("olivetti")  # doctest: +SKIP
    >>> result = one_shot_experiment(faces.images, faces.labels, n_test_classes=10)  # doctest: +SKIP
    >>> result["one_shot"], result["pixels"], result["chance"]  # doctest: +SKIP
    """
    import time

    from sklearn.metrics import roc_auc_score

    from cvhelpers.methods.metric_losses import TripletSemiHardLoss

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
    image_size = tuple(check_positive_int(side, "image_size", smallest=8) for side in image_size)
    steps = check_positive_int(steps, "steps")
    p = check_positive_int(p, "p", smallest=2)
    k = check_positive_int(k, "k", smallest=2)
    n_way = check_positive_int(n_way, "n_way", smallest=2)
    episodes = check_positive_int(episodes, "episodes", smallest=2)
    n_pairs = check_positive_int(n_pairs, "n_pairs", smallest=2)
    n_test_classes = check_positive_int(n_test_classes, "n_test_classes", smallest=2)
    seed = check_seed(seed)
    check_number(margin, "margin", low=0.0)
    check_number(learning_rate, "learning_rate", low=0.0, low_open=True)
    check_positive_int(embedding_dim, "embedding_dim")
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
