"""Small plotting helpers shared by the notebooks (Matplotlib).

Every function draws on a new figure (or a given ``ax``) and returns the
figure, so notebooks can pass it to :func:`cvhelpers.course.results.save_figure`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["image_grid", "samples_per_class", "class_counts_bar"]


def _as_display(image):
    image = np.asarray(image)
    if image.ndim == 3 and image.shape[-1] == 1:
        image = image[..., 0]
    return image


def image_grid(images, titles=None, ncols: int = 8, size: float = 1.3, cmap="gray", suptitle=None):
    """Show images in a grid.

    Parameters
    ----------
    images : sequence of ndarray (h, w), (h, w, 1) or (h, w, 3|4)
        uint8 in [0, 255] or float in [0, 1].
    titles : sequence of str, optional
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
    ncols = max(1, min(ncols, count))
    nrows = int(np.ceil(count / ncols))
    figure, axes = plt.subplots(nrows, ncols, figsize=(ncols * size, nrows * size * 1.15), squeeze=False)
    for index, ax in enumerate(axes.flat):
        ax.axis("off")
        if index >= count:
            continue
        image = _as_display(images[index])
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

    rng = np.random.default_rng(seed)
    y = np.asarray(y)
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
