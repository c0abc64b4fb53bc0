"""Bad-input rows: cvhelpers.validation."""

import numpy as np

from bad_input_table import Correct, Refused

V = "cvhelpers.validation."

ROWS = [
    Refused(V + "check_positive_int", "zero", lambda f: f(0, "epochs"), ValueError, "epochs"),
    Refused(V + "check_positive_int", "a bool", lambda f: f(True, "epochs"), ValueError, "epochs"),
    Refused(V + "check_positive_int", "a float", lambda f: f(2.0, "epochs"), ValueError, "epochs"),
    Refused(V + "check_number", "NaN", lambda f: f(float("nan"), "gamma"), ValueError, "gamma"),
    Refused(V + "check_number", "inf", lambda f: f(float("inf"), "gamma"), ValueError, "gamma"),
    Refused(V + "check_number", "a string", lambda f: f("2", "gamma"), TypeError, "gamma"),
    Refused(V + "check_number", "out of range", lambda f: f(2.0, "alpha", high=1.0), ValueError, "alpha"),
    Correct(V + "check_number", "an int", lambda f: f(np.int64(2), "gamma"), lambda value: value == 2.0),
    Refused(V + "check_finite_array", "NaN", lambda f: f([1.0, np.nan], "priors"), ValueError, "priors"),
    Refused(V + "check_finite_array", "strings", lambda f: f(["a"], "priors"), TypeError, "priors"),
    Refused(V + "check_finite_array", "wrong ndim", lambda f: f([[1.0]], "priors", ndim=1), ValueError, "priors"),
    Refused(V + "check_features", "one row", lambda f: f(np.zeros((1, 3))), ValueError, "features"),
    Refused(V + "check_features", "inf", lambda f: f(np.full((2, 3), np.inf)), ValueError, "features"),
    Refused(V + "check_bool", "text for a flag", lambda f: f("no", "install"), TypeError, "install"),
    Refused(V + "check_seed", "negative", lambda f: f(-1, "split_seed"), ValueError, "split_seed"),
    Refused(V + "check_labels", "non-whole floats", lambda f: f([0, 2.7], "y"), ValueError, "y"),
    Refused(V + "check_labels", "one-hot", lambda f: f(np.eye(3), "y_true"), ValueError, "y_true"),
    Refused(V + "check_labels", "empty", lambda f: f([], "y"), ValueError, "y"),
    Refused(V + "check_same_length", "wrong length", lambda f: f([1], "x", [1, 2], "y"), ValueError, "x and y"),
    Refused(V + "check_unit_images", "0-255 floats", lambda f: f(np.full((1, 2, 2), 200.0), "x"), ValueError, "x"),
]

EXEMPT: dict[str, str] = {}
