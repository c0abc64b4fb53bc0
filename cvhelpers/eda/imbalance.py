"""Class imbalance: counts per class, head to tail, with the effective number of samples.

Question 7 of notebook 01: :func:`effective_number` is Cui et al.'s (2019)
effective number of samples, (1 - beta^n) / (1 - beta) (defined in
:mod:`cvhelpers.data.sampling`, where the class weights use it, and re-exported
here), and
:func:`imbalance_table` lists each class's count, share, effective number
and class-balanced weight, sorted head to tail, with the imbalance ratio in
its ``attrs``.
"""

from __future__ import annotations

import numpy as np

from cvhelpers.data.sampling import effective_number
from cvhelpers.eda._batching import _check_class_names, _check_labels

__all__ = [
    "effective_number",
    "imbalance_table",
]


def imbalance_table(labels, class_names=None, beta: float = 0.999):
    """Counts per class, head to tail, with the effective number (question 7).

    Parameters
    ----------
    labels : ndarray of shape (n,), int
    class_names : sequence of str, optional
    beta : float in [0, 1), default=0.999

    Returns
    -------
    pandas.DataFrame
        One row per class sorted by count (head first): ``label, class,
        count, share, effective_number, cb_weight``. ``cb_weight`` is the
        class-balanced weight 1 / effective number, scaled so the weights
        average to 1 over the classes. ``.attrs["imbalance_ratio"]`` holds
        max count / min count.
    """
    import pandas as pd

    labels = _check_labels(labels, len(np.atleast_1d(np.asarray(labels))))
    if class_names is not None:
        class_names = _check_class_names(class_names, labels)
    num_classes = len(class_names) if class_names is not None else int(labels.max()) + 1
    counts = np.bincount(labels, minlength=num_classes)
    names = class_names if class_names is not None else [str(i) for i in range(len(counts))]
    effective = effective_number(counts, beta)
    with np.errstate(divide="ignore"):
        weights = np.where(effective > 0, 1.0 / effective, 0.0)
    weights = weights * len(counts) / weights.sum()
    table = pd.DataFrame(
        {
            "label": np.arange(len(counts)),
            "class": names,
            "count": counts,
            "share": counts / counts.sum(),
            "effective_number": effective,
            "cb_weight": weights,
        }
    )
    table = table.sort_values(["count", "label"], ascending=[False, True], kind="stable").reset_index(drop=True)
    present = counts[counts > 0]
    table.attrs["imbalance_ratio"] = float(present.max() / present.min())
    table.attrs["beta"] = beta
    return table
