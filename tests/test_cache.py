import functools
import importlib.util
import json
import os
import re
import sys
import threading
import warnings

import keras
import numpy as np
import pytest
import tensorflow as tf

from cvhelpers import cache
from cvhelpers.cache import CacheWarning, ModelCache, NotCacheable, describe, describe_model, fingerprint, key_of
from cvhelpers.training import models


def _halve(value):
    return value / 2


def _scaler(factor):
    def scale(value):
        return factor * value

    return scale


_SCALE = 2


def _scaled(value):
    return _SCALE * value


def _tiny_dense(seed=0):
    return keras.Sequential([
        keras.Input((3,)),
        keras.layers.Dense(2, kernel_initializer=keras.initializers.GlorotUniform(seed)),
    ])


def _tiny_unnamed_cnn(seed=0):
    """Layers without names, so Keras numbers them anew on every build."""
    return keras.Sequential([
        keras.Input((8, 8, 1)),
        keras.layers.Conv2D(2, 3, kernel_initializer=keras.initializers.GlorotUniform(seed)),
        keras.layers.Flatten(),
        keras.layers.Dense(3, kernel_initializer=keras.initializers.GlorotUniform(seed + 1)),
    ])


def _write_bytes(data):
    def write(path):
        with open(path, "wb") as file:
            file.write(data)

    return write


def _temporary_files(folder):
    return sorted(p.name for p in folder.glob(".*"))


# --------------------------------------------------------------------------
# key_of and describe
# --------------------------------------------------------------------------
def test_key_is_32_lowercase_hex_and_stable():
    key = key_of({"seed": 0, "x": np.arange(4)})
    assert re.fullmatch(r"[0-9a-f]{32}", key)
    assert key_of({"seed": 0, "x": np.arange(4)}) == key
    assert key_of({"seed": 1, "x": np.arange(4)}) != key


def test_arrays_are_keyed_by_bytes_not_by_their_abbreviated_text():
    a = np.zeros(5000)
    b = a.copy()
    b[2500] = 1.0
    assert str(a) == str(b) and repr(a) == repr(b)  # NumPy abbreviates both to "[0. 0. 0. ... 0. 0. 0.]"
    assert key_of({"x": a}) != key_of({"x": b})


def test_dtype_and_shape_enter_the_key_even_with_the_same_bytes():
    a = np.zeros(8, dtype=np.float32)
    assert a.tobytes() == a.view(np.int32).tobytes() == a.reshape(2, 4).tobytes()
    assert key_of(a) != key_of(a.view(np.int32))
    assert key_of(a) != key_of(a.reshape(2, 4))
    # describe_model hashes weights with array_fingerprint alone: it must hold dtype and shape itself.
    assert cache.array_fingerprint(a) != cache.array_fingerprint(a.view(np.int32))
    assert cache.array_fingerprint(a) != cache.array_fingerprint(a.reshape(2, 4))
    assert cache.array_fingerprint(a, a) != cache.array_fingerprint(np.zeros(16, dtype=np.float32))


def test_tensors_are_keyed_like_the_same_numpy_array():
    x = np.arange(6, dtype=np.float32).reshape(2, 3)
    assert describe(tf.constant(x)) == describe(x) == describe(keras.Variable(x))
    assert describe(x)["shape"] == [2, 3] and describe(x)["dtype"] == x.dtype.str


def test_dict_order_does_not_matter_but_values_do():
    assert key_of({"a": 1, "b": 2}) == key_of({"b": 2, "a": 1})
    assert key_of({"a": 1, "b": 2}) != key_of({"a": 2, "b": 1})


def test_nan_is_accepted_and_stable():
    key = key_of({"margin": float("nan")})
    assert key == key_of({"margin": float("nan")}) == key_of({"margin": np.float32("nan")})
    assert key != key_of({"margin": 0.0})


def test_objects_without_a_description_are_refused():
    with pytest.raises(NotCacheable, match="config"):
        describe({1, 2}, "config")


