"""Fast tests for experiments/lt_methods.py (the long-tail study): no training, no data.

The script is imported as a module (its ``main`` only runs under ``__main__``);
its argument parsing, ``summarize`` and the report that ``main`` writes are
checked with hand-made per-seed results, the protocol and the training
replaced by fakes.
"""

import json
import math
import os
import subprocess
import sys
from pathlib import Path
from types import SimpleNamespace

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT / "experiments" / "lt_methods.py"
CE, ORACLE = "cross-entropy", "oracle"
CE_CONT, ORACLE_CONT = "cross-entropy, continued at lr/10", "oracle, continued at lr/10"


@pytest.fixture(scope="module")
def lt(load_script):
    return load_script("experiments/lt_methods.py")


def _row(balanced, tail=0.0, worst=0.0):
    return {"balanced_accuracy": balanced, "tail_recall": tail, "worst_recall": worst}


@pytest.fixture
def per_seed():
    """Two seeds: baselines, the two controls and one method "m"."""
    return {
        0: {CE: _row(0.50), ORACLE: _row(0.90), CE_CONT: _row(0.60), ORACLE_CONT: _row(0.90),
            "m": _row(0.80, tail=0.6, worst=0.3)},
        1: {CE: _row(0.40), ORACLE: _row(0.80), CE_CONT: _row(0.50), ORACLE_CONT: _row(0.70),
            "m": _row(0.72, tail=0.4, worst=0.1)},
    }


