"""Figures and tables that read an evaluation: confusion matrices, recall, ROC and PR curves.

They take what :func:`cvhelpers.metrics.classification.classification_report`
returns (an :class:`~cvhelpers.metrics.classification.EvaluationReport`), or
its confusion matrix, and draw with seaborn and Matplotlib.

Used in notebooks 02-08.
"""

from __future__ import annotations

import numpy as np

from cvhelpers.metrics.classification import EvaluationReport, _check_confusion, _probabilities
from cvhelpers.validation import check_finite_array, check_labels, check_positive_int

__all__ = [
    "plot_confusion_matrices", "plot_confusion_change", "plot_per_class_recall", "most_confused_pairs",
    "plot_roc_pr_curves",
]


def plot_confusion_matrices(report: EvaluationReport, title: str = "", normalize_only: bool = False):
    """Raw counts and row-normalized confusion matrices as seaborn heatmaps.

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    TypeError
        When ``report`` is not an :class:`EvaluationReport`.
    """
    import matplotlib.pyplot as plt

    _check_report(report, "report")
    confusion = report.confusion
    normalized = _row_normalized(confusion)
    panels = [("row-normalized (recall on the diagonal)", normalized, ".2f")]
    if not normalize_only:
        panels.insert(0, ("counts", confusion, "d"))
    figure, axes = plt.subplots(1, len(panels), figsize=(6.2 * len(panels), 5.2), squeeze=False)
    for ax, (name, matrix, fmt) in zip(axes[0], panels, strict=True):
        _confusion_heatmap(ax, matrix, report.class_names, f"{title} {name}".strip(), fmt=fmt, cmap="Blues",
                           vmin=0, vmax=1 if fmt == ".2f" else None)
    figure.tight_layout()
    return figure


def _check_report(report, name: str) -> None:
    if not isinstance(report, EvaluationReport):
        raise TypeError(f"{name} must be an EvaluationReport, got {type(report).__name__}")


def _confusion_heatmap(ax, matrix, class_names, title, **style):
    """One annotated confusion heatmap (rows true, columns predicted) on ``ax``; ``style`` goes to seaborn."""
    import seaborn as sns

    sns.heatmap(matrix, annot=True, cbar=False, ax=ax, annot_kws={"fontsize": 7}, xticklabels=class_names,
                yticklabels=class_names, **style)
    ax.set_xlabel("predicted")
    ax.set_ylabel("true")
    ax.set_title(title, fontsize=10)


def plot_confusion_change(before: EvaluationReport, after: EvaluationReport, title: str = ""):
    """Where one method's predictions moved against another's: the difference of row-normalized confusions.

    Cell (i, j) is the change in the share of class i's test images
    predicted as j; the diagonal is the change of each class's recall. Blue
    gains, red losses, so a fix for the tail that costs the head shows as
    blue on the tail's diagonal and red on the head's.

    Parameters
    ----------
    before, after : EvaluationReport
        Reports on the same test set and classes.
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    TypeError
        When ``before`` or ``after`` is not an :class:`EvaluationReport`.
    ValueError
        When their class names differ.
    """
    import matplotlib.pyplot as plt

    _check_report(before, "before")
    _check_report(after, "after")
    if list(before.class_names) != list(after.class_names):
        raise ValueError(f"before and after must have the same class names, got {before.class_names} and "
                         f"{after.class_names}")
    change = np.round(_row_normalized(after.confusion) - _row_normalized(before.confusion), 2) + 0.0  # no "-0.00"
    limit = max(float(np.abs(change).max()), 0.01)
    figure, ax = plt.subplots(figsize=(6.4, 5.4))
    _confusion_heatmap(ax, change, after.class_names, title or "Change of the row-normalized confusion matrix",
                       fmt="+.2f", cmap="RdBu", center=0, vmin=-limit, vmax=limit)
    figure.tight_layout()
    return figure


def _row_normalized(confusion) -> np.ndarray:
    """Each row divided by its count (a row without images stays zero)."""
    return confusion / np.maximum(confusion.sum(axis=1, keepdims=True), 1)


def plot_per_class_recall(reports: dict, counts: dict, class_names, ax=None, title="Per-class recall, head to tail"):
    """Recall of every class, head (left) to tail (right), one line per method.

    Parameters
    ----------
    reports : dict of str to EvaluationReport
    counts : dict of int to int
        Training images per class; sets the head-to-tail order.
    class_names : sequence of str

    Returns
    -------
    matplotlib.figure.Figure

    Raises
    ------
    TypeError
        When ``reports`` is not a dict of EvaluationReport, or ``counts`` not a dict.
    ValueError
        When ``reports`` is empty, a report or ``class_names`` does not have
        one entry per class, or ``counts`` has keys outside [0, C).
    """
    import matplotlib.pyplot as plt

    _check_recall_inputs(reports, counts, class_names)
    order = sorted(counts, key=lambda label: (-counts[label], label))
    if ax is None:
        figure, ax = plt.subplots(figsize=(9, 4))
    else:
        figure = ax.figure
    for name, report in reports.items():
        recall = report.per_class["recall"].to_numpy()
        ax.plot(range(len(order)), recall[order], marker="o", label=name)
    ax.set_xticks(
        range(len(order)), [f"{class_names[c]}\n({counts[c]})" for c in order], rotation=45, ha="right", fontsize=8
    )
    ax.set_ylabel("test recall")
    ax.set_ylim(0, 1.02)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=8, ncol=2)
    ax.set_title(title)
    figure.tight_layout()
    return figure


