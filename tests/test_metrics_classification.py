import numpy as np
import pytest
from imblearn.metrics import classification_report_imbalanced, geometric_mean_score
from sklearn import metrics

from cvhelpers.metrics import classification as evaluation

RNG = np.random.default_rng(1)
Y = np.repeat(np.arange(4), 50)
SCORES = RNG.normal(size=(200, 4)) + 2.0 * np.eye(4)[Y] * RNG.random((200, 1))
NAMES = ["a", "b", "c", "d"]
COUNTS = {0: 500, 1: 100, 2: 30, 3: 10}


def test_report_matches_scikit_learn_and_imbalanced_learn():
    report = evaluation.classification_report(Y, SCORES, NAMES, COUNTS, k=1)
    pred = SCORES.argmax(1)
    s = report.summary
    assert s["accuracy"] == pytest.approx(metrics.accuracy_score(Y, pred))
    assert s["balanced_accuracy"] == pytest.approx(metrics.balanced_accuracy_score(Y, pred))
    assert s["macro_f1"] == pytest.approx(metrics.f1_score(Y, pred, average="macro"))
    assert s["weighted_f1"] == pytest.approx(metrics.f1_score(Y, pred, average="weighted"))
    assert s["geometric_mean"] == pytest.approx(geometric_mean_score(Y, pred))
    probabilities = np.exp(SCORES) / np.exp(SCORES).sum(1, keepdims=True)
    assert s["roc_auc"] == pytest.approx(metrics.roc_auc_score(Y, probabilities, multi_class="ovr", average="macro"))
    assert s["pr_auc"] == pytest.approx(metrics.average_precision_score(np.eye(4)[Y], probabilities, average="macro"))
    imbalanced = classification_report_imbalanced(Y, pred, output_dict=True, zero_division=0)
    for label, name in enumerate(NAMES):
        row = report.per_class.loc[name]
        assert row["precision"] == pytest.approx(imbalanced[str(label)]["pre"])
        assert row["recall"] == pytest.approx(imbalanced[str(label)]["rec"])
        assert row["f1"] == pytest.approx(imbalanced[str(label)]["f1"])
        assert row["support"] == imbalanced[str(label)]["sup"]
    recall = report.per_class["recall"].to_numpy()
    assert s["head_recall"] == pytest.approx(recall[0]) and s["tail_recall"] == pytest.approx(recall[3])
    assert s["worst_recall"] == pytest.approx(recall.min()) and s["worst_class"] == NAMES[recall.argmin()]
    np.testing.assert_array_equal(report.confusion, metrics.confusion_matrix(Y, pred))


def test_report_rejects_bad_input():
    with pytest.raises(ValueError, match="NaN"):
        evaluation.classification_report(Y, np.full((200, 4), np.nan))
    with pytest.raises(ValueError, match=r"must be in \[0, 4\)"):
        evaluation.classification_report(Y + 1, SCORES)
    with pytest.raises(ValueError, match="same length"):
        evaluation.classification_report(Y[:-1], SCORES)
    with pytest.raises(ValueError, match="class_names"):
        evaluation.classification_report(Y, SCORES, ["a"])


def test_streaming_balanced_accuracy_equals_scikit_learn():
    metric = evaluation.BalancedAccuracy(4)
    for start in range(0, 200, 37):  # uneven batches
        metric.update_state(Y[start:start + 37], SCORES[start:start + 37])
    expected = metrics.balanced_accuracy_score(Y, SCORES.argmax(1))
    assert float(metric.result()) == pytest.approx(expected, rel=1e-6)
    metric.reset_state()
    metric.update_state(np.eye(4)[Y], SCORES)  # one-hot labels
    assert float(metric.result()) == pytest.approx(expected, rel=1e-6)
    clone = evaluation.BalancedAccuracy.from_config(metric.get_config())
    assert clone.num_classes == 4


@pytest.mark.parametrize("y_true", [[0, 4], [-1, 0]])
def test_balanced_accuracy_refuses_labels_out_of_range(y_true):
    metric = evaluation.BalancedAccuracy(4)
    with pytest.raises(ValueError, match=r"y_true must hold class indices in \[0, 4\)"):
        metric.update_state(np.array(y_true), SCORES[:2])
    assert float(metric.result()) == 0.0  # nothing was counted


def test_balanced_accuracy_asserts_the_label_range_inside_a_compiled_evaluation():
    import keras
    import tensorflow as tf

    model = keras.Sequential([keras.Input((4,)), keras.layers.Dense(4)])
    model.compile(loss=lambda y, logits: keras.ops.sum(logits, axis=-1) * 0.0, metrics=[evaluation.BalancedAccuracy(4)])
    x = SCORES.astype(np.float32)
    assert 0.0 <= model.evaluate(x, Y, verbose=0, return_dict=True)["balanced_accuracy"] <= 1.0
    with pytest.raises(tf.errors.InvalidArgumentError, match=r"y_true must hold class indices in \[0, 4\)"):
        model.evaluate(x, Y + 1, verbose=0)