# --------------------------------------------------------------------------
# Keras losses, optimizers and layers
# --------------------------------------------------------------------------
def test_loss_settings_enter_the_description_but_its_name_does_not():
    focal = keras.losses.CategoricalFocalCrossentropy
    assert describe(focal(alpha=0.25, gamma=2)) != describe(focal(alpha=0.5, gamma=2))
    assert describe(focal(alpha=0.25, gamma=2)) != describe(focal(alpha=0.25, gamma=3))
    assert describe(focal(alpha=0.25, gamma=2, name="a")) == describe(focal(alpha=0.25, gamma=2, name="b"))


def test_optimizer_learning_rate_enters_the_description():
    assert describe(keras.optimizers.Adam(1e-3)) != describe(keras.optimizers.Adam(1e-4))
    assert describe(keras.optimizers.Adam(1e-3)) != describe(keras.optimizers.SGD(1e-3))
    assert describe(keras.optimizers.Adam(1e-3, name="x")) == describe(keras.optimizers.Adam(1e-3))


def test_augmentation_layers_by_configuration_not_by_numbered_name():
    assert describe(keras.layers.RandomFlip(seed=1)) != describe(keras.layers.RandomFlip(seed=2))
    first, second = keras.layers.RandomFlip(seed=1), keras.layers.RandomFlip(seed=1)
    assert first.name != second.name
    assert describe(first) == describe(second)


def test_layer_dtype_enters_the_description():
    assert describe(keras.layers.Dense(4, dtype="float16")) != describe(keras.layers.Dense(4, dtype="float32"))
    assert describe(keras.layers.Dense(4, dtype="mixed_float16")) != describe(keras.layers.Dense(4))


# --------------------------------------------------------------------------
# describe_model
# --------------------------------------------------------------------------
def test_same_builder_and_seed_describe_the_same_despite_numbered_names():
    a, b = _tiny_unnamed_cnn(seed=0), _tiny_unnamed_cnn(seed=0)
    assert [layer.name for layer in a.layers] != [layer.name for layer in b.layers]
    assert describe_model(a) == describe_model(b)
    assert describe_model(models.small_cnn((28, 28, 1), 10, 8, 16, seed=0, name="one")) == describe_model(
        models.small_cnn((28, 28, 1), 10, 8, 16, seed=0, name="two"))


def test_model_description_changes_with_seed_configuration_and_trainable():
    base = describe_model(models.small_cnn((28, 28, 1), 10, 8, 16, dropout=0.2, seed=0))
    assert describe_model(models.small_cnn((28, 28, 1), 10, 8, 16, dropout=0.2, seed=1)) != base
    # Dropout has no weights: only the layer configuration tells these two apart.
    other_rate = describe_model(models.small_cnn((28, 28, 1), 10, 8, 16, dropout=0.4, seed=0))
    assert other_rate["weights"] == base["weights"] and other_rate != base

    frozen = models.small_cnn((28, 28, 1), 10, 8, 16, dropout=0.2, seed=0)
    models.encoder_of(frozen).trainable = False
    frozen = describe_model(frozen)
    assert {**frozen, "weights": None} != {**base, "weights": None}


def test_model_weights_enter_the_description():
    a, b = _tiny_dense(seed=0), _tiny_dense(seed=0)
    assert describe_model(a) == describe_model(b)
    b.layers[0].bias.assign([0.0, 1e-6])
    assert describe_model(a) != describe_model(b)


def test_model_wiring_enters_the_description():
    def build(skip_from_input):
        init = keras.initializers.GlorotUniform
        inputs = keras.Input((4,))
        hidden = keras.layers.Dense(4, kernel_initializer=init(0))(inputs)
        out = keras.layers.Dense(4, kernel_initializer=init(1))(hidden)
        return keras.Model(inputs, keras.layers.Add()([inputs if skip_from_input else hidden, out]))

    assert describe_model(build(True)) != describe_model(build(False))


# --------------------------------------------------------------------------
# functions
# --------------------------------------------------------------------------
def test_module_level_function_is_described_with_its_source_hash():
    described = describe(_halve)
    assert described["function"] == f"{__name__}._halve"
    assert described["source"] == cache.source_fingerprint(_halve)
    assert "source" not in describe(keras.activations.relu)  # library code is pinned by its version


