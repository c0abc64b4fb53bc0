"""Backbones: application encoders in the course's encoder + classifier split, weights offline, two phases.

The ImageNet weights are served from 127.0.0.1 (files made here from randomly
initialised applications, in the published files' legacy .h5 layout) or found
in a pre-filled cache; nothing here reaches the network.
"""

import functools
import hashlib
import http.server
import socket
import threading
from pathlib import Path

import keras
import numpy as np
import pytest
import tensorflow as tf
from numpy.testing import assert_allclose, assert_array_equal

from cvhelpers import training
from cvhelpers.training import backbones, models, two_stage
from cvhelpers.training.backbones import BackboneResult, backbone_classifier, fit_backbone
from cvhelpers.training.models import encoder_of

MOBILENET, EFFICIENTNET = "mobilenet_v3_small", "efficientnet_b0"
FALLBACK = "mobilenet_v3_small: ImageNet weights could not be downloaded ("


def _images(n, shape, seed=0):
    return np.random.default_rng(seed).random((n, *shape)).astype(np.float32)


def _all_equal(first, second):
    return len(first) == len(second) and all(np.array_equal(a, b) for a, b in zip(first, second, strict=True))


def _file_name(name):
    return backbones._IMAGENET_WEIGHTS[name][0].rsplit("/", 1)[-1]


def test_mobilenet_builds_gray_and_small_images_upscaled_inside():
    model = backbone_classifier(MOBILENET, (28, 28, 1), 3, weights=None, seed=0)
    encoder = encoder_of(model)
    assert model.output_shape == (None, 3) and model.name == MOBILENET
    assert encoder.output_shape == (None, 576)
    assert model.get_layer("classifier").units == 3
    assert encoder.get_layer("upscale").output.shape[1:3] == (32, 32)
    assert encoder.get_layer("gray_to_rgb").output.shape[-1] == 3
    logits = model(_images(2, (28, 28, 1))).numpy()
    assert logits.shape == (2, 3) and np.isfinite(logits).all()


def test_mobilenet_at_32_and_48_needs_no_resizing_and_a_seed_repeats_the_weights():
    at_32 = backbone_classifier(MOBILENET, (32, 32, 3), 2, weights=None, seed=1)
    at_48 = backbone_classifier(MOBILENET, (48, 48, 3), 2, weights=None, seed=1)
    for model in (at_32, at_48):
        names = {layer.name for layer in encoder_of(model).layers}
        assert "upscale" not in names and "gray_to_rgb" not in names
        assert model.output_shape == (None, 2)
    assert _all_equal(at_32.get_weights(), at_48.get_weights())  # the weights do not depend on the image size
    other_seed = backbone_classifier(MOBILENET, (32, 32, 3), 2, weights=None, seed=2)
    assert not _all_equal(at_32.get_weights(), other_seed.get_weights())


def test_min_side_upscales_larger_images_too():
    model = backbone_classifier(MOBILENET, (32, 40, 3), 2, weights=None, seed=0, min_side=48)
    assert encoder_of(model).get_layer("upscale").output.shape[1:3] == (48, 48)


def test_efficientnet_builds_on_rectangular_gray_images():
    model = backbone_classifier(EFFICIENTNET, (20, 40, 1), 4, weights=None, seed=0)
    assert model.output_shape == (None, 4)
    assert encoder_of(model).output_shape == (None, 1280)
    assert encoder_of(model).get_layer("upscale").output.shape[1:3] == (32, 40)


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
    assert _all_equal(encoder_of(trained).get_weights(), encoder_of(start).get_weights())  # BatchNorm statistics too
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
    assert not encoder_of(frozen.model).trainable and encoder_of(tuned.model).trainable
    assert not _all_equal(encoder_of(tuned.model).get_weights(), encoder_of(frozen.model).get_weights())
    assert result.model in (frozen.model, tuned.model) and result.seconds > 0
    assert float(frozen.model.optimizer.learning_rate) == pytest.approx(1e-3)
    assert float(tuned.model.optimizer.learning_rate) == pytest.approx(5e-4)


