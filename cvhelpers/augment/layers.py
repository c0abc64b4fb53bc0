"""Per-pixel layers Keras lacks: noise and occlusion.

* :class:`SaltAndPepper` — impulse noise with a pixel fraction ``amount``
  and a salt-to-pepper ratio (tensorflow-addons had none either).
* :class:`RandomGaussianNoise` — additive Gaussian noise, clipped to the
  value range, that also runs inside a ``tf.data`` map under any backend
  (``keras.layers.GaussianNoise`` is a regularisation layer: it does not clip
  and is not a data layer).
* :class:`Cutout` — DeVries & Taylor (2017): fixed-size squares filled with
  zero or the image mean (``RandomErasing`` draws random sizes and ratios).
"""

from __future__ import annotations

import math

import keras

from cvhelpers.augment._base import _PACKAGE, _check_in_range, _ImageLayer, _range, _value_range
from cvhelpers.augment._keras_private import seed_generator
from cvhelpers.validation import check_bool, check_number, check_positive_int


# --------------------------------------------------------------------------
# noise
# --------------------------------------------------------------------------
class _RangeLayer(_ImageLayer):
    """A layer whose output depends on ``value_range``: concrete inputs far outside it are refused.

    Eager calls on NumPy arrays or eager tensors are checked (one min and max);
    traced calls, inside ``tf.data`` or ``model.fit``, are not.
    """

    def call(self, data, training=True):
        if training is not False:
            _check_in_range(self._images(data), self.value_range)
        return super().call(data, training=training)


@keras.saving.register_keras_serializable(package=_PACKAGE)
class SaltAndPepper(_RangeLayer):
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
        Pepper and salt values, and the range the images must lie in: pass
        ``(0, 255)`` for 0-255 pixels.
    seed : int, optional

    Notes
    -----
    (b, h, w, c) or (h, w, c) images in ``value_range``; float32, same shape,
    still in ``value_range``. An eager call on images far outside
    ``value_range`` (0-255 pixels with the default) raises ValueError; inside
    ``tf.data`` or a compiled model the range is not checked.
    """

    def __init__(self, amount=0.05, salt_vs_pepper=0.5, value_range=(0.0, 1.0), seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.amount = check_number(amount, "amount", low=0.0, high=1.0)
        self.salt_vs_pepper = check_number(salt_vs_pepper, "salt_vs_pepper", low=0.0, high=1.0)
        self.value_range = _value_range(value_range)

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        ops = self.backend
        images = self._images(data)
        shape = ops.core.shape(images)
        mask_shape = (*shape[:-1], 1)
        seed = seed or seed_generator(self)
        # One uniform draw decides both: u < amount * ratio is salt, u < amount a hit.
        return {"u": ops.random.uniform(mask_shape, 0.0, 1.0, seed=seed)}

    def _augment_images(self, images, transformation):
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
class RandomGaussianNoise(_RangeLayer):
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
        The range of the images: pass ``(0, 255)`` for 0-255 pixels.
    clip : bool, default=True
        Clip the result to ``value_range``.
    seed : int, optional

    Notes
    -----
    (b, h, w, c) or (h, w, c) images in ``value_range``; float32, same shape.
    An eager call on images far outside ``value_range`` (0-255 pixels with
    the default) raises ValueError; inside ``tf.data`` or a compiled model the
    range is not checked.
    """

    def __init__(self, stddev=0.05, value_range=(0.0, 1.0), clip=True, seed=None, **kwargs):
        super().__init__(seed=seed, **kwargs)
        self.stddev = _range(stddev, "stddev", 0.0, math.inf, symmetric=False)
        if isinstance(stddev, (int, float)):
            self.stddev = (float(stddev), float(stddev))
        self.value_range = _value_range(value_range)
        check_bool(clip, "clip")
        self.clip = clip

    def get_random_transformation(self, data, training=True, seed=None):
        if not training:
            return None
        ops = self.backend
        images = self._images(data)
        shape = ops.core.shape(images)
        batch = shape[0] if len(shape) == 4 else 1
        seed = seed or seed_generator(self)
        low, high = self.stddev
        scale = (self.value_range[1] - self.value_range[0]) * ops.random.uniform((batch,), low, high + 1e-12, seed=seed)
        noise = ops.random.normal(shape, seed=seed)
        scale = ops.numpy.reshape(scale, (-1, 1, 1, 1) if len(shape) == 4 else (1, 1, 1))
        return {"noise": noise * scale}

    def _augment_images(self, images, transformation):
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
        if fill not in ("zero", "mean"):
            check_number(fill, "fill")
        self.size = size
        self.fill = fill
        self.num_squares = check_positive_int(num_squares, "num_squares")
        self.rate = check_number(rate, "rate", low=0.0, high=1.0)

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

    def _augment_images(self, images, transformation):
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
