"""Backbones: application encoders in the course's encoder + classifier split, weights offline, two phases."""

import functools
import hashlib
import http.server
import socket
import threading

import h5py
import keras
import numpy as np
import pytest
import tensorflow as tf
from keras.src.applications import mobilenet_v3  # the weights' URL and hash, to serve them locally
from keras.src.backend import config as keras_config  # where get_file caches (KERAS_HOME, read at import)
from keras.src.legacy.saving import legacy_h5_format  # the .h5 layout of the published weights files
from numpy.testing import assert_array_equal

from cvhelpers import training
from cvhelpers.training import backbones, models, two_stage
from cvhelpers.training.backbones import BackboneResult, backbone_classifier, fit_backbone
from cvhelpers.training.models import encoder_of

MOBILENET = "mobilenet_v3_small"
WEIGHTS_FILE = "weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5"
FALLBACK = "mobilenet_v3_small: ImageNet weights could not be downloaded ("


def _images(n, shape, seed=0):
    return np.random.default_rng(seed).random((n, *shape)).astype(np.float32)


def _application(model):
    return encoder_of(model).get_layer(MOBILENET)


def _all_equal(first, second):
    return len(first) == len(second) and all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))


def test_mobilenet_builds_gray_and_small_images_upscaled_inside():
    model = backbone_classifier(MOBILENET, (28, 28, 1), 3, weights=None, seed=0)
    encoder = encoder_of(model)
    assert model.output_shape == (None, 3)
    assert encoder.output_shape == (None, 576)
    assert model.get_layer("classifier").units == 3
    assert encoder.get_layer("upscale").output.shape[1:3] == (32, 32)
    assert encoder.get_layer("gray_to_rgb").output.shape[-1] == 3
    logits = model.predict(_images(2, (28, 28, 1)), verbose=0)
    assert logits.shape == (2, 3) and np.isfinite(logits).all()


def test_mobilenet_at_32_and_48_needs_no_resizing_and_a_seed_repeats_the_weights():
    at_32 = backbone_classifier(MOBILENET, (32, 32, 3), 2, weights=None, seed=1)
    at_48 = backbone_classifier(MOBILENET, (48, 48, 3), 2, weights=None, seed=1)
    for model in (at_32, at_48):
        names = {layer.name for layer in encoder_of(model).layers}
        assert "upscale" not in names and "gray_to_rgb" not in names
        assert model.output_shape == (None, 2)
    assert _all_equal(at_32.get_weights(), at_48.get_weights())  # the weights do not depend on the image size
    assert not _all_equal(at_32.get_weights(), backbone_classifier(MOBILENET, (32, 32, 3), 2, weights=None,
                                                                   seed=2).get_weights())


def test_efficientnet_builds_on_rectangular_gray_images():
    model = backbone_classifier("efficientnet_b0", (20, 40, 1), 4, weights=None, seed=0)
    assert model.output_shape == (None, 4)
    assert encoder_of(model).output_shape == (None, 1280)
    assert encoder_of(model).get_layer("upscale").output.shape[1:3] == (32, 40)
    assert np.isfinite(model.predict(_images(2, (20, 40, 1)), verbose=0)).all()


def test_small_cnn_is_the_course_model():
    model = backbone_classifier("small_cnn", (28, 28, 1), 5, seed=0)
    expected = models.small_cnn((28, 28, 1), 5, seed=0)
    assert [layer.name for layer in model.layers] == [layer.name for layer in expected.layers]
    assert _all_equal(model.get_weights(), expected.get_weights())


def _three_classes(shape):
    """24 images of ``shape`` in 3 classes, brighter with the class, as one dataset of batches of 8."""
    y = np.random.default_rng(0).permutation(np.repeat([0, 1, 2], 8))
    x = (_images(24, shape) * 0.3 + y[:, None, None, None] * 0.3).astype(np.float32)
    return x, y, tf.data.Dataset.from_tensor_slices((x, y)).batch(8)


