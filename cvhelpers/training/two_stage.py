"""Two-stage training (notebook 05): a second stage on top of a trained model.

The first stage is any model trained with :func:`cvhelpers.training.trainer.fit`; the
second stage corrects its bias towards the head classes without touching the
first stage's model:

- :func:`balanced_batch_indices`: class-balanced batches, every class equally
  often in each batch (the sampling of cRT);
- :func:`retrain_classifier`: classifier re-training (cRT, Kang et al. 2020),
  the encoder frozen and run once, a linear classifier re-trained on its
  features; with instance sampling, a linear probe;
- :func:`fine_tune`: continue training a copy on other data or class weights;
- :func:`deferred_reweighting`: deferred re-weighting (DRW, Cao et al. 2019),
  a class-weighted second phase at a lower learning rate;
- :func:`copy_model`, :func:`clone_with_weights`: independent copies.

Every second stage trains through :func:`cvhelpers.training.trainer.fit` (imported when
called, since :mod:`cvhelpers.training.trainer` re-exports these names), so it keeps the
best epoch by validation balanced accuracy and can be cached.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import keras
import numpy as np

from cvhelpers.validation import check_bool, check_labels, check_number, check_positive_int, check_seed

if TYPE_CHECKING:
    from cvhelpers.training.trainer import FitResult

__all__ = [
    "balanced_batch_indices",
    "copy_model",
    "clone_with_weights",
    "retrain_classifier",
    "fine_tune",
    "deferred_reweighting",
]


def balanced_batch_indices(y, batch_size: int, steps: int, seed: int = 0) -> np.ndarray:
    """Class-balanced batches: every batch holds each class equally often.

    Each batch takes ``batch_size // C`` draws from every class and spreads
    the remainder over randomly chosen, distinct classes, so class counts in
    a batch differ by at most one. Within a class the draws walk through
    fresh random permutations of its images (a tail image repeats only after
    all of its class has been seen). This is the class-balanced sampling of
    cRT (Kang et al. 2020), stratified per batch instead of drawn at random,
    so that no batch is unbalanced by chance.

    Parameters
    ----------
    y : ndarray of shape (n,), int
        Labels; every class present is sampled.
    batch_size : int
        At least the number of classes.
    steps : int
        Batches to draw.
    seed : int, default=0

    Returns
    -------
    ndarray of shape (steps, batch_size), int64
        Positions into ``y``, shuffled within each batch.

    Raises
    ------
    ValueError
        Naming the argument: ``y`` that is not a non-empty 1-D array,
        ``batch_size`` below the number of classes, ``steps`` that is not a
        positive int, or a ``seed`` that is not an int >= 0.
    """
    y = np.asarray(y)
    if y.ndim != 1 or y.size == 0:
        raise ValueError(f"y must be a non-empty 1-D array of labels, got shape {y.shape}")
    classes = np.unique(y)
    if isinstance(batch_size, bool) or not isinstance(batch_size, (int, np.integer)) or batch_size < len(classes):
        raise ValueError(f"batch_size must be an int >= the number of classes ({len(classes)}), got {batch_size!r}")
    if isinstance(steps, bool) or not isinstance(steps, (int, np.integer)) or steps < 1:
        raise ValueError(f"steps must be a positive int, got {steps!r}")
    rng = np.random.default_rng(check_seed(seed))
    per_class = np.full((steps, len(classes)), batch_size // len(classes))
    remainder = batch_size - per_class[0].sum()
    for row in per_class:
        row[rng.choice(len(classes), remainder, replace=False)] += 1
    columns = []
    for k, label in enumerate(classes):
        members = np.flatnonzero(y == label)
        total = int(per_class[:, k].sum())
        passes = int(np.ceil(total / len(members)))
        columns.append(np.concatenate([rng.permutation(members) for _ in range(passes)])[:total])
    batches = np.empty((steps, batch_size), dtype=np.int64)
    offsets = np.zeros(len(classes), dtype=np.int64)
    for step in range(steps):
        parts = []
        for k in range(len(classes)):
            take = per_class[step, k]
            parts.append(columns[k][offsets[k] : offsets[k] + take])
            offsets[k] += take
        batches[step] = rng.permutation(np.concatenate(parts))
    return batches


def copy_model(model: keras.Model, train_encoder: bool = True) -> keras.Model:
    """A clone of ``model`` with the same weights; optionally a frozen encoder.

    Parameters
    ----------
    model : keras.Model
        A :func:`cvhelpers.training.models.small_cnn`-style model (layers ``"encoder"``
        and ``"classifier"``).
    train_encoder : bool, default=True
        ``False`` sets the clone's ``"encoder"`` to non-trainable.

    Returns
    -------
    keras.Model

    Raises
    ------
    TypeError
        When ``model`` is not a ``keras.Model`` or ``train_encoder`` not a bool.
    ValueError
        When ``model`` has no layer named ``"encoder"``.
    """
    from cvhelpers.training.models import encoder_of

    _check_model(model)
    check_bool(train_encoder, "train_encoder")
    clone = clone_with_weights(model)
    encoder_of(clone).trainable = train_encoder
    return clone


def clone_with_weights(model: keras.Model) -> keras.Model:
    """``keras.models.clone_model`` plus the weights: an independent copy.

    Raises
    ------
    TypeError
        When ``model`` is not a ``keras.Model``.
    """
    _check_model(model)
    clone = keras.models.clone_model(model)
    clone.set_weights(model.get_weights())
    return clone


def _check_model(model):
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")


def _check_learning_rate(learning_rate) -> float:
    return check_number(learning_rate, "learning_rate", low=0, low_open=True)


def _classifier_of(model):
    """The layer ``"classifier"`` of a :func:`cvhelpers.training.models.small_cnn`-style model."""
    try:
        return model.get_layer("classifier")
    except ValueError as error:
        raise ValueError(f"model {model.name!r} has no layer named 'classifier'") from error


def _fit_with_adam(build_model, train_data, validation_data, *, learning_rate, loss, **kwargs) -> FitResult:
    """:func:`cvhelpers.training.trainer.fit` with Adam at ``learning_rate`` and cross-entropy on logits by default."""
    from cvhelpers.training.trainer import fit

    return fit(
        build_model,
        train_data,
        validation_data,
        loss=loss or keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        optimizer=lambda: keras.optimizers.Adam(learning_rate),
        **kwargs,
    )


def _features(encoder, x, batch_size=512):
    from cvhelpers.data.pipeline import to_float_images

    return np.asarray(encoder.predict(to_float_images(x), batch_size=batch_size, verbose=0), dtype=np.float32)


def retrain_classifier(
    model: keras.Model,
    x_train,
    y_train,
    x_val,
    y_val,
    *,
    epochs: int = 10,
    sampling: str = "balanced",
    batch_size: int = 128,
    steps_per_epoch: int | None = None,
    learning_rate: float = 1e-3,
    reinitialize: bool = True,
    standardize: bool = True,
    loss=None,
    seed: int = 0,
    cache: bool = False,
    progress: bool | str = True,
) -> FitResult:
    """Classifier re-training (cRT): freeze the encoder, re-train the classifier.

    Kang et al. (2020) showed that cross-entropy on long-tailed data learns a
    good *representation* and a biased *classifier*; re-training only the
    linear classifier with class-balanced sampling removes most of the bias.
    Here the frozen encoder runs **once** over the training images; the
    classifier then trains on the cached features (identical to running the
    frozen encoder every step, as long as no augmentation is used, and far
    cheaper). With ``sampling="instance"`` and a pretrained encoder the same
    function is a plain *linear probe*.

    Parameters
    ----------
    model : keras.Model
        A trained :func:`cvhelpers.training.models.small_cnn`-style model, with layers
        ``"encoder"`` and ``"classifier"``. It is not modified.
    x_train : ndarray of shape (n, h, w[, c])
    y_train : ndarray of shape (n,), int
    x_val, y_val : ndarray
        Validation split: the epoch with the best balanced accuracy is kept.
    epochs : int, default=10
    sampling : {"balanced", "instance"}, default="balanced"
        ``"balanced"``: :func:`balanced_batch_indices`; ``"instance"``:
        shuffled passes over the data as it is.
    batch_size : int, default=128
    steps_per_epoch : int, optional
        Default one pass over ``x_train``'s size.
    learning_rate : float, default=1e-3
        Adam.
    reinitialize : bool, default=True
        Start from a fresh classifier (as in cRT) or from the trained one.
    standardize : bool, default=True
        Train on features standardised with the training set's mean and
        standard deviation, then fold both into the classifier's kernel and
        bias (exact: the returned model takes raw features). Encoder features
        can be tiny (a randomly initialised or self-supervised encoder's are
        about 0.01), which would leave a linear layer under Adam with a fixed
        learning rate far from converged.
    loss : keras loss, optional
        Default sparse categorical cross-entropy on logits.
    seed : int, default=0
    cache : bool, default=False
        As in :func:`cvhelpers.training.trainer.fit`; the key holds the encoder's features (so the
        encoder's weights), the sampled order and the starting classifier.
    progress : bool or str, default=True

    Returns
    -------
    FitResult
        ``model`` is a copy of ``model`` with the new classifier; its encoder
        weights are bit-identical to the input's.

    Raises
    ------
    TypeError
        When ``model`` is not a ``keras.Model`` or a flag not a bool.
    ValueError
        Naming the argument: a model without layers ``"encoder"`` and
        ``"classifier"``, an unknown ``sampling``, ``epochs``,
        ``batch_size`` or ``steps_per_epoch`` that is not a positive int,
        a ``learning_rate`` that is not a finite number > 0, a negative
        ``seed``, or labels that are not class indices of the model's
        classes, one per image.
    """
    import tensorflow as tf

    from cvhelpers.cache import tag_dataset
    from cvhelpers.training.models import classifier_head, encoder_of

    _check_model(model)
    if sampling not in ("balanced", "instance"):
        raise ValueError(f"sampling must be 'balanced' or 'instance', got {sampling!r}")
    check_bool(reinitialize, "reinitialize")
    check_bool(standardize, "standardize")
    _check_schedule(epochs, batch_size, steps_per_epoch, learning_rate, seed)
    classifier = _classifier_of(model)
    num_classes = int(classifier.units)
    encoder = encoder_of(model)
    y_train = check_labels(y_train, "y_train", num_classes=num_classes, length=len(x_train),
                           length_of="the images in x_train")
    y_val = check_labels(y_val, "y_val", num_classes=num_classes, length=len(x_val), length_of="the images in x_val")
    train_features, val_features = _features(encoder, x_train), _features(encoder, x_val)
    mean = np.zeros(train_features.shape[1], np.float32)
    scale = np.ones(train_features.shape[1], np.float32)
    if standardize:
        mean = train_features.mean(axis=0)
        scale = np.sqrt(train_features.var(axis=0) + 1e-6).astype(np.float32)
        train_features, val_features = (train_features - mean) / scale, (val_features - mean) / scale
    steps = steps_per_epoch or int(np.ceil(len(y_train) / batch_size))
    if sampling == "balanced":
        order = balanced_batch_indices(y_train, batch_size, steps * epochs, seed).reshape(-1)
    else:
        rng = np.random.default_rng(seed)
        passes = int(np.ceil(steps * epochs * batch_size / len(y_train)))
        order = np.concatenate([rng.permutation(len(y_train)) for _ in range(passes)])[: steps * epochs * batch_size]
    train_data = tag_dataset(
        tf.data.Dataset.from_tensor_slices((train_features[order], y_train[order])).batch(batch_size),
        features=train_features, labels=y_train, order=order, batch_size=batch_size,
    )
    validation_data = tag_dataset(
        tf.data.Dataset.from_tensor_slices((val_features, y_val)).batch(512), features=val_features, labels=y_val
    )
    start = None
    if not reinitialize:  # the same classifier, expressed on standardised features
        kernel, bias = classifier.get_weights()
        start = [kernel * scale[:, None], bias + mean @ kernel]

    def build_head():
        inputs = keras.Input((train_features.shape[1],), name="features")
        head = classifier_head(num_classes, seed)
        head_model = keras.Model(inputs, head(inputs), name="classifier_only")
        if start is not None:
            head.set_weights(start)
        return head_model

    result = _fit_with_adam(
        build_head, train_data, validation_data, learning_rate=learning_rate, loss=loss, epochs=epochs,
        num_classes=num_classes, steps_per_epoch=steps, seed=seed, cache=cache, progress=progress,
    )
    return _with_new_classifier(model, result, mean, scale)


def _check_schedule(epochs, batch_size, steps_per_epoch, learning_rate, seed):
    """The checks of :func:`retrain_classifier` on its training schedule."""
    check_positive_int(epochs, "epochs")
    check_positive_int(batch_size, "batch_size")
    if steps_per_epoch is not None:
        check_positive_int(steps_per_epoch, "steps_per_epoch")
    _check_learning_rate(learning_rate)
    check_seed(seed)


def _with_new_classifier(model, result, mean, scale) -> FitResult:
    """A copy of ``model`` with the classifier trained on standardised features, folded back to raw ones."""
    from cvhelpers.training.trainer import FitResult

    retrained = copy_model(model)
    kernel, bias = result.model.get_layer("classifier").get_weights()
    kernel = kernel / scale[:, None]  # fold the standardisation back in
    retrained.get_layer("classifier").set_weights([kernel, bias - mean @ kernel])
    return FitResult(retrained, result.history, result.seconds, result.best_epoch, result.from_cache)


def fine_tune(
    model: keras.Model,
    train_data,
    validation_data,
    *,
    epochs: int,
    num_classes: int,
    steps_per_epoch: int | None = None,
    learning_rate: float = 1e-4,
    train_encoder: bool = True,
    loss=None,
    class_weight: dict | None = None,
    seed: int = 0,
    cache: bool = False,
    progress: bool | str = True,
) -> FitResult:
    """Second stage: continue training a trained model on other data or weights.

    The course's two-stage recipe: train on the original data, then
    fine-tune on balanced data (``train_data`` from
    :func:`cvhelpers.data.pipeline.balanced_dataset`) or on the minority classes
    only. With ``train_encoder=False`` only the classifier learns (the
    end-to-end version of :func:`retrain_classifier`).

    Parameters
    ----------
    model : keras.Model
        The first stage's model; it is copied, never modified.
    train_data, validation_data : tf.data.Dataset
        ``(images, labels)`` batches; infinite data needs ``steps_per_epoch``.
    epochs : int
    num_classes : int
    steps_per_epoch : int, optional
    learning_rate : float, default=1e-4
        Adam; smaller than the first stage's so as not to wipe out what the
        first stage learned.
    train_encoder : bool, default=True
    loss : keras loss, optional
        Default sparse categorical cross-entropy on logits.
    class_weight : dict of int to float, optional
    seed : int, default=0
    cache : bool, default=False
        As in :func:`cvhelpers.training.trainer.fit`, whose key holds the weights the copy starts from.
    progress : bool or str, default=True

    Returns
    -------
    FitResult
        The best epoch by validation balanced accuracy (epoch 0, the input
        model, is not a candidate).

    Raises
    ------
    TypeError
        When ``model`` is not a ``keras.Model`` or ``train_encoder`` not a bool.
    ValueError
        When ``learning_rate`` is not a finite number > 0; and as
        :func:`cvhelpers.training.trainer.fit` raises, before any training.
    """
    _check_model(model)
    check_bool(train_encoder, "train_encoder")
    _check_learning_rate(learning_rate)
    weights = model.get_weights()

    def build():
        clone = copy_model(model, train_encoder)
        clone.set_weights(weights)
        return clone

    return _fit_with_adam(
        build, train_data, validation_data, learning_rate=learning_rate, loss=loss, epochs=epochs,
        num_classes=num_classes, steps_per_epoch=steps_per_epoch, class_weight=class_weight, seed=seed,
        cache=cache, progress=progress,
    )


def deferred_reweighting(
    model: keras.Model,
    train_data,
    validation_data,
    class_weight: dict,
    *,
    epochs: int,
    num_classes: int,
    learning_rate: float = 1e-4,
    **kwargs,
) -> FitResult:
    """Deferred re-weighting (DRW, Cao et al. 2019) as two ``fit`` phases.

    DRW trains with plain (unweighted) loss first, so that the representation
    learns from every image with its natural frequency, and switches to
    class-balanced weights only for the last epochs, together with a lower
    learning rate. Phase 1 is ``model`` (e.g. the cached cross-entropy model
    of notebooks 03-04); this function runs phase 2 on the **same
    long-tailed** ``train_data`` with ``class_weight``, e.g.
    ``sampling.class_weights(y, "effective")``.

    Parameters
    ----------
    model : keras.Model
        Trained with unweighted loss (phase 1). Not modified.
    train_data, validation_data : tf.data.Dataset
    class_weight : dict of int to float
        One weight per class.
    epochs : int
        Phase 2's epochs.
    num_classes : int
    learning_rate : float, default=1e-4
        Cao et al. decay the rate by 100x at the switch; 10x works here.
    **kwargs
        Passed to :func:`fine_tune` (``steps_per_epoch``, ``seed``,
        ``cache``, ``progress``, ``loss``).

    Returns
    -------
    FitResult

    Raises
    ------
    TypeError
        When ``class_weight`` is not a dict.
    ValueError
        As :func:`fine_tune` raises, before any training.
    """
    if not isinstance(class_weight, dict):
        raise TypeError(f"class_weight must be a dict of class to weight, got {type(class_weight).__name__}")
    return fine_tune(
        model, train_data, validation_data, epochs=epochs, num_classes=num_classes, learning_rate=learning_rate,
        class_weight=class_weight, **kwargs,
    )