def test_editing_a_functions_module_changes_its_key(tmp_path, monkeypatch):
    path = tmp_path / "cache_probe_module.py"
    path.write_text("def scale(v):\n    return 2 * v\n")
    spec = importlib.util.spec_from_file_location("cache_probe_module", path)
    module = importlib.util.module_from_spec(spec)
    monkeypatch.setitem(sys.modules, "cache_probe_module", module)
    spec.loader.exec_module(module)
    before = key_of(module.scale)
    assert key_of(module.scale) == before
    path.write_text("def scale(v):\n    return 30 * v\n")
    assert key_of(module.scale) != before


def test_closure_values_defaults_and_partials_enter_the_key():
    assert key_of(_scaler(2)) == key_of(_scaler(2))
    assert key_of(_scaler(2)) != key_of(_scaler(3))
    assert key_of(_scaler(np.zeros(5000))) != key_of(_scaler(np.eye(1, 5000, 2500).ravel()))
    assert key_of(functools.partial(_halve, value=1)) != key_of(functools.partial(_halve, value=2))


def test_closure_over_an_untagged_dataset_is_refused():
    dataset = tf.data.Dataset.from_tensor_slices(np.zeros(3))
    with pytest.raises(NotCacheable, match=r"augment.*factor.*tag_dataset"):
        describe(_scaler(dataset), "augment")


def test_globals_a_function_reads_enter_its_key(monkeypatch):
    before = key_of(_scaled)
    monkeypatch.setattr(sys.modules[__name__], "_SCALE", np.full(3, 2.0))
    assert key_of(_scaled) != before
    monkeypatch.setattr(sys.modules[__name__], "_SCALE", np.full(3, 3.0))
    other = key_of(_scaled)
    assert other != before and other == key_of(_scaled)


def test_different_lambdas_of_one_scope_are_told_apart_or_refused():
    double, triple = (lambda v: 2 * v), (lambda v: 3 * v)
    try:
        keys = key_of({"f": double}), key_of({"f": triple})
    except NotCacheable:
        return
    assert keys[0] != keys[1]


def test_different_bound_methods_are_told_apart_or_refused():
    class Scaler:
        def double(self, v):
            return 2 * v

        def triple(self, v):
            return 3 * v

    scaler = Scaler()
    try:
        keys = key_of({"f": scaler.double}), key_of({"f": scaler.triple})
    except NotCacheable:
        return
    assert keys[0] != keys[1]


def test_recursive_function_is_described_once():
    def factory(step):
        def countdown(n):
            return countdown(n - step) if n > 0 else 0

        return countdown

    assert key_of(factory(1)) == key_of(factory(1))
    assert key_of(factory(1)) != key_of(factory(2))


# --------------------------------------------------------------------------
# tf.data pipelines
# --------------------------------------------------------------------------
def test_untagged_dataset_is_refused_naming_where_it_was():
    dataset = tf.data.Dataset.from_tensor_slices(np.zeros(3))
    with pytest.raises(NotCacheable, match=r"train_data.*tag_dataset"):
        describe(dataset, "train_data")
    with pytest.raises(NotCacheable, match="validation_data"):
        key_of({"validation_data": dataset})
    with pytest.raises(NotCacheable):
        ModelCache("unused").entry("fit", {"train_data": dataset})


def test_entry_for_warns_and_gives_none_when_a_config_cannot_be_keyed(tmp_path):
    dataset = tf.data.Dataset.from_tensor_slices(np.zeros(3))
    with pytest.warns(CacheWarning, match=r"this encoder is trained but not cached.*train_data"):
        assert cache.entry_for("simclr", {"train_data": dataset}, tmp_path, what="encoder") is None
    entry = cache.entry_for("simclr", {"seed": 0}, tmp_path)
    assert entry.key == key_of({"seed": 0}) and entry.meta_path.parent == tmp_path
    assert list(tmp_path.iterdir()) == []


