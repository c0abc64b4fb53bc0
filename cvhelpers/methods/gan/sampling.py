"""Drawing images from a trained generator: uint8 images, class grids, top-ups."""

from __future__ import annotations

import keras
import numpy as np

from cvhelpers.validation import check_finite_array, check_labels, check_number, check_positive_int, check_seed

__all__ = ["generate", "class_grid", "plot_class_grid", "top_up_with_synthetic"]


def _check_generator(generator) -> int:
    """The latent size of a ``[noise, labels] -> images`` generator."""
    inputs = getattr(generator, "inputs", None)
    if not callable(generator) or not inputs or len(inputs) != 2:
        raise TypeError(f"generator must be a keras.Model with inputs [noise, labels], got {type(generator).__name__}")
    return inputs[0].shape[-1]


def _num_classes(generator):
    """The classes of the generator's ``"class_embedding"`` layer, or None when it has none."""
    try:
        return int(generator.get_layer("class_embedding").input_dim)
    except (AttributeError, ValueError):
        return None


def _check_labels(labels, generator):
    labels = np.asarray(labels)
    if labels.ndim == 2 and labels.shape[1] == 1:
        labels = labels[:, 0]
    return check_labels(labels, "labels", num_classes=_num_classes(generator)).astype(np.int32)


def generate(generator: keras.Model, labels, seed: int = 0, noise=None, batch_size: int = 512) -> np.ndarray:
    """Generated images for the given labels, as uint8.

    Parameters
    ----------
    generator : keras.Model
        ``[noise, labels] -> images in [-1, 1]``.
    labels : ndarray of shape (n,), int
        Class indices, n >= 1; below the generator's number of classes when
        it has a ``"class_embedding"`` layer (as :func:`build_generator`'s).
    seed : int, default=0
        Seeds the noise when ``noise`` is not given (NumPy, so reproducible
        independently of TensorFlow's state).
    noise : ndarray of shape (n, latent_dim), optional
        Finite.
    batch_size : int, default=512

    Returns
    -------
    ndarray of shape (n, h, w), uint8
        Single-channel images squeezed, like Fashion-MNIST.

    Raises
    ------
    TypeError
        When ``generator`` is not a two-input model, or ``labels`` is not numeric.
    ValueError
        When ``labels`` is empty, not whole numbers, negative or out of range,
        ``noise`` has the wrong shape or is not finite, or ``seed`` or
        ``batch_size`` is invalid.
    """
    latent_dim = _check_generator(generator)
    labels = _check_labels(labels, generator)
    batch_size = check_positive_int(batch_size, "batch_size")
    if noise is None:
        noise = np.random.default_rng(check_seed(seed)).standard_normal((len(labels), latent_dim)).astype(np.float32)
    else:
        check_finite_array(noise, "noise")
    noise = np.asarray(noise, dtype=np.float32)
    if noise.shape != (len(labels), latent_dim):
        raise ValueError(f"noise must have shape ({len(labels)}, {latent_dim}), got {noise.shape}")
    out = []
    for start in range(0, len(labels), batch_size):
        part = generator([noise[start : start + batch_size], labels[start : start + batch_size]], training=False)
        out.append(keras.ops.convert_to_numpy(part))
    images = np.concatenate(out)
    images = np.clip(np.rint((images + 1.0) * 127.5), 0, 255).astype(np.uint8)
    return images[..., 0] if images.shape[-1] == 1 else images


def class_grid(generator: keras.Model, num_classes: int, per_class: int = 8, seed: int = 0) -> np.ndarray:
    """A (num_classes, per_class, h, w) uint8 array: each row one class, same noise per column."""
    latent_dim = _check_generator(generator)
    num_classes = check_positive_int(num_classes, "num_classes")
    per_class = check_positive_int(per_class, "per_class")
    seed = check_seed(seed)
    noise = np.random.default_rng(seed).standard_normal((per_class, latent_dim)).astype(np.float32)
    labels = np.repeat(np.arange(num_classes), per_class)
    images = generate(generator, labels, noise=np.tile(noise, (num_classes, 1)))
    return images.reshape(num_classes, per_class, *images.shape[1:])


def plot_class_grid(grid, class_names=None, title=None, size: float = 0.9):
    """Draw a :func:`class_grid` array, one row per class; returns the figure."""
    import matplotlib.pyplot as plt

    grid = np.asarray(grid)
    if grid.ndim not in (4, 5) or grid.size == 0:
        raise ValueError(f"grid must have shape (num_classes, per_class, h, w), as class_grid makes, got {grid.shape}")
    rows, cols = grid.shape[:2]
    if class_names is not None and len(class_names) != rows:
        raise ValueError(f"class_names must have {rows} names, one per row of grid, got {len(class_names)}")
    size = check_number(size, "size", low=0.0, low_open=True)
    figure, axes = plt.subplots(rows, cols, figsize=(cols * size + 1.2, rows * size), squeeze=False)
    for r in range(rows):
        for c in range(cols):
            ax = axes[r, c]
            ax.imshow(grid[r, c], cmap="gray", vmin=0, vmax=255)
            ax.set_xticks([])
            ax.set_yticks([])
            for spine in ax.spines.values():
                spine.set_visible(False)
        if class_names is not None:
            axes[r, 0].set_ylabel(class_names[r], rotation=0, ha="right", va="center", fontsize=8)
    if title:
        figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    return figure


def top_up_with_synthetic(x, y, generator: keras.Model, target: int, seed: int = 0):
    """Add generated images to every class with fewer than ``target`` images.

    Parameters
    ----------
    x : ndarray of shape (n, h, w), uint8
    y : ndarray of shape (n,), int
    generator : keras.Model
    target : int
        Images per class afterwards (classes above it keep all their real
        images and get none).
    seed : int, default=0

    Returns
    -------
    x_all : ndarray of shape (n + s, h, w), uint8
    y_all : ndarray of shape (n + s,), int64
    is_synthetic : ndarray of shape (n + s,), bool
    """
    target = check_positive_int(target, "target")
    seed = check_seed(seed)
    if np.ndim(x) not in (3, 4):
        raise ValueError(f"x must have shape (n, h, w) or (n, h, w, c), got {np.shape(x)}")
    y = check_labels(y, "y", length=len(x), length_of="images in x")
    counts = np.bincount(y)
    needed = np.concatenate([np.full(max(target - n, 0), c, dtype=np.int64) for c, n in enumerate(counts)])
    if len(needed) == 0:
        return np.asarray(x), y, np.zeros(len(y), bool)
    fake = generate(generator, needed, seed=seed)
    if fake.shape[1:] != np.asarray(x).shape[1:]:
        raise ValueError(f"generated images have shape {fake.shape[1:]}, x has {np.asarray(x).shape[1:]}")
    x_all = np.concatenate([x, fake])
    y_all = np.concatenate([y, needed])
    return x_all, y_all, np.concatenate([np.zeros(len(y), bool), np.ones(len(needed), bool)])
