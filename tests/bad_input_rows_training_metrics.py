"""Bad-input rows: cvhelpers.training and cvhelpers.metrics."""

from functools import lru_cache

import numpy as np

from bad_input_table import Correct, Refused

C = "cvhelpers.metrics.classification."
CP = "cvhelpers.metrics.classification_plots."
F = "cvhelpers.metrics.few_shot."
G = "cvhelpers.metrics.generative."
L = "cvhelpers.training.losses."
M = "cvhelpers.training.models."
T = "cvhelpers.training.trainer."
S = "cvhelpers.training.two_stage."
R = "cvhelpers.training.recipe."

NAN = float("nan")
Y = np.array([0, 1, 2, 0, 1, 2])
SCORES = np.eye(3)[Y] * 3.0
ONE_HOT = np.eye(3, dtype=np.float32)[Y]
FEATURES = np.random.default_rng(0).normal(size=(8, 2))
DISTANCES = np.array([0.1, 0.2, 0.8, 0.9])
SAME = np.array([1, 1, 0, 0])


@lru_cache(maxsize=1)
def _model():
    from cvhelpers.training.models import small_cnn

    return small_cnn((16, 16, 1), 2, width=1, feature_dim=2, seed=0)


def _data(labels=None):
    """A tiny dataset of (images, labels) batches."""
    import tensorflow as tf

    labels = np.array([0, 1, 0, 1]) if labels is None else labels
    return tf.data.Dataset.from_tensor_slices((np.zeros((4, 16, 16, 1), np.float32), labels)).batch(2)


def _fit_args(**changes):
    import keras

    arguments = dict(epochs=1, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), num_classes=2,
                     progress=False)
    return {**arguments, **changes}


def _fit(f, build=lambda: _model(), train=None, validation=None, **changes):
    return f(build, _data() if train is None else train, _data() if validation is None else validation,
             **_fit_args(**changes))


def _report(class_names=("a", "b", "c")):
    from cvhelpers.metrics.classification import classification_report

    return classification_report(Y, SCORES, list(class_names))


def _images(n=4):
    return np.zeros((n, 16, 16), np.uint8)


