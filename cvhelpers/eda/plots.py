"""Plots of the statistics (Matplotlib and seaborn); each returns its figure.

Sizes (:func:`plot_size_scatter`), aspect ratios
(:func:`plot_aspect_histogram`), channel histograms
(:func:`plot_channel_histograms`), one :func:`~cvhelpers.eda.image_stats`
column per class (:func:`plot_stat_by_class`), class imbalance
(:func:`plot_imbalance`) and a PCA projection of texture features coloured
by class (:func:`plot_projection`). Matplotlib, seaborn and scikit-learn
are imported inside the functions, so importing :mod:`cvhelpers.eda` stays
cheap.
"""

from __future__ import annotations

import numpy as np

from cvhelpers.eda._batching import _check_class_names, _check_labels
from cvhelpers.eda.sizes import _check_sizes
from cvhelpers.validation import check_finite_array, check_positive_int

__all__ = [
    "plot_size_scatter",
    "plot_aspect_histogram",
    "plot_channel_histograms",
    "plot_stat_by_class",
    "plot_imbalance",
    "plot_projection",
]


def plot_size_scatter(widths, heights, title=None):
    """Width against height with marginal histograms, log axes (question 1).

    Returns
    -------
    matplotlib.figure.Figure
    """
    import seaborn as sns

    widths, heights = _check_sizes(widths, heights)
    grid = sns.JointGrid(x=widths, y=heights, height=4.5)
    grid.plot_joint(sns.scatterplot, s=12, alpha=0.5, edgecolor="none")
    grid.plot_marginals(sns.histplot, bins=30, log_scale=True, element="step")
    grid.ax_joint.set_xscale("log")
    grid.ax_joint.set_yscale("log")
    low, high = min(widths.min(), heights.min()), max(widths.max(), heights.max())
    grid.ax_joint.plot([low, high], [low, high], color="gray", lw=0.8, ls="--", label="square")
    grid.ax_joint.legend(loc="upper left", fontsize=8)
    grid.set_axis_labels("width (px)", "height (px)")
    if title:
        grid.figure.suptitle(title, y=1.02)
    return grid.figure


def plot_aspect_histogram(aspect, bins: int = 40, ax=None, title=None):
    """Histogram of w / h on a log axis, with 1:1, 4:3 and 16:9 marked (question 2)."""
    import matplotlib.pyplot as plt

    aspect = check_finite_array(aspect, "aspect", ndim=1, positive=True)
    if aspect.size == 0:
        raise ValueError("aspect is empty")
    bins = check_positive_int(bins, "bins")
    if ax is None:
        figure, ax = plt.subplots(figsize=(6, 3))
    else:
        figure = ax.figure
    edges = np.geomspace(max(aspect.min(), 1e-3) * 0.95, aspect.max() * 1.05, bins + 1)
    ax.hist(aspect, bins=edges, color="tab:blue")
    ax.set_xscale("log")
    for ratio, label in ((3 / 4, "3:4"), (1.0, "1:1"), (4 / 3, "4:3"), (16 / 9, "16:9")):
        ax.axvline(ratio, color="gray", ls="--", lw=0.8)
        ax.text(ratio, ax.get_ylim()[1] * 0.95, label, fontsize=7, ha="center", va="top", rotation=90)
    ax.set_xlabel("aspect ratio w / h (log scale; < 1 portrait, > 1 landscape)")
    ax.set_ylabel("images")
    ax.set_title(title or "aspect ratio")
    figure.tight_layout()
    return figure


def plot_channel_histograms(histograms, group_names=None, title=None, max_groups: int = 6):
    """Per-channel histograms from :func:`channel_histograms`, one panel per group."""
    import matplotlib.pyplot as plt

    histograms = np.asarray(histograms)
    if histograms.ndim != 3 or 0 in histograms.shape or histograms.shape[1] not in (1, 3):
        raise ValueError(f"histograms must have shape (groups, 1 or 3 channels, bins), got {histograms.shape}")
    groups = min(len(histograms), check_positive_int(max_groups, "max_groups"))
    if group_names is not None:
        if isinstance(group_names, str) or len(group_names) < groups:
            raise ValueError(f"group_names must name the {groups} groups shown, got {group_names!r}")
    figure, axes = plt.subplots(1, groups, figsize=(2.6 * groups, 2.4), sharey=True, squeeze=False)
    centres = (np.arange(histograms.shape[2]) + 0.5) / histograms.shape[2]
    colours = ["black"] if histograms.shape[1] == 1 else ["tab:red", "tab:green", "tab:blue"]
    for g, ax in enumerate(axes[0]):
        for c, colour in enumerate(colours):
            ax.plot(centres, histograms[g, c], color=colour, lw=1)
        ax.set_yscale("log")
        ax.set_title(group_names[g] if group_names is not None else f"group {g}", fontsize=8)
        ax.set_xlabel("pixel value", fontsize=8)
    axes[0, 0].set_ylabel("share of pixels (log)")
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


