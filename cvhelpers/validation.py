"""Argument checks shared by every module of :mod:`cvhelpers`.

Each ``check_*`` returns the value in the form the caller needs and raises
``TypeError`` (wrong kind) or ``ValueError`` (wrong value) with a message
that names the argument and says what was expected. NaN and infinities are
refused wherever a number is expected: a NaN compares false with every bound,
so a plain ``value < 0`` test lets it through and the result comes out
silently wrong.
"""

from __future__ import annotations

import math

import numpy as np

__all__ = [
    "check_bool",
    "check_positive_int",
    "check_seed",
    "check_number",
    "check_finite_array",
    "check_features",
    "check_labels",
    "check_same_length",
    "check_unit_images",
]


def check_bool(value, name: str, *, optional: bool = False) -> bool | None:
    """``value`` as a ``bool`` (NumPy's included); with ``optional``, ``None`` too.

    Raises
    ------
    TypeError
        Naming ``name``, for anything else (``0``, ``"no"``: a non-empty string is truthy).
    """
    if optional and value is None:
        return None
    if not isinstance(value, (bool, np.bool_)):
        raise TypeError(f"{name} must be a bool{' or None' if optional else ''}, got {type(value).__name__} {value!r}")
    return bool(value)


def check_positive_int(value, name: str, smallest: int = 1) -> int:
    """``value`` as an ``int`` of at least ``smallest``; ``bool`` is refused.

    Raises
    ------
    ValueError
        Naming ``name``, for anything else.
    """
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < smallest:
        raise ValueError(f"{name} must be an int >= {smallest}, got {value!r}")
    return int(value)


def check_seed(seed, name: str = "seed", *, optional: bool = False) -> int | None:
    """``seed`` as an ``int`` >= 0, the seeds NumPy, TensorFlow and Keras all accept.

    With ``optional``, ``None`` (unseeded) is accepted and returned.

    Raises
    ------
    ValueError
        Naming ``name``, for a negative number, a float, a bool or anything else.
    """
    if optional and seed is None:
        return None
    if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ValueError(f"{name} must be an int >= 0, got {seed!r}")
    return int(seed)


def check_number(value, name: str, *, low=None, high=None, low_open: bool = False) -> float:
    """``value`` as a finite ``float`` in [``low``, ``high``] (``(low, high]`` with ``low_open``).

    Raises
    ------
    TypeError
        When ``value`` is not a real number (``bool`` and strings included).
    ValueError
        When it is NaN, infinite or out of range; the message names ``name``.
    """
    if isinstance(value, (bool, str)) or not isinstance(value, (int, float, np.integer, np.floating)):
        raise TypeError(f"{name} must be a number, got {type(value).__name__} {value!r}")
    value = float(value)
    if not math.isfinite(value):
        raise ValueError(f"{name} must be finite, got {value}")
    if low is not None and (value <= low if low_open else value < low):
        raise ValueError(f"{name} must be {'>' if low_open else '>='} {low}, got {value}")
    if high is not None and value > high:
        raise ValueError(f"{name} must be <= {high}, got {value}")
    return value


def check_finite_array(values, name: str, *, ndim: int | None = None, positive: bool = False,
                       nonnegative: bool = False) -> np.ndarray:
    """``values`` as a float64 array with no NaN or infinity.

    Parameters
    ----------
    values : array-like
    name : str
        The argument's name, for the messages.
    ndim : int, optional
        The number of dimensions it must have.
    positive, nonnegative : bool, default=False
        Every element must be > 0 (or >= 0).

    Returns
    -------
    ndarray, float64

    Raises
    ------
    TypeError
        When ``values`` is not numeric.
    ValueError
        Naming ``name``: wrong number of dimensions, NaN, infinity or a value out of range.
    """
    array = np.asarray(values)
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise TypeError(f"{name} must be numeric, got dtype {array.dtype}")
    array = array.astype(np.float64)
    if ndim is not None and array.ndim != ndim:
        raise ValueError(f"{name} must be {ndim}-D, got shape {array.shape}")
    if not np.isfinite(array).all():
        raise ValueError(f"{name} must be finite (no NaN or inf), got {values!r}")
    if positive and (array <= 0).any():
        raise ValueError(f"{name} must be > 0 everywhere, got {values!r}")
    if nonnegative and (array < 0).any():
        raise ValueError(f"{name} must be >= 0 everywhere, got {values!r}")
    return array


def check_features(features) -> np.ndarray:
    """``features`` as an array of shape (n, dim), n >= 2, real and finite; its dtype is kept.

    Raises
    ------
    TypeError
        When ``features`` is not a real numeric array.
    ValueError
        When it is not 2-D with at least 2 rows, or holds NaN or inf.
    """
    features = np.asarray(features)
    if not np.issubdtype(features.dtype, np.number) or np.issubdtype(features.dtype, np.complexfloating):
        raise TypeError(f"features must be a real numeric array, got dtype {features.dtype}")
    if features.ndim != 2 or len(features) < 2:
        raise ValueError(f"features must have shape (n, dim) with n >= 2, got {features.shape}")
    if not np.isfinite(features).all():
        raise ValueError("features must be finite (no NaN or inf)")
    return features


