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

__all__ = ["check_positive_int", "check_number", "check_finite_array", "check_features"]


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