METRICS_CLASSIFICATION = [
    Refused(C + "BalancedAccuracy", "labels out of range", lambda f: f(3).update_state([0, 3], SCORES[:2]),
            ValueError, "y_true"),
    Refused(C + "BalancedAccuracy", "negative labels", lambda f: f(3).update_state([-1, 0], SCORES[:2]),
            ValueError, "y_true"),
    Refused(C + "BalancedAccuracy", "predictions of the wrong width",
            lambda f: f(3).update_state([0, 1], np.zeros((2, 4))), ValueError, "y_pred"),
    Refused(C + "BalancedAccuracy", "one-hot labels of the wrong width",
            lambda f: f(3).update_state(np.eye(4)[[0, 1]], SCORES[:2]), ValueError, "y_true"),
    Refused(C + "BalancedAccuracy", "labels of the wrong length", lambda f: f(3).update_state([0, 1, 2], SCORES[:2]),
            ValueError, "y_true and y_pred"),
    Refused(C + "BalancedAccuracy", "one class", lambda f: f(1), ValueError, "num_classes"),
    Correct(C + "BalancedAccuracy", "one-hot labels",
            lambda f: _updated(f(3), ONE_HOT, SCORES), lambda value: value == 1.0),
    Refused(C + "EvaluationReport", "a confusion that is not square",
            lambda f: f(None, {}, np.zeros((2, 3))), ValueError, "confusion"),
    Refused(C + "EvaluationReport", "class names of the wrong length",
            lambda f: f(None, {}, np.eye(3, dtype=int), ["a"]), ValueError, "class_names"),
    Refused(C + "classification_report", "NaN scores", lambda f: f(Y, np.full((6, 3), NAN)), ValueError, "scores"),
    Refused(C + "classification_report", "infinite scores", lambda f: f(Y, np.where(SCORES > 0, np.inf, 0.0)),
            ValueError, "scores"),
    Refused(C + "classification_report", "labels out of range", lambda f: f(Y + 1, SCORES), ValueError, "y_true"),
    Refused(C + "classification_report", "one-hot labels", lambda f: f(np.eye(3)[Y], SCORES), ValueError, "y_true"),
    Refused(C + "classification_report", "labels of the wrong length", lambda f: f(Y[:-1], SCORES), ValueError,
            "y_true and scores"),
    Refused(C + "classification_report", "float labels", lambda f: f(Y.astype(float), SCORES), TypeError, "y_true"),
    Refused(C + "classification_report", "a k of zero", lambda f: f(Y, SCORES, counts={0: 3, 1: 2, 2: 1}, k=0),
            ValueError, "k"),
    Refused(C + "comparison_table", "reports as a list", lambda f: f([_report()]), TypeError, "reports"),
    Refused(C + "comparison_table", "an unknown column", lambda f: f({"ce": _report()}, columns=["accuracyy"]),
            ValueError, "columns"),
    Refused(C + "comparison_table", "an oracle without a baseline", lambda f: f({"ce": _report()}, oracle="ce"),
            ValueError, "oracle"),
    Refused(C + "comparison_table", "a baseline not among the reports",
            lambda f: f({"ce": _report()}, baseline="cross-entropy"), ValueError, "baseline"),
    Refused(C + "gap_closed", "NaN baseline", lambda f: f(0.8, NAN, 0.9), ValueError, "baseline"),
    Refused(C + "gap_closed", "a string", lambda f: f("0.8", 0.7, 0.9), TypeError, "value"),
    Refused(C + "head_tail_classes", "a float k", lambda f: f({0: 5, 1: 3, 2: 1, 3: 1}, 1.5), ValueError, "k"),
    Refused(C + "head_tail_classes", "counts as a list", lambda f: f([5, 3, 2, 1], 1), TypeError, "counts"),
    Refused(CP + "most_confused_pairs", "a negative k", lambda f: f(np.eye(3, dtype=int), ["a", "b", "c"], k=-1),
            ValueError, "k"),
    Refused(CP + "most_confused_pairs", "negative counts", lambda f: f(-np.eye(2), ["a", "b"]), ValueError,
            "confusion"),
    Refused(CP + "plot_confusion_matrices", "a summary dict", lambda f: f({"balanced_accuracy": 0.5}), TypeError,
            "report"),
    Refused(CP + "plot_confusion_change", "a confusion matrix for before",
            lambda f: f(_report().confusion, _report()), TypeError, "before"),
    Refused(CP + "plot_confusion_change", "reports on other classes",
            lambda f: f(_report(), _report(["x", "y", "z"])), ValueError, "class names"),
    Refused(CP + "plot_per_class_recall", "counts for an unknown class",
            lambda f: f({"m": _report()}, {0: 5, 1: 3, 7: 1}, ["a", "b", "c"]), ValueError, "counts"),
    Refused(CP + "plot_per_class_recall", "class names of the wrong length",
            lambda f: f({"m": _report()}, {0: 5, 1: 3, 2: 1}, ["a", "b"]), ValueError, "class_names"),
    Refused(CP + "plot_roc_pr_curves", "one-hot labels", lambda f: f(np.eye(3)[Y], {"m": SCORES}, ["a", "b", "c"]),
            ValueError, "y_true"),
    Refused(CP + "plot_roc_pr_curves", "scores of the wrong shape",
            lambda f: f(Y, {"m": SCORES[:, :2]}, ["a", "b", "c"]), ValueError, "scores_by_method"),
    Refused(CP + "plot_roc_pr_curves", "a class out of range", lambda f: f(Y, {"m": SCORES}, ["a", "b", "c"], [3]),
            ValueError, "classes"),
    Refused(C + "predict_logits", "a FitResult instead of its model", lambda f: f(object(), _images()), TypeError,
            "model"),
    Refused(C + "predict_logits", "a zero batch size", lambda f: f(_model(), _images(), batch_size=0), ValueError,
            "batch_size"),
    Refused(C + "skewed_subset", "a negative seed", lambda f: f(Y, [2, 2, 2], largest=2, seed=-1), ValueError, "seed"),
    Refused(C + "skewed_subset", "a zero largest", lambda f: f(Y, [2, 2, 2], largest=0), ValueError, "largest"),
]

