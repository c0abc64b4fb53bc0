"""Callbacks for :class:`cvhelpers.methods.gan.ConditionalGAN`'s ``fit``: sample grids and a Fréchet curve."""

from __future__ import annotations

import keras
import numpy as np

from cvhelpers.methods.gan.sampling import class_grid, generate
from cvhelpers.metrics.generative import frechet_distance
from cvhelpers.validation import check_finite_array, check_labels, check_positive_int, check_seed

__all__ = ["SampleGrid", "FrechetCurve"]


class SampleGrid(keras.callbacks.Callback):
    """Keep a per-class sample grid every ``every`` epochs (same noise each time).

    Parameters
    ----------
    num_classes : int
    every : int, default=1
        Epochs between grids.
    per_class : int, default=6
    seed : int, default=0
        Fixes the noise, so successive grids show the same "samples" improving.
    on_grid : callable, optional
        Called with ``(epoch, grid)`` after each grid, e.g. to draw or save it
        while training runs.

    Attributes
    ----------
    grids : dict of int to ndarray (num_classes, per_class, h, w) uint8
        Keyed by the 1-based epoch.
    """

    def __init__(self, num_classes: int, every: int = 1, per_class: int = 6, seed: int = 0, on_grid=None):
        super().__init__()
        self.num_classes = check_positive_int(num_classes, "num_classes")
        self.every = check_positive_int(every, "every")
        self.per_class = check_positive_int(per_class, "per_class")
        self.seed = check_seed(seed)
        if on_grid is not None and not callable(on_grid):
            raise TypeError(f"on_grid must be callable with (epoch, grid), got {type(on_grid).__name__}")
        self.on_grid = on_grid
        self.grids = {}

    def on_epoch_end(self, epoch, logs=None):
        if (epoch + 1) % self.every:
            return
        grid = class_grid(self.model.generator, self.num_classes, self.per_class, self.seed)
        self.grids[epoch + 1] = grid
        if self.on_grid is not None:
            self.on_grid(epoch + 1, grid)


class FrechetCurve(keras.callbacks.Callback):
    """Per-class Fréchet distance every ``every`` epochs, written into the logs.

    Adds ``frechet_<c>`` for every class ``c`` (and ``frechet_mean``) to the
    epoch logs, so the curve lands in the ``History`` (and in the cache of
    :func:`train_conditional_gan`). Costs ``num_classes * per_class``
    generated images and their features per measurement.

    Parameters
    ----------
    features : callable
        ``uint8 images (n, h, w) -> features (n, d)``, e.g. a judge's encoder.
    real_features : ndarray of shape (m, d)
        Features of real reference images, finite.
    real_labels : ndarray of shape (m,), int
        Class indices (>= 0) of the rows of ``real_features``.
    per_class : int, default=200
    every : int, default=1
    seed : int, default=0
        Fixes the noise, so the curve measures the generator, not the draw.
    """

    def __init__(self, features, real_features, real_labels, per_class: int = 200, every: int = 1, seed: int = 0):
        super().__init__()
        if not callable(features):
            raise TypeError(f"features must be callable, got {type(features).__name__}")
        self.features = features
        check_finite_array(real_features, "real_features", ndim=2)
        self.real_features = np.asarray(real_features)
        self.real_labels = check_labels(real_labels, "real_labels", length=len(self.real_features),
                                        length_of="rows in real_features")
        self.classes = np.unique(self.real_labels)
        self.per_class = check_positive_int(per_class, "per_class")
        self.every = check_positive_int(every, "every")
        self.seed = check_seed(seed)

    def on_epoch_end(self, epoch, logs=None):
        if logs is None:
            return
        if (epoch + 1) % self.every:
            logs.update({f"frechet_{int(c)}": float("nan") for c in self.classes}, frechet_mean=float("nan"))
            return
        labels = np.repeat(self.classes, self.per_class)
        fake = self.features(generate(self.model.generator, labels, seed=self.seed))
        values = []
        for c in self.classes:
            value = frechet_distance(self.real_features[self.real_labels == c], fake[labels == c])
            logs[f"frechet_{int(c)}"] = value
            values.append(value)
        logs["frechet_mean"] = float(np.mean(values))
