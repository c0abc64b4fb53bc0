"""Small plotting helpers shared by the notebooks (Matplotlib).

Every plotting function draws on a new figure (or a given ``ax``) and returns
the figure, so notebooks can pass it to :func:`cvhelpers.course.results.save_figure`.
:func:`tsne_points` computes the 2-D t-SNE projection that :func:`embedding_map`
draws (notebooks 05 and 07).
"""

from __future__ import annotations

import numpy as np

from cvhelpers.validation import check_features, check_finite_array, check_labels, check_positive_int, check_seed

__all__ = ["image_grid", "samples_per_class", "class_counts_bar", "tsne_points", "embedding_map"]


def _as_display(image):
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    return image


def _check_display_range(image, name):
    """Refuse float pixels that look like 0-255: ``imshow`` with vmax=1 would show them white."""
    if np.issubdtype(image.dtype, np.floating) and image.size:
        high = np.max(image, initial=-np.inf, where=~np.isnan(image))
        if high > 1.5:
            raise ValueError(f"{name} must be float in [0, 1] or uint8, got a float maximum of {high:g}; "
                             "0-255 pixels? divide by 255 or cast to uint8")
    return image


def image_grid(images, titles=None, ncols: int = 8, size: float = 1.3, cmap="gray", suptitle=None):
    """Show images in a grid.

    Parameters
    ----------
    images : sequence of ndarray (h, w), (h, w, 1) or (h, w, 3|4)
        uint8 in [0, 255] or float in [0, 1] (NaN pixels are left blank).
    titles : sequence of str, optional
        One per image.
    ncols : int, default=8
    size : float, default=1.3
        Inches per image.
    cmap : str, default="gray"
        For single-channel images.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    count = len(images)
    if count == 0:
        raise ValueError("images is empty")
    if titles is not None:
        if isinstance(titles, str):
            raise TypeError("titles must be a sequence with one title per image, not one string")
        if len(titles) != count:
            raise ValueError(f"titles must have one entry per image ({count}), got {len(titles)}")
    ncols = max(1, min(check_positive_int(ncols, "ncols"), count))
    nrows = int(np.ceil(count / ncols))
    figure, axes = plt.subplots(nrows, ncols, figsize=(ncols * size, nrows * size * 1.15), squeeze=False)
    for index, ax in enumerate(axes.flat):
        ax.axis("off")
        if index >= count:
            continue
        image = _check_display_range(_as_display(images[index]), f"images[{index}]")
        vmax = 255 if image.dtype == np.uint8 else 1.0
        ax.imshow(image, cmap=cmap if image.ndim == 2 else None, vmin=0, vmax=vmax)
        if titles is not None:
            ax.set_title(str(titles[index]), fontsize=8)
    if suptitle:
        figure.suptitle(suptitle)
    figure.tight_layout()
    return figure


def samples_per_class(x, y, class_names, per_class: int = 8, seed: int = 0, size: float = 1.0):
    """A grid with one row per class and ``per_class`` random images in each.

    Parameters
    ----------
    x : ndarray of shape (n, h, w) or (n, h, w, c)
    y : ndarray of shape (n,), int
    class_names : sequence of str
    per_class : int, default=8
    seed : int, default=0

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    if isinstance(class_names, str):
        raise TypeError("class_names must be a sequence of names, not one string")
    if len(class_names) == 0:
        raise ValueError("class_names is empty")
    y = check_labels(y, "y", length=len(x), length_of="images in x")
    if y.max() >= len(class_names):
        raise ValueError(f"class_names has {len(class_names)} names but y goes up to {y.max()}")
    per_class = check_positive_int(per_class, "per_class")
    rng = np.random.default_rng(check_seed(seed))
    figure, axes = plt.subplots(
        len(class_names), per_class, figsize=(per_class * size, len(class_names) * size), squeeze=False
    )
    for label, row in enumerate(axes):
        members = np.flatnonzero(y == label)
        picks = rng.choice(members, size=min(per_class, len(members)), replace=False) if len(members) else []
        for column, ax in enumerate(row):
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
            if column < len(picks):
                image = _as_display(x[picks[column]])
                ax.imshow(image, cmap="gray" if image.ndim == 2 else None)
        row[0].set_ylabel(f"{class_names[label]}\n({len(members)})", rotation=0, ha="right", va="center", fontsize=8)
    figure.tight_layout()
    return figure