def plot_stat_by_class(stats, column: str, ax=None, title=None, log: bool = False):
    """A box plot of one :func:`image_stats` column per class, classes by median."""
    import matplotlib.pyplot as plt
    import seaborn as sns

    if not hasattr(stats, "columns") or not hasattr(stats, "groupby"):
        raise TypeError(f"stats must be a pandas DataFrame from image_stats, got {type(stats).__name__}")
    if column not in stats.columns or "class" not in stats.columns:
        raise ValueError(f"stats must have columns 'class' and {column!r}")
    if len(stats) == 0:
        raise ValueError("stats is empty")
    order = stats.groupby("class", observed=True)[column].median().sort_values().index.tolist()
    if ax is None:
        figure, ax = plt.subplots(figsize=(max(5, 0.45 * len(order)), 3.2))
    else:
        figure = ax.figure
    sns.boxplot(data=stats, x="class", y=column, order=order, ax=ax, fliersize=1.5, color="tab:blue")
    ax.tick_params(axis="x", rotation=60, labelsize=7)
    for label in ax.get_xticklabels():
        label.set_horizontalalignment("right")
    ax.set_xlabel("")
    if log:
        ax.set_yscale("log")
    ax.set_title(title or column, fontsize=9)
    figure.tight_layout()
    return figure


def plot_imbalance(table, ax=None, title=None):
    """Counts and effective numbers, head to tail, log axis (question 7).

    The bars are :func:`cvhelpers.plots.class_counts_bar`, the course's one
    class-count chart; the effective numbers are drawn over them.

    Parameters
    ----------
    table : pandas.DataFrame from :func:`imbalance_table`
        Sorted head to tail, as that function returns it.
    ax : matplotlib Axes, optional
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    from cvhelpers.plots import class_counts_bar

    missing = {"class", "count", "effective_number"} - set(getattr(table, "columns", ()))
    if not hasattr(table, "attrs") or missing:
        raise TypeError(f"table must be the DataFrame of imbalance_table, missing columns {sorted(missing)}")
    if len(table) == 0:
        raise ValueError("table is empty")
    if ax is None:
        _, ax = plt.subplots(figsize=(max(5, 0.45 * len(table)), 3.2))
    ratio = table.attrs.get("imbalance_ratio")
    title = title or (f"head to tail, imbalance ratio {ratio:.0f}" if ratio else "head to tail")
    figure = class_counts_bar(dict(enumerate(table["count"])), list(table["class"]), log=True, ax=ax, title=title)
    ax.containers[0].set_label("images")
    x = np.arange(len(table))
    ax.plot(x, table["effective_number"], "o-", color="tab:orange", ms=4,
            label=f"effective number (beta={table.attrs.get('beta', '?')})")
    ax.set_xticks(x, table["class"], rotation=60, ha="right", fontsize=7)
    ax.set_ylabel("images (log scale)")
    ax.legend(fontsize=7)
    ax.title.set_fontsize(9)
    figure.tight_layout()
    return figure


def plot_projection(features, labels, class_names=None, ax=None, title=None, seed: int = 0):
    """Standardise the features, project to 2-D with PCA, colour by class (question 6).

    Parameters
    ----------
    features : array-like of shape (n, d), float
        Rows with NaN or inf are left out; at least 2 must remain.
    labels : ndarray of shape (n,), int
    class_names : sequence of str, optional
        One name per label.

    Returns
    -------
    figure : matplotlib.figure.Figure
    explained : ndarray of shape (2,), float64
        Share of variance the two components explain.
    """
    import matplotlib.pyplot as plt
    from sklearn.decomposition import PCA
    from sklearn.preprocessing import StandardScaler

    features = np.asarray(features)
    if not (np.issubdtype(features.dtype, np.number) or features.dtype == bool):
        raise TypeError(f"features must be numeric, got dtype {features.dtype}")
    features = features.astype(np.float64)
    if features.ndim != 2 or features.shape[1] < 2:
        raise ValueError(f"features must have shape (n, d) with d >= 2, got {features.shape}")
    labels = _check_labels(labels, len(features), length_of="rows of features")
    if class_names is not None:
        class_names = _check_class_names(class_names, labels)
    finite = np.all(np.isfinite(features), axis=1)
    if finite.sum() < 2:
        raise ValueError(f"features must have at least 2 rows without NaN or inf, got {finite.sum()}")
    pca = PCA(n_components=2, random_state=seed)
    points = pca.fit_transform(StandardScaler().fit_transform(features[finite]))
    if ax is None:
        figure, ax = plt.subplots(figsize=(6, 4.5))
    else:
        figure = ax.figure
    cmap = plt.get_cmap("tab20", max(int(labels.max()) + 1, 1))
    for label in np.unique(labels[finite]):
        chosen = labels[finite] == label
        name = class_names[label] if class_names is not None else str(label)
        ax.scatter(points[chosen, 0], points[chosen, 1], s=6, alpha=0.6, color=cmap(label), label=name)
    ax.set_xlabel(f"PC 1 ({pca.explained_variance_ratio_[0]:.0%})")
    ax.set_ylabel(f"PC 2 ({pca.explained_variance_ratio_[1]:.0%})")
    ax.legend(fontsize=6, markerscale=2, ncols=2, loc="best", frameon=False)
    ax.set_title(title or "texture features, PCA", fontsize=9)
    figure.tight_layout()
    return figure, pca.explained_variance_ratio_
