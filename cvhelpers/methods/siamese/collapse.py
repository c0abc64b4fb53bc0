"""Does training start? The spread of an embedding, and a side-by-side run of several mining rules.

A collapsed embedding maps every image to about the same point: the triplet
loss then sits at its margin and distances tell nothing. :func:`embedding_spread`
measures it (mean distance between the embeddings of different images, ~0 when
collapsed); :func:`compare_mining` trains one network per loss for the same few
steps and reports loss, spread and one-shot accuracy of each (notebook 07's
collapse demo).
"""

from __future__ import annotations

from collections.abc import Mapping

import keras
import numpy as np

from cvhelpers.methods.siamese.episodes import episode_accuracy, mean_ci
from cvhelpers.methods.siamese.features import embed
from cvhelpers.methods.siamese.training import _check_steps, fit_triplet
from cvhelpers.metrics.few_shot import pair_distances
from cvhelpers.validation import check_features, check_number, check_positive_int, check_seed

__all__ = ["compare_mining", "embedding_spread"]


def embedding_spread(features) -> float:
    """Mean Euclidean distance over all pairs of rows: ~0 means a collapsed embedding.

    Give it the embeddings of images of *different* classes (e.g. one image
    per class): a working embedding keeps them apart, a collapsed one maps
    them all to about one point. On unit-length embeddings the spread is in
    [0, 2]; random unit vectors in many dimensions give about sqrt(2).

    Parameters
    ----------
    features : array-like of shape (n, dim), numeric, n >= 2
        Compared as float32, like :func:`pair_distances`.

    Returns
    -------
    float
        The mean of the n (n - 1) / 2 distances ``||features[i] - features[j]||``, i < j.

    Raises
    ------
    TypeError
        When ``features`` is not numeric.
    ValueError
        When ``features`` is not 2-D with at least 2 rows, or is not finite.
    """
    features = check_features(features)
    first, second = np.triu_indices(len(features), 1)
    return float(pair_distances(features, first, second).mean())


def _check_runs(runs) -> dict:
    if not isinstance(runs, Mapping):
        raise TypeError(f"runs must be a dict of label to (loss, build, optimizer), got {type(runs).__name__}")
    if not runs:
        raise ValueError("runs is empty")
    for label, run in runs.items():
        if not isinstance(run, (tuple, list)) or len(run) != 3:
            raise ValueError(f"runs[{label!r}] must be a tuple (loss, build, optimizer), got {run!r}")
        if not callable(run[1]):
            raise TypeError(f"runs[{label!r}]: build must be callable with no arguments, got {type(run[1]).__name__}")
    return dict(runs)


def compare_mining(
    runs,
    x,
    y,
    *,
    probe,
    steps: int,
    x_eval=None,
    episodes=None,
    p: int = 32,
    k: int = 4,
    learning_rate: float = 2e-3,
    log_every: int = 25,
    seed: int = 0,
) -> dict:
    """Train one embedding network per loss for the same steps, and measure which ones collapse.

    For each run, in order: ``keras.utils.set_random_seed(seed)``, ``build()``,
    :func:`fit_triplet` on P×K batches of ``(x, y)`` (the same ``seed``, so
    every run sees the same batches), then :func:`embedding_spread` of the
    embeddings of ``probe`` and, for every entry of ``episodes``, the mean
    N-way k-shot accuracy on ``x_eval`` (:func:`episode_accuracy`,
    :func:`mean_ci`). A run whose loss stays at the margin and whose spread is
    ~0 has collapsed.

    Parameters
    ----------
    runs : dict of str to tuple (loss, build, optimizer)
        ``loss``: a triplet loss, e.g. ``TripletHardLoss(0.5)``; ``build``: a
        callable with no arguments that returns the ``keras.Model`` to train,
        (batch, h, w, 1) -> (batch, dim) (called after seeding, so an
        unseeded network starts the same in every run; it may also return a
        network built earlier); ``optimizer``: ``None`` for
        ``cosine_adam(learning_rate, steps)``, or an optimizer whose schedule
        goes on across later :func:`fit_triplet` calls.
    x : ndarray of shape (n, h, w) or (n, h, w, 1)
        Training images.
    y : ndarray of shape (n,), int
        Their classes.
    probe : ndarray of shape (m, h, w) or (m, h, w, 1), m >= 2
        Images of different classes, e.g. one per class, for the spread.
    steps : int
        Training steps of every run, a multiple of ``log_every``.
    x_eval : ndarray of shape (n_eval, h, w) or (n_eval, h, w, 1), optional
        The images that ``episodes`` index; needed with ``episodes``.
    episodes : dict of str to tuple (support, query, query_class), optional
        From :func:`sample_episodes` on the labels of ``x_eval``; each name
        becomes a key of the result (not ``"history"`` or ``"spread"``).
    p, k : int, default=32, 4
        Classes per batch and images per class.
    learning_rate : float, default=2e-3
        Peak rate of the default optimizer.
    log_every : int, default=25
        The loss is averaged over blocks of this many steps.
    seed : int, default=0

    Returns
    -------
    dict of str to dict
        In the order of ``runs``: ``history`` (:func:`fit_triplet`'s dict:
        ``step``, ``loss``, ``seconds``), ``spread`` (float) and, per name of
        ``episodes``, the mean accuracy (float in [0, 1]).

    Raises
    ------
    TypeError
        When ``runs`` or ``episodes`` is not a dict or a ``build`` is not callable.
    ValueError
        When ``runs`` is empty or malformed, ``steps``, ``log_every``,
        ``p``, ``k``, ``learning_rate`` or ``seed`` is out of range, ``probe``
        has fewer than 2 images, or ``episodes`` comes without ``x_eval`` or
        uses a reserved name.

    Examples
    --------
    >>> runs = {"semi-hard": (TripletSemiHardLoss(0.5), new_network, None),  # doctest: +SKIP
    ...         "batch-hard": (TripletHardLoss(0.5), new_network, None)}
    >>> demo = compare_mining(runs, x_bg, y_bg, probe=x_ev[:800:20], steps=200)  # doctest: +SKIP
    >>> demo["batch-hard"]["spread"]  # doctest: +SKIP
    """
    runs = _check_runs(runs)
    if len(probe) < 2:
        raise ValueError(f"probe needs at least 2 images, got {len(probe)}")
    episodes = {} if episodes is None else episodes
    if not isinstance(episodes, Mapping):
        raise TypeError(f"episodes must be a dict of name to episodes, got {type(episodes).__name__}")
    if episodes and x_eval is None:
        raise ValueError("episodes index x_eval: pass x_eval too")
    reserved = {"history", "spread"} & set(episodes)
    if reserved:
        raise ValueError(f"episodes must not use the names {sorted(reserved)}: the result uses them")
    steps, log_every = _check_steps(steps, log_every)
    p = check_positive_int(p, "p", smallest=2)
    k = check_positive_int(k, "k", smallest=2)
    learning_rate = check_number(learning_rate, "learning_rate", low=0.0, low_open=True)
    seed = check_seed(seed)
    result = {}
    for label, (loss, build, optimizer) in runs.items():
        keras.utils.set_random_seed(seed)
        model = build()
        history = fit_triplet(model, x, y, loss, steps=steps, p=p, k=k, seed=seed, learning_rate=learning_rate,
                              log_every=log_every, optimizer=optimizer)
        result[label] = {"history": history, "spread": embedding_spread(embed(model, probe))}
        if episodes:
            features = embed(model, x_eval)
            for name, episode_set in episodes.items():
                result[label][name] = mean_ci(episode_accuracy(features, *episode_set))[0]
    return result