def test_tagged_dataset_is_described_by_its_fingerprint():
    x = np.arange(10)
    dataset = cache.tag_dataset(tf.data.Dataset.from_tensor_slices(x), x=x, seed=0)
    fingerprint = cache.dataset_fingerprint(dataset)
    assert re.fullmatch(r"[0-9a-f]{32}", fingerprint)
    assert describe(dataset) == {"dataset": fingerprint}

    changed = x.copy()
    changed[5] = -1
    other = cache.tag_dataset(tf.data.Dataset.from_tensor_slices(changed), x=changed, seed=0)
    assert cache.dataset_fingerprint(other) != fingerprint
    reseeded = cache.tag_dataset(tf.data.Dataset.from_tensor_slices(x), x=x, seed=1)
    assert cache.dataset_fingerprint(reseeded) != fingerprint


def test_derived_dataset_has_no_fingerprint():
    dataset = cache.tag_dataset(tf.data.Dataset.from_tensor_slices(np.zeros(3)), seed=0)
    assert cache.dataset_fingerprint(dataset.map(lambda a: a)) is None
    assert cache.dataset_fingerprint(dataset.repeat()) is None
    assert cache.dataset_fingerprint(np.zeros(3)) is None


# --------------------------------------------------------------------------
# ModelCache.path
# --------------------------------------------------------------------------
@pytest.mark.parametrize("key", ["../x", "a/b", "", "ABCDEF0123456789ABCDEF0123456789", "g" * 32, "0" * 31,
                                 "0" * 33, "../" + "0" * 29, None])
def test_path_refuses_bad_keys(tmp_path, key):
    with pytest.raises(ValueError, match="key"):
        ModelCache(tmp_path).path("fit", key, ".json")


@pytest.mark.parametrize("kind", ["../fit", "Fit", "", "a/b", "fit-x", "1fit", "f" * 33])
def test_path_refuses_bad_kinds(tmp_path, kind):
    with pytest.raises(ValueError, match="kind"):
        ModelCache(tmp_path).path(kind, "0" * 32, ".json")


@pytest.mark.parametrize("suffix", ["json", "/../x.json", ".json/..", ".JSON", ""])
def test_path_refuses_bad_suffixes(tmp_path, suffix):
    with pytest.raises(ValueError, match="suffix"):
        ModelCache(tmp_path).path("fit", "0" * 32, suffix)


def test_valid_key_resolves_inside_the_folder(tmp_path):
    key = key_of({"seed": 0})
    path = ModelCache(tmp_path).path("fit", key, ".weights.h5")
    assert path == tmp_path / f"fit-{key}.weights.h5"
    assert path.resolve().parent == tmp_path.resolve()


def test_entry_key_is_key_of_its_config(tmp_path):
    config = {"seed": 0, "x": np.arange(3)}
    entry = ModelCache(tmp_path).entry("fit", config)
    assert entry.key == key_of(config)
    assert entry.config == describe(config)
    assert entry.meta_path == tmp_path / f"fit-{entry.key}.json"


# --------------------------------------------------------------------------
# CacheEntry save and load
# --------------------------------------------------------------------------
def test_save_then_load_round_trip(tmp_path):
    folder = tmp_path / "models"
    entry = ModelCache(folder).entry("fit", {"seed": 0, "x": np.arange(3)})
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert entry.load(lambda meta: pytest.fail("read called for a missing entry")) is None

    entry.save({"history": [0.5, 0.25]}, {".bin": _write_bytes(b"payload")})
    stored = json.loads(entry.meta_path.read_text())
    assert stored == {"history": [0.5, 0.25], "config": entry.config}
    assert entry.file(".bin").read_bytes() == b"payload"

    def read(meta):
        return meta["history"], entry.file(".bin").read_bytes()

    again = ModelCache(folder).entry("fit", {"x": np.arange(3), "seed": 0})
    assert again.load(read) == ([0.5, 0.25], b"payload")
    assert _temporary_files(folder) == []


