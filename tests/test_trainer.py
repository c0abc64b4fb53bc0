import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from cvhelpers import training
from cvhelpers.data import pipeline


def _easy_problem(seed=0, n=600):
    """Three classes told apart by which third of the image is bright."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, n)
    x = rng.integers(0, 60, (n, 12, 12), dtype=np.uint8)
    for label in range(3):
        x[y == label, :, label * 4:(label + 1) * 4] += 150
    return x, y


def _build():
    return keras.Sequential([keras.Input((12, 12, 1)), keras.layers.Flatten(), keras.layers.Dense(3)])


def _fit(tmp_path=None, epochs=3, x=None, loss=None, one_hot=False, **kwargs):
    """Fresh pipelines every call, as a user (or the protocol) builds them; cached when ``tmp_path`` is given."""
    if x is None:
        x, y = _easy_problem()
    else:
        y = _easy_problem()[1]
    classes = 3 if one_hot else None
    return training.fit(
        _build, pipeline.make_dataset(x[:500], y[:500], 50, seed=0, num_classes=classes),
        pipeline.make_dataset(x[500:], y[500:], 100, shuffle=False, num_classes=classes),
        epochs=epochs, loss=loss or keras.losses.SparseCategoricalCrossentropy(from_logits=True), num_classes=3,
        cache=tmp_path is not None, cache_dir=tmp_path, progress=False, **kwargs,
    )


def _weights_equal(first, second) -> bool:
    return all(np.array_equal(a, b) for a, b in zip(first.get_weights(), second.get_weights(), strict=True))


def test_fit_learns_and_keeps_the_best_epoch():
    result = _fit(epochs=4)
    history = result.history["val_balanced_accuracy"]
    assert len(history) == 4 and max(history) > 0.9
    assert result.best_epoch == int(np.argmax(history)) + 1


def test_fit_gives_the_same_weights_for_a_seed_whatever_ran_before():
    # No reseeding in between: the pipelines are built after other fits changed TensorFlow's global seed.
    first, other, third = _fit(seed=0), _fit(seed=1), _fit(seed=0)
    assert _weights_equal(first.model, third.model)
    assert first.history == third.history
    assert not _weights_equal(first.model, other.model)


def test_fit_caches_and_reloads_the_same_model(tmp_path):
    first = _fit(tmp_path)
    assert not first.from_cache and len(list(tmp_path.glob("fit-*.weights.h5"))) == 1
    second = _fit(tmp_path)
    assert second.from_cache and second.history == first.history
    assert _weights_equal(first.model, second.model)
    assert not _fit(tmp_path, seed=1).from_cache


def test_fit_retrains_when_only_the_focal_alpha_changes(tmp_path):
    from cvhelpers.training.losses import focal_loss

    # Same name ("focal_g2"), same everything else: only the loss's alpha differs.
    assert not _fit(tmp_path, loss=focal_loss(2.0, 0.25), one_hot=True).from_cache
    assert _fit(tmp_path, loss=focal_loss(2.0, 0.25), one_hot=True).from_cache
    assert not _fit(tmp_path, loss=focal_loss(2.0, 0.5), one_hot=True).from_cache


def test_fit_retrains_when_one_source_pixel_changes(tmp_path):
    x, _ = _easy_problem()
    assert not _fit(tmp_path, x=x).from_cache
    changed = x.copy()
    changed[123, 5, 5] ^= 1
    assert not _fit(tmp_path, x=changed).from_cache
    assert _fit(tmp_path, x=x).from_cache


def test_fit_retrains_on_other_class_weights_or_steps(tmp_path):
    assert not _fit(tmp_path, class_weight={0: 1.0, 1: 1.0, 2: 2.0}).from_cache
    assert not _fit(tmp_path, class_weight={0: 1.0, 1: 1.0, 2: 3.0}).from_cache
    assert not _fit(tmp_path, steps_per_epoch=5).from_cache
    assert _fit(tmp_path, class_weight={0: 1.0, 1: 1.0, 2: 2.0}).from_cache


def test_a_truncated_cache_file_is_reported_with_its_path_and_retrained(tmp_path):
    from cvhelpers.cache import CacheWarning

    first = _fit(tmp_path)
    (weights,) = tmp_path.glob("fit-*.weights.h5")
    weights.write_bytes(weights.read_bytes()[:100])
    with pytest.warns(CacheWarning, match=str(weights.with_suffix("").with_suffix(".json"))):
        again = _fit(tmp_path)
    assert not again.from_cache and _weights_equal(first.model, again.model)
    assert _fit(tmp_path).from_cache  # the retrained entry replaced the broken one


def test_fit_on_a_pipeline_without_a_fingerprint_trains_and_says_it_is_not_cached(tmp_path):
    from cvhelpers.cache import CacheWarning

    x, y = _easy_problem()
    untagged = pipeline.make_dataset(x[:500], y[:500], 50, seed=0).map(lambda images, labels: (images, labels))
    with pytest.warns(CacheWarning, match="not cached.*train_data.*fingerprint"):
        result = training.fit(
            _build, untagged, pipeline.make_dataset(x[500:], y[500:], 100, shuffle=False), epochs=1,
            loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), num_classes=3, cache=True,
            cache_dir=tmp_path, progress=False,
        )
    assert not result.from_cache and len(result.history["loss"]) == 1
    assert not list(tmp_path.iterdir())


def test_cached_model_loads_its_optimizer_state_without_a_warning(tmp_path):
    import warnings

    first = _fit(tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Keras warns "Skipping variable loading for optimizer" otherwise
        second = _fit(tmp_path)
    assert second.from_cache and int(second.model.optimizer.iterations) == int(first.model.optimizer.iterations) > 0
    for wa, wb in zip(first.model.optimizer.variables, second.model.optimizer.variables, strict=True):
        np.testing.assert_array_equal(np.asarray(wa), np.asarray(wb))


def test_fit_checks_class_weight():
    with pytest.raises(ValueError, match=r"missing \[2\]"):
        _fit(class_weight={0: 1.0, 1: 1.0})
    with pytest.raises(ValueError, match=r"class_weight .*extra \[5\]"):
        _fit(class_weight={0: 1.0, 1: 1.0, 2: 1.0, 5: 2.0})


def _fails_if_built():
    raise AssertionError("the arguments must be checked before the model is built")


@pytest.mark.parametrize("change, error, word", [
    ({"epochs": -1}, ValueError, "epochs"),
    ({"epochs": 2.0}, ValueError, "epochs"),
    ({"num_classes": 1}, ValueError, "num_classes"),
    ({"patience": 0}, ValueError, "patience"),
    ({"steps_per_epoch": 0}, ValueError, "steps_per_epoch"),
    ({"seed": -1}, ValueError, "seed"),
    ({"loss": None}, ValueError, "loss"),
    ({"optimizer": "adam-instance"}, TypeError, "optimizer must be a function"),
    ({"callbacks": "one-callback"}, TypeError, "callbacks"),
    ({"build_model": "a-model"}, TypeError, "build_model must be a function"),
    ({"train_data": "arrays"}, TypeError, "train_data must be a tf.data.Dataset"),
    ({"validation_data": None}, ValueError, "validation_data is required"),
    ({"train_data": "images-only"}, ValueError, r"train_data must yield \(images, labels\)"),
    ({"validation_data": "one-hot-4"}, ValueError, "validation_data has one-hot labels 4 wide but num_classes is 3"),
])
def test_fit_refuses_bad_arguments_before_building_anything(change, error, word):
    x, y = _easy_problem(n=20)
    replacements = {
        "adam-instance": keras.optimizers.Adam(1e-3),
        "one-callback": keras.callbacks.EarlyStopping(),
        "a-model": _build(),
        "arrays": (x, y),
        "images-only": pipeline.make_dataset(x, y, 10).map(lambda images, labels: images),
        "one-hot-4": pipeline.make_dataset(x, y, 10, num_classes=4),
    }
    arguments = dict(build_model=_fails_if_built, train_data=pipeline.make_dataset(x, y, 10),
                     validation_data=pipeline.make_dataset(x, y, 10, shuffle=False), epochs=1,
                     loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), num_classes=3, progress=False)
    arguments.update({key: replacements.get(value, value) if isinstance(value, str) else value
                      for key, value in change.items()})
    with pytest.raises(error, match=word):
        training.fit(**arguments)


def test_fit_refuses_a_model_of_the_wrong_width():
    x, y = _easy_problem(n=20)
    with pytest.raises(ValueError, match="outputs 3 values but num_classes is 4"):
        training.fit(_build, pipeline.make_dataset(x, y, 10), pipeline.make_dataset(x, y, 10, shuffle=False),
                     epochs=1, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), num_classes=4,
                     progress=False)


def test_epoch_progress_and_fit_result_check_their_arguments():
    with pytest.raises(ValueError, match="epochs"):
        training.EpochProgress(0)
    with pytest.raises(TypeError, match="description"):
        training.EpochProgress(3, description=None)
    with pytest.raises(ValueError, match="best_epoch"):
        training.FitResult(_build(), {}, 1.0, best_epoch=0)
    with pytest.raises(ValueError, match="seconds"):
        training.FitResult(_build(), {}, float("nan"), best_epoch=1)


def test_fit_under_mirrored_strategy_on_two_cpus_reaches_the_same_quality():
    # Logical devices must be configured before TensorFlow starts: use a subprocess.
    script = textwrap.dedent(
        """
        import json, sys
        import tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        sys.path.insert(0, sys.argv[1])  # the tests folder
        from test_trainer import _fit
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
        result = _fit(epochs=4, strategy=strategy)
        best = max(result.history["val_balanced_accuracy"])
        print(json.dumps({"replicas": strategy.num_replicas_in_sync, "best": best}))
        """
    )
    completed = subprocess.run(
        [sys.executable, "-c", script, os.path.dirname(__file__)], capture_output=True, text=True, timeout=300
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    distributed = json.loads(completed.stdout.strip().splitlines()[-1])
    single = max(_fit(epochs=4).history["val_balanced_accuracy"])
    assert distributed["replicas"] == 2
    assert distributed["best"] > 0.9 and abs(distributed["best"] - single) < 0.05