METRICS_OTHER = [
    Refused(F + "choose_threshold", "class labels as same", lambda f: f(DISTANCES, [0, 1, 2, 3]), ValueError, "same"),
    Refused(F + "choose_threshold", "NaN distances", lambda f: f([0.1, NAN], [1, 0]), ValueError, "distances"),
    Refused(F + "choose_threshold", "a string target", lambda f: f(DISTANCES, SAME, "0.1"), TypeError, "target_far"),
    Refused(F + "pair_distances", "an index out of range", lambda f: f(FEATURES, [0, 8], [1, 2]), ValueError, "first"),
    Refused(F + "pair_distances", "a negative index", lambda f: f(FEATURES, [0, 1], [-1, 2]), ValueError, "second"),
    Refused(F + "pair_distances", "index lists of different lengths", lambda f: f(FEATURES, [0, 1], [2]), ValueError,
            "first and second"),
    Refused(F + "verification_metrics", "a NaN threshold", lambda f: f(DISTANCES, SAME, NAN), ValueError, "threshold"),
    Refused(F + "verification_metrics", "lengths that differ", lambda f: f(DISTANCES, SAME[:3], 0.5), ValueError,
            "distances and same"),
    Refused(G + "diversity", "NaN features", lambda f: f(np.full((3, 2), NAN)), ValueError, "features"),
    Refused(G + "frechet_distance", "infinite features", lambda f: f(FEATURES, np.full((4, 2), np.inf)), ValueError,
            "features_b"),
    Refused(G + "gaussian_frechet_distance", "a NaN mean", lambda f: f([NAN, 0.0], np.eye(2), [0.0, 0.0], np.eye(2)),
            ValueError, "mu1"),
    Refused(G + "gaussian_frechet_distance", "mismatched shapes", lambda f: f([0.0], np.eye(2), [0.0], np.eye(2)),
            ValueError, "sigma1"),
    Refused(G + "label_faithfulness", "labels >= num_classes", lambda f: f([0, 1], [0, 3], num_classes=3),
            ValueError, "conditioned"),
    Refused(G + "label_faithfulness", "a zero num_classes", lambda f: f([0, 1], [0, 1], num_classes=0), ValueError,
            "num_classes"),
    Refused(G + "label_faithfulness", "NaN logits", lambda f: f(np.full((2, 3), NAN), [0, 1]), ValueError,
            "predicted"),
    Refused(G + "per_class_quality", "labels of the wrong length",
            lambda f: f(FEATURES, np.zeros(7, int), FEATURES, np.zeros(8, int)), ValueError, "real_labels"),
    Refused(G + "per_class_quality", "a class with too few images",
            lambda f: f(FEATURES, np.r_[np.zeros(6, int), 1, 1], FEATURES, np.r_[np.zeros(6, int), 1, 1], k=2),
            ValueError, "class 1"),
    Refused(G + "precision_recall", "widths that differ", lambda f: f(FEATURES, np.zeros((8, 3))), ValueError,
            "real_features and fake_features"),
    Refused(G + "precision_recall", "a float k", lambda f: f(FEATURES, FEATURES, k=2.5), ValueError, "k"),
]

