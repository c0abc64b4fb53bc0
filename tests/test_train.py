import json
import os
import subprocess
import sys
import textwrap

import keras
import numpy as np
import pytest

from cvhelpers import pipeline, train


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


def _fit(tmp_path=None, key=None, epochs=3, **kwargs):
    # tf.data's shuffle order also depends on TensorFlow's global seed.
    keras.utils.set_random_seed(kwargs.get("seed", 0))
    x, y = _easy_problem()
    return train.fit(
        _build, pipeline.make_dataset(x[:500], y[:500], 50, seed=0),
        pipeline.make_dataset(x[500:], y[500:], 100, shuffle=False),
        epochs=epochs, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), num_classes=3,
        cache_key=key, cache_dir=tmp_path, progress=False, **kwargs,
    )


def test_fit_learns_and_keeps_the_best_epoch():
    result = _fit(epochs=4)
    history = result.history["val_balanced_accuracy"]
    assert len(history) == 4 and max(history) > 0.9
    assert result.best_epoch == int(np.argmax(history)) + 1


def test_fit_is_reproducible_with_a_seed():
    a, b = _fit(seed=5), _fit(seed=5)
    np.testing.assert_allclose(a.history["loss"], b.history["loss"], rtol=1e-5)


def test_fit_caches_by_configuration(tmp_path):
    first = _fit(tmp_path, {"method": "ce"})
    assert not first.from_cache and len(list(tmp_path.glob("*.weights.h5"))) == 1
    second = _fit(tmp_path, {"method": "ce"})
    assert second.from_cache and second.history == first.history
    for wa, wb in zip(first.model.get_weights(), second.model.get_weights()):
        np.testing.assert_array_equal(wa, wb)
    assert not _fit(tmp_path, {"method": "other"}).from_cache


def test_cached_model_loads_its_optimizer_state_without_a_warning(tmp_path):
    import warnings

    first = _fit(tmp_path, {"method": "ce"})
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # Keras warns "Skipping variable loading for optimizer" otherwise
        second = _fit(tmp_path, {"method": "ce"})
    assert second.from_cache and int(second.model.optimizer.iterations) == int(first.model.optimizer.iterations) > 0
    for wa, wb in zip(first.model.optimizer.variables, second.model.optimizer.variables):
        np.testing.assert_array_equal(np.asarray(wa), np.asarray(wb))


def test_fit_checks_class_weight():
    with pytest.raises(ValueError, match=r"missing \[2\]"):
        _fit(class_weight={0: 1.0, 1: 1.0})


def test_fit_under_mirrored_strategy_on_two_cpus_reaches_the_same_quality():
    # Logical devices must be configured before TensorFlow starts: use a subprocess.
    script = textwrap.dedent(
        """
        import json, sys
        import tensorflow as tf
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * 2)
        sys.path.insert(0, %r)
        from test_train import _fit
        strategy = tf.distribute.MirroredStrategy(["/cpu:0", "/cpu:1"])
        result = _fit(epochs=4, strategy=strategy)
        print(json.dumps({"replicas": strategy.num_replicas_in_sync, "best": max(result.history["val_balanced_accuracy"])}))
        """
        % os.path.dirname(__file__)
    )
    completed = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True, timeout=300)
    assert completed.returncode == 0, completed.stderr[-2000:]
    distributed = json.loads(completed.stdout.strip().splitlines()[-1])
    single = max(_fit(epochs=4).history["val_balanced_accuracy"])
    assert distributed["replicas"] == 2
    assert distributed["best"] > 0.9 and abs(distributed["best"] - single) < 0.05


def test_config_key_describes_a_policy_by_its_settings_not_its_name():
    from cvhelpers import augment

    first, twin = augment.light_policy(seed=0), augment.light_policy(seed=0)  # Keras numbers their names apart
    assert train.config_key({"augment": first}) == train.config_key({"augment": twin})
    assert train.config_key({"augment": first}) == train.config_key({"augment": augment.describe(first)})
    assert train.config_key({"augment": first}) != train.config_key({"augment": augment.light_policy(seed=1)})
