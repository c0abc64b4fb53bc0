"""Evaluation beyond accuracy: one report, confusion matrices, recall plots.

:func:`classification_report` returns everything the course compares methods
by: per-class precision, recall, F1 and support; macro and weighted F1;
balanced accuracy; the geometric mean of recalls; macro one-vs-rest ROC AUC
and PR AUC; head, tail and worst-class recall. It is built on scikit-learn
and imbalanced-learn (``classification_report_imbalanced``) and a test checks
it against them.

:class:`BalancedAccuracy` is a streaming Keras metric, so early stopping and
model choice can monitor ``val_balanced_accuracy``. Keras has no such metric.

:func:`skewed_subset` draws a class-imbalanced evaluation subset with given
proportions (the training counts), where accuracy and balanced accuracy part.

Used in notebooks 02-08.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import keras
import numpy as np

__all__ = [
    "BalancedAccuracy",
    "EvaluationReport",
    "classification_report",
    "predict_logits",
    "head_tail_classes",
    "skewed_subset",
    "gap_closed",
    "comparison_table",
    "plot_confusion_matrices",
    "plot_per_class_recall",
    "most_confused_pairs",
    "plot_roc_pr_curves",
]


@keras.saving.register_keras_serializable(package="cvhelpers")
class BalancedAccuracy(keras.metrics.Metric):
    """Mean per-class recall, accumulated over batches (a Keras metric).

    It keeps a (C, C) confusion matrix as a metric variable, so it is exact
    over an epoch and aggregates correctly under ``tf.distribute``. Labels
    may be integers (b,) or one-hot / soft rows (b, C) (the argmax is used);
    predictions are logits or probabilities (b, C). Classes absent from the
    labels so far are left out of the mean, as in scikit-learn.

    Parameters
    ----------
    num_classes : int
    name : str, default="balanced_accuracy"
    """

    def __init__(self, num_classes: int, name: str = "balanced_accuracy", **kwargs):
        super().__init__(name=name, **kwargs)
        if num_classes < 2:
            raise ValueError(f"num_classes must be at least 2, got {num_classes}")
        self.num_classes = int(num_classes)
        self.confusion = self.add_variable(
            shape=(self.num_classes, self.num_classes), initializer="zeros", name="confusion", dtype="float32"
        )

    def update_state(self, y_true, y_pred, sample_weight=None):
        ops = keras.ops
        y_pred = ops.convert_to_tensor(y_pred)
        y_true = ops.convert_to_tensor(y_true)
        if len(y_true.shape) == len(y_pred.shape) and y_true.shape[-1] == self.num_classes and y_true.shape[-1] != 1:
            y_true = ops.argmax(y_true, axis=-1)
        y_true = ops.cast(ops.reshape(y_true, (-1,)), "int32")
        predicted = ops.cast(ops.argmax(y_pred, axis=-1), "int32")
        pairs = ops.one_hot(y_true, self.num_classes)[:, :, None] * ops.one_hot(predicted, self.num_classes)[:, None, :]
        if sample_weight is not None:
            pairs = pairs * ops.reshape(ops.cast(sample_weight, "float32"), (-1, 1, 1))
        self.confusion.assign_add(ops.sum(pairs, axis=0))

    def result(self):
        ops = keras.ops
        support = ops.sum(self.confusion, axis=1)
        recall = ops.divide_no_nan(ops.diagonal(self.confusion), support)
        present = ops.cast(support > 0, "float32")
        return ops.divide_no_nan(ops.sum(recall * present), ops.sum(present))

    def reset_state(self):
        self.confusion.assign(keras.ops.zeros_like(self.confusion))

    def get_config(self):
        return {**super().get_config(), "num_classes": self.num_classes}


def predict_logits(model, x, batch_size: int = 512) -> np.ndarray:
    """Logits (b, C) of a model on uint8 or float images, without a progress bar."""
    from cvhelpers.data.pipeline import to_float_images

    return np.asarray(model.predict(to_float_images(x), batch_size=batch_size, verbose=0))


def head_tail_classes(counts: dict, k: int = 3) -> tuple[list, list]:
    """The ``k`` largest and ``k`` smallest classes of a ``{label: count}`` dict."""
    if k < 1 or 2 * k > len(counts):
        raise ValueError(f"k must be in [1, {len(counts) // 2}], got {k}")
    order = sorted(counts, key=lambda label: (-counts[label], label))
    return order[:k], order[-k:]


def skewed_subset(y, counts, largest: int = 1000, seed=0) -> np.ndarray:
    """Indices of a class-imbalanced subset of ``y`` whose class sizes follow ``counts``.

    A balanced test set hides what a skewed one shows; this draws a subset
    with the training proportions. Class ``c`` keeps
    ``max(1, round(largest * counts[c] / max(counts)))`` of its images
    (``round`` is Python's, halves to even), drawn without replacement with
    ``numpy.random.default_rng(seed).choice``, one class after another in
    label order. The same arguments give the same subset.

    Parameters
    ----------
    y : ndarray of shape (n,), int
        Labels of the set to draw from.
    counts : dict of int to int, or sequence of int
        The profile: images per class, e.g. the training counts
        (``{label: count}``, or indexed by label). Classes missing from it
        are left out.
    largest : int, default=1000
        Images kept of the largest class in ``counts``.
    seed : int or numpy.random.Generator, default=0
        A Generator is drawn from (and advanced) in place.

    Returns
    -------
    ndarray of shape (m,), int64
        Positions in ``y``, grouped by class in label order (not sorted),
        with ``m`` the sum of the kept sizes.

    Raises
    ------
    TypeError
        On non-integer ``y``, ``counts`` that is neither a dict nor a
        sequence, or a non-int ``largest``.
    ValueError
        On ``y`` that is not 1-D, negative or all-zero ``counts``,
        ``largest`` below 1, or a class with fewer images in ``y`` than it
        must keep.

    Examples
    --------
    >>> y = np.repeat([0, 1, 2], 20)
    >>> np.bincount(y[skewed_subset(y, {0: 600, 1: 60, 2: 6}, largest=20)]).tolist()
    [20, 2, 1]
    """
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must have shape (n,), got {y.shape}")
    if not np.issubdtype(y.dtype, np.integer):
        raise TypeError(f"y must hold integer labels, got dtype {y.dtype}")
    if isinstance(largest, bool) or not isinstance(largest, (int, np.integer)):
        raise TypeError(f"largest must be an int, got {type(largest).__name__}")
    if largest < 1:
        raise ValueError(f"largest must be at least 1, got {largest}")
    if isinstance(counts, dict):
        profile = {int(label): int(count) for label, count in sorted(counts.items())}
    elif isinstance(counts, (list, tuple, np.ndarray)) and np.ndim(counts) == 1:
        profile = {label: int(count) for label, count in enumerate(counts)}
    else:
        raise TypeError(f"counts must be a dict of label to count or a 1-D sequence, got {type(counts).__name__}")
    if not profile or min(profile.values()) < 0 or max(profile.values()) == 0:
        raise ValueError(f"counts must be non-negative with a positive largest count, got {profile}")
    n_max = max(profile.values())
    rng = np.random.default_rng(seed)
    chosen = []
    for label, count in profile.items():
        members = np.flatnonzero(y == label)
        size = max(1, round(largest * count / n_max))
        if len(members) < size:
            raise ValueError(
                f"class {label} has {len(members)} images in y but counts and largest={largest} ask for {size}"
            )
        chosen.append(rng.choice(members, size, replace=False))
    return np.concatenate(chosen).astype(np.int64)


def _softmax(logits):
    shifted = logits - logits.max(axis=1, keepdims=True)
    exp = np.exp(shifted)
    return exp / exp.sum(axis=1, keepdims=True)


def _probabilities(scores) -> np.ndarray:
    """Scores (n, C) as probabilities: kept if rows already sum to 1, else softmax."""
    scores = np.asarray(scores, dtype=np.float64)
    if scores.min() >= 0 and np.allclose(scores.sum(axis=1), 1.0, atol=1e-4):
        return scores
    return _softmax(scores)


@dataclass
class EvaluationReport:
    """All of the course's metrics for one set of predictions.

    Attributes
    ----------
    per_class : pandas.DataFrame
        Index: class names; columns precision, recall, f1, support.
    summary : dict of str to float
        accuracy, balanced_accuracy, macro_f1, weighted_f1, geometric_mean,
        roc_auc (macro, one-vs-rest), pr_auc (macro average precision),
        head_recall, tail_recall, worst_recall (and worst_class).
    confusion : ndarray of shape (C, C), int64
        Rows are true classes, columns predictions.
    """

    per_class: object
    summary: dict
    confusion: np.ndarray = field(repr=False)
    class_names: list = field(default_factory=list)

    def row(self) -> dict:
        """The summary as one flat row for :func:`comparison_table`."""
        return dict(self.summary)


def classification_report(y_true, scores, class_names=None, counts=None, k: int = 3) -> EvaluationReport:
    """Every metric the course compares methods by, in one call.

    Parameters
    ----------
    y_true : ndarray of shape (n,), int
        True labels in [0, C).
    scores : ndarray of shape (n, C)
        Logits or probabilities (softmax is applied when rows do not already
        sum to 1); the argmax is the prediction.
    class_names : sequence of str, optional
    counts : dict of int to int, optional
        Training images per class; defines the ``k`` head and tail classes.
        Without it head and tail recall are left out.
    k : int, default=3

    Returns
    -------
    EvaluationReport
        A class with no test sample (absent from ``y_true``) is left out of
        the per-class means (macro F1, geometric mean, ROC/PR AUC, head, tail
        and worst recall), as scikit-learn's balanced accuracy leaves it out;
        predictions into it still count as errors for the true classes. Its
        row stays in ``per_class`` with ``present`` False, and
        ``summary["absent_classes"]`` names it. Without absent classes the
        report has neither key.

    Raises
    ------
    ValueError
        On labels outside [0, C) or not 1-D, NaN scores, mismatched lengths,
        or ``counts`` keys outside [0, C).
    TypeError
        On labels that are not integers.
    """
    import pandas as pd
    from imblearn.metrics import geometric_mean_score
    from sklearn import metrics

    y_true = np.asarray(y_true)
    if y_true.ndim != 1:
        raise ValueError(f"y_true must be 1-D class labels (not one-hot), got shape {y_true.shape}")
    if len(y_true) and not np.issubdtype(y_true.dtype, np.integer):
        raise TypeError(f"y_true must hold integer class labels, got dtype {y_true.dtype}")
    scores = np.asarray(scores, dtype=np.float64)
    if scores.ndim != 2:
        raise ValueError(f"scores must have shape (n, C), got {scores.shape}")
    n, num_classes = scores.shape
    if len(y_true) != n:
        raise ValueError(f"y_true and scores must have the same length, got {len(y_true)} and {n}")
    if np.isnan(scores).any():
        raise ValueError("scores contain NaN; the model diverged or the inputs are broken")
    if y_true.min() < 0 or y_true.max() >= num_classes:
        raise ValueError(f"y_true must be in [0, {num_classes}), got [{y_true.min()}, {y_true.max()}]")
    class_names = list(class_names) if class_names is not None else [str(c) for c in range(num_classes)]
    if len(class_names) != num_classes:
        raise ValueError(f"class_names has {len(class_names)} names for {num_classes} classes")
    if counts is not None and not set(counts) <= set(range(num_classes)):
        raise ValueError(f"counts has keys outside [0, {num_classes}): {sorted(set(counts) - set(range(num_classes)))}")

    probabilities = _probabilities(scores)
    y_pred = scores.argmax(axis=1)
    labels = np.arange(num_classes)
    precision, recall, f1, support = metrics.precision_recall_fscore_support(
        y_true, y_pred, labels=labels, zero_division=0
    )
    per_class = pd.DataFrame(
        {"precision": precision, "recall": recall, "f1": f1, "support": support}, index=class_names
    )
    one_hot = np.eye(num_classes)[y_true]
    present = support > 0
    scored = labels[present]  # an absent class has no recall to average
    summary = {
        "accuracy": metrics.accuracy_score(y_true, y_pred),
        "balanced_accuracy": metrics.balanced_accuracy_score(y_true, y_pred),
        "macro_f1": metrics.f1_score(y_true, y_pred, labels=scored, average="macro", zero_division=0),
        "weighted_f1": metrics.f1_score(y_true, y_pred, labels=labels, average="weighted", zero_division=0),
        "geometric_mean": geometric_mean_score(y_true, y_pred, labels=scored, average="multiclass"),
        "roc_auc": metrics.roc_auc_score(one_hot[:, present], probabilities[:, present], average="macro")
        if present.sum() > 1
        else float("nan"),
        "pr_auc": metrics.average_precision_score(one_hot[:, present], probabilities[:, present], average="macro"),
        "worst_recall": float(recall[present].min()),
        "worst_class": class_names[int(np.flatnonzero(present)[recall[present].argmin()])],
    }
    if counts is not None:
        counted = {label: count for label, count in counts.items() if present[label]}
        if 2 * k <= len(counted):
            head, tail = head_tail_classes(counted, k)
            summary["head_recall"] = float(recall[head].mean())
            summary["tail_recall"] = float(recall[tail].mean())
        else:  # too few classes present to tell k head from k tail classes
            summary["head_recall"] = summary["tail_recall"] = float("nan")
    if not present.all():
        per_class["present"] = present
        summary["absent_classes"] = [class_names[label] for label in np.flatnonzero(~present)]
    summary = {
        key: (float(value) if isinstance(value, (np.floating, float)) else value) for key, value in summary.items()
    }
    confusion = metrics.confusion_matrix(y_true, y_pred, labels=labels)
    return EvaluationReport(per_class, summary, confusion, class_names)


def gap_closed(value: float, baseline: float, oracle: float) -> float:
    """Fraction of the baseline-to-oracle gap that ``value`` closes.

    0 means no better than the baseline, 1 means as good as the oracle; it
    can be negative or above 1. NaN when the gap is zero.
    """
    gap = oracle - baseline
    return float("nan") if gap == 0 else float((value - baseline) / gap)


def comparison_table(reports: dict, baseline: str | None = None, oracle: str | None = None, columns=None):
    """A table with one row per method, from ``{method: EvaluationReport}``.

    Parameters
    ----------
    reports : dict of str to EvaluationReport or dict
    baseline, oracle : str, optional
        Method names; when both are given a ``gap_closed`` column is added
        (in balanced accuracy).
    columns : sequence of str, optional
        Which summary columns to keep, in order.

    Returns
    -------
    pandas.DataFrame
    """
    import pandas as pd

    rows = {
        name: (report.row() if isinstance(report, EvaluationReport) else dict(report))
        for name, report in reports.items()
    }
    table = pd.DataFrame.from_dict(rows, orient="index")
    if columns is None:
        columns = [
            c
            for c in ("balanced_accuracy", "macro_f1", "head_recall", "tail_recall", "worst_recall", "worst_class")
            if c in table.columns
        ]
    table = table[list(columns)]
    if baseline is not None and oracle is not None:
        if baseline not in rows or oracle not in rows:
            raise ValueError(f"baseline {baseline!r} and oracle {oracle!r} must be among {list(rows)}")
        base, top = rows[baseline]["balanced_accuracy"], rows[oracle]["balanced_accuracy"]
        table["gap_closed"] = [gap_closed(row["balanced_accuracy"], base, top) for row in rows.values()]
    return table


def plot_confusion_matrices(report: EvaluationReport, title: str = "", normalize_only: bool = False):
    """Raw counts and row-normalized confusion matrices as seaborn heatmaps.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt
    import seaborn as sns

    confusion = report.confusion
    normalized = confusion / np.maximum(confusion.sum(axis=1, keepdims=True), 1)
    panels = [("row-normalized (recall on the diagonal)", normalized, ".2f")]
    if not normalize_only:
        panels.insert(0, ("counts", confusion, "d"))
    figure, axes = plt.subplots(1, len(panels), figsize=(6.2 * len(panels), 5.2), squeeze=False)
    for ax, (name, matrix, fmt) in zip(axes[0], panels, strict=True):
        sns.heatmap(
            matrix, annot=True, fmt=fmt, cmap="Blues", cbar=False, ax=ax, annot_kws={"fontsize": 7},
            xticklabels=report.class_names, yticklabels=report.class_names,
            vmin=0, vmax=1 if fmt == ".2f" else None,
        )
        ax.set_xlabel("predicted")
        ax.set_ylabel("true")
        ax.set_title(f"{title} {name}".strip(), fontsize=10)
    figure.tight_layout()
    return figure


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
    """
    import matplotlib.pyplot as plt

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
    """
    import pandas as pd

    confusion = np.asarray(confusion)
    if confusion.ndim != 2 or confusion.shape[0] != confusion.shape[1]:
        raise ValueError(f"confusion must be a square matrix, got shape {confusion.shape}")
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
    """
    import matplotlib.pyplot as plt
    from sklearn import metrics

    y_true = np.asarray(y_true)
    classes = list(range(len(class_names))) if classes is None else list(classes)
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