def test_balanced_accuracy_checks_shapes_and_num_classes():
    metric = evaluation.BalancedAccuracy(4)
    with pytest.raises(ValueError, match=r"y_pred must have shape \(b, 4\)"):
        metric.update_state(Y[:2], SCORES[:2, :3])
    with pytest.raises(ValueError, match="y_true must be class indices"):
        metric.update_state(np.eye(3)[[0, 1]], SCORES[:2])
    with pytest.raises(ValueError, match="y_true and y_pred"):
        metric.update_state(Y[:3], SCORES[:2])
    with pytest.raises(ValueError, match="num_classes"):
        evaluation.BalancedAccuracy(1)
    metric.update_state(Y[:, None], SCORES)  # (b, 1) labels are class indices
    assert float(metric.result()) == pytest.approx(metrics.balanced_accuracy_score(Y, SCORES.argmax(1)))


def test_metric_functions_refuse_bad_input():
    report = evaluation.classification_report(Y, SCORES, NAMES, COUNTS, k=1)
    with pytest.raises(ValueError, match="NaN or inf"):
        evaluation.classification_report(Y, np.where(SCORES > 0, np.inf, 0.0))
    with pytest.raises(ValueError, match="k must be"):
        evaluation.classification_report(Y, SCORES, counts=COUNTS, k=0)
    with pytest.raises(ValueError, match="baseline"):
        evaluation.gap_closed(0.5, float("nan"), 0.9)
    with pytest.raises(ValueError, match="columns"):
        evaluation.comparison_table({"m": report}, columns=["accuracyy"])
    with pytest.raises(ValueError, match="oracle"):
        evaluation.comparison_table({"m": report}, oracle="m")
    with pytest.raises(TypeError, match="counts"):
        evaluation.head_tail_classes([500, 100, 30, 10], 1)
    with pytest.raises(TypeError, match="model"):
        evaluation.predict_logits(report, np.zeros((2, 28, 28), np.uint8))
    with pytest.raises(ValueError, match="seed"):
        evaluation.skewed_subset(Y, COUNTS, largest=10, seed=-1)
    with pytest.raises(ValueError, match="confusion"):
        evaluation.EvaluationReport(report.per_class, report.summary, np.zeros((4, 3)), NAMES)


def test_gap_closed_and_comparison_table():
    assert evaluation.gap_closed(0.85, 0.80, 0.90) == pytest.approx(0.5)
    assert np.isnan(evaluation.gap_closed(0.8, 0.8, 0.8))
    table = evaluation.comparison_table(
        {"ce": {"balanced_accuracy": 0.8}, "oracle": {"balanced_accuracy": 0.9}, "x": {"balanced_accuracy": 0.88}},
        baseline="ce", oracle="oracle",
    )
    np.testing.assert_allclose(table["gap_closed"], [0, 1, 0.8])
    with pytest.raises(ValueError, match="baseline"):
        evaluation.comparison_table({"a": {"balanced_accuracy": 1}}, baseline="ce", oracle="a")


def test_comparison_table_without_an_oracle_measures_against_the_baseline():
    table = evaluation.comparison_table(
        {"ce": {"balanced_accuracy": 0.6}, "x": {"balanced_accuracy": 0.75}, "y": {"balanced_accuracy": 0.5}},
        baseline="ce")
    assert "gap_closed" not in table.columns
    np.testing.assert_allclose(table["vs_baseline"], [0.0, 0.15, -0.1])


def test_head_tail_classes():
    assert evaluation.head_tail_classes(COUNTS, 1) == ([0], [3])
    assert evaluation.head_tail_classes({0: 5, 1: 9, 2: 1, 3: 3}, 2) == ([1, 0], [3, 2])
    with pytest.raises(ValueError, match="k"):
        evaluation.head_tail_classes(COUNTS, 3)


def test_skewed_subset_follows_the_profile():
    y = np.tile(np.arange(4), 50)  # 50 per class, interleaved
    keep = evaluation.skewed_subset(y, COUNTS, largest=40, seed=0)
    # 40 * count / 500, rounded, at least 1: 40, 8, round(2.4) = 2, round(0.8) = 1
    assert np.bincount(y[keep]).tolist() == [40, 8, 2, 1]
    assert y[keep].tolist() == sorted(y[keep].tolist())  # grouped by class, in label order
    assert len(np.unique(keep)) == len(keep)  # without replacement
    assert keep.dtype == np.int64
    assert np.bincount(y[evaluation.skewed_subset(y, [10, 0, 5], largest=10)]).tolist() == [10, 1, 5]
    # halves round to even (2.5 -> 2, 1.5 -> 2), and every class keeps at least one image (0.5 -> 0 -> 1)
    assert np.bincount(y[evaluation.skewed_subset(y, {0: 10, 1: 5, 2: 3, 3: 1}, largest=5)]).tolist() == [5, 2, 2, 1]


