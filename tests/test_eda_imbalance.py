"""Known-answer tests for cvhelpers.eda.imbalance: effective number, imbalance table."""

from __future__ import annotations

import numpy as np
from numpy.testing import assert_allclose

from cvhelpers import eda


def test_effective_number_known_values():
    assert_allclose(eda.effective_number([1, 10], beta=0.9), [1.0, (1 - 0.9**10) / 0.1])
    assert_allclose(eda.effective_number([5, 0], beta=0.0), [1.0, 0.0])
    assert_allclose(eda.effective_number([1000], beta=1 - 1e-9), [1000], rtol=1e-5)


def test_imbalance_table_sorted_head_to_tail():
    labels = np.repeat([0, 1, 2], [5, 50, 10])
    table = eda.imbalance_table(labels, ["a", "b", "c"], beta=0.99)
    assert table["class"].tolist() == ["b", "c", "a"]
    assert table.attrs["imbalance_ratio"] == 10
    assert_allclose(table["cb_weight"].mean(), 1.0)
    assert table["cb_weight"].is_monotonic_increasing
