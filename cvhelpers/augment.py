"""Data augmentation: Keras 3 layers, the course's policies, galleries.

The course uses the Keras 3 built-in augmentation layers wherever they exist
(``RandomFlip``, ``RandomRotation``, ``RandomTranslation``, ``RandomZoom``,
``RandomShear``, ``RandomCrop``, ``RandomElasticTransform``,
``RandomBrightness``, ``RandomContrast``, ``RandomSaturation``,
``RandomHue``, ``RandomErasing``, ``MixUp``, ``CutMix``, ``RandAugment``).
This module adds only what Keras lacks:

* :class:`RandomGeometric` — flip, rotation, translation, zoom and shear
  composed into **one** projective transform, so the image is resampled once
  instead of once per layer. The stock chain warps the image three or four
  times in float32 and is the bottleneck at 224×224 on a CPU.
* :class:`SaltAndPepper` — impulse noise with a pixel fraction ``amount``
  and a salt-to-pepper ratio (tensorflow-addons had none either).
* :class:`Cutout` — DeVries & Taylor (2017): fixed-size squares filled with
  zero or the image mean (``RandomErasing`` draws random sizes and ratios).
* :class:`RandomGaussianNoise` — additive Gaussian noise, clipped to the
  value range, that also runs inside a ``tf.data`` map under any backend
  (``keras.layers.GaussianNoise`` is a regularisation layer: it does not clip
  and is not a data layer).

All of them follow the Keras conventions: a ``seed``, the identity when
``training=False``, ``get_config`` and registration for saving, batched
``(b, h, w, c)`` or single ``(h, w, c)`` images, and Keras's
``{"images", "labels"}`` dict (labels pass through unchanged).

The policies (:func:`light_policy`, :func:`strong_policy`,
:func:`standard_policy`) return ``keras.Sequential`` models ready for
:func:`cvhelpers.pipeline.make_dataset`'s ``augment``, or to put inside a
model. :func:`oversample_with_augmented_copies` augments only the repeated
copies of minority-class images (notebook 03);
:func:`context_rich_oversampling` pastes class-balanced boxes into them
(the best first stage of ``benchmarks/lt_methods.py``).

Used in notebooks 02 and 03.
"""

from __future__ import annotations

import math
import time

import keras
import numpy as np
from keras.src.layers.preprocessing.image_preprocessing.base_image_preprocessing_layer import (
    BaseImagePreprocessingLayer,
)

__all__ = [
    "RandomGeometric",
    "RandomResizedCrop",
    "SaltAndPepper",
    "Cutout",
    "RandomGaussianNoise",
    "light_policy",
    "strong_policy",
    "standard_policy",
    "stock_standard_policy",
    "oversample_with_augmented_copies",
    "context_rich_oversampling",
    "describe",
    "xla_compiled",
    "augment_batch",
    "gallery",
    "technique_gallery",
    "parameter_gallery",
    "images_per_second",
]

_PACKAGE = "cvhelpers"
_FLIP_MODES = (None, "horizontal", "vertical", "horizontal_and_vertical")
_FILL_MODES = ("reflect", "wrap", "constant", "nearest")
_INTERPOLATIONS = ("nearest", "bilinear")


# --------------------------------------------------------------------------
# argument checks
# --------------------------------------------------------------------------
def _range(value, name, low=-math.inf, high=math.inf, symmetric=True):
    """A number ``f`` as ``(-f, f)`` (or ``(0, f)``), or a pair, checked."""
    if isinstance(value, bool) or not isinstance(value, (int, float, tuple, list)):
        raise TypeError(f"{name} must be a number or a (lower, upper) pair, got {value!r}")
    if isinstance(value, (tuple, list)):
        if len(value) != 2 or not all(isinstance(v, (int, float)) for v in value):
            raise ValueError(f"{name} must be a (lower, upper) pair of numbers, got {value!r}")
        lower, upper = float(value[0]), float(value[1])
        if lower > upper:
            raise ValueError(f"{name} must have lower <= upper, got {value!r}")
    else:
        if value < 0:
            raise ValueError(f"{name} must be >= 0 when given as one number, got {value!r}")
        lower, upper = (-float(value), float(value)) if symmetric else (0.0, float(value))
    if lower < low or upper > high:
        raise ValueError(f"{name} must lie in [{low}, {high}], got {value!r}")
    return lower, upper


def _value_range(value_range):
    if not isinstance(value_range, (tuple, list)) or len(value_range) != 2:
        raise ValueError(f"value_range must be a (min, max) pair, got {value_range!r}")
    low, high = float(value_range[0]), float(value_range[1])
    if not low < high:
        raise ValueError(f"value_range must have min < max, got {value_range!r}")
    return low, high


def _seed(seed):
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))):
        raise TypeError(f"seed must be an int or None, got {seed!r}")
    return None if seed is None else int(seed)


class _ImageLayer(BaseImagePreprocessingLayer):
    """Shared plumbing: no ``factor``, labels pass through, shape kept.

    ``BaseImagePreprocessingLayer`` is Keras's own base for its augmentation
    layers (``keras.src``; Keras exports no public equivalent). It switches to
    the TensorFlow backend inside ``tf.data`` and handles single images and the
    ``{"images", "labels"}`` dict.
    """

    _USE_BASE_FACTOR = False

    def __init__(self, seed=None, **kwargs):
        super().__init__(**kwargs)
        if self.data_format != "channels_last":
            raise ValueError(f"data_format must be 'channels_last', got {self.data_format!r}")
        self.seed = _seed(seed)
        self.generator = keras.random.SeedGenerator(self.seed)

    @staticmethod
    def _images(data):
        return data["images"] if isinstance(data, dict) else data

    def _batch_hw(self, images):
        shape = self.backend.core.shape(images)
        if len(shape) == 4:
            return shape[0], shape[1], shape[2]
        if len(shape) == 3:
            return 1, shape[0], shape[1]
        raise ValueError(f"images must have shape (b, h, w, c) or (h, w, c), got {shape}")

    def _draw_setup(self, data, seed):
        """Batch size, height, width and the seed (generator) for one draw."""
        batch, height, width = self._batch_hw(self._images(data))
        return batch, height, width, seed or self._get_seed_generator(self.backend._backend)

    def transform_images(self, images, transformation, training=True):
        images = self.backend.cast(images, self.compute_dtype)
        if training and transformation is not None:
            images = self._transform_images(images, transformation)
        return images

    def transform_labels(self, labels, transformation, training=True):
        return labels

    def transform_segmentation_masks(self, segmentation_masks, transformation, training=True):
        raise NotImplementedError(f"{type(self).__name__} does not transform segmentation masks")

    def compute_output_shape(self, input_shape):
        return input_shape

    def get_config(self):
        config = super().get_config()
        config.update({"seed": self.seed})
        return config