def test_keras_weights_round_trip_through_an_entry(tmp_path):
    model = _tiny_dense(seed=0)
    entry = ModelCache(tmp_path).entry("fit", {"model": describe_model(model)})
    entry.save({"epochs": 1}, {".weights.h5": model.save_weights})
    assert _temporary_files(tmp_path) == []

    other = _tiny_dense(seed=1)

    def read(meta):
        other.load_weights(entry.file(".weights.h5"))
        return meta["epochs"]

    assert entry.load(read) == 1
    for a, b in zip(model.get_weights(), other.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


@pytest.mark.parametrize("damage", ["truncate", "garbage", "not a dict"])
def test_unreadable_metadata_warns_with_path_and_removes_the_entry(tmp_path, damage):
    entry = ModelCache(tmp_path).entry("fit", {"seed": 0})
    entry.save({"history": [1.0]}, {".bin": _write_bytes(b"payload")})
    text = entry.meta_path.read_text()
    damaged = {"truncate": text[: len(text) // 2], "garbage": "\x00\xff{", "not a dict": "[1]"}
    entry.meta_path.write_text(damaged[damage])
    with pytest.warns(CacheWarning, match=re.escape(str(entry.meta_path))):
        assert entry.load(lambda meta: meta) is None
    assert not entry.meta_path.exists() and not entry.file(".bin").exists()


def test_failing_read_warns_with_path_and_removes_the_entry(tmp_path):
    model = _tiny_dense()
    entry = ModelCache(tmp_path).entry("fit", {"seed": 0})
    entry.save({"epochs": 1}, {".weights.h5": model.save_weights})
    weights = entry.file(".weights.h5")
    weights.write_bytes(weights.read_bytes()[:100])  # a truncated weights file

    def read(meta):
        _tiny_dense().load_weights(weights)
        return meta

    with pytest.warns(CacheWarning, match=re.escape(str(entry.meta_path))):
        assert entry.load(read) is None
    assert not entry.meta_path.exists() and not weights.exists()


def test_entry_stored_for_another_config_is_refused(tmp_path):
    entry = ModelCache(tmp_path).entry("fit", {"seed": 0})
    entry.save({"history": [1.0]})
    stored = json.loads(entry.meta_path.read_text())
    stored["config"]["seed"] = 1
    entry.meta_path.write_text(json.dumps(stored))
    with pytest.warns(CacheWarning, match="another configuration") as caught:
        assert entry.load(lambda meta: meta) is None
    assert str(entry.meta_path) in str(caught[0].message)
    assert not entry.meta_path.exists()


def test_removing_an_entry_leaves_its_neighbours(tmp_path):
    store = ModelCache(tmp_path)
    broken, kept, other_kind = store.entry("fit", {"seed": 0}), store.entry("fit", {"seed": 1}), store.entry(
        "gan", {"seed": 0})
    for entry in (broken, kept, other_kind):
        entry.save({"ok": True}, {".bin": _write_bytes(b"x")})
    broken.meta_path.write_text("{")
    with pytest.warns(CacheWarning):
        broken.load(lambda meta: meta)
    assert kept.load(lambda meta: meta["ok"]) is True
    assert other_kind.load(lambda meta: meta["ok"]) is True
    assert sorted(p.name for p in tmp_path.iterdir()) == sorted(
        p.name for e in (kept, other_kind) for p in (e.meta_path, e.file(".bin")))


def test_entry_with_nan_in_its_config_loads(tmp_path):
    entry = ModelCache(tmp_path).entry("fit", {"margin": float("nan")})
    entry.save({"history": [1.0]})
    with warnings.catch_warnings():
        warnings.simplefilter("error", CacheWarning)
        assert ModelCache(tmp_path).entry("fit", {"margin": float("nan")}).load(lambda meta: meta["history"]) == [1.0]


def test_failing_writer_leaves_no_entry(tmp_path):
    entry = ModelCache(tmp_path).entry("fit", {"seed": 0})

    def crash(path):
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        entry.save({"history": [1.0]}, {".bin": crash})
    assert list(tmp_path.iterdir()) == []
    assert entry.load(lambda meta: meta) is None


def test_metadata_that_is_not_json_writes_nothing(tmp_path):
    entry = ModelCache(tmp_path).entry("fit", {"seed": 0})
    with pytest.raises(TypeError):
        entry.save({"history": object()}, {".bin": _write_bytes(b"payload")})
    assert list(tmp_path.iterdir()) == []


# --------------------------------------------------------------------------
# write_atomically
# --------------------------------------------------------------------------
@pytest.mark.parametrize("error", [OSError, KeyboardInterrupt])
def test_write_atomically_keeps_the_old_file_when_the_writer_fails(tmp_path, error):
    target = tmp_path / "fit-x.weights.h5"
    target.write_bytes(b"old")

    def crash(path):
        with open(path, "wb") as file:
            file.write(b"half")
        raise error

    with pytest.raises(error):
        cache.write_atomically(target, crash)
    assert target.read_bytes() == b"old"
    assert [p.name for p in tmp_path.iterdir()] == [target.name]


@pytest.mark.parametrize("name, suffix", [("fit-x.weights.h5", ".weights.h5"), ("fit-x.json", ".json"),
                                          ("fit-x.npz", ".npz")])
def test_write_atomically_gives_the_writer_a_hidden_path_with_the_targets_suffix(tmp_path, name, suffix):
    seen = []

    def write(path):
        seen.append(path)
        _write_bytes(b"new")(path)

    target = cache.write_atomically(tmp_path / "sub" / name, write)
    assert target == tmp_path / "sub" / name and target.read_bytes() == b"new"
    (temporary,) = seen
    assert str(temporary).endswith(suffix)
    assert os.path.dirname(temporary) == str(target.parent)
    assert os.path.basename(temporary).startswith(".")
    assert not os.path.exists(temporary)


def test_write_atomically_gives_normal_permissions(tmp_path):
    path = cache.write_atomically(tmp_path / "fit-x.bin", _write_bytes(b"x"))
    umask = os.umask(0)
    os.umask(umask)
    assert path.stat().st_mode & 0o777 == 0o666 & ~umask


def test_concurrent_writers_both_finish_complete(tmp_path):
    barrier = threading.Barrier(2, timeout=10)
    payloads = {0: b"a" * 100_000, 1: b"b" * 100_000}
    entries = [ModelCache(tmp_path).entry("fit", {"seed": i}) for i in payloads]
    temporaries, errors = [], []

    def writer(data):
        def write(path):
            temporaries.append(path)
            with open(path, "wb") as file:
                file.write(data[: len(data) // 2])
                barrier.wait()  # both temporary files exist at once
                file.write(data[len(data) // 2:])

        return write

    def save(i):
        try:
            entries[i].save({"seed": i}, {".bin": writer(payloads[i])})
        except BaseException as error:  # noqa: BLE001 - reported below
            errors.append(error)

    threads = [threading.Thread(target=save, args=(i,)) for i in payloads]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert errors == []
    assert len(set(temporaries)) == 2
    for i, entry in enumerate(entries):
        loaded = entry.load(lambda meta, entry=entry: (meta["seed"], entry.file(".bin").read_bytes()))
        assert loaded == (i, payloads[i])
    assert _temporary_files(tmp_path) == []


# --------------------------------------------------------------------------
# default_cache_dir
# --------------------------------------------------------------------------
def test_default_cache_dir_honours_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("CVLAB_MODEL_CACHE", str(tmp_path / "shared"))
    assert cache.default_cache_dir() == tmp_path / "shared"
    assert ModelCache().folder == tmp_path / "shared"
    monkeypatch.delenv("CVLAB_MODEL_CACHE")
    assert cache.default_cache_dir().parts[-2:] == ("build", "models")


def test_source_fingerprint_follows_the_package_modules_an_object_imports(monkeypatch):
    from cvhelpers import augment  # noqa: F401  (RandomGeometric lives in augment.warp, its kernel in augment.xla)

    layer = augment.RandomGeometric(seed=0)
    modules = fingerprint._with_imports({type(layer).__module__})
    assert {"cvhelpers.augment.warp", "cvhelpers.augment.xla", "cvhelpers.augment._keras_private"} <= modules
    # storage cannot change a model
    assert not any(name.startswith("cvhelpers.cache") for name in fingerprint._with_imports({"cvhelpers.data.glyphs"}))
    before = describe(layer)
    getsource = fingerprint.inspect.getsource
    monkeypatch.setattr(
        fingerprint.inspect, "getsource",
        lambda module: getsource(module) + ("\n# edited" if module.__name__ == "cvhelpers.augment.xla" else ""),
    )
    assert describe(layer) != before  # an edit to the warp kernel retrains models that used the layer
