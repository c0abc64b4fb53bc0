"""N-way k-shot identification: episodes, their accuracy, and its confidence interval.

:func:`sample_episodes` draws the episodes (optionally within one group, e.g.
one alphabet), :func:`episode_accuracy` scores each by nearest prototype and
:func:`mean_ci` summarises the scores as mean ± 95% half-width.
"""

from __future__ import annotations

import numpy as np

from cvhelpers.methods.siamese._labels import _class_index

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