def check_labels(labels, name: str = "labels", *, num_classes: int | None = None,
                 length: int | None = None, length_of: str = "the images") -> np.ndarray:
    """``labels`` as a 1-D int64 array of class indices.

    Parameters
    ----------
    labels : array-like of shape (n,)
        Integer class indices. Floats are accepted only when every value is a
        whole number (``2.0``); ``2.7`` is refused, never truncated.
    name : str, default="labels"
        The argument's name, for the messages.
    num_classes : int, optional
        Every label must be in ``[0, num_classes)``.
    length : int, optional
        The number of labels there must be (the number of images, ...).
    length_of : str, default="the images"
        What ``length`` counts, for the message.

    Returns
    -------
    ndarray of shape (n,), int64

    Raises
    ------
    TypeError
        When the labels are not numbers.
    ValueError
        Naming ``name``: empty, not 1-D (one-hot labels included), not whole
        numbers, negative, out of range, or of the wrong length.
    """
    array = np.asarray(labels)
    if array.dtype == object or not (np.issubdtype(array.dtype, np.number) or array.dtype == bool):
        raise TypeError(f"{name} must be integer class indices, got dtype {array.dtype}")
    if array.ndim == 2 and array.shape[1] > 1:
        raise ValueError(f"{name} must be 1-D class indices, got shape {array.shape}; "
                         "for one-hot labels pass labels.argmax(axis=1)")
    if array.ndim != 1:
        raise ValueError(f"{name} must be 1-D class indices, got shape {array.shape}")
    if array.size == 0:
        raise ValueError(f"{name} is empty")
    if np.issubdtype(array.dtype, np.floating) and not (np.isfinite(array).all() and (array == np.round(array)).all()):
        raise ValueError(f"{name} must be whole numbers (class indices), got {array[array != np.round(array)][:3]}")
    array = array.astype(np.int64)
    if array.min() < 0:
        raise ValueError(f"{name} must be >= 0, got {array.min()}")
    if num_classes is not None and array.max() >= num_classes:
        raise ValueError(f"{name} must be < num_classes={num_classes}, got {array.max()}")
    if length is not None and len(array) != length:
        raise ValueError(f"{name} has {len(array)} entries but there are {length} of {length_of}")
    return array


def check_same_length(first, first_name: str, second, second_name: str) -> int:
    """The common length of two sequences; ``ValueError`` naming both when they differ."""
    if len(first) != len(second):
        raise ValueError(f"{first_name} and {second_name} must have the same length, "
                         f"got {len(first)} and {len(second)}")
    return len(first)


def check_unit_images(images, name: str = "images", *, allow_empty: bool = False,
                      refuse_negative: bool = False) -> np.ndarray:
    """``images`` as a float array with values in [0, 1], checked cheaply.

    The common mistake is passing 0-255 pixels where [0, 1] is expected; a
    float array whose maximum is above 1.5 is refused with that hint (a little
    overshoot, as after interpolation, passes). Integer arrays are refused:
    convert them with ``data.pipeline.to_float_images``.

    Parameters
    ----------
    images : array-like of float
    name : str, default="images"
    allow_empty : bool, default=False
        Accept an array with no elements (returned as is).
    refuse_negative : bool, default=False
        Also refuse a minimum below -0.5 ([-1, 1] images, for example).

    Raises
    ------
    TypeError
        When ``images`` is not a float array.
    ValueError
        Naming ``name``: empty, NaN/inf, or values that look like 0-255.
    """
    array = np.asarray(images)
    if not np.issubdtype(array.dtype, np.floating):
        raise TypeError(f"{name} must be float images in [0, 1], got dtype {array.dtype}; "
                        "convert with cvhelpers.data.pipeline.to_float_images")
    if array.size == 0:
        if allow_empty:
            return array
        raise ValueError(f"{name} is empty, got shape {array.shape}")
    high, low = float(array.max()), float(array.min())
    if not np.isfinite(high) or not np.isfinite(low):
        raise ValueError(f"{name} must be finite (no NaN or inf)")
    if high > 1.5:
        raise ValueError(f"{name} must be in [0, 1], got a maximum of {high:g}; "
                         "0-255 pixels? divide by 255 or use cvhelpers.data.pipeline.to_float_images")
    if refuse_negative and low < -0.5:
        raise ValueError(f"{name} must be in [0, 1], got a minimum of {low:g}; rescale the images to [0, 1]")
    return array
