"""Pretrained backbones for scarce data: a Keras application as the encoder.

With a few hundred labelled images a network trained from scratch learns
little; an encoder pretrained on ImageNet brings features that transfer.
:func:`backbone_classifier` wraps a ``keras.applications`` model in the
course's split, an ``"encoder"`` (images in [0, 1] to features) followed by a
linear ``"classifier"`` giving logits, so that
:func:`cvhelpers.training.two_stage.retrain_classifier` (cRT, or a linear
probe) and :func:`cvhelpers.training.recipe.long_tail_recipe` take it
unchanged. :func:`fit_backbone` trains it in the usual two phases: the
encoder frozen (the classifier only), then the whole network at a lower
learning rate.

The ImageNet weights are the files ``keras.applications`` itself downloads,
fetched with ``keras.utils.get_file`` under the same name and hash into the
same cache (``~/.keras/models``, or ``$KERAS_HOME/models``), so either one
finds what the other downloaded. When they cannot be downloaded (no network),
the backbone starts from random initialisation and says so in one printed
line.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

import keras
import numpy as np
from keras import layers

from cvhelpers.training.models import classifier_head, encoder_of, small_cnn
from cvhelpers.training.trainer import FitResult, check_factories, fit
from cvhelpers.training.two_stage import fine_tune
from cvhelpers.validation import check_number, check_positive_int, check_seed

__all__ = ["BACKBONES", "BackboneResult", "backbone_classifier", "fit_backbone", "imagenet_weights"]

#: The backbones :func:`backbone_classifier` builds.
BACKBONES = ("small_cnn", "mobilenet_v3_small", "efficientnet_b0")

#: The smallest side the Keras applications accept; smaller images are upscaled inside the model.
MIN_SIDE = 32

# The application without its top, and the published ImageNet weights file for it (URL and MD5), as in
# keras.applications (mobilenet_v3.py: "weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5";
# efficientnet.py: "efficientnetb0_notop.h5"). The file name is the URL's last part.
_APPLICATIONS = {
    "mobilenet_v3_small": lambda **kwargs: keras.applications.MobileNetV3Small(include_preprocessing=True, **kwargs),
    "efficientnet_b0": keras.applications.EfficientNetB0,
}
_IMAGENET_WEIGHTS = {
    "mobilenet_v3_small": (
        "https://storage.googleapis.com/tensorflow/keras-applications/mobilenet_v3/"
        "weights_mobilenet_v3_small_224_1.0_float_no_top_v2.h5",
        "d3e8ec802a04aa4fc771ee12a9a9b836",
    ),
    "efficientnet_b0": (
        "https://storage.googleapis.com/keras-applications/efficientnetb0_notop.h5",
        "50bc09e76180e00e4465e1a485ddc09d",
    ),
}
# EfficientNet's published weights divide by the ImageNet standard deviation once more than its
# Normalization layer does; keras.applications adds Rescaling(1 / sqrt(std)) after it when it loads them.
_IMAGENET_STDDEV_RGB = np.array([0.229, 0.224, 0.225], np.float32)


def backbone_classifier(
    name: str,
    input_shape,
    num_classes: int,
    *,
    weights: str | None = "imagenet",
    seed: int | None = None,
    min_side: int = MIN_SIDE,
    cache_dir=None,
) -> keras.Model:
    """A classifier on a named backbone: ``"encoder"`` + linear ``"classifier"``.

    For the Keras applications the encoder takes float32 images in [0, 1]
    and, inside the model (so a saved model reloads with
    ``keras.models.load_model(path, safe_mode=True)`` and needs no
    preprocessing outside):

    1. upscales (bilinear ``keras.layers.Resizing``) each side shorter than
       ``min_side`` to ``min_side``; the applications refuse sides under 32
       pixels. Larger images are left as they are;
    2. repeats a gray channel three times (``keras.layers.Concatenate``);
    3. scales [0, 1] to [0, 255], the range both applications' own
       preprocessing layers expect;
    4. runs the application without its top, global-average pooled.

    While the encoder is frozen its BatchNormalization layers run in
    inference mode (their ImageNet statistics kept); once it is made
    trainable (:func:`cvhelpers.training.two_stage.fine_tune`) they update
    their statistics from the training batches, since Keras 3 passes the
    outer model's ``training`` flag down to nested models.

    Parameters
    ----------
    name : {"small_cnn", "mobilenet_v3_small", "efficientnet_b0"}
        See :data:`BACKBONES`. ``"small_cnn"`` is
        :func:`cvhelpers.training.models.small_cnn`, which has no pretrained
        weights: ``weights``, ``min_side`` and ``cache_dir`` are ignored for
        it, and it needs sides of at least 16 pixels.
    input_shape : tuple of int
        (h, w, c) with c 1 (gray) or 3 (RGB).
    num_classes : int
        At least 2.
    weights : {"imagenet", None}, default="imagenet"
        ``"imagenet"``: the ImageNet weights, downloaded once (about 4 MB
        for MobileNetV3-Small, 16 MB for EfficientNet-B0) and then read from
        the cache. When the download fails (no network), one line saying so
        and why is printed and the encoder keeps its random initialisation:
        the model is then the one ``weights=None`` builds. ``None``: random
        initialisation.
    seed : int, optional
        Seeds the initialisers. The applications' initialisers take no seed,
        so this calls ``keras.utils.set_random_seed(seed)`` (which reseeds
        Python, NumPy and TensorFlow) before building; the same seed then
        builds the same weights, whatever the image size.
    min_side : int, default=32
        Sides shorter than this are upscaled to it inside the model; at
        least 32. ImageNet features transfer better from larger images
        (about 96 pixels and up), at a cost that grows with the pixel count.
    cache_dir : path-like, optional
        Where ``keras.utils.get_file`` keeps the weights (in its
        ``models`` folder); default Keras's cache, ``~/.keras`` or
        ``$KERAS_HOME``. On a machine without network, copying the file
        (named as the last part of the URL Keras uses) into
        ``<cache_dir>/models`` makes ``"imagenet"`` load it.

    Returns
    -------
    keras.Model
        (b, h, w, c) float32 images to (b, num_classes) logits, named
        ``name``. Its layer ``"encoder"`` maps the images to (b, d) features
        (d = 576 for MobileNetV3-Small, 1280 for EfficientNet-B0, 128 for
        the small CNN) and ``"classifier"`` is the linear head.

    Raises
    ------
    TypeError
        When ``cache_dir`` is neither a path nor ``None``.
    ValueError
        Naming the argument: an unknown ``name`` or ``weights``,
        ``input_shape`` that is not (h, w, c) of positive ints with c 1 or
        3, ``num_classes`` that is not an int >= 2, ``min_side`` that is not
        an int >= 32, or a negative or non-int ``seed``.

    Examples
    --------
    >>> model = backbone_classifier("mobilenet_v3_small", (28, 28, 1), 10, weights=None, seed=0)
    >>> model.output_shape
    (None, 10)
    """
    if name not in BACKBONES:
        raise ValueError(f"name must be one of {BACKBONES}, got {name!r}")
    if weights not in ("imagenet", None):
        raise ValueError(f"weights must be 'imagenet' or None, got {weights!r}")
    check_positive_int(num_classes, "num_classes", smallest=2)
    check_seed(seed, optional=True)
    min_side = check_positive_int(min_side, "min_side", smallest=MIN_SIDE)
    _check_cache_dir(cache_dir)
    shape = _check_input_shape(input_shape)
    if name == "small_cnn":
        return small_cnn(shape, num_classes, seed=seed)
    encoder = _application_encoder(name, shape, min_side, seed)
    if weights == "imagenet":
        _load_imagenet_weights(encoder.get_layer(name), name, cache_dir)
    inputs = keras.Input(shape=shape, name="images")
    logits = classifier_head(num_classes, seed)(encoder(inputs))
    return keras.Model(inputs, logits, name=name)


def _check_cache_dir(cache_dir) -> None:
    if cache_dir is not None and not isinstance(cache_dir, (str, os.PathLike)):
        raise TypeError(f"cache_dir must be a path or None, got {type(cache_dir).__name__}")


def _check_input_shape(input_shape) -> tuple[int, int, int]:
    if not isinstance(input_shape, (tuple, list)) or len(input_shape) != 3:
        raise ValueError(f"input_shape must be (height, width, channels), got {input_shape!r}")
    for side, what in zip(input_shape, ("height", "width", "channels"), strict=True):
        check_positive_int(side, f"input_shape's {what}")
    if input_shape[2] not in (1, 3):
        raise ValueError(f"input_shape's channels must be 1 (gray) or 3 (RGB), got {input_shape[2]}")
    return int(input_shape[0]), int(input_shape[1]), int(input_shape[2])


def _application_encoder(name: str, input_shape: tuple[int, int, int], min_side: int,
                         seed: int | None) -> keras.Model:
    """Images in [0, 1] of ``input_shape`` to the pooled features of the randomly initialised application ``name``."""
    height, width, channels = input_shape
    size = (max(height, min_side), max(width, min_side))
    if seed is not None:
        keras.utils.set_random_seed(seed)
    # named after the backbone; the weights file is fetched here, so the application's own name plays no part in it
    application = _APPLICATIONS[name](include_top=False, weights=None, input_shape=(*size, 3), pooling="avg",
                                      name=name)
    inputs = keras.Input(shape=input_shape, name="images")
    x = inputs
    if size != (height, width):
        x = layers.Resizing(*size, interpolation="bilinear", name="upscale")(x)
    if channels == 1:
        x = layers.Concatenate(name="gray_to_rgb")([x, x, x])
    x = layers.Rescaling(255.0, name="to_0_255")(x)
    return keras.Model(inputs, application(x), name="encoder")


def imagenet_weights(name: str, cache_dir=None, *, fallback: str = "training from random initialisation") -> str | None:
    """The path of the backbone's ImageNet weights file, downloaded once into Keras's cache; None offline.

    Parameters
    ----------
    name : {"mobilenet_v3_small", "efficientnet_b0"}
    cache_dir : path-like, optional
        Keras's cache folder; default ``~/.keras`` (or ``$KERAS_HOME``). The
        file goes to its ``models`` subfolder, where ``keras.applications``
        looks too.
    fallback : str, default="training from random initialisation"
        What the caller does without the weights: the end of the printed
        line.

    Returns
    -------
    str or None
        The file's path; ``None`` when it is not in the cache and cannot be
        downloaded, after one printed line that says so and why.

    Raises
    ------
    ValueError
        When ``name`` is not a backbone with ImageNet weights.
    TypeError
        When ``fallback`` is not a str or ``cache_dir`` neither a path nor
        ``None``.
    """
    if name not in _IMAGENET_WEIGHTS:
        raise ValueError(f"name must be one of {tuple(_IMAGENET_WEIGHTS)}, got {name!r}")
    if not isinstance(fallback, str):
        raise TypeError(f"fallback must be a str, got {type(fallback).__name__}")
    _check_cache_dir(cache_dir)
    origin, md5 = _IMAGENET_WEIGHTS[name]
    if cache_dir is not None:  # get_file writes to /tmp/.keras instead when the folder is missing
        os.makedirs(cache_dir, exist_ok=True)
    interactive = keras.utils.is_interactive_logging_enabled()
    keras.utils.disable_interactive_logging()  # get_file's "Downloading data from ..." would be a second line
    try:
        return keras.utils.get_file(origin.rsplit("/", 1)[-1], origin, file_hash=md5, cache_subdir="models",
                                    cache_dir=None if cache_dir is None else str(cache_dir))
    except Exception as error:  # get_file raises a bare Exception when the download fails
        reason = " ".join(str(error).split()) or type(error).__name__
        print(f"{name}: ImageNet weights could not be downloaded ({reason}); {fallback}")
        return None
    finally:
        if interactive:
            keras.utils.enable_interactive_logging()


def _load_imagenet_weights(application: keras.Model, name: str, cache_dir) -> None:
    """Load the ImageNet weights into ``application`` when :func:`imagenet_weights` finds them."""
    path = imagenet_weights(name, cache_dir)
    if path is None:
        return
    application.load_weights(path)
    if name == "efficientnet_b0":
        normalization = next(layer for layer in application.layers if isinstance(layer, layers.Normalization))
        mean, variance, count = normalization.get_weights()
        normalization.set_weights([mean, variance * _IMAGENET_STDDEV_RGB, count])
        normalization.finalize_state()  # the layer normalises with tensors made from its weights


@dataclass
class BackboneResult:
    """What :func:`fit_backbone` returns: both phases.

    Attributes
    ----------
    frozen : FitResult
        Phase 1, the encoder frozen and the classifier trained.
    fine_tuned : FitResult or None
        Phase 2, the whole network at the lower rate; ``None`` when
        ``fine_tune_epochs`` was 0.

    Raises
    ------
    TypeError
        When ``frozen`` is not a ``FitResult`` or ``fine_tuned`` is neither
        a ``FitResult`` nor ``None``.
    """

    frozen: FitResult
    fine_tuned: FitResult | None = None

    def __post_init__(self):
        if not isinstance(self.frozen, FitResult):
            raise TypeError(f"frozen must be a FitResult, got {type(self.frozen).__name__}")
        if self.fine_tuned is not None and not isinstance(self.fine_tuned, FitResult):
            raise TypeError(f"fine_tuned must be a FitResult or None, got {type(self.fine_tuned).__name__}")

    @property
    def best(self) -> FitResult:
        """The phase with the higher best validation balanced accuracy (phase 2 on a tie)."""
        if self.fine_tuned is None or _best_score(self.frozen) > _best_score(self.fine_tuned):
            return self.frozen
        return self.fine_tuned

    @property
    def model(self) -> keras.Model:
        """The model of :attr:`best`."""
        return self.best.model

    @property
    def seconds(self) -> float:
        """Training seconds of both phases (0 for a phase loaded from the cache)."""
        return self.frozen.seconds + (self.fine_tuned.seconds if self.fine_tuned is not None else 0.0)


def _best_score(result: FitResult) -> float:
    scores = result.history.get("val_balanced_accuracy", [])
    return max(scores) if scores else float("-inf")


def fit_backbone(
    build_model: Callable[[], keras.Model],
    train_data,
    validation_data,
    *,
    num_classes: int,
    frozen_epochs: int,
    fine_tune_epochs: int,
    learning_rate: float = 1e-3,
    fine_tune_rate_factor: float = 0.1,
    steps_per_epoch: int | None = None,
    loss=None,
    class_weight: dict | None = None,
    seed: int = 0,
    cache: bool = False,
    progress: bool | str = True,
) -> BackboneResult:
    """Train a backbone classifier in two phases: frozen encoder, then all of it.

    1. :func:`cvhelpers.training.trainer.fit` with the ``"encoder"`` frozen:
       only the classifier learns, at ``learning_rate``, so that a randomly
       initialised head sends no large gradients into pretrained features.
    2. :func:`cvhelpers.training.two_stage.fine_tune` of phase 1's model:
       the whole network at ``learning_rate * fine_tune_rate_factor``.

    Each phase keeps its best epoch by validation balanced accuracy. Phase 1
    runs the frozen encoder on every batch, as augmentation in
    ``train_data`` needs; without augmentation,
    :func:`cvhelpers.training.two_stage.retrain_classifier` with
    ``sampling="instance"`` trains the same linear probe from features
    computed once, much faster.

    Parameters
    ----------
    build_model : callable
        Returns a fresh model with layers ``"encoder"`` and ``"classifier"``,
        e.g. ``lambda: backbone_classifier("mobilenet_v3_small", (64, 64, 3), 5)``.
    train_data, validation_data : tf.data.Dataset
        ``(images, labels)`` batches, images (b, h, w, c) float32 in [0, 1]
        as the model expects; infinite data needs ``steps_per_epoch``.
    num_classes : int
    frozen_epochs : int
        Phase 1's epochs, at least 1.
    fine_tune_epochs : int
        Phase 2's epochs; 0 skips it (a linear probe, trained end to end).
    learning_rate : float, default=1e-3
        Adam, phase 1.
    fine_tune_rate_factor : float, default=0.1
        Phase 2's rate is ``learning_rate`` times this, in (0, 1].
    steps_per_epoch : int, optional
    loss : keras loss, optional
        Default sparse categorical cross-entropy on logits.
    class_weight : dict of int to float, optional
        Used in both phases.
    seed : int, default=0
    cache : bool, default=False
        As in :func:`cvhelpers.training.trainer.fit`, for each phase.
    progress : bool or str, default=True
        A string is the start of both phases' descriptions.

    Returns
    -------
    BackboneResult
        ``frozen`` and ``fine_tuned`` results; ``model`` the better of the two.

    Raises
    ------
    TypeError
        Naming the argument: ``build_model`` that is a model rather than a
        function returning one.
    ValueError
        Naming the argument: ``frozen_epochs`` that is not an int >= 1,
        ``fine_tune_epochs`` not an int >= 0, a ``learning_rate`` that is not
        a finite number > 0, a ``fine_tune_rate_factor`` outside (0, 1], a
        model without an ``"encoder"``; and as
        :func:`cvhelpers.training.trainer.fit` raises, before any training.
    """
    check_factories(build_model)
    check_positive_int(frozen_epochs, "frozen_epochs")
    check_positive_int(fine_tune_epochs, "fine_tune_epochs", smallest=0)
    check_number(learning_rate, "learning_rate", low=0, low_open=True)
    check_number(fine_tune_rate_factor, "fine_tune_rate_factor", low=0, high=1, low_open=True)
    loss = loss or keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    label = progress if isinstance(progress, str) else "backbone"

    def build_frozen():
        model = build_model()
        encoder_of(model).trainable = False
        return model

    frozen = fit(
        build_frozen, train_data, validation_data, epochs=frozen_epochs, loss=loss, num_classes=num_classes,
        optimizer=lambda: keras.optimizers.Adam(learning_rate), steps_per_epoch=steps_per_epoch,
        class_weight=class_weight, seed=seed, cache=cache, progress=progress and f"{label}: encoder frozen",
    )
    if fine_tune_epochs == 0:
        return BackboneResult(frozen)
    fine_tuned = fine_tune(
        frozen.model, train_data, validation_data, epochs=fine_tune_epochs, num_classes=num_classes,
        steps_per_epoch=steps_per_epoch, learning_rate=learning_rate * fine_tune_rate_factor, loss=loss,
        class_weight=class_weight, seed=seed, cache=cache, progress=progress and f"{label}: fine-tuning",
    )
    return BackboneResult(frozen, fine_tuned)