def class_counts_bar(counts, class_names=None, log: bool = True, ax=None, title=None):
    """Bar chart of images per class, sorted head to tail.

    Parameters
    ----------
    counts : dict of int to int, or sequence of int indexed by label
    class_names : sequence of str, optional
    log : bool, default=True
        Log-scale y axis, so the tail stays visible.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    if not isinstance(counts, dict):
        counts = dict(enumerate(counts))
    if not counts:
        raise ValueError("counts is empty")
    check_finite_array(list(counts.values()), "counts", ndim=1, nonnegative=True)
    if class_names is not None:
        _check_names_cover(class_names, counts)
    order = sorted(counts, key=lambda label: -counts[label])
    names = [class_names[label] if class_names is not None else str(label) for label in order]
    values = [counts[label] for label in order]
    if ax is None:
        figure, ax = plt.subplots(figsize=(max(4, 0.6 * len(values)), 3.2))
    else:
        figure = ax.figure
    bars = ax.bar(range(len(values)), values, color="tab:blue")
    ax.bar_label(bars, labels=[str(v) for v in values], fontsize=7, padding=1)
    ax.set_xticks(range(len(values)), names, rotation=45, ha="right")
    ax.set_ylabel("training images" + (" (log scale)" if log else ""))
    if log:
        ax.set_yscale("log")
    ax.set_title(title or f"{len(values)} classes, imbalance ratio {max(values) / max(min(values), 1):.0f}")
    figure.tight_layout()
    return figure


def _check_names_cover(class_names, counts):
    if isinstance(class_names, str):
        raise TypeError("class_names must be a sequence of names, not one string")
    def named(label):
        return not isinstance(label, bool) and isinstance(label, (int, np.integer)) and 0 <= label < len(class_names)

    outside = [label for label in counts if not named(label)]
    if outside:
        raise ValueError(f"class_names has {len(class_names)} names but counts has labels {outside[:5]}")


def tsne_points(features, *, perplexity: float = 30.0, seed: int = 0) -> np.ndarray:
    """A 2-D t-SNE projection of feature vectors (``sklearn.manifold.TSNE``, PCA initialization).

    Parameters
    ----------
    features : array-like of shape (n, dim), numeric
        E.g. embeddings of n images; passed to t-SNE unchanged (float32 stays
        float32), so the projection is the one ``TSNE`` gives on the same array.
    perplexity : float, default=30.0
        Roughly the neighbours each point keeps close; must be > 0 and < n.
    seed : int, default=0
        ``random_state`` of t-SNE: the same seed gives the same points.

    Returns
    -------
    ndarray of shape (n, 2)

    Raises
    ------
    TypeError
        When ``features`` is not numeric or ``seed`` is not an int.
    ValueError
        When ``features`` is not 2-D with >= 2 rows, holds NaN or inf, or
        ``perplexity`` is out of range.
    """
    from sklearn.manifold import TSNE
    from threadpoolctl import threadpool_limits

    features = check_features(features)
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)):
        raise TypeError(f"seed must be an int, got {type(seed).__name__}")
    if isinstance(perplexity, bool) or not isinstance(perplexity, (int, float, np.number)):
        raise TypeError(f"perplexity must be a number, got {type(perplexity).__name__}")
    if not 0 < perplexity < len(features):
        raise ValueError(f"perplexity must be > 0 and < the number of points {len(features)}, got {perplexity}")
    # One OpenMP thread: in a process that has trained with TensorFlow, t-SNE's OpenMP threads compete with
    # TensorFlow's thread pools (500 points on 2 cores: 5.1 s on all threads, 1.9 s on one); the points are the same.
    with threadpool_limits(limits=1, user_api="openmp"):
        return TSNE(n_components=2, perplexity=perplexity, random_state=seed, init="pca").fit_transform(features)


def embedding_map(
    features,
    labels,
    *,
    classes=None,
    names=None,
    perplexity: float = 30.0,
    seed: int = 0,
    cmap=None,
    point_size: float = 5,
    title=None,
    title_size=None,
    ax=None,
    figsize=(5, 4.2),
):
    """Scatter a 2-D t-SNE projection of features, one colour per class.

    The points are :func:`tsne_points` of ``features``; each class in
    ``classes`` is drawn as one scatter, in that order, so its colour is the
    next one of the axes' colour cycle or, with ``cmap``, ``cmap(i % cmap.N)``
    for the i-th class. Ticks are hidden (t-SNE axes have no units).

    Parameters
    ----------
    features : array-like of shape (n, dim), numeric
    labels : array-like of shape (n,)
        The class of every point.
    classes : sequence, optional
        The classes to draw, in drawing order (and colour order). Default: the
        sorted distinct ``labels``. Points of other classes are projected but
        not drawn.
    names : sequence of str, optional
        One legend label per entry of ``classes``; the caller draws the legend
        (``ax.legend(...)``), where it fits the figure.
    perplexity : float, default=30.0
    seed : int, default=0
        Of t-SNE (see :func:`tsne_points`).
    cmap : str or matplotlib colormap, optional
        E.g. ``"tab20"`` for up to 20 distinguishable classes.
    point_size : float, default=5
        Marker area, as ``s`` of ``Axes.scatter``.
    title : str, optional
    title_size : float, optional
        Font size of the title.
    ax : matplotlib Axes, optional
        Draw there (e.g. one panel of a figure); the figure's layout is then
        left to the caller. Default: a new figure of ``figsize`` with
        ``tight_layout``.
    figsize : tuple of float, default=(5, 4.2)

    Returns
    -------
    matplotlib.figure.Figure
        The figure of ``ax``; the scatters are in ``ax.collections``, one per
        class, their points in ``get_offsets()``.

    Raises
    ------
    TypeError, ValueError
        As :func:`tsne_points` for ``features``, ``perplexity`` and ``seed``;
        ValueError when ``labels`` does not have shape (n,) or ``names`` does
        not match ``classes``.
    """
    import matplotlib
    import matplotlib.pyplot as plt

    features = check_features(features)
    labels = np.asarray(labels)
    if labels.shape != (len(features),):
        raise ValueError(f"labels must have shape ({len(features)},), one per row of features, got {labels.shape}")
    classes = np.unique(labels) if classes is None else list(classes)
    if len(classes) == 0:
        raise ValueError("classes is empty")
    if names is not None and len(names) != len(classes):
        raise ValueError(f"names must have one entry per class ({len(classes)}), got {len(names)}")
    if isinstance(cmap, str):
        if cmap not in matplotlib.colormaps:
            raise ValueError(f"cmap must name a Matplotlib colormap, got {cmap!r}")
        cmap = matplotlib.colormaps[cmap]
    points = tsne_points(features, perplexity=perplexity, seed=seed)
    if ax is None:
        figure, ax = plt.subplots(figsize=figsize)
        own_figure = True
    else:
        figure, own_figure = ax.figure, False
    for index, cls in enumerate(classes):
        mine = labels == cls
        style = {} if names is None else {"label": names[index]}
        if cmap is not None:
            style["color"] = cmap(index % cmap.N)
        ax.scatter(points[mine, 0], points[mine, 1], s=point_size, **style)
    ax.set_xticks([])
    ax.set_yticks([])
    if title is not None:
        ax.set_title(title, **({} if title_size is None else {"fontsize": title_size}))
    if own_figure:
        figure.tight_layout()
    return figure