# --------------------------------------------------------------------------
# the fused geometric layer
# --------------------------------------------------------------------------
class _WarpLayer(_ImageLayer):
    """Base of the layers that resample each image once by a 3×3 matrix.

    A subclass draws ``{"matrix": (b, 8)}`` (output pixel -> input pixel, as
    ``keras.ops.image.affine_transform``) in ``get_random_transformation``;
    this class warps. Under TensorFlow with ``jit_compile=True`` the warp is
    an XLA-compiled gather kernel (:func:`_xla_warp`), otherwise
    ``keras.ops.image.affine_transform``.
    """

    def __init__(self, fill_mode="reflect", fill_value=0.0, interpolation="bilinear", jit_compile=True, seed=None,
                 **kwargs):
        super().__init__(seed=seed, **kwargs)
        if fill_mode not in _FILL_MODES:
            raise ValueError(f"fill_mode must be one of {_FILL_MODES}, got {fill_mode!r}")
        if interpolation not in _INTERPOLATIONS:
            raise ValueError(f"interpolation must be one of {_INTERPOLATIONS}, got {interpolation!r}")
        if not isinstance(jit_compile, bool):
            raise TypeError(f"jit_compile must be a bool, got {jit_compile!r}")
        self.fill_mode = fill_mode
        self.fill_value = float(fill_value)
        self.interpolation = interpolation
        self.jit_compile = jit_compile
        self.supports_jit = False

    def _transform_images(self, images, transformation):
        matrix = transformation["matrix"]
        squeeze = len(images.shape) == 3
        if squeeze:
            images = self.backend.numpy.expand_dims(images, 0)
        if self.jit_compile and self.backend.name == "tensorflow" and self.fill_mode != "wrap":
            out = _xla_warp(self.interpolation, self.fill_mode)(images, matrix, self.fill_value)
        else:
            out = self.backend.image.affine_transform(
                images, matrix, interpolation=self.interpolation, fill_mode=self.fill_mode, fill_value=self.fill_value
            )
        return self.backend.numpy.squeeze(out, 0) if squeeze else out

    def transform_single_image(self, image, transformation, training=True):
        return self.transform_images(image, transformation, training)

    def get_config(self):
        config = super().get_config()
        config.update({"interpolation": self.interpolation, "jit_compile": self.jit_compile})
        return config


@keras.saving.register_keras_serializable(package=_PACKAGE)
class RandomGeometric(_WarpLayer):
    """Flip, rotation, translation, zoom and shear as one projective warp.

    Each image draws its own flip, angle, shift, zoom and shear; they are
    multiplied into a single 3×3 matrix about the image centre, and the image
    is resampled **once** with ``keras.ops.image.affine_transform`` (TF's
    ``ImageProjectiveTransformV3``). The chain ``RandomFlip → RandomRotation →
    RandomTranslation → RandomZoom`` resamples three times (blurring the image
    three times) and costs about three times as much. Flips alone are exact
    pixel permutations.

    The factors follow the Keras layers they replace.

    Parameters
    ----------
    flip : {None, "horizontal", "vertical", "horizontal_and_vertical"}, default=None
        Each named flip happens with probability 1/2 (as ``RandomFlip``).
    rotation : float or (float, float), default=0.0
        Fraction of a full turn, as ``RandomRotation``: 0.1 draws an angle in
        [-36°, 36°]; positive is counter-clockwise.
    translation : float or (float, float), default=0.0
        Fraction of the height and of the width, drawn independently for each
        axis, as ``RandomTranslation``.
    zoom : float or (float, float), default=0.0
        As ``RandomZoom``: a draw z in the range shows (1 + z) times the
        field of view, so z > 0 zooms out and z < 0 zooms in. Must be > -1.
    shear : float or (float, float), default=0.0
        Horizontal and vertical shear factors (tan of the shear angle), drawn
        independently, as ``RandomShear``.
    fill_mode : {"reflect", "wrap", "constant", "nearest"}, default="reflect"
    fill_value : float, default=0.0
        For ``fill_mode="constant"``.
    interpolation : {"bilinear", "nearest"}, default="bilinear"
    jit_compile : bool, default=True
        Under TensorFlow, warp with an XLA-compiled gather kernel (about 3x
        less CPU time than ``ImageProjectiveTransformV3``, same result);
        ``False`` (or another backend, or ``fill_mode="wrap"``) uses
        ``keras.ops.image.affine_transform``.
    seed : int, optional

    Notes
    -----
    (b, h, w, c) or (h, w, c) images of any range, float32 out (the layer's
    compute dtype); labels in a dict pass through.

    Examples
    --------
    >>> layer = RandomGeometric(flip="horizontal", rotation=0.05, translation=0.1, seed=0)
    >>> layer(np.zeros((2, 28, 28, 1), "float32")).shape
    TensorShape([2, 28, 28, 1])
    """

    def __init__(
        self,
        flip=None,
        rotation=0.0,
        translation=0.0,
        zoom=0.0,
        shear=0.0,
        fill_mode="reflect",
        fill_value=0.0,
        interpolation="bilinear",
        jit_compile=True,
        seed=None,
        **kwargs,
    ):
        super().__init__(fill_mode=fill_mode, fill_value=fill_value, interpolation=interpolation,
                         jit_compile=jit_compile, seed=seed, **kwargs)
        if flip not in _FLIP_MODES:
            raise ValueError(f"flip must be one of {_FLIP_MODES}, got {flip!r}")
        self.flip = flip
        self.rotation = _range(rotation, "rotation", -1.0, 1.0)
        self.translation = _range(translation, "translation", -1.0, 1.0)
        self.zoom = _range(zoom, "zoom", -0.99, math.inf)
        self.shear = _range(shear, "shear", -10.0, 10.0)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        ops = self.backend
        batch, height, width, seed = self._draw_setup(data, seed)

        def uniform(bounds):
            return ops.random.uniform((batch,), bounds[0], bounds[1], seed=seed)

        def coin():
            return ops.numpy.where(ops.random.uniform((batch,), 0.0, 1.0, seed=seed) < 0.5, -1.0, 1.0)

        ones = ops.numpy.ones((batch,))
        flip_x = coin() if self.flip in ("horizontal", "horizontal_and_vertical") else ones
        flip_y = coin() if self.flip in ("vertical", "horizontal_and_vertical") else ones
        angle = uniform(self.rotation) * (2.0 * math.pi)
        zoom = 1.0 + uniform(self.zoom)
        shear_x, shear_y = uniform(self.shear), uniform(self.shear)
        height_f = ops.cast(height, "float32")
        width_f = ops.cast(width, "float32")
        shift_x = uniform(self.translation) * width_f
        shift_y = uniform(self.translation) * height_f

        # Inverse map (output pixel -> input pixel) about the centre c:
        #   p_in = c + F Z S R^-1 (p_out - c - t)
        # with F the flips, Z the zoom (z > 0 samples a larger field = zoom
        # out), S the shear and R^-1 the inverse rotation (positive angle =
        # counter-clockwise on screen, where y points down).
        cos, sin = ops.numpy.cos(angle), ops.numpy.sin(angle)
        # R^-1 on screen coordinates = [[cos, -sin], [sin, cos]]
        r00, r01, r10, r11 = cos, -sin, sin, cos
        # S = [[1, shear_x], [shear_y, 1]]
        s00 = r00 + shear_x * r10
        s01 = r01 + shear_x * r11
        s10 = shear_y * r00 + r10
        s11 = shear_y * r01 + r11
        a00, a01 = flip_x * zoom * s00, flip_x * zoom * s01
        a10, a11 = flip_y * zoom * s10, flip_y * zoom * s11
        cx, cy = (width_f - 1.0) / 2.0, (height_f - 1.0) / 2.0
        ux, uy = cx + shift_x, cy + shift_y
        b0 = cx - a00 * ux - a01 * uy
        b1 = cy - a10 * ux - a11 * uy
        zeros = ops.numpy.zeros((batch,))
        matrix = ops.numpy.stack([a00, a01, b0, a10, a11, b1, zeros, zeros], axis=1)
        return {"matrix": matrix}

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "flip": self.flip,
                "rotation": self.rotation,
                "translation": self.translation,
                "zoom": self.zoom,
                "shear": self.shear,
                "fill_mode": self.fill_mode,
                "fill_value": self.fill_value,
            }
        )
        return config