def test_backbone_result_model_is_the_better_phase():
    def result(score, model):
        return training.FitResult(model, {"val_balanced_accuracy": [score]}, 1.0, 1)

    assert BackboneResult(result(0.9, "frozen"), result(0.8, "tuned")).model == "frozen"
    assert BackboneResult(result(0.8, "frozen"), result(0.8, "tuned")).model == "tuned"
    assert BackboneResult(result(0.8, "frozen")).model == "frozen"
    assert BackboneResult(result(0.8, "frozen"), result(0.8, "tuned")).seconds == 2.0
    frozen = result(0.9, "frozen")
    assert BackboneResult(frozen, result(0.8, "tuned")).best is frozen


def _weights_file(name, folder: Path, seed: int) -> tuple[Path, list]:
    """A weights file named as the published one, of a randomly initialised application; and its weights.

    ``keras.saving.save_model`` to ``.h5`` writes the legacy layout of the
    published files, which ``load_weights`` reads by the ``.h5`` ending.
    """
    keras.utils.set_random_seed(seed)
    make = {MOBILENET: keras.applications.MobileNetV3Small, EFFICIENTNET: keras.applications.EfficientNetB0}[name]
    application = make(include_top=False, weights=None, input_shape=(32, 32, 3), pooling="avg")
    if name == EFFICIENTNET:  # the published statistics, not the untouched mean 0 and variance 1
        normalization = next(layer for layer in application.layers if isinstance(layer, keras.layers.Normalization))
        count = normalization.get_weights()[2]
        normalization.set_weights([np.array([0.485, 0.456, 0.406], np.float32),
                                   np.array([0.229, 0.224, 0.225], np.float32), count])
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / _file_name(name)
    keras.saving.save_model(application, path)
    return path, application.get_weights()


def _serve_as(monkeypatch, name, url: str, path: Path):
    """Point ``backbone_classifier`` at ``url`` for ``name``'s weights, with ``path``'s MD5."""
    digest = hashlib.md5(path.read_bytes()).hexdigest()
    monkeypatch.setitem(backbones._IMAGENET_WEIGHTS, name, (f"{url}/{path.name}", digest))


@pytest.fixture
def server(monkeypatch, tmp_path):
    """A local HTTP server on the folder ``tmp_path / "served"``; yields its URL."""
    for variable in ("no_proxy", "NO_PROXY"):
        monkeypatch.setenv(variable, "127.0.0.1,localhost")
    served = tmp_path / "served"
    served.mkdir()

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args):
            pass

    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), functools.partial(Quiet, directory=str(served)))
    thread = threading.Thread(None, httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}"
    finally:
        httpd.shutdown()
        httpd.server_close()


def _closed_port_url() -> str:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return f"http://127.0.0.1:{sock.getsockname()[1]}"


def test_imagenet_weights_are_downloaded_cached_loaded_and_reload_safely(server, monkeypatch, capsys, tmp_path):
    path, served = _weights_file(MOBILENET, tmp_path / "served", seed=123)
    _serve_as(monkeypatch, MOBILENET, server, path)
    cache = tmp_path / "new" / "keras"  # made on the way
    model = backbone_classifier(MOBILENET, (28, 28, 1), 3, seed=0, cache_dir=cache)
    assert capsys.readouterr().out == ""
    assert _all_equal(encoder_of(model).get_layer(MOBILENET).get_weights(), served)
    assert (cache / "models" / path.name).read_bytes() == path.read_bytes()

    # once cached, no network is needed
    _serve_as(monkeypatch, MOBILENET, _closed_port_url(), path)
    assert backbones.imagenet_weights(MOBILENET, cache) == str(cache / "models" / path.name)
    assert capsys.readouterr().out == ""

    x = _images(3, (28, 28, 1))
    expected = model(x).numpy()
    model.save(tmp_path / "pretrained.keras")
    reloaded = keras.models.load_model(tmp_path / "pretrained.keras", safe_mode=True)
    assert_allclose(reloaded(x).numpy(), expected, rtol=1e-5, atol=1e-6)
    # frozen, the encoder's BatchNormalization runs in inference mode even in a training step
    encoder_of(reloaded).trainable = False
    batch = tf.constant(x)
    assert_array_equal(reloaded(batch, training=True).numpy(), reloaded(batch, training=False).numpy())


