"""Drawing images from a trained generator: uint8 images, class grids, top-ups."""

from __future__ import annotations

import keras
import numpy as np

from cvhelpers._checks import _check_positive_int

__all__ = ["generate", "class_grid", "plot_class_grid", "top_up_with_synthetic"]


def generate(generator: keras.Model, labels, seed: int = 0, noise=None, batch_size: int = 512) -> np.ndarray:
    """Generated images for the given labels, as uint8.

    Parameters
    ----------
    generator : keras.Model
        ``[noise, labels] -> images in [-1, 1]``.
    labels : ndarray of shape (n,), int
    seed : int, default=0
        Seeds the noise when ``noise`` is not given (NumPy, so reproducible
        independently of TensorFlow's state).
    noise : ndarray of shape (n, latent_dim), optional

    Returns
    -------
    ndarray of shape (n, h, w), uint8
        Single-channel images squeezed, like Fashion-MNIST.
    """
    labels = np.asarray(labels).astype(np.int32).reshape(-1)
    latent_dim = generator.inputs[0].shape[-1]
    if noise is None:
        noise = np.random.default_rng(seed).standard_normal((len(labels), latent_dim)).astype(np.float32)
    noise = np.asarray(noise, dtype=np.float32)
    if noise.shape != (len(labels), latent_dim):
        raise ValueError(f"noise must have shape ({len(labels)}, {latent_dim}), got {noise.shape}")
    if len(labels) == 0:
        raise ValueError("labels is empty")
    out = []
    for start in range(0, len(labels), batch_size):
        part = generator([noise[start : start + batch_size], labels[start : start + batch_size]], training=False)
        out.append(keras.ops.convert_to_numpy(part))
    images = np.concatenate(out)
    images = np.clip(np.rint((images + 1.0) * 127.5), 0, 255).astype(np.uint8)
    return images[..., 0] if images.shape[-1] == 1 else images


def class_grid(generator: keras.Model, num_classes: int, per_class: int = 8, seed: int = 0) -> np.ndarray:
    """A (num_classes, per_class, h, w) uint8 array: each row one class, same noise per column."""
    latent_dim = generator.inputs[0].shape[-1]
    noise = np.random.default_rng(seed).standard_normal((per_class, latent_dim)).astype(np.float32)
    labels = np.repeat(np.arange(num_classes), per_class)
    images = generate(generator, labels, noise=np.tile(noise, (num_classes, 1)))
    return images.reshape(num_classes, per_class, *images.shape[1:])


def plot_class_grid(grid, class_names=None, title=None, size: float = 0.9):
    """Draw a :func:`class_grid` array, one row per class; returns the figure."""
    import matplotlib.pyplot as plt

    rows, cols = grid.shape[:2]
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
    target = _check_positive_int(target, "target")
    y = np.asarray(y).astype(np.int64)
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