@keras.saving.register_keras_serializable(package=_PACKAGE)
class RandomResizedCrop(_WarpLayer):
    """Crop a random area and aspect ratio, resized back to the image size.

    The "Inception" crop (Szegedy et al. 2015) that torchvision calls
    ``RandomResizedCrop`` and SimCLR relies on; Keras 3 has ``RandomCrop``
    (no resize) and ``RandomZoom`` (one aspect ratio, centred range) but no
    equivalent. Each image draws an area fraction ``s`` from ``scale`` and an
    aspect ratio ``r`` (width / height) log-uniformly from ``ratio``; the crop
    is ``sqrt(s·r)`` of the width by ``sqrt(s/r)`` of the height (clipped to
    the image), at a uniformly random position inside the image. Crop and
    resize are one warp, as in :class:`RandomGeometric`.

    Unlike torchvision, which retries up to ten times when a draw does not
    fit and then falls back to a centre crop, an oversized side is clipped
    to the image; with the default ranges this changes the draws little.

    Parameters
    ----------
    scale : (float, float), default=(0.08, 1.0)
        Range of the crop's area as a fraction of the image's, in (0, 1].
    ratio : (float, float), default=(3/4, 4/3)
        Range of the crop's aspect ratio, width / height, > 0.
    interpolation : {"bilinear", "nearest"}, default="bilinear"
    jit_compile : bool, default=True
        As in :class:`RandomGeometric`.
    seed : int, optional

    Notes
    -----
    The output has the input's height and width; follow the layer with
    ``keras.layers.Resizing`` for another size.

    Examples
    --------
    >>> layer = RandomResizedCrop(scale=(0.5, 1.0), seed=0)
    >>> layer(np.zeros((2, 28, 28, 1), "float32")).shape
    TensorShape([2, 28, 28, 1])
    """

    def __init__(self, scale=(0.08, 1.0), ratio=(3 / 4, 4 / 3), interpolation="bilinear", jit_compile=True,
                 seed=None, **kwargs):
        super().__init__(fill_mode="nearest", interpolation=interpolation, jit_compile=jit_compile, seed=seed,
                         **kwargs)
        self.scale = _range(scale, "scale", 0.0, 1.0, symmetric=False)
        self.ratio = _range(ratio, "ratio", 0.0, math.inf, symmetric=False)
        if self.scale[0] <= 0.0 or self.ratio[0] <= 0.0:
            raise ValueError(f"scale and ratio must be > 0, got scale={scale!r}, ratio={ratio!r}")

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        ops = self.backend
        batch, height, width, seed = self._draw_setup(data, seed)
        height_f, width_f = ops.cast(height, "float32"), ops.cast(width, "float32")
        area = ops.random.uniform((batch,), self.scale[0], self.scale[1], seed=seed)
        log_ratio = ops.random.uniform((batch,), math.log(self.ratio[0]), math.log(self.ratio[1]), seed=seed)
        aspect = ops.numpy.exp(log_ratio)
        crop_w = ops.numpy.minimum(ops.numpy.sqrt(area * aspect), 1.0) * width_f
        crop_h = ops.numpy.minimum(ops.numpy.sqrt(area / aspect), 1.0) * height_f
        left = ops.random.uniform((batch,), 0.0, 1.0, seed=seed) * (width_f - crop_w)
        top = ops.random.uniform((batch,), 0.0, 1.0, seed=seed) * (height_f - crop_h)
        # Output pixel centre x + 0.5 maps to left + (x + 0.5) * crop_w / width in the input.
        a00, a11 = crop_w / width_f, crop_h / height_f
        b0, b1 = left + 0.5 * a00 - 0.5, top + 0.5 * a11 - 0.5
        zeros = ops.numpy.zeros((batch,))
        return {"matrix": ops.numpy.stack([a00, zeros, b0, zeros, a11, b1, zeros, zeros], axis=1)}

    def get_config(self):
        config = super().get_config()
        config.update({"scale": self.scale, "ratio": self.ratio})
        return config


_XLA_WARPS: dict = {}


def _xla_warp(interpolation: str, fill_mode: str):
    """An XLA-compiled warp ``(images, matrix, fill_value) -> images`` (TensorFlow).

    TensorFlow's ``ImageProjectiveTransformV3`` CPU kernel recomputes the
    projection and the fill mode for every channel of every pixel and cannot
    be XLA-compiled. Written as gathers, XLA fuses the coordinate arithmetic,
    the four taps and the blend into one loop: about 3x less CPU time per
    224x224 RGB image, with the same results as the kernel (to float
    round-off) for the "constant", "reflect" and "nearest" fill modes ("wrap"
    keeps the kernel, whose wrap period differs).
    """
    key = (interpolation, fill_mode)
    if key not in _XLA_WARPS:
        import tensorflow as tf

        def warp(images, matrix, fill_value):
            return _gather_warp(tf, images, matrix, fill_value, interpolation, fill_mode)

        _XLA_WARPS[key] = tf.function(warp, jit_compile=True, reduce_retracing=True)
    return _XLA_WARPS[key]


