"""N-way k-shot identification: episodes, their accuracy, and its confidence interval.

:func:`sample_episodes` draws the episodes (optionally within one group, e.g.
one alphabet), :func:`episode_accuracy` scores each by nearest prototype and
:func:`mean_ci` summarises the scores as mean ± 95% half-width.
"""

from __future__ import annotations

import numpy as np

from cvhelpers.methods.siamese._labels import _class_index
from cvhelpers.validation import check_features, check_finite_array, check_number, check_positive_int, check_seed

__all__ = ["episode_accuracy", "mean_ci", "sample_episodes"]


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
    n_way = check_positive_int(n_way, "n_way", smallest=2)
    k_shot = check_positive_int(k_shot, "k_shot")
    n_query = check_positive_int(n_query, "n_query")
    episodes = check_positive_int(episodes, "episodes")
    seed = check_seed(seed)
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

    Raises
    ------
    TypeError
        When ``features`` or an index array is not numeric (integer indices).
    ValueError
        When ``features`` is not a finite (n, dim) array, the shapes of
        ``support``, ``query`` and ``query_class`` do not fit together, an
        index is outside ``[0, n)`` or a query class outside ``[0, n_way)``.
    """
    features = check_features(features).astype(np.float32, copy=False)
    support, query, query_class = _check_episodes(support, query, query_class, len(features))
    prototypes = features[support].mean(axis=2)  # (E, N, dim)
    queries = features[query]  # (E, Q, dim)
    distances = ((queries[:, :, None, :] - prototypes[:, None, :, :]) ** 2).sum(-1)  # (E, Q, N)
    return (distances.argmin(-1) == query_class).mean(axis=1)


def _indices(values, name, ndim, high):
    values = np.asarray(values)
    if not np.issubdtype(values.dtype, np.integer):
        raise TypeError(f"{name} must hold integer indices, got dtype {values.dtype}")
    if values.ndim != ndim or values.size == 0:
        raise ValueError(f"{name} must be a non-empty {ndim}-D array, got shape {values.shape}")
    if values.min() < 0 or values.max() >= high:
        raise ValueError(f"{name} must be in [0, {high}), got [{values.min()}, {values.max()}]")
    return values


def _check_episodes(support, query, query_class, n):
    """The arrays of :func:`sample_episodes`, checked against ``n`` images."""
    support = _indices(support, "support", 3, n)
    query = _indices(query, "query", 2, n)
    query_class = _indices(query_class, "query_class", 2, support.shape[1])
    if query.shape != query_class.shape or len(query) != len(support):
        raise ValueError(f"support, query and query_class must have shapes (E, N, k), (E, Q) and (E, Q), "
                         f"got {support.shape}, {query.shape} and {query_class.shape}")
    return support, query, query_class


def mean_ci(values, confidence: float = 0.95) -> tuple:
    """Mean and half-width of its normal-approximation confidence interval.

    Parameters
    ----------
    values : ndarray of shape (m,), float
        E.g. per-episode accuracies; finite, m >= 2.
    confidence : float, default=0.95
        In (0, 1).

    Returns
    -------
    (mean, half_width) : tuple of float
        The interval is ``mean ± half_width``.
    """
    from scipy import stats

    values = check_finite_array(values, "values", ndim=1)
    if values.size < 2:
        raise ValueError(f"values needs at least 2 entries, got {values.size}")
    confidence = check_number(confidence, "confidence", low=0.0, low_open=True)
    if confidence >= 1:
        raise ValueError(f"confidence must be in (0, 1), got {confidence}")
    z = stats.norm.ppf(0.5 + confidence / 2)
    return float(values.mean()), float(z * values.std(ddof=1) / np.sqrt(values.size))
