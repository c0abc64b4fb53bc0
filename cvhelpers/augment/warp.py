"""The layers that resample each image once: :class:`RandomGeometric` and :class:`RandomResizedCrop`.

:class:`RandomGeometric` composes flip, rotation, translation, zoom and shear
into **one** projective transform, so the image is resampled once instead of
once per layer: the stock chain ``RandomFlip → RandomRotation →
RandomTranslation → RandomZoom`` warps the image three or four times in
float32 and is the bottleneck at 224×224 on a CPU. :class:`RandomResizedCrop`
is the "Inception" crop, which Keras 3 lacks. Both draw a 3×3 matrix per image
and warp with the XLA gather kernel of :mod:`cvhelpers.augment.xla` under
TensorFlow, else with ``keras.ops.image.affine_transform``.
"""

from __future__ import annotations

import math

import keras

from cvhelpers.augment._base import _PACKAGE, _ImageLayer, _range
from cvhelpers.augment.xla import _xla_warp
from cvhelpers.validation import check_bool, check_number

_FLIP_MODES = (None, "horizontal", "vertical", "horizontal_and_vertical")
#: What a warp fills the pixels it uncovers with: the mirrored image, the wrapped image, `fill_value`, the edge pixel.
FILL_MODES = ("reflect", "wrap", "constant", "nearest")
_INTERPOLATIONS = ("nearest", "bilinear")


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
        if fill_mode not in FILL_MODES:
            raise ValueError(f"fill_mode must be one of {FILL_MODES}, got {fill_mode!r}")
        if interpolation not in _INTERPOLATIONS:
            raise ValueError(f"interpolation must be one of {_INTERPOLATIONS}, got {interpolation!r}")
        check_bool(jit_compile, "jit_compile")
        self.fill_mode = fill_mode
        self.fill_value = check_number(fill_value, "fill_value")
        self.interpolation = interpolation
        self.jit_compile = jit_compile
        self.supports_jit = False

    def _augment_images(self, images, transformation):
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