def _gather_warp(tf, images, matrix, fill_value, interpolation, fill_mode, out_dtype=None):
    """Projective warp by gathers; ``matrix`` (b, 8) maps output to input pixels.

    ``images`` may be uint8: the taps are gathered as uint8 (a quarter of the
    memory traffic) and blended in ``out_dtype`` (default: the input dtype).
    """
    shape = tf.shape(images)
    b, h, w, c = shape[0], shape[1], shape[2], shape[3]
    out_dtype = out_dtype or images.dtype
    hf, wf = tf.cast(h, tf.float32), tf.cast(w, tf.float32)
    ys, xs = tf.meshgrid(tf.range(h, dtype=tf.float32), tf.range(w, dtype=tf.float32), indexing="ij")
    m = tf.cast(matrix, tf.float32)[:, :, None, None]
    k = m[:, 6] * xs + m[:, 7] * ys + 1.0
    sx = (m[:, 0] * xs + m[:, 1] * ys + m[:, 2]) / k
    sy = (m[:, 3] * xs + m[:, 4] * ys + m[:, 5]) / k
    flat = tf.reshape(images, (-1, c))
    base = tf.reshape(tf.range(b) * h * w, (-1, 1, 1))

    def fix(index, size, sizef):
        """Map integer coordinates (float) into range by the fill mode; also a validity mask."""
        if fill_mode == "reflect":  # (d c b a | a b c d | d c b a)
            period = 2.0 * sizef
            index = tf.math.floormod(index, period)
            index = tf.where(index >= sizef, period - 1.0 - index, index)
        valid = (index >= 0.0) & (index <= sizef - 1.0)
        return tf.cast(tf.clip_by_value(index, 0.0, sizef - 1.0), tf.int32), valid

    def tap(yy, xx):
        xi, valid_x = fix(xx, w, wf)
        yi, valid_y = fix(yy, h, hf)
        values = tf.cast(tf.gather(flat, base + yi * w + xi), out_dtype)
        if fill_mode == "constant":
            values = tf.where((valid_x & valid_y)[..., None], values, tf.cast(fill_value, out_dtype))
        return values

    if interpolation == "nearest":
        out = tap(tf.round(sy), tf.round(sx))
    else:
        x0, y0 = tf.floor(sx), tf.floor(sy)
        fx, fy = (sx - x0)[..., None], (sy - y0)[..., None]
        top = tap(y0, x0) * (1.0 - fx) + tap(y0, x0 + 1.0) * fx
        bottom = tap(y0 + 1.0, x0) * (1.0 - fx) + tap(y0 + 1.0, x0 + 1.0) * fx
        out = top * (1.0 - fy) + bottom * fy
    return _barrier(tf.reshape(out, shape))


def _barrier(tensor):
    """Stop XLA from fusing (and so recomputing) the gathers into later steps.

    Without it, a following reduction (``RandomContrast``'s mean) and the
    element-wise steps each re-run the four gathers.
    """
    try:
        from tensorflow.compiler.tf2xla.python import xla
    except ImportError:  # pragma: no cover - TF without tf2xla
        return tensor
    return xla.optimization_barrier(tensor)[0]


def xla_compiled(augment):
    """An ``images -> images`` function running ``augment`` XLA-compiled.

    XLA fuses each step's arithmetic into a few loops; on a CPU this cuts the
    time per 224×224 RGB image several-fold (see
    ``benchmarks/augment_throughput.py``). A ``keras.Sequential`` policy is
    compiled **one layer at a time**: compiled as one program, XLA re-ran the
    warp's gathers inside the later steps (random erasing above all), and
    the standard policy took about 1.5 ms of CPU per 224×224 RGB image
    instead of about 1.05 ms. Pass the result as ``augment`` to
    :func:`cvhelpers.pipeline.make_dataset`. Random draws differ from the
    uncompiled layer's (XLA picks its own random-number algorithm) but are
    still reproducible from the seeds. Not for the label-mixing layers
    (``MixUp``, ``CutMix``).

    Parameters
    ----------
    augment : keras layer (e.g. a policy) or callable
        Called with ``training=True`` if it is a layer.

    Returns
    -------
    callable
        (b, h, w, c) float images -> same shape, float32; a ``tf.function``.
    """
    import tensorflow as tf

    if not callable(augment):
        raise TypeError(f"augment must be a Keras layer or a callable, got {augment!r}")

    def steps(step):
        if isinstance(step, keras.Sequential):
            return [inner for layer in step.layers for inner in steps(layer)]
        if getattr(step, "takes_labels", False) or type(step).__name__ in ("MixUp", "CutMix"):
            raise TypeError(f"xla_compiled takes image-only augmentations, not {type(step).__name__}")
        return [step]

    def compile_step(step):
        kwargs = {"training": True} if isinstance(step, keras.layers.Layer) else {}
        return tf.function(lambda images: step(images, **kwargs), jit_compile=True, reduce_retracing=True)

    compiled = [compile_step(step) for step in steps(augment)]

    def run(images):
        for step in compiled:
            images = step(images)
        return images

    return tf.function(run, reduce_retracing=True)


# --------------------------------------------------------------------------
# noise
# --------------------------------------------------------------------------
@keras.saving.register_keras_serializable(package=_PACKAGE)
class SaltAndPepper(_ImageLayer):
    """Impulse noise: a fraction ``amount`` of pixels set to black or white.

    Each pixel (all its channels together) is hit with probability
    ``amount``; a hit is *salt* (``value_range[1]``) with probability
    ``salt_vs_pepper``, else *pepper* (``value_range[0]``). This is
    scikit-image's ``random_noise(mode="s&p")`` as a Keras layer; Keras and
    tensorflow-addons have none.

    Parameters
    ----------
    amount : float in [0, 1], default=0.05
        Expected fraction of pixels replaced.
    salt_vs_pepper : float in [0, 1], default=0.5
        Fraction of the replaced pixels that become salt.
    value_range : (float, float), default=(0, 1)
        Pepper and salt values.
    seed : int, optional

    Notes
    -----
    (b, h, w, c) or (h, w, c) images in ``value_range``; float32, same shape,
    still in ``value_range``.
    """

    def __init__(self, amount=0.05, salt_vs_pepper=0.5, value_range=(0.0, 1.0), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        for name, value in (("amount", amount), ("salt_vs_pepper", salt_vs_pepper)):
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"{name} must be a number in [0, 1], got {value!r}")
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be in [0, 1], got {value!r}")
        self.amount = float(amount)
        self.salt_vs_pepper = float(salt_vs_pepper)
        self.value_range = _value_range(value_range)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        ops = self.backend
        images = self._images(data)
        shape = ops.core.shape(images)
        mask_shape = (*shape[:-1], 1)
        seed = seed or self._get_seed_generator(ops._backend)
        # One uniform draw decides both: u < amount * ratio is salt, u < amount a hit.
        return {"u": ops.random.uniform(mask_shape, 0.0, 1.0, seed=seed)}

    def _transform_images(self, images, transformation):
        ops = self.backend
        u = transformation["u"]
        low, high = self.value_range
        salt = u < self.amount * self.salt_vs_pepper
        hit = u < self.amount
        images = ops.numpy.where(hit, ops.cast(low, images.dtype), images)
        return ops.numpy.where(salt, ops.cast(high, images.dtype), images)

    def transform_single_image(self, image, transformation, training=True):
        return self.transform_images(image, transformation, training)

    def get_config(self):
        config = super().get_config()
        config.update(
            {"amount": self.amount, "salt_vs_pepper": self.salt_vs_pepper, "value_range": self.value_range}
        )
        return config