def test_help_lists_options():
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3",
           "PYTHONPATH": os.pathsep.join(filter(None, [str(ROOT), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, str(SCRIPT), "--help"], check=False, cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr[-2000:]
    assert done.stdout.startswith("usage: lt_methods.py")
    for option in ("--profile", "--seeds", "--core", "course", "full"):
        assert option in done.stdout


def test_controls_are_the_names_the_study_uses(lt):
    assert lt.CONTROLS == (CE_CONT, ORACLE_CONT)


class _NoData:
    @classmethod
    def fashion_mnist_lt(cls, *args, **kwargs):
        raise AssertionError("bad arguments must stop the script before it loads data")


@pytest.mark.parametrize(
    "argv, argument, message",
    [
        (["--profile", "nope"], "--profile", "invalid choice: 'nope'"),
        (["--seeds", "zero"], "--seeds", "invalid int value: 'zero'"),
        (["--no-such-option"], None, "unrecognized arguments: --no-such-option"),
    ],
)
def test_bad_arguments_exit_with_argparse_message(lt, monkeypatch, capsys, argv, argument, message):
    monkeypatch.setattr(lt, "LongTailProtocol", _NoData)
    with pytest.raises(SystemExit) as exit_info:
        lt.main(argv)
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert message in err
    if argument:
        assert f"argument {argument}:" in err


def test_summarize_hand_computed(lt, per_seed):
    row = lt.summarize(per_seed, [0, 1], "m")
    assert row["balanced_accuracy_mean"] == pytest.approx(0.76)  # (0.80 + 0.72) / 2
    assert row["balanced_accuracy_std"] == pytest.approx(0.08 / math.sqrt(2))  # ddof=1 of two values 0.08 apart
    # (m - ce) / (oracle - ce): (0.8 - 0.5) / 0.4 and (0.72 - 0.4) / 0.4.
    assert row["gap_closed_per_seed"] == pytest.approx([0.75, 0.8])
    assert row["gap_closed_mean"] == pytest.approx(0.775)
    assert row["gain_over_ce_mean"] == pytest.approx(0.31)  # (0.3 + 0.32) / 2
    # Against the controls: (0.8 - 0.6) / (0.9 - 0.6) and (0.72 - 0.5) / (0.7 - 0.5).
    assert row["gap_closed_vs_continued_per_seed"] == pytest.approx([2 / 3, 1.1])
    assert row["gap_closed_vs_continued_mean"] == pytest.approx((2 / 3 + 1.1) / 2)
    assert row["tail_recall_mean"] == pytest.approx(0.5)
    assert row["worst_recall_mean"] == pytest.approx(0.2)


def test_summarize_baselines_and_one_seed(lt, per_seed):
    assert lt.summarize(per_seed, [0, 1], CE)["gap_closed_per_seed"] == pytest.approx([0.0, 0.0])
    assert lt.summarize(per_seed, [0, 1], ORACLE)["gap_closed_per_seed"] == pytest.approx([1.0, 1.0])
    assert lt.summarize(per_seed, [0, 1], ORACLE_CONT)["gap_closed_vs_continued_mean"] == pytest.approx(1.0)
    one = lt.summarize(per_seed, [1], "m")
    assert one["balanced_accuracy_std"] == 0.0  # not NaN with a single seed
    assert one["balanced_accuracy_mean"] == pytest.approx(0.72)
    assert one["gap_closed_per_seed"] == pytest.approx([0.8])


def test_summarize_zero_gap_is_nan(lt, per_seed):
    per_seed[0][ORACLE] = _row(0.50)  # oracle == cross-entropy on seed 0
    row = lt.summarize(per_seed, [0], "m")
    assert math.isnan(row["gap_closed_per_seed"][0]) and math.isnan(row["gap_closed_mean"])


class _FakeProtocol:
    """Stands in for LongTailProtocol: records the settings, loads nothing."""

    def __init__(self, settings=None):
        self.settings = settings

    @classmethod
    def fashion_mnist_lt(cls):
        return cls()

    def with_settings(self, **changes):
        return _FakeProtocol(SimpleNamespace(**changes))


def _results(ce, oracle, a, b, ce_cont=None, oracle_cont=None):
    rows = {CE: ce, ORACLE: oracle, "a": a, "b": b, CE_CONT: ce_cont or ce, ORACLE_CONT: oracle_cont or oracle}
    return {name: _row(value) for name, value in rows.items()}


@pytest.mark.parametrize(
    "results, best, bar_met",
    [
        # "a" closes 0.9 of the gap and gains 0.36. The oracle (1.0) and its
        # control (1.125) close more, but are not candidates.
        (_results(0.5, 0.9, a=0.86, b=0.84, ce_cont=0.55, oracle_cont=0.95), "a", True),
        # "b" is best (0.875 of the gap) but gains only 0.035 < 0.04.
        (_results(0.5, 0.54, a=0.51, b=0.535), "b", False),
        # "a" gains 0.2 but closes only 0.5 < 0.8 of the gap.
        (_results(0.5, 0.9, a=0.7, b=0.6), "a", False),
    ],
)
@pytest.mark.parametrize("core", [False, True])
def test_main_report_from_fake_runs(lt, monkeypatch, tmp_path, capsys, results, best, bar_met, core):
    seen = []

    def fake_run(protocol):
        seen.append(protocol.settings)
        return results

    monkeypatch.setattr(lt, "LongTailProtocol", _FakeProtocol)
    monkeypatch.setattr(lt, "run_seed", fake_run if not core else None)
    monkeypatch.setattr(lt, "run_core", fake_run if core else None)
    monkeypatch.setattr(lt, "OUTPUT", tmp_path / "bench" / "lt_methods.json")
    argv = ["--profile", "course", "--seeds", "3", "5"] + (["--core"] if core else [])
    assert lt.main(argv) == 0

    course = lt.PROFILE_SETTINGS["course"]
    assert [s.seed for s in seen] == [3, 5]
    assert all(s.epochs == course.epochs and s.batch_size == course.batch_size for s in seen)
    written = tmp_path / "bench" / ("lt_methods_core.json" if core else "lt_methods.json")
    assert sorted(p.name for p in written.parent.iterdir()) == [written.name]
    report = json.loads(written.read_text())
    assert (report["profile"], report["seeds"], report["epochs"]) == ("course", [3, 5], course.epochs)
    assert report["best"] == best
    assert report["bar_met"] is bar_met
    assert set(report["methods"]) == set(results)
    assert report["methods"][best]["gap_closed_per_seed"] == pytest.approx(
        [(results[best]["balanced_accuracy"] - results[CE]["balanced_accuracy"])
         / (results[ORACLE]["balanced_accuracy"] - results[CE]["balanced_accuracy"])] * 2)
    assert set(report["per_seed"]) == {"3", "5"}
    assert f"best: {best}" in capsys.readouterr().out
