"""A course notebook on a user's folder: no oracle, claims skipped in one line, findings from the table."""

from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest

from cvhelpers.course import own_data


def _protocol(has_oracle=False):
    return SimpleNamespace(has_oracle=has_oracle, dataset=None if has_oracle else {"name": "stamps"},
                           counts={0: 40, 1: 10, 2: 2}, y_test=np.array([0] * 8 + [1] * 3 + [2]),
                           class_names=["animals", "food", "space"])


def _table():
    return pd.DataFrame({"balanced_accuracy": [0.50, 0.62, 0.45], "worst_recall": [0.0, 0.33, 0.0],
                         "worst_class": ["space", "food", "space"]},
                        index=["cross-entropy", "recipe", "undersampling"])


def test_course_data_runs_the_claims_and_a_folder_says_it_skips_them(capsys):
    assert own_data.on_course_data(_protocol(has_oracle=True)) is True
    assert capsys.readouterr().out == ""
    assert own_data.on_course_data(_protocol(), "the asserts") is False
    line = capsys.readouterr().out
    assert line.count("\n") == 1 and "'stamps'" in line and "the asserts" in line and "Fashion-MNIST-LT" in line


def test_the_oracle_row_exists_only_with_an_oracle():
    assert own_data.oracle_name(_protocol(has_oracle=True)) == "oracle (balanced data)"
    assert own_data.oracle_name(_protocol()) is None


def test_folder_findings_are_written_from_the_table():
    text = own_data.folder_findings(_table(), _protocol())
    assert "'stamps', 3 classes, 40 to 2 training images per class (ratio 20); 12 test images" in text
    assert "cross-entropy: balanced accuracy **0.500**, worst-class recall 0.000 (space)" in text
    assert "Best here: **recipe**, balanced accuracy 0.620 (+12.0 points against cross-entropy)" in text
    assert "Lower than cross-entropy: undersampling (-5.0)." in text
    assert "smallest class has 1 test image: one image moves its recall by 1.00" in text
    better = _table().drop(index="undersampling")
    assert "No method scored below cross-entropy." in own_data.folder_findings(better, _protocol())


def test_folder_findings_refuse_a_table_without_the_baseline_or_its_columns():
    with pytest.raises(ValueError, match="baseline 'ce'"):
        own_data.folder_findings(_table(), _protocol(), baseline="ce")
    with pytest.raises(ValueError, match="worst_class"):
        own_data.folder_findings(_table().drop(columns="worst_class"), _protocol())
    with pytest.raises(TypeError, match="protocol"):
        own_data.on_course_data(object())
