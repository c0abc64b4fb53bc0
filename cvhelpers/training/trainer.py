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

import contextlib
import hashlib
import inspect
import time
from collections.abc import Callable
from dataclasses import dataclass

import keras
import numpy as np

from cvhelpers.metrics.classification import BalancedAccuracy
from cvhelpers.validation import check_number, check_positive_int, check_seed

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

    Raises
    ------
    TypeError
        When ``history`` is not a dict.
    ValueError
        When ``seconds`` is not a finite number >= 0 or ``best_epoch`` not an int >= 1.
    """

    model: keras.Model
    history: dict
    seconds: float
    best_epoch: int
    from_cache: bool = False

    def __post_init__(self):
        if not isinstance(self.history, dict):
            raise TypeError(f"history must be a dict of metric to per-epoch values, got {type(self.history).__name__}")
        check_number(self.seconds, "seconds", low=0)
        check_positive_int(self.best_epoch, "best_epoch")


class EpochProgress(keras.callbacks.Callback):
    """One tqdm bar per training: epochs done and the latest validation metrics.

    Raises
    ------
    ValueError
        When ``epochs`` is not a positive int.
    TypeError
        When ``description`` or ``monitor`` is not a string.
    """

    def __init__(self, epochs: int, description: str = "training", monitor: str = "val_balanced_accuracy"):
        check_positive_int(epochs, "epochs")
        for name, text in (("description", description), ("monitor", monitor)):
            if not isinstance(text, str):
                raise TypeError(f"{name} must be a str, got {type(text).__name__}")
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
        Default: the current (default) strategy. ``MirroredStrategy`` (the
        devices of one machine) and ``MultiWorkerMirroredStrategy`` (several
        machines, each started with its own ``TF_CONFIG``, all running the
        same call) need no other change; the batches of ``train_data`` are
        global batches, split across the replicas. Keras 3's ``fit`` fails
        on several workers (keras-team/keras#20585); this function works
        around it for ``MultiWorkerMirroredStrategy``. With ``cache=True``
        every worker reads and writes its own cache: they must all find the
        model there, or none of them.
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

    Raises
    ------
    TypeError
        Naming the argument: ``build_model`` that is a model (or not
        callable) rather than a function returning one, ``optimizer`` that
        is an optimizer rather than a function returning one, data passed as
        arrays instead of a ``tf.data.Dataset``, or ``callbacks`` that are
        not Keras callbacks.
    ValueError
        Naming the argument: ``epochs``, ``steps_per_epoch`` or ``patience``
        that is not a positive int, ``num_classes`` below 2, a negative
        ``seed``, no ``loss`` or ``validation_data``, data that do not yield
        ``(images, labels)`` batches or whose one-hot labels are not
        ``num_classes`` wide, ``class_weight`` without exactly one weight
        >= 0 per class, or a model whose output is not ``num_classes`` wide.
    """
    import tensorflow as tf

    from cvhelpers.data.sampling import check_class_weight

    _check_fit_arguments(build_model, epochs, loss, num_classes, optimizer, steps_per_epoch, seed, patience, callbacks)
    _check_dataset(train_data, "train_data", num_classes)
    _check_dataset(validation_data, "validation_data", num_classes)
    if class_weight is not None:
        class_weight = check_class_weight(class_weight, num_classes)
    strategy = strategy or tf.distribute.get_strategy()
    keras.utils.set_random_seed(seed)
    with strategy.scope():
        model = build_model()
        _check_output_width(model, num_classes)
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
    with _multi_worker_fixes(model, strategy):
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