def test_mobilenet_trains_frozen_and_crt_changes_only_the_classifier():
    x, y, data = _three_classes((28, 28, 1))

    def build():
        return backbone_classifier(MOBILENET, (28, 28, 1), 3, weights=None, seed=0)

    start = build()
    result = fit_backbone(build, data, data, num_classes=3, frozen_epochs=1, fine_tune_epochs=0, steps_per_epoch=2,
                          seed=0, progress=False)
    assert result.fine_tuned is None and result.model is result.frozen.model
    trained = result.frozen.model
    assert _all_equal(encoder_of(trained).get_weights(), encoder_of(start).get_weights())
    assert not _all_equal(trained.get_layer("classifier").get_weights(), start.get_layer("classifier").get_weights())

    crt = two_stage.retrain_classifier(trained, x, y, x, y, epochs=1, batch_size=12, progress=False)
    for before, after in zip(trained.layers, crt.model.layers, strict=True):
        same = _all_equal(before.get_weights(), after.get_weights())
        assert same == (before.name != "classifier"), before.name


def test_fit_backbone_freezes_the_encoder_then_fine_tunes_all_of_it():
    _, _, data = _three_classes((16, 16, 1))

    def build():
        return backbone_classifier("small_cnn", (16, 16, 1), 3, seed=0)

    result = fit_backbone(build, data, data, num_classes=3, frozen_epochs=1, fine_tune_epochs=1, seed=0,
                          fine_tune_rate_factor=0.5, progress=False)
    frozen, tuned = result.frozen, result.fine_tuned
    assert _all_equal(encoder_of(frozen.model).get_weights(), encoder_of(build()).get_weights())
    assert encoder_of(tuned.model).trainable
    assert not _all_equal(encoder_of(tuned.model).get_weights(), encoder_of(frozen.model).get_weights())
    assert result.model in (frozen.model, tuned.model) and result.seconds > 0
    assert float(tuned.model.optimizer.learning_rate) == pytest.approx(5e-4)


def test_backbone_result_model_is_the_better_phase():
    def result(score, model):
        return training.FitResult(model, {"val_balanced_accuracy": [score]}, 1.0, 1)

    assert BackboneResult(result(0.9, "frozen"), result(0.8, "tuned")).model == "frozen"
    assert BackboneResult(result(0.8, "frozen"), result(0.8, "tuned")).model == "tuned"
    assert BackboneResult(result(0.8, "frozen")).model == "frozen"
    assert BackboneResult(result(0.8, "frozen"), result(0.8, "tuned")).seconds == 2.0


@pytest.fixture
def keras_home(monkeypatch, tmp_path):
    """An empty Keras cache folder, and no proxy for the local server."""
    (tmp_path / "keras").mkdir()  # get_file falls back to /tmp/.keras when the folder is not writable
    monkeypatch.setattr(keras_config, "_KERAS_DIR", str(tmp_path / "keras"))
    for variable in ("no_proxy", "NO_PROXY"):
        monkeypatch.setenv(variable, "127.0.0.1,localhost")
    return tmp_path / "keras"


@pytest.fixture
def weights_server(monkeypatch, tmp_path, keras_home):
    """A local HTTP server with a MobileNetV3-Small weights file made here; Keras pointed to it.

    Yields the weights in the file, in the application's order.
    """
    served = tmp_path / "served"
    served.mkdir()
    keras.utils.set_random_seed(123)
    application = keras.applications.MobileNetV3Small(include_top=False, weights=None, input_shape=(32, 32, 3),
                                                      pooling="avg")
    with h5py.File(served / WEIGHTS_FILE, "w") as file:
        legacy_h5_format.save_weights_to_hdf5_group(file, application)
    digest = hashlib.md5((served / WEIGHTS_FILE).read_bytes()).hexdigest()
    monkeypatch.setitem(mobilenet_v3.WEIGHTS_HASHES, "small_224_1.0_float", ("unused", digest))

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(served)))
    thread = threading.Thread(None, server.serve_forever, daemon=True)  # (group, function)
    thread.start()
    monkeypatch.setattr(mobilenet_v3, "BASE_WEIGHT_PATH", f"http://127.0.0.1:{server.server_port}/")
    try:
        yield application.get_weights()
    finally:
        server.shutdown()
        server.server_close()


