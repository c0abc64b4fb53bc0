"""Fast tests for experiments/protocol_speed.py: argument parsing and the comparison, no training."""

import json

import pytest


@pytest.fixture(scope="module")
def speed(load_script):
    return load_script("experiments/protocol_speed.py")


def test_a_candidate_is_settings_changes(speed):
    assert speed.parse_candidate("epochs=6, learning_rate=2e-3,schedule=cosine,warmup_epochs=0.5") == {
        "epochs": 6, "learning_rate": 2e-3, "schedule": "cosine", "warmup_epochs": 0.5}
    assert all(speed.parse_candidate(text) for text in speed.CANDIDATES)


@pytest.mark.parametrize("text, message", [
    ("epochs=x", "epochs must be a int"),
    ("colour=3", "settings from"),
    ("epochs", "settings from"),
    ("seed=1", "settings from"),          # the seed is --seed, the same for every candidate
    ("epochs=0", "epochs"),
    ("schedule=linear", "schedule must be one of"),
])
def test_a_bad_candidate_is_refused_before_any_training(speed, capsys, text, message):
    with pytest.raises(SystemExit):
        speed.main(["--candidate", text])
    assert message in capsys.readouterr().err


def test_a_negative_seed_is_refused(speed, capsys):
    with pytest.raises(SystemExit):
        speed.main(["--seed", "-1"])
    assert "seed must be an int >= 0" in capsys.readouterr().err


def _row(*balanced, seconds=10.0):
    names = ("cross-entropy", "oracle", "oversampling")
    return {name: {"balanced_accuracy": value, "fit_seconds": seconds, "from_cache": False}
            for name, value in zip(names, balanced, strict=True)}


def test_compare_gives_each_candidates_largest_change_against_the_first(speed):
    report = speed.compare({"epochs=8": _row(0.84, 0.88, 0.86, seconds=50.0),
                             "epochs=4": _row(0.80, 0.885, 0.86, seconds=25.0)})
    assert report["reference"] == "epochs=8"
    assert report["candidates"]["epochs=8"]["largest_change"] == 0.0
    assert report["candidates"]["epochs=4"]["largest_change"] == pytest.approx(0.04)
    assert report["candidates"]["epochs=4"]["fit_seconds"] == 75.0


def test_main_writes_the_report(speed, monkeypatch, tmp_path, capsys):
    from cvhelpers import experiment

    class FakeProtocol:
        def __init__(self, settings=None):
            self.settings = settings or experiment.Settings()

        def with_settings(self, **changes):
            return FakeProtocol(experiment.Settings(**{**vars(self.settings), **changes}))

    monkeypatch.setattr(experiment.LongTailProtocol, "fashion_mnist_lt", classmethod(lambda cls, s: FakeProtocol(s)))
    monkeypatch.setattr(speed, "run", lambda p: _row(0.8 + p.settings.epochs / 100, 0.88, 0.86))
    monkeypatch.setattr(speed, "OUTPUT", tmp_path / "protocol_speed.json")
    assert speed.main(["--candidate", "epochs=6", "--seed", "2"]) == 0
    report = json.loads((tmp_path / "protocol_speed.json").read_text())
    assert report["seed"] == 2 and list(report["candidates"]) == ["epochs=8", "epochs=6"]
    assert report["candidates"]["epochs=6"]["largest_change"] == pytest.approx(0.02)
    assert "largest change" in capsys.readouterr().out
