"""Evaluation beyond accuracy: one report, a comparison table, a streaming balanced accuracy.

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

from cvhelpers.validation import check_finite_array, check_number, check_positive_int, check_seed

__all__ = [
    "BalancedAccuracy",
    "EvaluationReport",
    "classification_report",
    "predict_logits",
    "head_tail_classes",
    "skewed_subset",
    "gap_closed",
    "comparison_table",
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
        At least 2.
    name : str, default="balanced_accuracy"

    Raises
    ------
    ValueError
        For ``num_classes`` below 2; in ``update_state``, for ``y_pred`` that
        is not (b, num_classes), ``y_true`` of another shape or length, or
        labels outside [0, num_classes). Out-of-range labels are checked on
        the values: eagerly with a ``ValueError``, inside a compiled ``fit``
        with a ``tf.debugging`` assertion (``InvalidArgumentError``).
    """

    def __init__(self, num_classes: int, name: str = "balanced_accuracy", **kwargs):
        num_classes = check_positive_int(num_classes, "num_classes", smallest=2)
        super().__init__(name=name, **kwargs)
        self.num_classes = num_classes
        self.confusion = self.add_variable(
            shape=(self.num_classes, self.num_classes), initializer="zeros", name="confusion", dtype="float32"
        )

    def update_state(self, y_true, y_pred, sample_weight=None):
        ops = keras.ops
        y_pred = ops.convert_to_tensor(y_pred)
        y_true = self._class_indices(ops.convert_to_tensor(y_true), y_pred)
        predicted = ops.cast(ops.argmax(y_pred, axis=-1), "int32")
        pairs = ops.one_hot(y_true, self.num_classes)[:, :, None] * ops.one_hot(predicted, self.num_classes)[:, None, :]
        if sample_weight is not None:
            pairs = pairs * ops.reshape(ops.cast(sample_weight, "float32"), (-1, 1, 1))
        self.confusion.assign_add(ops.sum(pairs, axis=0))

    def _class_indices(self, y_true, y_pred):
        """``y_true`` as int32 class indices (b,), its shape checked against ``y_pred`` and its range asserted."""
        ops = keras.ops
        if len(y_pred.shape) < 2 or y_pred.shape[-1] not in (None, self.num_classes):
            raise ValueError(f"y_pred must have shape (b, {self.num_classes}), got {tuple(y_pred.shape)}")
        width = y_true.shape[-1] if len(y_true.shape) == len(y_pred.shape) else None
        if width == self.num_classes:
            y_true = ops.argmax(y_true, axis=-1)
        elif width not in (None, 1):
            raise ValueError(
                f"y_true must be class indices (b,) or one-hot rows (b, {self.num_classes}), got {tuple(y_true.shape)}"
            )
        y_true = ops.cast(ops.reshape(y_true, (-1,)), "int32")
        rows = _static_size(y_pred.shape[:-1])
        if rows is not None and y_true.shape[0] is not None and y_true.shape[0] != rows:
            raise ValueError(f"y_true and y_pred must hold as many samples, got {y_true.shape[0]} and {rows}")
        self._assert_in_range(y_true)
        return y_true

    def _assert_in_range(self, y_true):
        """Out-of-range labels would drop out of the confusion matrix: refuse them."""
        import tensorflow as tf

        message = f"y_true must hold class indices in [0, {self.num_classes})"
        if tf.executing_eagerly():
            values = np.asarray(y_true)
            if values.size and (values.min() < 0 or values.max() >= self.num_classes):
                raise ValueError(f"{message}, got values in [{values.min()}, {values.max()}]")
            return
        ops = keras.ops
        in_range = ops.logical_and(ops.all(y_true >= 0), ops.all(y_true < self.num_classes))
        tf.debugging.Assert(in_range, [message + ", got values in", ops.min(y_true), ops.max(y_true)])

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


def _static_size(shape):
    """The number of elements of a static shape, or None when a dimension is unknown."""
    if any(dim is None for dim in shape):
        return None
    return int(np.prod(shape, dtype=np.int64))


def predict_logits(model, x, batch_size: int = 512) -> np.ndarray:
    """Logits (b, C) of a model on uint8 or float images, without a progress bar.

    Raises
    ------
    TypeError
        When ``model`` is not a ``keras.Model``.
    ValueError
        When ``batch_size`` is not a positive int.
    """
    from cvhelpers.data.pipeline import to_float_images

    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    check_positive_int(batch_size, "batch_size")
    return np.asarray(model.predict(to_float_images(x), batch_size=batch_size, verbose=0))


