"""The course's best long-tail recipe as one call: :func:`long_tail_recipe`.

Oversampling with augmented copies plus context-rich minority oversampling
(CMO, Park et al. 2022), a short phase at a lower learning rate, then
classifier re-training (cRT, Kang et al. 2020). Every step trains through
:func:`cvhelpers.training.trainer.fit` (directly or through the second stages of
:mod:`cvhelpers.training.two_stage`), so each keeps its best epoch by
validation balanced accuracy and comes from the model cache on a rerun.
"""

from __future__ import annotations

import functools
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass

import keras
import numpy as np

from cvhelpers import augment
from cvhelpers.augment.warp import FILL_MODES
from cvhelpers.data import pipeline
from cvhelpers.training.trainer import FitResult, check_factories, fit
from cvhelpers.training.two_stage import fine_tune, retrain_classifier
from cvhelpers.validation import (
    check_bool,
    check_labels,
    check_number,
    check_positive_int,
    check_same_length,
    check_seed,
)

__all__ = ["RecipeResult", "long_tail_recipe"]

#: The steps' names, in the order they run; the first stage is one of the first two.
OVERSAMPLING = "oversampling + augmented copies"
CMO = "oversampling + augmented copies + CMO"
LOW_RATE = "low learning rate"
CRT = "cRT"


@dataclass
class RecipeResult:
    """What :func:`long_tail_recipe` returns.

    Attributes
    ----------
    model : keras.Model
        The last step's model.
    steps : OrderedDict of str to FitResult
        Every step that ran, in order: :data:`CMO` (or :data:`OVERSAMPLING`),
        :data:`LOW_RATE` (unless skipped) and :data:`CRT`.
    seconds : dict of str to float
        Wall-clock seconds of each step, data preparation and cache loading
        included (``FitResult.seconds`` is the training time alone).

    Raises
    ------
    TypeError
        When ``steps`` is not a dict of ``FitResult``.
    ValueError
        When ``seconds`` does not hold one finite number >= 0 per step.
    """

    model: keras.Model
    steps: OrderedDict
    seconds: dict

    def __post_init__(self):
        if not isinstance(self.steps, dict) or not all(isinstance(r, FitResult) for r in self.steps.values()):
            raise TypeError(f"steps must be a dict of step name to FitResult, got {self.steps!r}")
        if not isinstance(self.seconds, dict) or set(self.seconds) != set(self.steps):
            raise ValueError(f"seconds must hold one entry per step {list(self.steps)}, got {self.seconds!r}")
        for name, value in self.seconds.items():
            check_number(value, f"seconds[{name!r}]", low=0)

    @property
    def total_seconds(self) -> float:
        """Wall-clock seconds of all steps."""
        return float(sum(self.seconds.values()))


