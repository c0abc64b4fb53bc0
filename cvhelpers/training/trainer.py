"""Training: one ``fit`` for every method, under any ``tf.distribute`` strategy.

:func:`fit` seeds everything, builds and compiles the model inside the
strategy's scope, trains with ``validation_data``, keeps the epoch with the
best validation *balanced* accuracy (never the test set), shows one progress
bar per training, and can cache the trained model (:mod:`cvhelpers.cache`,
keyed by everything that decides it) so a rerun, or a later notebook, reuses
it. ``fit(..., seed=s)`` on pipelines from :mod:`cvhelpers.data.pipeline` gives
bit-identical weights on the CPU whatever ran before it in the process,
unless random augmentation is mapped in parallel.

Used in notebooks 02-06. Running it on several GPUs or machines only takes a
different ``strategy`` (see the README).

The two-stage methods of notebook 05 (cRT, fine-tuning, DRW) are in
:mod:`cvhelpers.training.two_stage`.
"""

from __future__ import annotations

import hashlib
import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass

import keras
import numpy as np

from cvhelpers.metrics.classification import BalancedAccuracy

__all__ = [
    "FitResult",
    "EpochProgress",
    "fit",
]


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


class EpochProgress(keras.callbacks.Callback):
    """One tqdm bar per training: epochs done and the latest validation metrics."""

    def __init__(self, epochs: int, description: str = "training", monitor: str = "val_balanced_accuracy"):
        super().__init__()
        self.epochs = epochs
        self.description = description
        self.monitor = monitor
        self.bar = None

    def on_train_begin(self, logs=None):
        from cvhelpers.progress import progress_bar

        self.bar = progress_bar(total=self.epochs, desc=self.description, unit="epoch", leave=True)

    def on_epoch_end(self, epoch, logs=None):
        logs = logs or {}
        shown = {key: f"{logs[key]:.3f}" for key in ("loss", self.monitor) if key in logs}
        self.bar.set_postfix(shown, refresh=False)
        self.bar.update(1)

    def on_train_end(self, logs=None):
        if self.bar is not None:
            self.bar.close()


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
    cache: bool = False,
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
        With the same pipelines (built afresh, e.g. by
        :mod:`cvhelpers.data.pipeline`) the same seed gives bit-identical weights
        on the CPU, whatever ran before in the process; random augmentation
        mapped in parallel is the exception.
    strategy : tf.distribute.Strategy, optional
        Default: the current (default) strategy. MirroredStrategy and
        MultiWorkerMirroredStrategy work unchanged.
    patience : int, optional
        Stop after this many epochs without improvement; default never stop
        early (but still restore the best epoch).
    cache : bool, default=False
        Keep the trained weights in the model cache (:mod:`cvhelpers.cache`)
        and load them on a later call that would train the same model. The
        key is derived from what is trained: the built model (its layers and
        initial weights), the loss and optimizer with their arguments, class
        weights, epochs, steps, patience, seed, callbacks, the fingerprints
        of both pipelines, this function's source and the Keras and
        TensorFlow versions. When something cannot be keyed (a pipeline
        without a fingerprint), the model is trained and not cached, with a
        :class:`~cvhelpers.cache.CacheWarning` that says why.
    cache_dir : path-like, optional
        Default :func:`cvhelpers.cache.default_cache_dir`.
    progress : bool or str, default=True
        Show a progress bar; a string sets its description.
    callbacks : sequence of keras.callbacks.Callback

    Returns
    -------
    FitResult
    """
    import tensorflow as tf

    from cvhelpers.data.sampling import check_class_weight

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

    entry = None
    if cache:
        entry = _cache_entry(cache_dir, model, dict(
            loss=loss, class_weight=class_weight, epochs=epochs, steps_per_epoch=steps_per_epoch, patience=patience,
            seed=seed, num_classes=num_classes, train_data=train_data, validation_data=validation_data,
            callbacks=list(callbacks), strategy=strategy,
        ))
    if entry is not None:
        def read(meta):
            with strategy.scope():  # the file holds the optimizer's state too: give it variables to load into
                model.optimizer.build(model.trainable_variables)
            model.load_weights(entry.file(".weights.h5"))
            return FitResult(model, meta["history"], 0.0, meta["best_epoch"], from_cache=True)

        cached = entry.load(read)
        if cached is not None:
            return cached

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

    if entry is not None:
        entry.save({"history": logs, "best_epoch": best_epoch, "seconds": seconds},
                   {".weights.h5": model.save_weights})
    return FitResult(model, logs, seconds, best_epoch)


def _cache_entry(cache_dir, model, arguments: dict):
    """The cache entry for this training, or None (with a warning) when it cannot be keyed."""
    import tensorflow as tf

    from cvhelpers.cache import describe_model, entry_for

    strategy = arguments.pop("strategy")
    config = {
        "trainer": _trainer_source(),
        "model": describe_model(model),
        "optimizer": model.optimizer,
        **arguments,
        "strategy": {"class": type(strategy).__name__, "replicas": int(strategy.num_replicas_in_sync)},
        "keras": keras.__version__,
        "tensorflow": tf.__version__,
    }
    return entry_for("fit", config, cache_dir)


def _trainer_source() -> str:
    """A hash of the code that decides what :func:`fit` returns: itself and its metric."""
    text = inspect.getsource(fit) + inspect.getsource(BalancedAccuracy)
    return hashlib.sha256(text.encode()).hexdigest()[:32]
