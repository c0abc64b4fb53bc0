"""Argument checks shared by the modules of :mod:`cvhelpers.methods.gan`."""

from __future__ import annotations

import numpy as np


def _check_positive_int(value, name):
    if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < 1:
        raise ValueError(f"{name} must be a positive int, got {value!r}")
    return int(value)