def test_efficientnet_weights_get_the_normalization_keras_gives_them(server, monkeypatch, tmp_path):
    path, served = _weights_file(EFFICIENTNET, tmp_path / "served", seed=5)
    _serve_as(monkeypatch, EFFICIENTNET, server, path)
    model = backbone_classifier(EFFICIENTNET, (32, 32, 3), 2, seed=0, cache_dir=tmp_path / "keras")
    application = encoder_of(model).get_layer(EFFICIENTNET)
    normalization = next(layer for layer in application.layers if isinstance(layer, keras.layers.Normalization))
    loaded = application.get_weights()
    assert sum(not np.array_equal(a, b) for a, b in zip(loaded, served, strict=True)) == 1  # the variance only
    # keras.applications divides by sqrt(std) once more after the layer: here folded into its variance
    x = _images(2, (32, 32, 3))
    normalized = keras.Model(application.inputs, normalization.output)(x * 255).numpy()
    mean, std = np.array([0.485, 0.456, 0.406]), np.array([0.229, 0.224, 0.225])
    assert_allclose(normalized, (x - mean) / np.sqrt(std) / np.sqrt(std), rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("failure", ["no server", "a corrupted file"])
def test_a_failed_download_falls_back_to_random_weights_with_one_line(failure, server, monkeypatch, capsys, tmp_path):
    name = _file_name(MOBILENET)
    if failure == "no server":
        url = _closed_port_url()
    else:  # served, but not the file the hash names
        (tmp_path / "served" / name).write_bytes(b"not the weights")
        url = server
    monkeypatch.setitem(backbones._IMAGENET_WEIGHTS, MOBILENET, (f"{url}/{name}", "0" * 32))
    model = backbone_classifier(MOBILENET, (28, 28, 1), 3, seed=0, cache_dir=tmp_path / "keras")
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and lines[0].startswith(FALLBACK), lines
    assert lines[0].endswith("); training from random initialisation")
    assert keras.utils.is_interactive_logging_enabled()
    random = backbone_classifier(MOBILENET, (28, 28, 1), 3, weights=None, seed=0)
    assert _all_equal(model.get_weights(), random.get_weights())

    assert backbones.imagenet_weights(MOBILENET, tmp_path / "keras", fallback="using the small CNN") is None
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == 1 and lines[0].startswith(FALLBACK) and lines[0].endswith("); using the small CNN"), lines


def test_the_weights_files_are_those_keras_applications_downloads():
    """Same name and MD5 as the installed Keras (read as text), so both share the cached file."""
    sources = Path(keras.__file__).parent / "src" / "applications"
    for name, module in ((MOBILENET, "mobilenet_v3.py"), (EFFICIENTNET, "efficientnet.py")):
        origin, digest = backbones._IMAGENET_WEIGHTS[name]
        text = (sources / module).read_text()
        assert digest in text and origin.startswith("https://storage.googleapis.com/"), name
    assert _file_name(MOBILENET) == "weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5"
    assert _file_name(EFFICIENTNET) == "efficientnetb0_notop.h5"


def test_the_names_are_exported():
    assert training.backbone_classifier is backbone_classifier and training.fit_backbone is fit_backbone
    assert training.BACKBONES == backbones.BACKBONES == ("small_cnn", "mobilenet_v3_small", "efficientnet_b0")