def long_tail_recipe(
    x_train,
    y_train,
    x_val,
    y_val,
    *,
    build_model: Callable[[], keras.Model],
    num_classes: int | None = None,
    epochs: int = 8,
    batch_size: int = 128,
    learning_rate: float = 1e-3,
    context_rich: bool = True,
    cmo_probability: float = 0.5,
    low_rate_epochs: int = 3,
    low_rate_factor: float = 0.1,
    crt_epochs: int = 10,
    seed: int = 0,
    cache: bool = True,
    progress: bool | str = True,
    optimizer: Callable[[], keras.optimizers.Optimizer] | None = None,
    fill_mode: str = "constant",
) -> RecipeResult:
    """Train a classifier on long-tailed data with the course's best recipe.

    1. **First stage** (:data:`CMO`), ``epochs`` epochs of
       :func:`cvhelpers.augment.oversample_with_augmented_copies` (class-balanced
       epochs whose repeated images are lightly augmented copies), into
       which :func:`cvhelpers.augment.context_rich_oversampling` pastes, with
       ``cmo_probability``, a box of a class-balanced, augmented batch (labels
       mixed by area; one-hot cross-entropy). CMO: Park et al., "The majority
       can help the minority: context-rich minority oversampling for
       long-tailed classification", CVPR 2022. ``context_rich=False`` trains
       the copies alone (:data:`OVERSAMPLING`, sparse cross-entropy).
    2. **Low learning rate** (:data:`LOW_RATE`): ``low_rate_epochs`` epochs of
       fresh augmented copies at ``learning_rate * low_rate_factor``, the
       whole network (:func:`cvhelpers.training.two_stage.fine_tune`);
       ``low_rate_epochs=0`` skips it.
    3. **cRT** (:data:`CRT`): the encoder frozen, the classifier re-trained
       from scratch on class-balanced batches
       (:func:`cvhelpers.training.two_stage.retrain_classifier`). Kang et al.,
       "Decoupling representation and classifier for long-tailed
       recognition", ICLR 2020.

    The recipe was chosen by the three-seed study of the long-tail methods
    on Fashion-MNIST-LT (r = 100, full profile): ``make experiment
    EXPERIMENT_ARGS="--core"`` runs ``experiments/lt_methods.py`` and writes
    its rows "context-rich oversampling on augmented copies ..." to
    ``build/bench/lt_methods_core.json``. Used in notebook 05.

    Parameters
    ----------
    x_train : ndarray of shape (n, h, w) or (n, h, w, c), uint8 or float in [0, 1]
    y_train : ndarray of shape (n,), int
        Class indices, long-tailed.
    x_val, y_val : ndarray
        Validation split, same layout: every step keeps its best epoch on it.
    build_model : callable
        Returns a fresh, uncompiled model with layers ``"encoder"`` and
        ``"classifier"``, e.g. ``lambda: models.small_cnn(seed=0)``.
    num_classes : int, optional
        Default ``max(y_train) + 1``.
    epochs : int, default=8
        Of the first stage.
    batch_size : int, default=128
        Of every step; at least the number of classes, at most ``n``. An
        epoch is ``n // batch_size`` steps.
    learning_rate : float, default=1e-3
        Adam's, for the first stage (unless ``optimizer`` is given) and cRT.
    context_rich : bool, default=True
    cmo_probability : float in [0, 1], default=0.5
        Share of first-stage batches that get a pasted box (the paper's value).
    low_rate_epochs : int >= 0, default=3
    low_rate_factor : float in (0, 1], default=0.1
    crt_epochs : int, default=10
    seed : int, default=0
        The same seed gives the same steps (and the same cache entries).
    cache : bool, default=True
        Use the model cache (:mod:`cvhelpers.cache`) for every step: a rerun
        loads each step instead of training it.
    progress : bool or str, default=True
        One progress bar per step, named after it; a string prefixes the names.
    optimizer : callable, optional
        Returns a new optimizer for the first stage, e.g.
        :meth:`cvhelpers.experiment.LongTailProtocol.optimizer` (a schedule);
        default Adam at ``learning_rate``.
    fill_mode : {"constant", "nearest", "reflect", "wrap"}, default="constant"
        What the light policy's warps fill in: black (``"constant"``, right
        for Fashion-MNIST's black background) or the image's own edge
        (``"nearest"``, right for letterboxed drawings or photos:
        :attr:`cvhelpers.experiment.LongTailProtocol.augment_fill_mode`).

    Returns
    -------
    RecipeResult
        ``model``, a ``keras.Model`` mapping (b, h, w, c) float32 images in
        [0, 1] to (b, num_classes) logits; ``steps``, the ``FitResult`` of
        each step, in order; ``seconds`` per step.

    Raises
    ------
    TypeError
        Naming the argument: ``build_model`` or ``optimizer`` that is not a
        function returning a fresh one, a flag that is not a bool, or a
        ``progress`` that is neither a bool nor a str.
    ValueError
        Naming the argument, before any training: images that are not
        (n, h, w[, c]) arrays, labels that are not class indices (one per
        image, below ``num_classes``), a count that is not an int in range
        (``batch_size`` below the classes or above ``n`` included), a
        ``learning_rate``, ``cmo_probability`` or ``low_rate_factor`` out of
        range, or a negative ``seed``.
    """
    y_train, y_val, num_classes = _check_data(x_train, y_train, x_val, y_val, num_classes)
    check_factories(build_model, optimizer)
    for name, flag in (("context_rich", context_rich), ("cache", cache)):
        check_bool(flag, name)
    if not isinstance(progress, (bool, str)):
        raise TypeError(f"progress must be a bool or a str, got {type(progress).__name__}")
    check_positive_int(epochs, "epochs")
    check_positive_int(crt_epochs, "crt_epochs")
    check_positive_int(low_rate_epochs, "low_rate_epochs", smallest=0)
    if not num_classes <= check_positive_int(batch_size, "batch_size") <= len(y_train):
        raise ValueError(f"batch_size must be between the {num_classes} classes and the {len(y_train)} training "
                         f"images, got {batch_size}")
    check_number(learning_rate, "learning_rate", low=0, low_open=True)
    check_number(cmo_probability, "cmo_probability", low=0, high=1)
    check_number(low_rate_factor, "low_rate_factor", low=0, high=1, low_open=True)
    check_seed(seed)
    if fill_mode not in FILL_MODES:
        raise ValueError(f"fill_mode must be one of {FILL_MODES}, got {fill_mode!r}")
    policy = functools.partial(augment.light_policy, fill_mode=fill_mode)
    x_train, x_val = np.asarray(x_train), np.asarray(x_val)
    shared = dict(num_classes=num_classes, seed=seed, cache=cache)
    steps_per_epoch = len(y_train) // batch_size
    first_name = CMO if context_rich else OVERSAMPLING

    def first_stage(_):
        one_hot = num_classes if context_rich else None
        copies = augment.oversample_with_augmented_copies(
            x_train, y_train, policy(seed=seed), epochs=epochs, seed=seed, batch_size=batch_size)
        if context_rich:
            copies = augment.context_rich_oversampling(
                x_train, y_train, copies, augment.light_policy(seed=seed + 2), probability=cmo_probability,
                batch_size=batch_size, seed=seed + 1, num_classes=num_classes)
        losses = keras.losses
        loss = losses.CategoricalCrossentropy if context_rich else losses.SparseCategoricalCrossentropy
        return fit(build_model, copies, _validation(x_val, y_val, one_hot), epochs=epochs,
                   loss=loss(from_logits=True), steps_per_epoch=steps_per_epoch,
                   optimizer=optimizer or (lambda: keras.optimizers.Adam(learning_rate)),
                   progress=_description(progress, first_name), **shared)

    def low_rate(model):
        fresh = augment.oversample_with_augmented_copies(
            x_train, y_train, policy(seed=seed + 1000), epochs=low_rate_epochs, seed=seed + 1000,
            batch_size=batch_size)
        return fine_tune(model, fresh, _validation(x_val, y_val), epochs=low_rate_epochs,
                         steps_per_epoch=steps_per_epoch, learning_rate=learning_rate * low_rate_factor,
                         progress=_description(progress, LOW_RATE), **shared)

    def crt(model):
        return retrain_classifier(model, x_train, y_train, x_val, y_val, epochs=crt_epochs, batch_size=batch_size,
                                  learning_rate=learning_rate, seed=seed, cache=cache,
                                  progress=_description(progress, CRT))

    plan = [(first_name, first_stage), (LOW_RATE, low_rate), (CRT, crt)]
    return _run([(name, step) for name, step in plan if name != LOW_RATE or low_rate_epochs])