LOSSES_AND_MODELS = [
    Refused(L + "LogitAdjustedLoss", "priors for the wrong number of classes",
            lambda f: f([0.5, 0.5])(ONE_HOT, SCORES.astype(np.float32)), ValueError, "priors"),
    Refused(L + "LogitAdjustedLoss", "one-hot labels with sparse=True",
            lambda f: f([0.5, 0.3, 0.2], sparse=True)(ONE_HOT, SCORES.astype(np.float32)), ValueError, "sparse"),
    Refused(L + "LogitAdjustedLoss", "class indices without sparse=True",
            lambda f: f([0.5, 0.3, 0.2])(Y, SCORES.astype(np.float32)), ValueError, "sparse"),
    Refused(L + "LogitAdjustedLoss", "a NaN prior", lambda f: f([0.5, NAN]), ValueError, "priors"),
    Refused(L + "LogitAdjustedLoss", "sparse as a string", lambda f: f([0.5, 0.5], sparse="no"), TypeError, "sparse"),
    Refused(L + "SigmoidFocalCrossEntropy", "alpha above 1", lambda f: f(alpha=1.5), ValueError, "alpha"),
    Refused(L + "SigmoidFocalCrossEntropy", "a negative gamma", lambda f: f(gamma=-1.0), ValueError, "gamma"),
    Refused(L + "choose_tau", "labels of the wrong length", lambda f: f(SCORES, Y[:-1], [0.5, 0.3, 0.2]), ValueError,
            "y_val"),
    Refused(L + "choose_tau", "labels out of range", lambda f: f(SCORES, Y + 1, [0.5, 0.3, 0.2]), ValueError,
            "y_val"),
    Refused(L + "class_priors", "counts for fewer classes than num_classes", lambda f: f([3, 1], num_classes=3),
            ValueError, "counts"),
    Refused(L + "class_priors", "an empty dict", lambda f: f({}), TypeError, "counts"),
    Refused(L + "focal_loss", "a NaN gamma", lambda f: f(NAN), ValueError, "gamma"),
    Refused(L + "focal_loss", "per-class alpha of the wrong length", lambda f: f(2.0, [0.5, 0.5], num_classes=3),
            ValueError, "alpha"),
    Refused(L + "posthoc_logit_adjustment", "infinite logits",
            lambda f: f(np.where(SCORES > 0, np.inf, 0.0), [0.5, 0.3, 0.2]), ValueError, "logits"),
    Refused(L + "posthoc_logit_adjustment", "logits of the wrong width", lambda f: f(SCORES, [0.5, 0.5]), ValueError,
            "logits"),
    Refused(L + "sigmoid_focal_crossentropy", "labels that would broadcast",
            lambda f: f(np.zeros((3, 1), np.float32), np.zeros((3, 3), np.float32)), ValueError, "y_true and y_pred"),
    Refused(L + "sigmoid_focal_crossentropy", "a NaN alpha", lambda f: f(ONE_HOT, ONE_HOT, alpha=NAN), ValueError,
            "alpha"),
    Refused(M + "classifier_head", "one class", lambda f: f(1), ValueError, "num_classes"),
    Refused(M + "classifier_head", "a negative seed", lambda f: f(3, seed=-1), ValueError, "seed"),
    Refused(M + "encoder_of", "a model name", lambda f: f("small_cnn"), TypeError, "model"),
    Refused(M + "small_cnn", "a NaN dropout", lambda f: f(dropout=NAN), ValueError, "dropout"),
    Refused(M + "small_cnn", "a float number of classes", lambda f: f(num_classes=3.0), ValueError, "num_classes"),
    Refused(M + "small_encoder", "images too small for valid padding", lambda f: f((12, 12, 1)), ValueError,
            "input_shape"),
    Refused(M + "small_encoder", "a shape without channels", lambda f: f((28, 28)), ValueError, "input_shape"),
    Refused(M + "small_encoder", "a zero width", lambda f: f(width=0), ValueError, "width"),
]

