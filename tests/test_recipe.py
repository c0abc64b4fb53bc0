"""The long-tail recipe: its steps in order, cRT on a frozen encoder, the cache, the shorter schedules, bad input.

A tiny synthetic long-tailed set (3 classes of 24, 8 and 4 images, 28x28)
and a CNN of width 4: one epoch per step, a few steps each.
"""

import keras
import numpy as np
import pytest
from numpy.testing import assert_array_equal

from cvhelpers import training
from cvhelpers.training import models, recipe
from cvhelpers.training.models import encoder_of

COUNTS = (24, 8, 4)
FAST = dict(epochs=1, low_rate_epochs=1, crt_epochs=1, batch_size=8, progress=False)


def _images(counts, seed):
    """Class c: a bright horizontal band at rows 4 + 8c, plus noise."""
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(len(counts)), counts)
    x = rng.integers(0, 60, size=(len(y), 28, 28), dtype=np.uint8)
    for image, label in zip(x, y, strict=True):
        image[4 + 8 * label : 8 + 8 * label] = 220
    return x, y


@pytest.fixture(scope="module")
def data():
    return (*_images(COUNTS, 0), *_images((6, 6, 6), 1))


def _build():
    return models.small_cnn((28, 28, 1), 3, width=4, feature_dim=8, seed=0)


def _run(data, **changes):
    return training.long_tail_recipe(*data, build_model=_build, **{**FAST, **changes})


@pytest.fixture(scope="module")
def cache_dir(tmp_path_factory):
    return tmp_path_factory.mktemp("recipe_models")


@pytest.fixture(scope="module")
def first_run(data, cache_dir):
    """The recipe trained once, into a model cache of its own."""
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CVLAB_MODEL_CACHE", str(cache_dir))
        return _run(data)


def test_steps_run_in_order_and_crt_retrains_only_the_classifier(first_run):
    assert list(first_run.steps) == [recipe.CMO, recipe.LOW_RATE, recipe.CRT]
    assert list(first_run.steps) == ["oversampling + augmented copies + CMO", "low learning rate", "cRT"]
    assert not any(result.from_cache for result in first_run.steps.values())
    assert list(first_run.seconds) == list(first_run.steps)
    assert first_run.total_seconds == pytest.approx(sum(first_run.seconds.values()))
    assert first_run.model is first_run.steps["cRT"].model
    tuned, final = first_run.steps["low learning rate"].model, first_run.model
    for before, after in zip(encoder_of(tuned).get_weights(), encoder_of(final).get_weights(), strict=True):
        assert_array_equal(before, after)
    changed = [not np.array_equal(a, b) for a, b in zip(tuned.get_layer("classifier").get_weights(),
                                                        final.get_layer("classifier").get_weights(), strict=True)]
    assert any(changed)
    assert final.output_shape == (None, 3)


def test_rerun_comes_from_the_cache(first_run, data, cache_dir, monkeypatch):
    monkeypatch.setenv("CVLAB_MODEL_CACHE", str(cache_dir))
    again = _run(data)
    assert list(again.steps) == list(first_run.steps)
    assert all(result.from_cache for result in again.steps.values())
    for before, after in zip(first_run.model.get_weights(), again.model.get_weights(), strict=True):
        assert_array_equal(before, after)


def test_shorter_schedules_leave_steps_out(data):
    plain = _run(data, context_rich=False, low_rate_epochs=0, progress="short")
    assert list(plain.steps) == ["oversampling + augmented copies", "cRT"]
    no_low_rate = _run(data, low_rate_epochs=0)
    assert list(no_low_rate.steps) == [recipe.CMO, recipe.CRT]


def test_a_given_optimizer_trains_the_first_stage(data):
    used = []

    def optimizer():
        used.append(keras.optimizers.SGD(0.01))
        return used[-1]

    result = _run(data, optimizer=optimizer, low_rate_epochs=0)
    assert used and isinstance(result.steps[recipe.CMO].model.optimizer, keras.optimizers.SGD)


@pytest.mark.parametrize(
    "changes, error, name",
    [
        (dict(epochs=0), ValueError, "epochs"),
        (dict(crt_epochs=1.5), ValueError, "crt_epochs"),
        (dict(low_rate_epochs=-1), ValueError, "low_rate_epochs"),
        (dict(batch_size=2), ValueError, "batch_size"),
        (dict(batch_size=100), ValueError, "batch_size"),
        (dict(learning_rate=float("nan")), ValueError, "learning_rate"),
        (dict(cmo_probability=1.5), ValueError, "cmo_probability"),
        (dict(low_rate_factor=0.0), ValueError, "low_rate_factor"),
        (dict(seed=-1), ValueError, "seed"),
        (dict(num_classes=2), ValueError, "y_train"),
        (dict(num_classes=1), ValueError, "num_classes"),
        (dict(context_rich="yes"), TypeError, "context_rich"),
        (dict(cache=1), TypeError, "cache"),
        (dict(progress=None), TypeError, "progress"),
        (dict(build_model=_build()), TypeError, "build_model"),
        (dict(optimizer=keras.optimizers.Adam()), TypeError, "optimizer"),
    ],
)
def test_bad_arguments_name_the_argument(data, changes, error, name):
    with pytest.raises(error, match=name):
        _run(data, **changes)


def test_bad_data_names_the_argument(data):
    x_train, y_train, x_val, y_val = data
    with pytest.raises(ValueError, match="x_train"):
        training.long_tail_recipe(x_train[:, 0], y_train, x_val, y_val, build_model=_build, **FAST)
    with pytest.raises(ValueError, match="y_val"):
        training.long_tail_recipe(x_train, y_train, x_val, y_val[:-1], build_model=_build, **FAST)
    with pytest.raises(ValueError, match="y_val"):
        training.long_tail_recipe(x_train, y_train, x_val, y_val + 1, build_model=_build, **FAST)


def test_result_checks_its_fields():
    with pytest.raises(TypeError, match="steps"):
        training.RecipeResult(None, {"cRT": None}, {"cRT": 0.0})
    with pytest.raises(ValueError, match="seconds"):
        training.RecipeResult(None, {}, {"cRT": 1.0})


def test_the_light_policy_fills_with_the_recipes_fill_mode(data, monkeypatch):
    seen = []

    def light_policy(**arguments):
        seen.append(arguments["fill_mode"])
        raise RuntimeError("policy built")

    monkeypatch.setattr(recipe.augment, "light_policy", light_policy)
    for fill_mode in ("constant", "nearest"):
        with pytest.raises(RuntimeError, match="policy built"):
            _run(data, fill_mode=fill_mode, cache=False)
    assert seen == ["constant", "nearest"]
