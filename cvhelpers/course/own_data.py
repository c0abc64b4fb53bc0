"""What a course notebook does differently when it runs on a user's folder.

Notebooks 03, 04, 05 and 08 take ``DATA_DIR``: with a folder of images (one
subfolder per class) their cells run on it instead of Fashion-MNIST-LT
(:func:`cvhelpers.course.config.experiment_from_params`). Three things do not
carry over, and this module holds them:

* there is no oracle (:attr:`cvhelpers.experiment.LongTailProtocol.has_oracle`),
  so tables measure each method against cross-entropy, not "gap closed";
* the asserts and the prose findings were measured on Fashion-MNIST-LT:
  :func:`on_course_data` says so in one line and the notebook skips them;
* the findings are written from the run's own table by :func:`folder_findings`.
"""

from __future__ import annotations

import numpy as np

__all__ = ["ORACLE", "FOLDER_RECORDS", "oracle_name", "on_course_data", "folder_findings"]

#: The oracle's row name in the course notebooks' tables.
ORACLE = "oracle (balanced data)"

#: The notebooks that take ``DATA_DIR`` and record methods (02 and 06 work on Fashion-MNIST-LT only).
FOLDER_RECORDS = ("03_resampling", "04_class_weights_vs_focal_loss", "05_two_stage_and_self_supervised")


def _check_protocol(protocol):
    if not all(hasattr(protocol, name) for name in ("has_oracle", "dataset", "counts", "y_test", "class_names")):
        raise TypeError(f"protocol must be a LongTailProtocol, got {type(protocol).__name__}")
    return protocol


def oracle_name(protocol) -> str | None:
    """:data:`ORACLE` when ``protocol`` has an oracle, else None (pass it on as ``comparison_table(oracle=)``)."""
    return ORACLE if _check_protocol(protocol).has_oracle else None


def on_course_data(protocol, what: str = "the checks below") -> bool:
    """Whether the course's Fashion-MNIST-LT claims apply; on a folder, say in one line that they are skipped.

    Parameters
    ----------
    protocol : cvhelpers.experiment.LongTailProtocol
    what : str, default="the checks below"
        What is skipped, for the printed line.

    Returns
    -------
    bool
        True on Fashion-MNIST-LT (run the claims); False on a user's folder,
        after printing ``Skipped on the folder '<name>': <what> ...``.

    Examples
    --------
    >>> if on_course_data(protocol):  # doctest: +SKIP
    ...     assert oversampling_gain > 0.03
    """
    _check_protocol(protocol)
    if not isinstance(what, str) or not what.strip():
        raise ValueError(f"what must name what is skipped, e.g. 'the checks below', got {what!r}")
    if protocol.has_oracle:
        return True
    print(f"Skipped on the folder {protocol.dataset['name']!r}: {what} were measured on Fashion-MNIST-LT "
          "in the course profile and do not hold for any data.")
    return False


def folder_findings(table, protocol, baseline: str = "cross-entropy") -> str:
    """The "What we saw" of a notebook run on a folder, written from its comparison table.

    Parameters
    ----------
    table : pandas.DataFrame
        :func:`cvhelpers.metrics.comparison_table` of the run: one row per
        method, with ``balanced_accuracy``, ``worst_recall`` and
        ``worst_class`` columns.
    protocol : cvhelpers.experiment.LongTailProtocol
        The folder's protocol (for its counts and test split).
    baseline : str, default="cross-entropy"
        The row every method is measured against.

    Returns
    -------
    str
        Markdown bullets: the data, the baseline, the best method and its
        change, the methods that did worse, and how much one test image
        weighs in the smallest class.

    Raises
    ------
    ValueError
        When ``baseline`` is not a row of ``table`` or a column is missing.
    """
    _check_protocol(protocol)
    columns = getattr(table, "columns", [])
    missing = [c for c in ("balanced_accuracy", "worst_recall", "worst_class") if c not in columns]
    if missing:
        raise ValueError(f"table must be a comparison_table with columns {missing}")
    if baseline not in table.index:
        raise ValueError(f"baseline {baseline!r} must be a row of table, which has {list(table.index)}")
    scores = table["balanced_accuracy"].astype(float)
    base = table.loc[baseline]
    counts = np.array([protocol.counts[c] for c in range(len(protocol.class_names))])
    per_test_class = np.bincount(protocol.y_test, minlength=len(counts))
    smallest = int(per_test_class.min())
    others = scores.drop(index=baseline)
    lines = [
        f"* Data: the folder {protocol.dataset['name']!r}, {len(counts)} classes, {counts.max()} to {counts.min()} "
        f"training images per class (ratio {counts.max() / counts.min():.0f}); {len(protocol.y_test)} test images.",
        f"* {baseline}: balanced accuracy **{base['balanced_accuracy']:.3f}**, worst-class recall "
        f"{base['worst_recall']:.3f} ({base['worst_class']}).",
    ]
    if len(others):
        best = others.idxmax()
        lines.append(f"* Best here: **{best}**, balanced accuracy {scores[best]:.3f} "
                     f"({100 * (scores[best] - scores[baseline]):+.1f} points against {baseline}), worst-class recall "
                     f"{table.loc[best, 'worst_recall']:.3f}.")
        worse = others[others < scores[baseline]].sort_values()
        lines.append("* Lower than " + baseline + ": " + "; ".join(
            f"{name} ({100 * (score - scores[baseline]):+.1f})" for name, score in worse.items()) + "."
            if len(worse) else f"* No method scored below {baseline}.")
    plural = "s" * (smallest != 1)
    lines.append(f"* One seed, and the smallest class has {smallest} test image{plural}: one image moves "
                 f"its recall by {1 / max(smallest, 1):.2f}, so differences of a few points are within noise here.")
    return "\n".join(lines)