TRAINING = [
    Refused(T + "EpochProgress", "zero epochs", lambda f: f(0), ValueError, "epochs"),
    Refused(T + "FitResult", "a zero best epoch", lambda f: f(None, {}, 1.0, 0), ValueError, "best_epoch"),
    Refused(T + "FitResult", "history as a list", lambda f: f(None, [], 1.0, 1), TypeError, "history"),
    Refused(T + "fit", "negative epochs", lambda f: _fit(f, epochs=-1), ValueError, "epochs"),
    Refused(T + "fit", "a zero patience", lambda f: _fit(f, patience=0), ValueError, "patience"),
    Refused(T + "fit", "a model instead of a function", lambda f: _fit(f, build=_model()), TypeError, "build_model"),
    Refused(T + "fit", "an optimizer instead of a function", lambda f: _fit(f, optimizer=_adam()), TypeError,
            "optimizer"),
    Refused(T + "fit", "arrays instead of a dataset", lambda f: _fit(f, train=(_images(), np.zeros(4, int))),
            TypeError, "train_data"),
    Refused(T + "fit", "one-hot labels of the wrong width", lambda f: _fit(f, train=_data(np.eye(3)[[0, 1, 0, 1]])),
            ValueError, "train_data"),
    Refused(T + "fit", "no validation data", lambda f: f(lambda: _model(), _data(), None, **_fit_args()), ValueError,
            "validation_data"),
    Refused(T + "fit", "class weights for an unknown class", lambda f: _fit(f, class_weight={0: 1.0, 1: 1.0, 5: 2.0}),
            ValueError, "class_weight"),
    Refused(T + "fit", "a model of the wrong width", lambda f: _fit(f, num_classes=3), ValueError, "num_classes"),
    Refused(T + "fit", "a negative seed", lambda f: _fit(f, seed=-1), ValueError, "seed"),
    Refused(S + "balanced_batch_indices", "a negative seed", lambda f: f(Y, 6, 1, seed=-1), ValueError, "seed"),
    Refused(S + "balanced_batch_indices", "batches smaller than the classes", lambda f: f(Y, 2, 1), ValueError,
            "batch_size"),
    Refused(S + "clone_with_weights", "a model's weights", lambda f: f(_model().get_weights()), TypeError, "model"),
    Refused(S + "copy_model", "train_encoder as a string", lambda f: f(_model(), train_encoder="no"), TypeError,
            "train_encoder"),
    Refused(S + "retrain_classifier", "a NaN learning rate",
            lambda f: f(_model(), _images(), [0, 1, 0, 1], _images(), [0, 1, 0, 1], learning_rate=NAN), ValueError,
            "learning_rate"),
    Refused(S + "retrain_classifier", "labels of the wrong length",
            lambda f: f(_model(), _images(), [0, 1, 0], _images(), [0, 1, 0, 1]), ValueError, "y_train"),
    Refused(S + "retrain_classifier", "labels out of range",
            lambda f: f(_model(), _images(), [0, 1, 0, 1], _images(), [0, 1, 2, 1]), ValueError, "y_val"),
    Refused(S + "retrain_classifier", "zero epochs",
            lambda f: f(_model(), _images(), [0, 1, 0, 1], _images(), [0, 1, 0, 1], epochs=0), ValueError, "epochs"),
    Refused(S + "fine_tune", "a NaN learning rate",
            lambda f: f(_model(), _data(), _data(), epochs=1, num_classes=2, learning_rate=NAN), ValueError,
            "learning_rate"),
    Refused(S + "fine_tune", "negative epochs", lambda f: f(_model(), _data(), _data(), epochs=-1, num_classes=2),
            ValueError, "epochs"),
    Refused(S + "deferred_reweighting", "class weights as a list",
            lambda f: f(_model(), _data(), _data(), [1.0, 2.0], epochs=1, num_classes=2), TypeError, "class_weight"),
    Refused(S + "deferred_reweighting", "class weights for an unknown class",
            lambda f: f(_model(), _data(), _data(), {0: 1.0, 1: 2.0, 2: 3.0}, epochs=1, num_classes=2, progress=False),
            ValueError, "class_weight"),
    Refused(R + "long_tail_recipe", "a model instead of a function",
            lambda f: _recipe(f, build_model=_model()), TypeError, "build_model"),
    Refused(R + "long_tail_recipe", "labels of the wrong length",
            lambda f: _recipe(f, y_train=[0, 1, 0]), ValueError, "y_train"),
    Refused(R + "long_tail_recipe", "batches larger than the training set", lambda f: _recipe(f, batch_size=128),
            ValueError, "batch_size"),
    Refused(R + "long_tail_recipe", "a NaN low-rate factor", lambda f: _recipe(f, low_rate_factor=NAN), ValueError,
            "low_rate_factor"),
    Refused(R + "long_tail_recipe", "a fill mode Keras does not have", lambda f: _recipe(f, fill_mode="white"),
            ValueError, "fill_mode"),
    Refused(R + "long_tail_recipe", "negative low-rate epochs", lambda f: _recipe(f, low_rate_epochs=-1), ValueError,
            "low_rate_epochs"),
    Refused(R + "RecipeResult", "steps as a list", lambda f: f(None, [], {}), TypeError, "steps"),
    Refused(R + "RecipeResult", "seconds of another step", lambda f: f(None, {}, {"cRT": 1.0}), ValueError,
            "seconds"),
]


def _recipe(f, y_train=(0, 1, 0, 1), **changes):
    """:func:`long_tail_recipe` on four tiny images, with ``changes``."""
    arguments = dict(build_model=lambda: _model(), batch_size=2, progress=False)
    return f(_images(), np.array(y_train), _images(), np.array([0, 1, 0, 1]), **{**arguments, **changes})


def _updated(metric, y_true, y_pred):
    metric.update_state(y_true, y_pred)
    return float(metric.result())


def _adam():
    import keras

    return keras.optimizers.Adam(1e-3)


ROWS = METRICS_CLASSIFICATION + METRICS_OTHER + LOSSES_AND_MODELS + TRAINING

EXEMPT: dict[str, str] = {}