def test_imagenet_weights_are_downloaded_loaded_cached_and_reload_safely(weights_server, keras_home, capsys,
                                                                          tmp_path):
    model = backbone_classifier(MOBILENET, (28, 28, 1), 3, seed=0)
    assert capsys.readouterr().out == ""
    assert _all_equal(_application(model).get_weights(), weights_server)
    assert (keras_home / "models" / WEIGHTS_FILE).is_file()
    random = backbone_classifier(MOBILENET, (28, 28, 1), 3, weights=None, seed=0)
    assert not _all_equal(_application(random).get_weights(), weights_server)

    x = _images(3, (28, 28, 1))
    expected = model.predict(x, verbose=0)
    model.save(tmp_path / "pretrained.keras")
    reloaded = keras.models.load_model(tmp_path / "pretrained.keras", safe_mode=True)
    np.testing.assert_allclose(reloaded.predict(x, verbose=0), expected, rtol=1e-5, atol=1e-5)
    # frozen, the encoder's BatchNormalization runs in inference mode even in a training step
    encoder_of(reloaded).trainable = False
    batch = tf.constant(x)
    assert_array_equal(reloaded(batch, training=True).numpy(), reloaded(batch, training=False).numpy())


def test_imagenet_weights_come_from_the_keras_cache_without_a_server(keras_home, monkeypatch, capsys):
    keras.utils.set_random_seed(7)
    application = keras.applications.MobileNetV3Small(include_top=False, weights=None, input_shape=(32, 32, 3),
                                                      pooling="avg")
    (keras_home / "models").mkdir()
    with h5py.File(keras_home / "models" / WEIGHTS_FILE, "w") as file:
        legacy_h5_format.save_weights_to_hdf5_group(file, application)
    digest = hashlib.md5((keras_home / "models" / WEIGHTS_FILE).read_bytes()).hexdigest()
    monkeypatch.setitem(mobilenet_v3.WEIGHTS_HASHES, "small_224_1.0_float", ("unused", digest))
    monkeypatch.setattr(mobilenet_v3, "BASE_WEIGHT_PATH", f"http://127.0.0.1:{_closed_port()}/")
    model = backbone_classifier(MOBILENET, (64, 64, 3), 2)
    assert capsys.readouterr().out == ""
    assert _all_equal(_application(model).get_weights(), application.get_weights())


def _closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def test_without_network_the_backbone_falls_back_to_random_weights_with_one_line(keras_home, monkeypatch, capsys,
                                                                                 tmp_path):
    monkeypatch.setattr(mobilenet_v3, "BASE_WEIGHT_PATH", f"http://127.0.0.1:{_closed_port()}/")
    model = backbone_classifier(MOBILENET, (28, 28, 1), 3, seed=0)
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and lines[0].startswith(FALLBACK), lines
    assert lines[0].endswith("); training from random initialisation")
    assert keras.utils.is_interactive_logging_enabled()
    random = backbone_classifier(MOBILENET, (28, 28, 1), 3, weights=None, seed=0)
    assert _all_equal(model.get_weights(), random.get_weights())

    x = _images(2, (28, 28, 1))
    model.save(tmp_path / "random.keras")
    reloaded = keras.models.load_model(tmp_path / "random.keras", safe_mode=True)
    np.testing.assert_allclose(reloaded.predict(x, verbose=0), model.predict(x, verbose=0), rtol=1e-5, atol=1e-5)


def test_the_names_are_exported():
    assert training.backbone_classifier is backbone_classifier and training.fit_backbone is fit_backbone
    assert backbones.BACKBONES == ("small_cnn", "mobilenet_v3_small", "efficientnet_b0")