def test_skewed_subset_is_the_seeded_draw_class_by_class():
    y = np.repeat(np.arange(3), 30)
    rng = np.random.default_rng(7)
    expected = np.concatenate([rng.choice(np.flatnonzero(y == c), size, replace=False)
                               for c, size in enumerate([20, 10, 2])])
    keep = evaluation.skewed_subset(y, {0: 100, 1: 50, 2: 10}, largest=20, seed=7)
    np.testing.assert_array_equal(keep, expected)
    generator = np.random.default_rng(7)  # a Generator is drawn from; the dict's order does not matter
    np.testing.assert_array_equal(keep, evaluation.skewed_subset(y, {2: 10, 0: 100, 1: 50}, 20, generator))
    assert not np.array_equal(keep, evaluation.skewed_subset(y, {0: 100, 1: 50, 2: 10}, largest=20, seed=8))


@pytest.mark.parametrize(
    "kwargs, error, word",
    [
        ({"y": Y.astype(float)}, TypeError, "y"),
        ({"y": Y.reshape(2, -1)}, ValueError, "y"),
        ({"counts": "abc"}, TypeError, "counts"),
        ({"counts": {0: 5, 1: -1}}, ValueError, "counts"),
        ({"counts": [0, 0]}, ValueError, "counts"),
        ({"largest": 0}, ValueError, "largest"),
        ({"largest": 2.5}, TypeError, "largest"),
        ({"largest": 51}, ValueError, "largest"),
        ({"counts": {0: 10, 7: 10}}, ValueError, "class 7"),
    ],
)
def test_skewed_subset_rejects_bad_input(kwargs, error, word):
    arguments = {"y": Y, "counts": COUNTS, "largest": 10, **kwargs}
    with pytest.raises(error, match=word):
        evaluation.skewed_subset(**arguments)


def test_softmax_of_the_notebooks_is_scipy_s():
    """Notebook 08 turns logits into probabilities with scipy.special.softmax: rows sum to 1, argmax kept."""
    from scipy.special import softmax

    logits = SCORES.astype(np.float32)
    probabilities = softmax(logits, axis=1)
    assert probabilities.dtype == np.float32
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-6)
    np.testing.assert_array_equal(probabilities.argmax(1), logits.argmax(1))
    shifted = np.exp(logits - logits.max(1, keepdims=True))
    np.testing.assert_array_equal(probabilities, shifted / shifted.sum(1, keepdims=True))
    np.testing.assert_allclose(evaluation._probabilities(SCORES), softmax(SCORES, axis=1), rtol=1e-12)


def test_a_class_absent_from_y_true_is_left_out_of_the_means_and_named():
    # Every present sample is predicted right; class 2 has no test sample.
    y = np.array([0, 0, 1, 1, 3, 3])
    scores = np.eye(4)[y] * 5.0
    report = evaluation.classification_report(y, scores, ["a", "b", "c", "d"], {0: 50, 1: 20, 2: 10, 3: 5}, k=1)
    summary = report.summary
    assert summary["balanced_accuracy"] == 1.0
    assert summary["macro_f1"] == 1.0 and summary["geometric_mean"] == 1.0
    assert summary["worst_recall"] == 1.0 and summary["head_recall"] == 1.0 and summary["tail_recall"] == 1.0
    assert summary["absent_classes"] == ["c"]
    assert report.per_class["present"].tolist() == [True, True, False, True]


def test_predictions_into_an_absent_class_are_errors_of_the_true_class():
    y = np.array([0, 0, 1, 1])
    predicted = np.array([0, 2, 1, 1])  # one class-0 sample predicted as the absent class 2
    report = evaluation.classification_report(y, np.eye(3)[predicted] * 5.0)
    assert report.per_class["recall"].tolist() == [0.5, 1.0, 0.0]
    assert report.summary["balanced_accuracy"] == 0.75 and report.summary["worst_recall"] == 0.5
    assert report.summary["geometric_mean"] == pytest.approx(np.sqrt(0.5))
    assert report.summary["macro_f1"] == pytest.approx((2 / 3 + 1.0) / 2)  # class 0: precision 1, recall 0.5


def test_a_report_without_absent_classes_has_no_absent_keys():
    report = evaluation.classification_report(Y, SCORES, NAMES, COUNTS, k=1)
    assert "absent_classes" not in report.summary and "present" not in report.per_class


@pytest.mark.parametrize("y_true, counts, error, word", [
    (np.eye(4)[Y], None, ValueError, "y_true must be 1-D"),
    (Y.astype(float), None, TypeError, "y_true must hold integer"),
    (Y, {0: 5, 7: 3}, ValueError, "counts has keys outside"),
])
def test_bad_labels_and_counts_name_the_argument(y_true, counts, error, word):
    with pytest.raises(error, match=word):
        evaluation.classification_report(y_true, SCORES, counts=counts)
