"""Private: labels grouped by class, shared by the samplers and the episodes."""

from __future__ import annotations

import numpy as np


def _class_index(y):
    y = np.asarray(y)
    if y.ndim != 1:
        raise ValueError(f"y must be 1-D labels, got shape {y.shape}")
    classes, inverse = np.unique(y, return_inverse=True)
    members = [np.flatnonzero(inverse == c) for c in range(len(classes))]
    return classes, members
