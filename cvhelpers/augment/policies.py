"""The course's augmentation policies, and :func:`describe` for records and cache keys.

:func:`light_policy`, :func:`strong_policy` and :func:`standard_policy`
return ``keras.Sequential`` models (which also take one (h, w, c) image) ready for
:func:`cvhelpers.data.pipeline.make_dataset`'s ``augment``, or to put inside a
model; :func:`stock_standard_policy` is the standard policy built from stock
Keras layers only (the throughput benchmark's baseline).
"""

from __future__ import annotations

import keras

from cvhelpers.augment._base import _PACKAGE, _seed, _value_range
from cvhelpers.augment.layers import RandomGaussianNoise
from cvhelpers.augment.warp import RandomGeometric
from cvhelpers.validation import check_bool


# --------------------------------------------------------------------------
# policies
# --------------------------------------------------------------------------
@keras.saving.register_keras_serializable(package=_PACKAGE, name="Policy")
class _Policy(keras.Sequential):
    """A ``keras.Sequential`` that also takes one (h, w, c) image, as Keras's augmentation layers do.

    A plain ``Sequential`` fixes the rank of its input at the first call, so
    a policy called on a batch then fails on a single image (and the other
    way round). A single image is run as a batch of one and comes back
    without the batch axis; a batch, or a symbolic model input, goes through
    unchanged.
    """

    def __call__(self, inputs, *args, **kwargs):
        if _rank(inputs) != 3:
            return super().__call__(inputs, *args, **kwargs)
        return super().__call__(inputs[None], *args, **kwargs)[0]


def _rank(inputs):
    shape = getattr(inputs, "shape", None)
    try:
        return None if shape is None else len(shape)
    except (TypeError, ValueError):  # a tensor of unknown rank
        return None


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
        (b, h, w, c) float images, or one (h, w, c) image -> same shape, float32.
    """
    seed, _ = _check_policy_args(seed, 1, (0, 1))
    check_bool(fused, "fused")
    layers = keras.layers
    if fused:
        steps = [RandomGeometric(rotation=10 / 360, translation=0.1, zoom=0.1, fill_mode=fill_mode, seed=seed)]
    else:
        steps = [
            layers.RandomRotation(10 / 360, fill_mode=fill_mode, seed=seed),
            layers.RandomTranslation(0.1, 0.1, fill_mode=fill_mode, seed=seed + 1),
            layers.RandomZoom(0.1, fill_mode=fill_mode, seed=seed + 2),
        ]
    return _Policy(steps, name=name)


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
        (b, h, w, c) images in ``value_range``, or one (h, w, c) image -> same shape, float32.
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
        layers.RandomErasing(
            factor=(0.5, 0.5), scale=(0.02, 0.2), fill_value=value_range[0], value_range=value_range, seed=seed + 6
        ),
    ]
    return _Policy(steps, name=name)


def standard_policy(seed: int | None = 0, value_range=(0.0, 1.0), fill_mode: str = "reflect", name="standard_policy"):
    """The benchmark's standard policy, fused: flip, rotation, translation,
    zoom (one :class:`RandomGeometric` warp), brightness, contrast, erasing.

    Same transforms and ranges as :func:`stock_standard_policy`, which uses
    the stock Keras layers one by one.

    Returns
    -------
    keras.Sequential
        (b, h, w, c) images in ``value_range``, or one (h, w, c) image -> same shape, float32.
    """
    seed, value_range = _check_policy_args(seed, 1, value_range)
    layers = keras.layers
    return _Policy(
        [
            RandomGeometric(
                flip="horizontal", rotation=15 / 360, translation=0.1, zoom=0.1, fill_mode=fill_mode, seed=seed
            ),
            layers.RandomBrightness(0.2, value_range=value_range, seed=seed + 1),
            layers.RandomContrast(0.2, value_range=value_range, seed=seed + 2),
            layers.RandomErasing(
                factor=(0.5, 0.5), scale=(0.02, 0.2), fill_value=value_range[0], value_range=value_range, seed=seed + 3
            ),
        ],
        name=name,
    )


def stock_standard_policy(
    seed: int | None = 0, value_range=(0.0, 1.0), fill_mode: str = "reflect", name="stock_standard_policy"
):
    """:func:`standard_policy` built from stock Keras layers only (four warps)."""
    seed, value_range = _check_policy_args(seed, 1, value_range)
    layers = keras.layers
    return _Policy(
        [
            layers.RandomFlip("horizontal", seed=seed),
            layers.RandomRotation(15 / 360, fill_mode=fill_mode, seed=seed + 4),
            layers.RandomTranslation(0.1, 0.1, fill_mode=fill_mode, seed=seed + 5),
            layers.RandomZoom(0.1, fill_mode=fill_mode, seed=seed + 6),
            layers.RandomBrightness(0.2, value_range=value_range, seed=seed + 1),
            layers.RandomContrast(0.2, value_range=value_range, seed=seed + 2),
            layers.RandomErasing(
                factor=(0.5, 0.5), scale=(0.02, 0.2), fill_value=value_range[0], value_range=value_range, seed=seed + 3
            ),
        ],
        name=name,
    )



# --------------------------------------------------------------------------
# describing a policy
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
