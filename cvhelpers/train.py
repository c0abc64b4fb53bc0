"""Training: one ``fit`` for every method, under any ``tf.distribute`` strategy.

:func:`fit` seeds everything, builds and compiles the model inside the
strategy's scope, trains with ``validation_data``, keeps the epoch with the
best validation *balanced* accuracy (never the test set), shows one progress
bar per training, and can cache the trained weights by configuration so a
rerun, or a later notebook, reuses them.

Used in notebooks 02-06. Running it on several GPUs or machines only takes a
different ``strategy`` (see the README).
"""

from __future__ import annotations

import hashlib
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

import keras
import numpy as np

from cvhelpers.evaluation import BalancedAccuracy

__all__ = ["FitResult", "EpochProgress", "fit", "config_key", "default_cache_dir"]

_PROJECT_ROOT = Path(__file__).resolve().parent.parent


@dataclass
class FitResult:
    """A trained model and how it got there.

    Attributes
    ----------
    model : keras.Model
        With the weights of the best validation epoch.
    history : dict of str to list of float
        Keras's per-epoch logs.
    seconds : float
        Wall-clock training time (0 when loaded from the cache).
    best_epoch : int
        1-based epoch whose weights were kept.
    from_cache : bool
    """

    model: keras.Model
    history: dict
    seconds: float
    best_epoch: int
    from_cache: bool = False
    images_seen: int = field(default=0)


class EpochProgress(keras.callbacks.Callback):
    """One tqdm bar per training: epochs done and the latest validation metrics."""

    def __init__(self, epochs: int, description: str = "training", monitor: str = "val_balanced_accuracy"):
        super().__init__()
        self.epochs = epochs
        self.description = description
        self.monitor = monitor
        self.bar = None

    def on_train_begin(self, logs=None):
        from tqdm.auto import tqdm

        self.bar = tqdm(total=self.epochs, desc=self.description, unit="epoch", leave=True)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        shown = {key: f"{logs[key]:.3f}" for key in ("loss", self.monitor) if key in logs}
        self.bar.set_postfix(shown, refresh=False)
        self.bar.update(1)

    def on_train_end(self, logs=None):
        if self.bar is not None:
            self.bar.close()


def default_cache_dir() -> Path:
    """``build/models`` in the cvlab checkout (or under the current folder)."""
    if (_PROJECT_ROOT / "notebooks").is_dir():
        return _PROJECT_ROOT / "build" / "models"
    return Path.cwd() / "build" / "models"


def config_key(config: dict) -> str:
    """A short, stable hash of a JSON-able configuration dict."""
    text = json.dumps(config, sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:16]


def fit(
    build_model: Callable[[], keras.Model],
    train_data,
    validation_data,
    *,
    epochs: int,
    loss,
    num_classes: int,
    optimizer: Callable[[], keras.optimizers.Optimizer] | None = None,
    steps_per_epoch: int | None = None,
    class_weight: dict | None = None,
    seed: int = 0,
    strategy=None,
    patience: int | None = None,
    cache_key: dict | str | None = None,
    cache_dir=None,
    progress: bool | str = True,
    callbacks=(),
) -> FitResult:
    """Train a model and keep its best epoch by validation balanced accuracy.

    Parameters
    ----------
    build_model : callable
        Returns a fresh, uncompiled model. It is called inside the strategy's
        scope, which ``tf.distribute`` needs.
    train_data : tf.data.Dataset
        Batches of ``(images, labels)``; infinite datasets need
        ``steps_per_epoch``.
    validation_data : tf.data.Dataset
        Batches of ``(images, labels)``, e.g. from
        ``pipeline.make_dataset(x_val, y_val, shuffle=False)``.
    epochs : int
    loss : keras.losses.Loss or str
    num_classes : int
    optimizer : callable, optional
        Returns a new optimizer; default Adam with learning rate 1e-3.
    steps_per_epoch : int, optional
    class_weight : dict of int to float, optional
        Checked to hold exactly one weight per class.
    seed : int, default=0
        Passed to ``keras.utils.set_random_seed`` before building the model.
    strategy : tf.distribute.Strategy, optional
        Default: the current (default) strategy. MirroredStrategy and
        MultiWorkerMirroredStrategy work unchanged.
    patience : int, optional
        Stop after this many epochs without improvement; default never stop
        early (but still restore the best epoch).
    cache_key : dict or str, optional
        Cache the trained weights under ``cache_dir`` by this configuration;
        a later call with the same key loads them instead of training. The
        key must describe everything that changes the result.
    cache_dir : path-like, optional
        Default :func:`default_cache_dir`.
    progress : bool or str, default=True
        Show a progress bar; a string sets its description.
    callbacks : sequence of keras.callbacks.Callback

    Returns
    -------
    FitResult
    """
    import tensorflow as tf

    from cvhelpers.results import atomic_write_text
    from cvhelpers.sampling import check_class_weight

    if epochs < 1:
        raise ValueError(f"epochs must be at least 1, got {epochs}")
    if class_weight is not None:
        class_weight = check_class_weight(class_weight, num_classes)
    strategy = strategy or tf.distribute.get_strategy()
    keras.utils.set_random_seed(seed)
    with strategy.scope():
        model = build_model()
        model.compile(
            optimizer=(optimizer or (lambda: keras.optimizers.Adam(1e-3)))(),
            loss=loss,
            metrics=[BalancedAccuracy(num_classes)],
        )

    weights_path = history_path = None
    if cache_key is not None:
        key = cache_key if isinstance(cache_key, str) else config_key(cache_key)
        folder = Path(cache_dir or default_cache_dir())
        weights_path = folder / f"{key}.weights.h5"
        history_path = folder / f"{key}.json"
        if weights_path.is_file() and history_path.is_file():
            model.load_weights(weights_path)
            saved = json.loads(history_path.read_text())
            return FitResult(model, saved["history"], 0.0, saved["best_epoch"], from_cache=True)

    monitor = "val_balanced_accuracy"
    keeper = keras.callbacks.EarlyStopping(
        monitor=monitor, mode="max", patience=patience or epochs, restore_best_weights=True
    )
    all_callbacks = [keeper, *callbacks]
    if progress:
        description = progress if isinstance(progress, str) else "training"
        all_callbacks.append(EpochProgress(epochs, description, monitor))
    started = time.perf_counter()
    history = model.fit(
        train_data,
        validation_data=validation_data,
        epochs=epochs,
        steps_per_epoch=steps_per_epoch,
        class_weight=class_weight,
        callbacks=all_callbacks,
        shuffle=False,  # the tf.data pipeline shuffles
        verbose=0,
    )
    seconds = time.perf_counter() - started
    logs = {key: [float(v) for v in values] for key, values in history.history.items()}
    best_epoch = int(np.argmax(logs[monitor])) + 1 if monitor in logs else len(logs.get("loss", [1]))

    if weights_path is not None:
        weights_path.parent.mkdir(parents=True, exist_ok=True)
        temporary = weights_path.with_name(f".{weights_path.name}.tmp.weights.h5")
        model.save_weights(temporary)
        temporary.replace(weights_path)
        atomic_write_text(history_path, json.dumps({"history": logs, "best_epoch": best_epoch, "seconds": seconds}))
    return FitResult(model, logs, seconds, best_epoch)