def _run(plan) -> RecipeResult:
    """Run ``(name, step)`` pairs in order, each on the previous step's model."""
    steps, seconds, model = OrderedDict(), {}, None
    for name, step in plan:
        started = time.perf_counter()
        steps[name] = step(model)
        seconds[name] = time.perf_counter() - started
        model = steps[name].model
    return RecipeResult(model, steps, seconds)


def _validation(x_val, y_val, num_classes=None):
    """The validation batches, as :meth:`cvhelpers.experiment.LongTailProtocol.validation_dataset` makes them."""
    return pipeline.make_dataset(x_val, y_val, 512, shuffle=False, num_classes=num_classes)


def _description(progress, name):
    """The progress argument of one step: off, the step's name, or the caller's prefix and the name."""
    if progress is False:
        return False
    return name if progress is True else f"{progress}: {name}"


def _check_data(x_train, y_train, x_val, y_val, num_classes):
    """Check both splits: the labels as int64 arrays and the number of classes."""
    for name, images in (("x_train", x_train), ("x_val", x_val)):
        if np.ndim(images) not in (3, 4):
            raise ValueError(f"{name} must be images of shape (n, h, w) or (n, h, w, c), got {np.shape(images)}")
    check_same_length(x_train, "x_train", y_train, "y_train")
    check_same_length(x_val, "x_val", y_val, "y_val")
    if num_classes is None:
        num_classes = int(check_labels(y_train, "y_train").max()) + 1
    check_positive_int(num_classes, "num_classes", smallest=2)
    return (check_labels(y_train, "y_train", num_classes=num_classes),
            check_labels(y_val, "y_val", num_classes=num_classes), num_classes)