def head_tail_classes(counts: dict, k: int = 3) -> tuple[list, list]:
    """The ``k`` largest and ``k`` smallest classes of a ``{label: count}`` dict.

    Raises
    ------
    TypeError
        When ``counts`` is not a dict.
    ValueError
        When ``k`` is not an int in [1, len(counts) // 2].
    """
    if not isinstance(counts, dict):
        raise TypeError(f"counts must be a dict of label to count, got {type(counts).__name__}")
    k = check_positive_int(k, "k")
    if 2 * k > len(counts):
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
        ``largest`` below 1, a ``seed`` that is neither an int >= 0 nor a
        Generator, or a class with fewer images in ``y`` than it must keep.

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
    if not isinstance(seed, np.random.Generator):
        check_seed(seed)
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
    class_names : list of str
        One per row of ``confusion`` (or empty).

    Raises
    ------
    TypeError
        When ``summary`` is not a dict.
    ValueError
        When ``confusion`` is not a square matrix of finite counts >= 0, or
        ``class_names`` does not have one name per class.
    """

    per_class: object
    summary: dict
    confusion: np.ndarray = field(repr=False)
    class_names: list = field(default_factory=list)

    def __post_init__(self):
        if not isinstance(self.summary, dict):
            raise TypeError(f"summary must be a dict of metric to value, got {type(self.summary).__name__}")
        self.confusion = _check_confusion(self.confusion)
        if self.class_names and len(self.class_names) != len(self.confusion):
            raise ValueError(f"class_names has {len(self.class_names)} names for {len(self.confusion)} classes")

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
        On labels outside [0, C) or not 1-D, NaN or infinite scores,
        mismatched or zero lengths, ``counts`` keys outside [0, C), or ``k``
        that is not a positive int.
    TypeError
        On labels that are not integers, or ``counts`` that is not a dict.
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
    if n == 0:
        raise ValueError("y_true and scores are empty")
    if not np.isfinite(scores).all():
        raise ValueError("scores contain NaN or inf; the model diverged or the inputs are broken")
    if y_true.min() < 0 or y_true.max() >= num_classes:
        raise ValueError(f"y_true must be in [0, {num_classes}), got [{y_true.min()}, {y_true.max()}]")
    class_names = list(class_names) if class_names is not None else [str(c) for c in range(num_classes)]
    if len(class_names) != num_classes:
        raise ValueError(f"class_names has {len(class_names)} names for {num_classes} classes")
    k = check_positive_int(k, "k")
    if counts is not None and not isinstance(counts, dict):
        raise TypeError(f"counts must be a dict of label to count, got {type(counts).__name__}")
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

    Raises
    ------
    TypeError, ValueError
        Naming the argument, when one is not a finite number.
    """
    value, baseline, oracle = (
        check_number(number, name) for number, name in ((value, "value"), (baseline, "baseline"), (oracle, "oracle"))
    )
    gap = oracle - baseline
    return float("nan") if gap == 0 else float((value - baseline) / gap)


def comparison_table(reports: dict, baseline: str | None = None, oracle: str | None = None, columns=None):
    """A table with one row per method, from ``{method: EvaluationReport}``.

    Parameters
    ----------
    reports : dict of str to EvaluationReport or dict
    baseline, oracle : str, optional
        Method names. With both, a ``gap_closed`` column is added (the share
        of the baseline-to-oracle gap in balanced accuracy a method closes).
        With a baseline alone (data without an oracle, e.g. a user's
        folder), a ``vs_baseline`` column: balanced accuracy minus the
        baseline's.
    columns : sequence of str, optional
        Which summary columns to keep, in order.

    Returns
    -------
    pandas.DataFrame

    Raises
    ------
    TypeError
        When ``reports`` is not a dict of reports (or of dicts).
    ValueError
        When ``reports`` is empty, ``columns`` names a column no report has,
        ``oracle`` is given without ``baseline``, or either is not a method
        in ``reports``.
    """
    import pandas as pd

    rows = _report_rows(reports)
    table = pd.DataFrame.from_dict(rows, orient="index")
    if columns is None:
        columns = [
            c
            for c in ("balanced_accuracy", "macro_f1", "head_recall", "tail_recall", "worst_recall", "worst_class")
            if c in table.columns
        ]
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise ValueError(f"columns {missing} are in no report; the reports have {list(table.columns)}")
    table = table[list(columns)]
    if oracle is not None and baseline is None:
        raise ValueError(f"an oracle needs a baseline to measure the gap from, got oracle={oracle!r} alone")
    if baseline is not None and baseline not in rows:
        raise ValueError(f"baseline {baseline!r} must be among {list(rows)}")
    if oracle is not None:
        if oracle not in rows:
            raise ValueError(f"oracle {oracle!r} must be among {list(rows)}")
        base, top = rows[baseline]["balanced_accuracy"], rows[oracle]["balanced_accuracy"]
        table["gap_closed"] = [gap_closed(row["balanced_accuracy"], base, top) for row in rows.values()]
    elif baseline is not None:
        base = rows[baseline]["balanced_accuracy"]
        table["vs_baseline"] = [row["balanced_accuracy"] - base for row in rows.values()]
    return table


def _report_rows(reports) -> dict:
    """``{method: summary dict}`` from ``{method: EvaluationReport or dict}``, checked."""
    if not isinstance(reports, dict):
        raise TypeError(f"reports must be a dict of method name to EvaluationReport, got {type(reports).__name__}")
    if not reports:
        raise ValueError("reports is empty")
    for name, report in reports.items():
        if not isinstance(report, (EvaluationReport, dict)):
            raise TypeError(f"reports[{name!r}] must be an EvaluationReport or a dict, got {type(report).__name__}")
    return {
        name: (report.row() if isinstance(report, EvaluationReport) else dict(report))
        for name, report in reports.items()
    }


def _check_confusion(confusion) -> np.ndarray:
    """``confusion`` as an array, checked to be a square matrix of finite counts >= 0."""
    confusion = np.asarray(confusion)
    if confusion.ndim != 2 or confusion.shape[0] != confusion.shape[1]:
        raise ValueError(f"confusion must be a square matrix, got shape {confusion.shape}")
    check_finite_array(confusion, "confusion", nonnegative=True)
    return confusion
