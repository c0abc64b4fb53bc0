"""Measures: classification reports, generative quality, few-shot verification.

Every public name is re-exported here (``from cvhelpers import metrics;
metrics.classification_report(...)``).

Modules
-------
classification
    :func:`classification_report` (balanced accuracy, macro F1, head/tail
    recall, calibration), the comparison table, a class-imbalanced
    evaluation subset (:func:`skewed_subset`) and the ``BalancedAccuracy`` Keras metric.
classification_plots
    Confusion matrices, per-class recall, the most confused pairs, ROC and
    precision-recall curves.
generative
    Fréchet distance, precision/recall of generated features, label
    faithfulness, diversity, per class.
few_shot
    Verification: pair distances, a threshold chosen on validation pairs,
    accuracy, FAR, FRR, TAR.
"""

from cvhelpers.metrics.classification import (
    BalancedAccuracy,
    EvaluationReport,
    classification_report,
    comparison_table,
    gap_closed,
    head_tail_classes,
    predict_logits,
    skewed_subset,
)
from cvhelpers.metrics.classification_plots import (
    most_confused_pairs,
    plot_confusion_change,
    plot_confusion_matrices,
    plot_per_class_recall,
    plot_roc_pr_curves,
)
from cvhelpers.metrics.few_shot import choose_threshold, pair_distances, verification_metrics
from cvhelpers.metrics.generative import (
    diversity,
    frechet_distance,
    gaussian_frechet_distance,
    label_faithfulness,
    per_class_quality,
    precision_recall,
)

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
    "plot_confusion_change",
    "plot_per_class_recall",
    "most_confused_pairs",
    "plot_roc_pr_curves",
    "gaussian_frechet_distance",
    "frechet_distance",
    "precision_recall",
    "label_faithfulness",
    "diversity",
    "per_class_quality",
    "choose_threshold",
    "pair_distances",
    "verification_metrics",
]