@keras.saving.register_keras_serializable(package=_PACKAGE)
class RandomGaussianNoise(_ImageLayer):
    """Additive Gaussian noise, clipped to the value range, tf.data-safe.

    ``keras.layers.GaussianNoise`` is a regularisation layer: it neither
    clips to the image range nor switches backend inside a ``tf.data`` map.
    This one is a Keras data layer, so the same object works in a model and
    in ``dataset.map`` under any backend.

    Parameters
    ----------
    stddev : float or (float, float), default=0.05
        Noise standard deviation in units of the value range's width; a pair
        draws one stddev per image uniformly from it.
    value_range : (float, float), default=(0, 1)
    clip : bool, default=True
        Clip the result to ``value_range``.
    seed : int, optional

    Notes
    -----
    (b, h, w, c) or (h, w, c) images; float32, same shape.
    """

    def __init__(self, stddev=0.05, value_range=(0.0, 1.0), clip=True, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.stddev = _range(stddev, "stddev", 0.0, math.inf, symmetric=False)
        if isinstance(stddev, (int, float)):
            self.stddev = (float(stddev), float(stddev))
        self.value_range = _value_range(value_range)
        if not isinstance(clip, bool):
            raise TypeError(f"clip must be a bool, got {clip!r}")
        self.clip = clip

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        ops = self.backend
        images = self._images(data)
        shape = ops.core.shape(images)
        batch = shape[0] if len(shape) == 4 else 1
        seed = seed or self._get_seed_generator(ops._backend)
        low, high = self.stddev
        scale = (self.value_range[1] - self.value_range[0]) * ops.random.uniform((batch,), low, high + 1e-12, seed=seed)
        noise = ops.random.normal(shape, seed=seed)
        scale = ops.numpy.reshape(scale, (-1, 1, 1, 1) if len(shape) == 4 else (1, 1, 1))
        return {"noise": noise * scale}

    def _transform_images(self, images, transformation):
        ops = self.backend
        images = images + ops.cast(transformation["noise"], images.dtype)
        if self.clip:
            images = ops.numpy.clip(images, self.value_range[0], self.value_range[1])
        return images

    def transform_single_image(self, image, transformation, training=True):
        return self.transform_images(image, transformation, training)

    def get_config(self):
        config = super().get_config()
        config.update({"stddev": self.stddev, "value_range": self.value_range, "clip": self.clip})
        return config


# --------------------------------------------------------------------------
# occlusion
# --------------------------------------------------------------------------
@keras.saving.register_keras_serializable(package=_PACKAGE)
class Cutout(_ImageLayer):
    """Cutout (DeVries & Taylor 2017): zero or mean-fill fixed-size squares.

    Each image gets ``num_squares`` squares of side ``size`` whose centres are
    uniform over the whole image, so a square may be cut by the border (as in
    the paper). Keras's ``RandomErasing`` (Zhong et al. 2017) instead draws
    the size and aspect ratio of its rectangle at random.

    Parameters
    ----------
    size : int or float, default=0.25
        Side of the square: pixels (int >= 1) or a fraction of the shorter
        image side (float in (0, 1]).
    fill : {"zero", "mean"} or float, default="zero"
        ``"zero"`` writes 0.0; ``"mean"`` the image's per-channel mean; a
        number writes that value.
    num_squares : int, default=1
    rate : float in [0, 1], default=1.0
        Probability that an image is cut at all.
    seed : int, optional

    Notes
    -----
    (b, h, w, c) or (h, w, c) images; float32, same shape.
    """

    def __init__(self, size=0.25, fill="zero", num_squares=1, rate=1.0, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        if isinstance(size, bool) or not isinstance(size, (int, float)):
            raise TypeError(f"size must be an int (pixels) or a float fraction, got {size!r}")
        if isinstance(size, int) and size < 1 or isinstance(size, float) and not 0.0 < size <= 1.0:
            raise ValueError(f"size must be an int >= 1 or a float in (0, 1], got {size!r}")
        if not (fill in ("zero", "mean") or (isinstance(fill, (int, float)) and not isinstance(fill, bool))):
            raise ValueError(f"fill must be 'zero', 'mean' or a number, got {fill!r}")
        if isinstance(num_squares, bool) or not isinstance(num_squares, int) or num_squares < 1:
            raise ValueError(f"num_squares must be an int >= 1, got {num_squares!r}")
        if not 0.0 <= rate <= 1.0:
            raise ValueError(f"rate must be in [0, 1], got {rate!r}")
        self.size = size
        self.fill = fill
        self.num_squares = num_squares
        self.rate = float(rate)

    def square_side(self, height: int, width: int) -> int:
        """The square's side in pixels for an image of ``height × width``."""
        if isinstance(self.size, int):
            return self.size
        return max(1, int(round(self.size * min(height, width))))

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        ops = self.backend
        batch, height, width, seed = self._draw_setup(data, seed)
        n = self.num_squares
        cy = ops.cast(ops.numpy.floor(ops.random.uniform((batch, n), 0.0, 1.0, seed=seed) * height), "int32")
        cx = ops.cast(ops.numpy.floor(ops.random.uniform((batch, n), 0.0, 1.0, seed=seed) * width), "int32")
        keep = ops.random.uniform((batch,), 0.0, 1.0, seed=seed) < self.rate
        return {"center_y": cy, "center_x": cx, "apply": keep}

    def mask(self, transformation, height: int, width: int):
        """Boolean (b, h, w, 1): True on the cut pixels of each image."""
        ops = self.backend
        side = self.square_side(height, width)
        top = transformation["center_y"] - side // 2  # (b, n)
        left = transformation["center_x"] - side // 2
        rows = ops.numpy.arange(height, dtype="int32")[None, None, :]
        cols = ops.numpy.arange(width, dtype="int32")[None, None, :]
        in_rows = (rows >= top[..., None]) & (rows < top[..., None] + side)  # (b, n, h)
        in_cols = (cols >= left[..., None]) & (cols < left[..., None] + side)  # (b, n, w)
        squares = in_rows[:, :, :, None] & in_cols[:, :, None, :]  # (b, n, h, w)
        cut = ops.numpy.any(squares, axis=1) & transformation["apply"][:, None, None]
        return cut[..., None]

    def _transform_images(self, images, transformation):
        ops = self.backend
        squeeze = len(images.shape) == 3
        if squeeze:
            images = ops.numpy.expand_dims(images, 0)
        shape = ops.core.shape(images)
        cut = self.mask(transformation, shape[1], shape[2])
        if self.fill == "mean":
            value = ops.numpy.mean(images, axis=(1, 2), keepdims=True)
        else:
            value = ops.cast(0.0 if self.fill == "zero" else self.fill, images.dtype)
        out = ops.numpy.where(cut, value, images)
        return ops.numpy.squeeze(out, 0) if squeeze else out

    def transform_single_image(self, image, transformation, training=True):
        return self.transform_images(image, transformation, training)

    def get_config(self):
        config = super().get_config()
        config.update({"size": self.size, "fill": self.fill, "num_squares": self.num_squares, "rate": self.rate})
        return config


# --------------------------------------------------------------------------
# policies
# --------------------------------------------------------------------------
def _check_policy_args(seed, channels, value_range):
    seed = _seed(seed)
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 (grayscale) or 3 (RGB), got {channels!r}")
    return (0 if seed is None else seed), _value_range(value_range)


def light_policy(seed: int | None = 0, fused: bool = True, fill_mode: str = "constant", name: str = "light_policy"):
    """Light geometric augmentation: ±10° rotation, ±10 % shift, ±10 % zoom.

    No flips, no colour, no occlusion: what a 28×28 garment can take without
    looking like another class. Used in notebooks 02 and 03.

    Parameters
    ----------
    seed : int, optional
    fused : bool, default=True
        One :class:`RandomGeometric` warp; ``False`` chains the Keras layers
        ``RandomRotation → RandomTranslation → RandomZoom`` (same draws'
        distribution, three resamplings, slower).
    fill_mode : str, default="constant"
        Fashion-MNIST's background is black, so fill with 0.

    Returns
    -------
    keras.Sequential
        (b, h, w, c) float images -> same shape, float32.
    """
    seed, _ = _check_policy_args(seed, 1, (0, 1))
    layers = keras.layers
    if fused:
        steps = [RandomGeometric(rotation=10 / 360, translation=0.1, zoom=0.1, fill_mode=fill_mode, seed=seed)]
    else:
        steps = [
            layers.RandomRotation(10 / 360, fill_mode=fill_mode, seed=seed),
            layers.RandomTranslation(0.1, 0.1, fill_mode=fill_mode, seed=seed + 1),
            layers.RandomZoom(0.1, fill_mode=fill_mode, seed=seed + 2),
        ]
    return keras.Sequential(steps, name=name)


def strong_policy(
    seed: int | None = 0,
    channels: int = 1,
    value_range=(0.0, 1.0),
    fill_mode: str = "constant",
    name: str = "strong_policy",
):
    """A strong policy: flips, large warps, colour, noise and occlusion.

    Horizontal flip, ±30° rotation, ±20 % shift, ±20 % zoom, shear 0.2 (one
    :class:`RandomGeometric` warp); brightness and contrast ±30 %; on RGB also
    saturation and hue; Gaussian noise; ``RandomErasing`` with zero fill.

    Parameters
    ----------
    seed : int, optional
    channels : {1, 3}, default=1
        Saturation and hue only exist for colour images; with 1 channel they
        are left out.
    value_range : (float, float), default=(0, 1)
    fill_mode : str, default="constant"

    Returns
    -------
    keras.Sequential
    """
    seed, value_range = _check_policy_args(seed, channels, value_range)
    layers = keras.layers
    steps = [
        RandomGeometric(
            flip="horizontal", rotation=30 / 360, translation=0.2, zoom=0.2, shear=0.2, fill_mode=fill_mode, seed=seed
        ),
        layers.RandomBrightness(0.3, value_range=value_range, seed=seed + 1),
        layers.RandomContrast(0.3, value_range=value_range, seed=seed + 2),
    ]
    if channels == 3:
        steps += [
            layers.RandomSaturation(0.3, value_range=value_range, seed=seed + 3),
            layers.RandomHue(0.1, value_range=value_range, seed=seed + 4),
        ]
    steps += [
        RandomGaussianNoise(0.03, value_range=value_range, seed=seed + 5),
        layers.RandomErasing(factor=(0.5, 0.5), scale=(0.02, 0.2), fill_value=value_range[0], value_range=value_range, seed=seed + 6),
    ]
    return keras.Sequential(steps, name=name)


def standard_policy(seed: int | None = 0, value_range=(0.0, 1.0), fill_mode: str = "reflect", name="standard_policy"):
    """The benchmark's standard policy, fused: flip, rotation, translation,
    zoom (one :class:`RandomGeometric` warp), brightness, contrast, erasing.

    Same transforms and ranges as :func:`stock_standard_policy`, which uses
    the stock Keras layers one by one.

    Returns
    -------
    keras.Sequential
    """
    seed, value_range = _check_policy_args(seed, 1, value_range)
    layers = keras.layers
    return keras.Sequential(
        [
            RandomGeometric(flip="horizontal", rotation=15 / 360, translation=0.1, zoom=0.1, fill_mode=fill_mode, seed=seed),
            layers.RandomBrightness(0.2, value_range=value_range, seed=seed + 1),
            layers.RandomContrast(0.2, value_range=value_range, seed=seed + 2),
            layers.RandomErasing(factor=(0.5, 0.5), scale=(0.02, 0.2), fill_value=value_range[0], value_range=value_range, seed=seed + 3),
        ],
        name=name,
    )


def stock_standard_policy(seed: int | None = 0, value_range=(0.0, 1.0), fill_mode: str = "reflect", name="stock_standard_policy"):
    """:func:`standard_policy` built from stock Keras layers only (four warps)."""
    seed, value_range = _check_policy_args(seed, 1, value_range)
    layers = keras.layers
    return keras.Sequential(
        [
            layers.RandomFlip("horizontal", seed=seed),
            layers.RandomRotation(15 / 360, fill_mode=fill_mode, seed=seed + 4),
            layers.RandomTranslation(0.1, 0.1, fill_mode=fill_mode, seed=seed + 5),
            layers.RandomZoom(0.1, fill_mode=fill_mode, seed=seed + 6),
            layers.RandomBrightness(0.2, value_range=value_range, seed=seed + 1),
            layers.RandomContrast(0.2, value_range=value_range, seed=seed + 2),
            layers.RandomErasing(factor=(0.5, 0.5), scale=(0.02, 0.2), fill_value=value_range[0], value_range=value_range, seed=seed + 3),
        ],
        name=name,
    )


# --------------------------------------------------------------------------
# oversampling with augmented copies
# --------------------------------------------------------------------------
def describe(policy) -> list | None:
    """What decides a policy's output, as JSON-able data (for records and tables).

    Layer classes and settings, seed included, without the names Keras
    numbers automatically. The model cache keys policies the same way, plus a
    hash of their source (:func:`cvhelpers.cache.describe`).

    Parameters
    ----------
    policy : keras.layers.Layer, keras.Sequential or None

    Returns
    -------
    list of dict or None
        One dict per layer: its class name and its configuration without the
        names Keras numbers automatically (``random_geometric_1``), the dtype
        policy and ``trainable``. None for None.

    Examples
    --------
    >>> describe(light_policy(seed=0))[0]["class"]
    'RandomGeometric'
    """
    if policy is None:
        return None
    if not isinstance(policy, keras.layers.Layer):
        raise TypeError(f"policy must be a Keras layer, a Sequential or None, got {type(policy).__name__}")
    layers = policy.layers if isinstance(policy, keras.Sequential) else [policy]
    described = []
    for layer in layers:
        if isinstance(layer, keras.Sequential):
            described.append({"class": "Sequential", "layers": describe(layer)})
            continue
        config = {k: v for k, v in layer.get_config().items() if k not in ("name", "dtype", "trainable")}
        described.append({"class": type(layer).__name__, **config})
    return described


def oversample_with_augmented_copies(
    x, y, augment, epochs: int = 1, seed: int = 0, batch_size: int = 128, num_classes: int | None = None
):
    """Class-balanced epochs in which only the *copies* are augmented.

    Composes :func:`cvhelpers.sampling.balanced_epoch_indices` (every epoch
    draws the same number of images per class; a tail image drawn again is a
    copy) with :func:`cvhelpers.pipeline.indexed_dataset` (augment the draws
    flagged as copies). Originals are shown as they are, so the model still
    sees every real image; the repeats of rare images look different each
    time instead of being exact duplicates. Used in notebook 03.

    Parameters
    ----------
    x : ndarray of shape (n, h, w) or (n, h, w, c), uint8 or float
    y : ndarray of shape (n,), int
    augment : callable
        A Keras layer or policy, e.g. :func:`light_policy`.
    epochs : int, default=1
        Epochs to draw; the dataset holds all of them, in order.
    seed : int, default=0
    batch_size : int, default=128
    num_classes : int, optional
        One-hot encode the labels.

    Returns
    -------
    tf.data.Dataset
        Finite: ``ceil(epochs * n / batch_size)`` batches of ``(images,
        labels)``. Train with ``model.fit(dataset, epochs=epochs,
        steps_per_epoch=len(y) // batch_size)``.
    """
    from cvhelpers.pipeline import indexed_dataset
    from cvhelpers.sampling import balanced_epoch_indices

    if augment is None or not callable(augment):
        raise TypeError(f"augment must be a Keras layer or a callable, got {augment!r}")
    if isinstance(epochs, bool) or not isinstance(epochs, (int, np.integer)) or epochs < 1:
        raise ValueError(f"epochs must be an int >= 1, got {epochs!r}")
    indices, is_copy = balanced_epoch_indices(y, epochs=int(epochs), seed=seed)
    return indexed_dataset(
        x, y, indices, batch_size=batch_size, augment=augment, augment_mask=is_copy, num_classes=num_classes
    )


def context_rich_oversampling(
    x, y, background, augment=None, *, probability: float = 0.5, batch_size: int = 128, seed: int = 0,
    num_classes: int | None = None,
):
    """Context-rich minority oversampling (CMO; Park et al., CVPR 2022).

    Each background batch gets, with ``probability``, one CutMix box pasted
    from a *class-balanced* batch of ``(x, y)``; every label becomes the
    one-hot mixture weighted by the area of the box. Rare classes are seen
    as often as common ones, but inside the varied images of the common
    classes instead of as repeated copies of the same few images.

    Written here because Keras's ``CutMix`` layer pairs images within one
    batch: its pasted boxes follow the long-tailed distribution. One box size
    (``λ ~ Beta(1, 1)``, side ``sqrt(1 - λ)``) and position is drawn per batch,
    as in CutMix and the paper's code.

    Parameters
    ----------
    x : ndarray of shape (n, h, w) or (n, h, w, c)
        Source of the pasted boxes, drawn class-balanced.
    y : ndarray of shape (n,), int
    background : tf.data.Dataset
        Batches ``(images (b, h, w, c), labels)`` with integer or one-hot
        labels, e.g. :func:`cvhelpers.pipeline.make_dataset` (the paper) or
        :func:`oversample_with_augmented_copies` (the course's best
        recipe). The result ends when it ends.
    augment : callable, optional
        Applied to the balanced batches before pasting, e.g. :func:`light_policy`.
    probability : float, default=0.5
        Chance that a batch is mixed; the others pass through unchanged.
    batch_size : int, default=128
        Of the balanced batches; at least the background's batch size.
    seed : int, default=0
    num_classes : int, optional
        Default ``max(y) + 1``.

    Returns
    -------
    tf.data.Dataset
        ``(images, labels)`` batches; images float32 (b, h, w, c), labels
        one-hot float32 (b, num_classes). Train with a categorical loss.
    """
    import tensorflow as tf

    from cvhelpers.pipeline import balanced_dataset

    if not isinstance(background, tf.data.Dataset):
        raise TypeError(f"background must be a tf.data.Dataset of (images, labels) batches, got {background!r}")
    if isinstance(probability, bool) or not 0.0 <= probability <= 1.0:
        raise ValueError(f"probability must be in [0, 1], got {probability!r}")
    y = np.asarray(y)
    num_classes = int(num_classes or np.max(y) + 1)
    if np.any(y < 0) or np.any(y >= num_classes):
        raise ValueError(f"labels must lie in [0, {num_classes}), got {np.unique(y).tolist()}")
    balanced = balanced_dataset(x, y, batch_size, seed=seed, augment=augment, num_classes=num_classes)
    generator = tf.random.Generator.from_seed(seed)

    def paste(background_batch, balanced_batch):
        (images, labels), (boxes_from, box_labels) = background_batch, balanced_batch
        if labels.shape.rank == 1:
            labels = tf.one_hot(labels, num_classes)
        images, labels = tf.cast(images, tf.float32), tf.cast(labels, tf.float32)
        count, height, width = tf.shape(images)[0], tf.shape(images)[1], tf.shape(images)[2]
        side = tf.sqrt(1.0 - generator.uniform([]))
        box_h = tf.cast(side * tf.cast(height, tf.float32), tf.int32)
        box_w = tf.cast(side * tf.cast(width, tf.float32), tf.int32)
        centre_y = generator.uniform([], 0, height, dtype=tf.int32)
        centre_x = generator.uniform([], 0, width, dtype=tf.int32)
        rows, cols = tf.range(height)[:, None], tf.range(width)[None, :]
        inside = ((rows >= centre_y - box_h // 2) & (rows < centre_y + box_h // 2)
                  & (cols >= centre_x - box_w // 2) & (cols < centre_x + box_w // 2))
        mask = tf.cast(inside, tf.float32) * tf.cast(generator.uniform([]) < probability, tf.float32)
        area = tf.reduce_mean(mask)
        mask = mask[None, :, :, None]
        mixed = images * (1.0 - mask) + boxes_from[:count] * mask
        return mixed, labels * (1.0 - area) + box_labels[:count] * area

    from cvhelpers.cache import NotCacheable, dataset_fingerprint, tag_dataset

    mixed = tf.data.Dataset.zip((background, balanced)).map(paste).prefetch(2)
    if dataset_fingerprint(background) is None or dataset_fingerprint(balanced) is None:
        return mixed  # no fingerprint to build on: models trained on it are not cached
    try:
        return tag_dataset(mixed, pipeline="context_rich_oversampling", background=background, boxes=balanced,
                           probability=float(probability), seed=seed)
    except NotCacheable:
        return mixed


# --------------------------------------------------------------------------
# galleries and timing
# --------------------------------------------------------------------------
def augment_batch(layer, images, draws: int = 4):
    """Apply ``layer`` (training mode) to ``images`` ``draws`` times.

    Parameters
    ----------
    layer : keras layer or callable
    images : ndarray of shape (n, h, w) or (n, h, w, c), uint8 or float in [0, 1]
    draws : int, default=4

    Returns
    -------
    ndarray of shape (draws, n, h, w, c), float32 in the layer's output range
    """
    from cvhelpers.pipeline import to_float_images

    if isinstance(draws, bool) or not isinstance(draws, int) or draws < 1:
        raise ValueError(f"draws must be an int >= 1, got {draws!r}")
    batch = to_float_images(images)
    kwargs = {"training": True} if isinstance(layer, keras.layers.Layer) else {}
    return np.stack([keras.ops.convert_to_numpy(layer(batch, **kwargs)) for _ in range(draws)])


def gallery(layer, images, draws: int = 4, title: str | None = None, size: float = 1.2):
    """Before and after: one row per image, the original then ``draws`` draws.

    Parameters
    ----------
    layer : keras layer or callable
    images : ndarray of shape (n, h, w[, c]), uint8 or float in [0, 1]
    draws : int, default=4
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    from cvhelpers.pipeline import to_float_images

    originals = to_float_images(images)
    outputs = augment_batch(layer, originals, draws)
    rows = len(originals)
    figure, axes = plt.subplots(rows, draws + 1, figsize=((draws + 1) * size, rows * size), squeeze=False)
    for row in range(rows):
        for column in range(draws + 1):
            image = originals[row] if column == 0 else outputs[column - 1, row]
            _show(axes[row, column], image)
            if row == 0:
                axes[row, column].set_title("original" if column == 0 else f"draw {column}", fontsize=8)
    if title:
        figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    return figure


def technique_gallery(techniques: dict, image, draws: int = 4, size: float = 1.1, title: str | None = None):
    """One row per technique: the original image, then ``draws`` draws.

    Parameters
    ----------
    techniques : dict of str to keras layer or callable
        Row label -> augmentation (called with ``training=True`` if a layer).
    image : ndarray of shape (h, w) or (h, w, c), uint8 or float in [0, 1]
    draws : int, default=4
    title : str, optional

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    from cvhelpers.pipeline import to_float_images

    if not techniques:
        raise ValueError("techniques is empty")
    image = np.asarray(image)
    batch = to_float_images(image[None] if image.ndim == 2 or image.shape[-1] in (1, 3, 4) and image.ndim == 3 else image)
    batch = np.repeat(batch[:1], draws, axis=0)
    figure, axes = plt.subplots(
        len(techniques), draws + 1, figsize=((draws + 1) * size, len(techniques) * size), squeeze=False
    )
    for row, (name, layer) in enumerate(techniques.items()):
        kwargs = {"training": True} if isinstance(layer, keras.layers.Layer) else {}
        out = keras.ops.convert_to_numpy(layer(batch, **kwargs))
        _show(axes[row, 0], batch[0])
        axes[row, 0].set_ylabel(name, rotation=0, ha="right", va="center", fontsize=8)
        for column in range(draws):
            _show(axes[row, column + 1], out[column])
    axes[0, 0].set_title("original", fontsize=8)
    if title:
        figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    return figure


def parameter_gallery(make_layer, values, images, label: str = "", draws: int = 4, size: float = 1.2, seed: int = 0):
    """A parameter table: one row per value of a layer's parameter.

    Parameters
    ----------
    make_layer : callable
        ``make_layer(value, seed) -> layer``.
    values : sequence
        Parameter values, one row each (e.g. rotation 15°, 30°, 45°).
    images : ndarray of shape (h, w[, c]) or (1, h, w[, c])
        One image, repeated ``draws`` times per row.
    label : str
        Row label prefix, e.g. ``"rotation"``.

    Returns
    -------
    matplotlib.figure.Figure
    """
    import matplotlib.pyplot as plt

    from cvhelpers.pipeline import to_float_images

    image = np.asarray(images)
    if image.ndim in (2, 3) and not (image.ndim == 3 and image.shape[0] == 1 and image.shape[-1] not in (1, 3, 4)):
        image = image[None]
    image = to_float_images(image)[:1]
    repeated = np.repeat(image, draws, axis=0)
    figure, axes = plt.subplots(len(values), draws + 1, figsize=((draws + 1) * size, len(values) * size), squeeze=False)
    for row, value in enumerate(values):
        layer = make_layer(value, seed + row)
        kwargs = {"training": True} if isinstance(layer, keras.layers.Layer) else {}
        out = keras.ops.convert_to_numpy(layer(repeated, **kwargs))
        _show(axes[row, 0], image[0])
        axes[row, 0].set_ylabel(f"{label} {value}", fontsize=8)
        axes[row, 0].set_title("original" if row == 0 else "", fontsize=8)
        for column in range(draws):
            _show(axes[row, column + 1], out[column])
    figure.tight_layout()
    return figure


def _show(ax, image):
    image = np.clip(np.asarray(image, dtype=np.float32), 0.0, 1.0)
    if image.shape[-1] == 1:
        ax.imshow(image[..., 0], cmap="gray", vmin=0, vmax=1)
    else:
        ax.imshow(image[..., :3])
    ax.set_xticks([])
    ax.set_yticks([])


def images_per_second(dataset, batches: int | None = None, warmup: int = 2) -> float:
    """Images per second that iterating ``dataset`` delivers.

    Parameters
    ----------
    dataset : tf.data.Dataset
        Yields ``images`` or ``(images, labels)`` batches.
    batches : int, optional
        Batches to time (after ``warmup``); default all.
    warmup : int, default=2
        Batches consumed before the clock starts (tracing, caches).

    Returns
    -------
    float
    """
    iterator = iter(dataset)
    for _ in range(warmup):
        next(iterator)
    count = 0
    started = time.perf_counter()
    for index, element in enumerate(iterator):
        images = element[0] if isinstance(element, tuple) else element
        count += int(images.shape[0])
        if batches is not None and index + 1 >= batches:
            break
    elapsed = time.perf_counter() - started
    if count == 0:
        raise ValueError("dataset yielded no batches after the warmup")
    return count / elapsed
