"""DiffAugment: differentiable augmentation of real and generated images.

**DiffAugment** (Zhao et al. 2020): the same differentiable translation and
cutout applied to real and generated images before the discriminator sees
them, in both steps of :class:`cvhelpers.methods.gan.ConditionalGAN`. With 54 images
in the rarest class, a discriminator without it memorises the real tail
images.
"""

from __future__ import annotations

import keras

from cvhelpers.validation import check_number

__all__ = ["DIFF_AUGMENT_POLICIES", "diff_augment"]

DIFF_AUGMENT_POLICIES = ("translation", "cutout")


def _shift_matrices(shifts, size):
    """(b,) int shifts -> (b, size, size) float matrices S with (S @ v)[i] = v[i - shift]."""
    rows = keras.ops.arange(size)[None, :, None]
    cols = keras.ops.arange(size)[None, None, :]
    return keras.ops.cast(keras.ops.equal(cols, rows - shifts[:, None, None]), "float32")


def diff_augment(
    images, seed_generator=None, policy=DIFF_AUGMENT_POLICIES, translation: float = 0.125, cutout: float = 0.5
):
    """Differentiable augmentation for both real and generated images.

    DiffAugment (Zhao et al. 2020) without its colour op, which suits RGB
    photos more than greyscale garments. Written by hand because Keras's
    augmentation layers are not differentiable with respect to their input
    in every op and draw one transform per batch in some of them.

    Parameters
    ----------
    images : tensor of shape (b, h, w, c), float32 in [-1, 1]
    seed_generator : keras.random.SeedGenerator or int, optional
    policy : sequence of {"translation", "cutout"}
    translation : float in [0, 1], default=0.125
        Largest shift as a fraction of the side; zero padding (black, -1 in
        the generator's range, is not used: 0 after padding means mid-grey,
        so images are shifted in [0, 1] units and mapped back).
    cutout : float in [0, 1], default=0.5
        Side of the square cut out, as a fraction of the image side.

    Returns
    -------
    tensor of shape (b, h, w, c)
        The same transform gradient flows through (translation is a pair of
        shift-matrix products, cutout a mask product).

    Raises
    ------
    ValueError
        When ``images`` is not 4-D, ``policy`` holds an unknown name, or
        ``translation`` or ``cutout`` is NaN, infinite or outside [0, 1].
    """
    ops = keras.ops
    if isinstance(policy, str):
        raise ValueError(f"policy must be a sequence of {DIFF_AUGMENT_POLICIES}, got the string {policy!r}")
    unknown = set(policy) - set(DIFF_AUGMENT_POLICIES)
    if unknown:
        raise ValueError(f"policy must hold only {DIFF_AUGMENT_POLICIES}, got {sorted(unknown)}")
    translation = check_number(translation, "translation", low=0.0, high=1.0)
    cutout = check_number(cutout, "cutout", low=0.0, high=1.0)
    if len(images.shape) != 4:
        raise ValueError(f"images must have shape (b, h, w, c), got {tuple(images.shape)}")
    batch = ops.shape(images)[0]
    height, width = images.shape[1], images.shape[2]
    x = (images + 1.0) / 2.0  # background 0
    if "translation" in policy and translation > 0:
        max_y, max_x = int(height * translation), int(width * translation)
        dy = keras.random.randint((batch,), -max_y, max_y + 1, seed=seed_generator)
        dx = keras.random.randint((batch,), -max_x, max_x + 1, seed=seed_generator)
        rows = _shift_matrices(dy, height)  # (b, h, h)
        cols = _shift_matrices(dx, width)  # (b, w, w)
        channels_first = ops.transpose(x, (0, 3, 1, 2))  # (b, c, h, w)
        moved = ops.einsum("bij,bcjk,blk->bcil", rows, channels_first, cols)
        x = ops.transpose(moved, (0, 2, 3, 1))
    if "cutout" in policy and cutout > 0:
        side_y, side_x = int(height * cutout + 0.5), int(width * cutout + 0.5)
        cy = keras.random.randint((batch,), 0, height + 1 - side_y % 2, seed=seed_generator)
        cx = keras.random.randint((batch,), 0, width + 1 - side_x % 2, seed=seed_generator)
        yy = ops.arange(height)[None, :, None]
        xx = ops.arange(width)[None, None, :]
        inside_y = ops.logical_and(
            yy >= (cy - side_y // 2)[:, None, None], yy < (cy - side_y // 2 + side_y)[:, None, None]
        )
        inside_x = ops.logical_and(
            xx >= (cx - side_x // 2)[:, None, None], xx < (cx - side_x // 2 + side_x)[:, None, None]
        )
        mask = 1.0 - ops.cast(ops.logical_and(inside_y, inside_x), "float32")
        x = x * mask[..., None]
    return x * 2.0 - 1.0