@contextlib.contextmanager
def _multi_worker_fixes(model, strategy):
    """Let ``model.fit`` train under ``MultiWorkerMirroredStrategy``; other strategies are left alone.

    Keras 3's TensorFlow trainer fails there on two or more workers
    (https://github.com/keras-team/keras/issues/20585): before the first step
    it reduces a whole ``(images, labels)`` batch across the workers, which
    the collective reduce refuses, and after every step it averages each
    scalar log along an axis it does not have. Inside this context ``fit``
    runs in the strategy's scope with the model's own strategy unset, which
    skips the first reduce (the optimizer's and the metrics' variables are
    then made when the first step is traced, still in the scope), and each
    step returns its logs as one-element vectors, which do average across
    the workers. The epoch's logs are read from the metrics, summed over all
    replicas, as before. On leaving, the model is as it was.
    """
    import tensorflow as tf

    if not isinstance(strategy, tf.distribute.MultiWorkerMirroredStrategy):
        yield
        return
    own_strategy = model._distribute_strategy
    model._distribute_strategy = None
    model.train_step, model.test_step = _vector_logs(model.train_step), _vector_logs(model.test_step)
    try:
        with strategy.scope():
            yield
    finally:
        del model.train_step, model.test_step
        model._distribute_strategy = own_strategy
        model.train_function = model.test_function = None  # rebuilt from the plain steps on the next fit


def _vector_logs(step):
    """``step`` with each log it returns given a leading axis of length 1."""

    def step_with_vector_logs(data):
        return keras.tree.map_structure(lambda value: keras.ops.expand_dims(value, 0), step(data))

    return step_with_vector_logs


def check_factories(build_model, optimizer=None) -> None:
    """``build_model`` and ``optimizer`` (optional) must be functions returning a fresh model / optimizer.

    Raises ``TypeError`` naming the argument, e.g. for a built model or
    optimizer passed where :func:`fit` and the methods built on it need a
    function that makes a new one.
    """
    if isinstance(build_model, keras.Model) or not callable(build_model):
        raise TypeError(f"build_model must be a function that returns a fresh model, got {type(build_model).__name__}")
    if optimizer is not None and (isinstance(optimizer, keras.optimizers.Optimizer) or not callable(optimizer)):
        raise TypeError(f"optimizer must be a function that returns a new optimizer (e.g. lambda: "
                        f"keras.optimizers.Adam(1e-3)), got {type(optimizer).__name__}")


def _check_fit_arguments(build_model, epochs, loss, num_classes, optimizer, steps_per_epoch, seed, patience, callbacks):
    """The checks of :func:`fit` on everything but the data and the class weights."""
    check_factories(build_model, optimizer)
    check_positive_int(epochs, "epochs")
    check_positive_int(num_classes, "num_classes", smallest=2)
    if loss is None:
        raise ValueError("loss is required, e.g. keras.losses.SparseCategoricalCrossentropy(from_logits=True)")
    for name, value in (("steps_per_epoch", steps_per_epoch), ("patience", patience)):
        if value is not None:
            check_positive_int(value, name)
    check_seed(seed)
    if not isinstance(callbacks, (list, tuple)) or not all(
        isinstance(callback, keras.callbacks.Callback) for callback in callbacks
    ):
        raise TypeError(f"callbacks must be a sequence of keras.callbacks.Callback, got {callbacks!r}")


def _check_dataset(data, name: str, num_classes: int):
    """``data`` must be a dataset of ``(images, labels)`` batches; one-hot labels ``num_classes`` wide."""
    import tensorflow as tf

    if data is None:
        raise ValueError(f"{name} is required: a tf.data.Dataset of (images, labels) batches")
    if isinstance(data, (tuple, list, dict, np.ndarray)):
        raise TypeError(f"{name} must be a tf.data.Dataset of (images, labels) batches, e.g. "
                        f"cvhelpers.data.pipeline.make_dataset(x, y), got {type(data).__name__}")
    if not isinstance(data, tf.data.Dataset):
        return
    spec = data.element_spec
    if not isinstance(spec, tuple) or len(spec) not in (2, 3):
        raise ValueError(f"{name} must yield (images, labels) batches, got elements {spec}")
    labels = spec[1]
    shape = getattr(labels, "shape", None)
    if shape is not None and shape.rank == 2 and shape[-1] not in (None, 1, num_classes):
        raise ValueError(f"{name} has one-hot labels {shape[-1]} wide but num_classes is {num_classes}")


def _check_output_width(model, num_classes: int):
    """A model with one known output shape must output ``num_classes`` logits."""
    try:
        shape = model.output_shape
    except (AttributeError, ValueError, RuntimeError):
        return
    if isinstance(shape, tuple) and shape and isinstance(shape[-1], int) and shape[-1] != num_classes:
        raise ValueError(f"the model from build_model outputs {shape[-1]} values but num_classes is {num_classes}")


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