def _check_recall_inputs(reports, counts, class_names):
    """The checks of :func:`plot_per_class_recall`."""
    if not isinstance(reports, dict) or not all(isinstance(r, EvaluationReport) for r in reports.values()):
        raise TypeError("reports must be a dict of method name to EvaluationReport")
    if not reports:
        raise ValueError("reports is empty")
    if not isinstance(counts, dict):
        raise TypeError(f"counts must be a dict of label to count, got {type(counts).__name__}")
    num_classes = len(class_names)
    for name, report in reports.items():
        if len(report.per_class) != num_classes:
            raise ValueError(f"reports[{name!r}] has {len(report.per_class)} classes but class_names has {num_classes}")
    outside = sorted(set(counts) - set(range(num_classes)))
    if outside:
        raise ValueError(f"counts has keys outside [0, {num_classes}): {outside}")


def most_confused_pairs(confusion, class_names, k: int = 5):
    """The ``k`` largest off-diagonal cells of a confusion matrix.

    Parameters
    ----------
    confusion : ndarray of shape (C, C)
        Rows are true classes, columns predictions.
    class_names : sequence of str
    k : int, default=5

    Returns
    -------
    pandas.DataFrame
        Columns ``true, predicted, count, share_of_true`` (the fraction of the
        true class sent to that prediction), largest count first.

    Raises
    ------
    ValueError
        When ``confusion`` is not a square matrix of finite counts >= 0,
        ``class_names`` does not have one name per class, or ``k`` is not a
        positive int.
    """
    import pandas as pd

    confusion = _check_confusion(confusion)
    k = check_positive_int(k, "k")
    if len(class_names) != len(confusion):
        raise ValueError(f"class_names has {len(class_names)} names for {len(confusion)} classes")
    off = confusion.astype(np.float64).copy()
    np.fill_diagonal(off, -1)
    order = np.argsort(off, axis=None)[::-1][:k]
    rows = []
    for flat in order:
        true, predicted = np.unravel_index(flat, off.shape)
        if off[true, predicted] <= 0:
            break
        support = confusion[true].sum()
        rows.append({
            "true": class_names[true], "predicted": class_names[predicted],
            "count": int(confusion[true, predicted]), "share_of_true": confusion[true, predicted] / max(support, 1),
        })
    return pd.DataFrame(rows, columns=["true", "predicted", "count", "share_of_true"])


def plot_roc_pr_curves(y_true, scores_by_method: dict, class_names, classes=None):
    """One-vs-rest ROC and precision-recall curves per class, for several methods.

    Parameters
    ----------
    y_true : ndarray of shape (n,), int
    scores_by_method : dict of str to ndarray (n, C)
        Logits or probabilities per method (softmax is applied to logits).
    class_names : sequence of str
    classes : sequence of int, optional
        Which classes to draw (one column each); default all.

    Returns
    -------
    matplotlib.figure.Figure
        Two rows: ROC (with AUC in the legend) and PR (with average precision
        and the chance level, the class's share of the data).

    Raises
    ------
    TypeError
        When ``scores_by_method`` is not a dict.
    ValueError
        Naming the argument: labels that are not 1-D class indices in
        [0, C), scores that are not finite (n, C) arrays, an empty
        ``scores_by_method``, or ``classes`` outside [0, C).
    """
    import matplotlib.pyplot as plt
    from sklearn import metrics

    num_classes = len(class_names)
    y_true = check_labels(y_true, "y_true", num_classes=num_classes)
    _check_scores_by_method(scores_by_method, len(y_true), num_classes)
    classes = list(range(num_classes)) if classes is None else list(classes)
    if not classes or any(not isinstance(c, (int, np.integer)) or not 0 <= c < num_classes for c in classes):
        raise ValueError(f"classes must be class indices in [0, {num_classes}), got {classes}")
    figure, axes = plt.subplots(2, len(classes), figsize=(3.0 * len(classes), 6.0), squeeze=False)
    for column, label in enumerate(classes):
        positive = y_true == label
        for name, scores in scores_by_method.items():
            probabilities = _probabilities(scores)
            fpr, tpr, _ = metrics.roc_curve(positive, probabilities[:, label])
            precision, recall, _ = metrics.precision_recall_curve(positive, probabilities[:, label])
            auc = metrics.auc(fpr, tpr)
            ap = metrics.average_precision_score(positive, probabilities[:, label])
            axes[0, column].plot(fpr, tpr, label=f"{name} ({auc:.3f})")
            axes[1, column].plot(recall, precision, label=f"{name} ({ap:.3f})")
        axes[1, column].axhline(positive.mean(), color="gray", linestyle=":", linewidth=1)
        axes[0, column].set_title(class_names[label], fontsize=9)
        axes[0, column].set_xlabel("false positive rate", fontsize=8)
        axes[1, column].set_xlabel("recall", fontsize=8)
        for row in range(2):
            axes[row, column].legend(fontsize=6, loc="lower right" if row == 0 else "lower left")
            axes[row, column].tick_params(labelsize=7)
    axes[0, 0].set_ylabel("true positive rate (ROC)")
    axes[1, 0].set_ylabel("precision (PR)")
    figure.tight_layout()
    return figure


def _check_scores_by_method(scores_by_method, n: int, num_classes: int):
    """Every method's scores: a finite (n, C) array."""
    if not isinstance(scores_by_method, dict):
        raise TypeError(f"scores_by_method must be a dict of method to scores, got {type(scores_by_method).__name__}")
    if not scores_by_method:
        raise ValueError("scores_by_method is empty")
    for name, scores in scores_by_method.items():
        scores = check_finite_array(scores, f"scores_by_method[{name!r}]", ndim=2)
        if scores.shape != (n, num_classes):
            raise ValueError(f"scores_by_method[{name!r}] must have shape ({n}, {num_classes}), got {scores.shape}")
