"""Bad-input rows: long-tailed subsets, tf.data pipelines, resampling and the experiment protocol."""

import tempfile
from pathlib import Path

import numpy as np

from bad_input_table import Correct, Refused

LT = "cvhelpers.data.long_tail."
PIPE = "cvhelpers.data.pipeline."
SAMPLING = "cvhelpers.data.sampling."
EXPERIMENT = "cvhelpers.experiment."

Y = np.repeat([0, 1, 2], [6, 4, 2])
X = np.arange(len(Y))
IMAGES = np.zeros((len(Y), 4, 4), np.uint8)


def _json_file(text: str) -> Path:
    path = Path(tempfile.mkdtemp(prefix="cvlab-bad-input-")) / "manifest.json"
    path.write_text(text)
    return path


def _protocol(f, y_train=Y[:-1]):
    from cvhelpers.experiment import Settings

    names = ["a", "b", "c"]
    return f(IMAGES, y_train, IMAGES, Y, IMAGES, Y, {0: 6, 1: 4, 2: 2}, names, Settings(), IMAGES[:0], Y[:0])


ROWS = [
    Refused(LT + "LongTailed", "missing fields", lambda f: f(X, Y), TypeError, "indices"),
    Refused(LT + "default_manifest_path", "a string ratio", lambda f: f("100"), TypeError, "imbalance_ratio"),
    Refused(LT + "default_manifest_path", "an order with a slash", lambda f: f(order="../label"), ValueError,
            "order"),
    Refused(LT + "load_fashion_mnist_lt", "a negative seed", lambda f: f(seed=-1), ValueError, "seed"),
    Refused(LT + "load_fashion_mnist_lt", "a tuple for data", lambda f: f(data=(X, Y)), TypeError, "data"),
    Refused(LT + "load_manifest", "JSON with no indices", lambda f: f(_json_file('{"size": 3}')), ValueError,
            "indices"),
    Refused(LT + "load_manifest", "not JSON", lambda f: f(_json_file("indices: [1, 2]")), ValueError, "path"),
    Refused(LT + "long_tailed_counts", "a string ratio", lambda f: f(100, 3, "10"), TypeError, "imbalance_ratio"),
    Refused(LT + "long_tailed_counts", "a NaN ratio", lambda f: f(100, 3, float("nan")), ValueError,
            "imbalance_ratio"),
    Refused(LT + "long_tailed_counts", "a float n_max", lambda f: f(100.5, 3, 10), ValueError, "n_max"),
    Refused(LT + "make_long_tailed", "a string ratio", lambda f: f(X, Y, "2"), TypeError, "imbalance_ratio"),
    Refused(LT + "make_long_tailed", "a negative seed", lambda f: f(X, Y, 2, seed=-1), ValueError, "seed"),
    Refused(LT + "make_long_tailed", "a float class_order", lambda f: f(X, Y, 2, class_order=[2.7, 1.0, 0.0]),
            TypeError, "class_order"),
    Refused(LT + "make_long_tailed", "y one shorter", lambda f: f(X, Y[:-1], 2), ValueError, "x and y"),
    Refused(LT + "save_manifest", "a dict for lt", lambda f: f({"indices": [1]}, _json_file("{}")), TypeError,
            "lt"),
    Refused(PIPE + "balanced_dataset", "NaN weights", lambda f: f(IMAGES, Y, weights=[1.0, np.nan, 1.0]),
            ValueError, "weights"),
    Refused(PIPE + "balanced_dataset", "negative labels", lambda f: f(IMAGES, Y - 1), ValueError, "y"),
    Refused(PIPE + "indexed_dataset", "non-whole indices", lambda f: f(IMAGES, Y, np.array([0.0, 2.7])),
            ValueError, "indices"),
    Refused(PIPE + "make_dataset", "y one shorter", lambda f: f(IMAGES, Y[:-1]), ValueError, "x and y"),
    Refused(PIPE + "make_dataset", "a zero batch size", lambda f: f(IMAGES, Y, batch_size=0), ValueError,
            "batch_size"),
    Refused(PIPE + "make_dataset", "non-whole labels", lambda f: f(IMAGES, Y + 0.5), ValueError, "y"),
    Refused(PIPE + "one_hot", "a non-whole label", lambda f: f([0, 2.7], 3), ValueError, "y"),
    Refused(PIPE + "one_hot", "a negative label", lambda f: f([0, -1], 3), ValueError, "y"),
    Refused(PIPE + "to_float_images", "0-255 floats", lambda f: f(np.full((1, 2, 2), 200.0)), ValueError, "x"),
    Refused(PIPE + "to_float_images", "NaN", lambda f: f(np.full((1, 2, 2), np.nan)), ValueError, "x"),
    Refused(PIPE + "to_float_images", "int64 pixels", lambda f: f(np.full((1, 2, 2), 200)), TypeError, "x"),
    Correct(PIPE + "to_float_images", "uint16 scaled by 65535", lambda f: f(np.full((1, 2, 2), 65535, np.uint16)),
            lambda value: value.shape == (1, 2, 2, 1) and np.all(value == 1.0)),
    Refused(SAMPLING + "balanced_epoch_indices", "a float epoch_size", lambda f: f(Y, epoch_size=9.5), ValueError,
            "epoch_size"),
    Refused(SAMPLING + "balanced_epoch_indices", "NaN labels", lambda f: f(np.array([0.0, np.nan])), ValueError,
            "y"),
    Refused(SAMPLING + "check_class_weight", "a NaN weight", lambda f: f({0: 1.0, 1: float("nan")}, 2),
            ValueError, "class_weight[1]"),
    Refused(SAMPLING + "check_class_weight", "a float key", lambda f: f({0: 1.0, 1.5: 1.0}, 2), TypeError,
            "class_weight"),
    Refused(SAMPLING + "class_counts", "empty", lambda f: f([]), ValueError, "y is empty"),
    Correct(SAMPLING + "class_counts", "empty with num_classes", lambda f: f([], num_classes=3),
            lambda value: value.tolist() == [0, 0, 0]),
    Refused(SAMPLING + "class_counts", "a non-whole label", lambda f: f([0, 2.7]), ValueError, "y"),
    Refused(SAMPLING + "class_weights", "labels out of range", lambda f: f(Y, num_classes=2), ValueError, "y"),
    Refused(SAMPLING + "class_weights", "beta of 1", lambda f: f(Y, "effective", beta=1.0), ValueError, "beta"),
    Refused(SAMPLING + "effective_number", "NaN counts", lambda f: f([1.0, np.nan]), ValueError, "counts"),
    Refused(SAMPLING + "effective_number", "negative counts", lambda f: f([1, -2]), ValueError, "counts"),
    Refused(SAMPLING + "random_undersample", "y one shorter", lambda f: f(X, Y[:-1]), ValueError, "x and y"),
    Refused(SAMPLING + "random_undersample", "a float target", lambda f: f(X, Y, target=2.5), ValueError,
            "target"),
    Refused(EXPERIMENT + "LongTailProtocol", "y_train one shorter", _protocol, ValueError, "x_train and y_train"),
    Refused(EXPERIMENT + "LongTailProtocol", "a label out of range", lambda f: _protocol(f, Y + 1), ValueError,
            "y_train"),
    Refused(EXPERIMENT + "MethodResult", "a dict for the report", lambda f: f("ce", {"accuracy": 1.0}, None, 1.0),
            TypeError, "report"),
    Refused(EXPERIMENT + "Settings", "zero epochs", lambda f: f(epochs=0), ValueError, "epochs"),
    Refused(EXPERIMENT + "Settings", "a NaN learning rate", lambda f: f(learning_rate=float("nan")), ValueError,
            "learning_rate"),
]

EXEMPT: dict[str, str] = {}
