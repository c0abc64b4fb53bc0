"""Self-supervised pretraining: SimCLR on unlabelled images, then probe or fine-tune.

SimCLR (Chen et al. 2020) learns an encoder without labels: every image is
augmented twice, both *views* go through the encoder and a small projection
head, and the NT-Xent loss pulls the two views of the same image together
while pushing them away from the other ``2b - 2`` views in the batch.

* :func:`two_views` makes the views with notebook 02's augmentation layers
  (:mod:`cvhelpers.augment`; default :func:`~cvhelpers.augment.strong_policy`).
* :func:`nt_xent` is the loss, in ``keras.ops`` (any backend).
* :func:`projection_head` is the MLP that the loss sees; it is thrown away
  after pretraining.
* :class:`SimCLR` is a ``keras.Model`` whose ``train_step`` does all of the
  above; :func:`pretrain_simclr` trains one, caches the encoder and measures
  the throughput.
* :func:`classifier_from_encoder` puts a fresh linear ``"classifier"`` on a
  (copied) encoder, frozen for a *linear probe* or trainable for
  *fine-tuning*; the result has the layout of
  :func:`cvhelpers.training.models.small_cnn`, so every helper of the course applies.

Keras has no SimCLR model or NT-Xent loss (keras-io has them only as example
code), hence this module. Used in notebook 05.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

import keras
import numpy as np

from cvhelpers.training import models
from cvhelpers.validation import check_bool, check_number, check_positive_int, check_seed

__all__ = [
    "nt_xent",
    "two_views",
    "projection_head",
    "SimCLR",
    "PretrainResult",
    "pretrain_simclr",
    "classifier_from_encoder",
]

_PACKAGE = "cvhelpers"


def nt_xent(z1, z2, temperature: float = 0.5):
    """The NT-Xent (normalised temperature-scaled cross-entropy) loss.

    For ``2b`` projections ``z = [z1; z2]`` normalised to unit length, with
    ``s_ij = z_i . z_j / temperature``, the loss of view ``i`` whose positive
    (the other view of the same image) is ``p(i)`` is
    ``-s_i,p(i) + log sum_{j != i} exp(s_ij)``; the result is the mean over
    all ``2b`` views (Chen et al. 2020, eq. 1).

    Parameters
    ----------
    z1, z2 : tensor of shape (b, d), float
        Projections of the first and second view; row ``k`` of both comes
        from image ``k``. ``b >= 2``.
    temperature : float, default=0.5
        Must be finite and > 0.

    Returns
    -------
    scalar tensor, float32

    Raises
    ------
    ValueError
        When ``z1`` and ``z2`` differ in shape, are not 2-D or have fewer than
        2 rows, or ``temperature`` is not a finite number > 0 (``TypeError``
        when it is not a number).

    Examples
    --------
    >>> z = np.eye(4, dtype="float32")
    >>> float(nt_xent(z, z, temperature=1.0)) < float(nt_xent(z, z[::-1], temperature=1.0))
    True
    """
    ops = keras.ops
    temperature = check_number(temperature, "temperature", low=0.0, low_open=True)
    if len(z1.shape) != 2 or tuple(z1.shape) != tuple(z2.shape):
        raise ValueError(f"z1 and z2 must both have shape (b, d), got {tuple(z1.shape)} and {tuple(z2.shape)}")
    if z1.shape[0] is not None and z1.shape[0] < 2:
        raise ValueError(f"z1 and z2 need b >= 2 rows (each view needs negatives), got {z1.shape[0]}")
    z = ops.concatenate([ops.cast(z1, "float32"), ops.cast(z2, "float32")], axis=0)
    z = z / ops.maximum(ops.norm(z, axis=1, keepdims=True), 1e-12)
    similarity = ops.matmul(z, ops.transpose(z)) / temperature  # (2b, 2b)
    n = ops.shape(z)[0]
    b = n // 2
    eye = ops.eye(n, dtype="float32")
    logits = similarity - 1e9 * eye  # drop i == j from the softmax
    positives = ops.concatenate([ops.arange(b) + b, ops.arange(b)], axis=0)
    positive_logit = ops.sum(similarity * ops.one_hot(positives, n), axis=1)
    return ops.mean(ops.logsumexp(logits, axis=1) - positive_logit)


def _contrastive_accuracy(z1, z2):
    """Fraction of views whose most similar other view is their positive."""
    ops = keras.ops
    z = ops.concatenate([z1, z2], axis=0)
    z = z / ops.maximum(ops.norm(z, axis=1, keepdims=True), 1e-12)
    n = ops.shape(z)[0]
    similarity = ops.matmul(z, ops.transpose(z)) - 2.0 * ops.eye(n, dtype=z.dtype)
    positives = ops.concatenate([ops.arange(n // 2) + n // 2, ops.arange(n // 2)], axis=0)
    hits = ops.equal(ops.argmax(similarity, axis=1), ops.cast(positives, "int64"))
    return ops.mean(ops.cast(hits, "float32"))


def two_views(augment, images):
    """Two independently augmented views of the same batch.

    Parameters
    ----------
    augment : keras.Layer or callable
        A random augmentation (e.g. :func:`cvhelpers.augment.strong_policy`);
        a layer is called with ``training=True``. Each call must draw new
        random parameters (Keras layers advance their ``SeedGenerator``).
    images : tensor of shape (b, h, w, c), float32 in [0, 1]

    Returns
    -------
    view1, view2 : tensors of shape (b, h, w, c), float32
    """
    if not callable(augment):
        raise TypeError(f"augment must be a Keras layer or a callable, got {augment!r}")
    kwargs = {"training": True} if isinstance(augment, keras.layers.Layer) else {}
    view1 = keras.ops.cast(augment(images, **kwargs), "float32")
    view2 = keras.ops.cast(augment(images, **kwargs), "float32")
    return view1, view2


def projection_head(
    input_dim: int, hidden_dim: int = 128, output_dim: int = 64, seed: int | None = None, name: str = "projection_head"
) -> keras.Sequential:
    """SimCLR's projection MLP: Dense(hidden, ReLU) then Dense(output).

    Parameters
    ----------
    input_dim : int
        The encoder's feature size.
    hidden_dim, output_dim : int, default=128, 64
    seed : int, optional
        Seeds the initialisers.

    Returns
    -------
    keras.Sequential
        (b, input_dim) to (b, output_dim).
    """
    for label, value in (("input_dim", input_dim), ("hidden_dim", hidden_dim), ("output_dim", output_dim)):
        check_positive_int(value, label)
    seed = check_seed(seed, optional=True)

    def init(offset):
        return keras.initializers.GlorotUniform(seed=None if seed is None else seed + offset)

    return keras.Sequential(
        [
            keras.Input((int(input_dim),)),
            keras.layers.Dense(int(hidden_dim), activation="relu", kernel_initializer=init(30), name="hidden"),
            keras.layers.Dense(int(output_dim), kernel_initializer=init(31), name="projection"),
        ],
        name=name,
    )


@keras.saving.register_keras_serializable(package=_PACKAGE)
class SimCLR(keras.Model):
    """A SimCLR learner: encoder + projection head, trained with NT-Xent.

    ``fit`` takes batches of unlabelled images (or ``(images, labels)``; the
    labels are ignored). Each ``train_step`` makes :func:`two_views` of the
    batch, runs both views through encoder and head as one batch of ``2b``,
    and minimises :func:`nt_xent`. Calling the model returns the encoder's
    features, which is what later stages use.

    Parameters
    ----------
    encoder : keras.Model
        Images (b, h, w, c) to features (b, d), e.g.
        :func:`cvhelpers.training.models.small_encoder`.
    head : keras.Model, optional
        Default ``projection_head(d, seed=seed)``.
    augment : keras.Layer, optional
        Default :func:`cvhelpers.augment.strong_policy` with ``seed``.
    temperature : float, default=0.5
    seed : int, optional

    Notes
    -----
    The custom ``train_step`` uses ``tf.GradientTape``: it needs the
    TensorFlow backend, the course's backend. The loss itself is backend
    independent.

    Metrics: ``loss`` and ``contrastive_accuracy`` (how often a view's
    nearest neighbour among the other ``2b - 1`` views is its positive).
    """

    def __init__(self, encoder, head=None, augment=None, temperature: float = 0.5, seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        if not isinstance(encoder, keras.Model):
            raise TypeError(f"encoder must be a keras.Model, got {type(encoder).__name__}")
        temperature = check_number(temperature, "temperature", low=0.0, low_open=True)
        seed = check_seed(seed, optional=True)
        if augment is None:
            from cvhelpers.augment import strong_policy

            augment = strong_policy(seed=0 if seed is None else int(seed))
        if not callable(augment):
            raise TypeError(f"augment must be a Keras layer or a callable, got {augment!r}")
        self.encoder = encoder
        self.head = head if head is not None else projection_head(encoder.output_shape[-1], seed=seed)
        self.augment = augment
        self.temperature = float(temperature)
        self.seed = None if seed is None else int(seed)
        self.loss_tracker = keras.metrics.Mean(name="loss")
        self.accuracy_tracker = keras.metrics.Mean(name="contrastive_accuracy")

    @property
    def metrics(self):
        return [self.loss_tracker, self.accuracy_tracker]

    def build(self, input_shape=None):
        if not self.head.built:
            self.head.build(self.encoder.output_shape)
        self.built = True

    def call(self, images, training=False):
        return self.encoder(images, training=training)

    def _projections(self, images, training):
        view1, view2 = two_views(self.augment, images)
        both = keras.ops.concatenate([view1, view2], axis=0)
        z = self.head(self.encoder(both, training=training), training=training)
        b = keras.ops.shape(images)[0]
        return z[:b], z[b:]

    def train_step(self, data):
        import tensorflow as tf

        images = data[0] if isinstance(data, (tuple, list)) else data
        with tf.GradientTape() as tape:
            z1, z2 = self._projections(images, training=True)
            loss = nt_xent(z1, z2, self.temperature)
        variables = self.encoder.trainable_variables + self.head.trainable_variables
        gradients = tape.gradient(loss, variables)
        self.optimizer.apply_gradients(zip(gradients, variables, strict=True))
        self.loss_tracker.update_state(loss)
        self.accuracy_tracker.update_state(_contrastive_accuracy(z1, z2))
        return {m.name: m.result() for m in self.metrics}

    def test_step(self, data):
        images = data[0] if isinstance(data, (tuple, list)) else data
        z1, z2 = self._projections(images, training=False)
        self.loss_tracker.update_state(nt_xent(z1, z2, self.temperature))
        self.accuracy_tracker.update_state(_contrastive_accuracy(z1, z2))
        return {m.name: m.result() for m in self.metrics}

    def get_config(self):
        config = super().get_config()
        config.update(
            {
                "encoder": keras.saving.serialize_keras_object(self.encoder),
                "head": keras.saving.serialize_keras_object(self.head),
                "augment": keras.saving.serialize_keras_object(self.augment),
                "temperature": self.temperature,
                "seed": self.seed,
            }
        )
        return config

    @classmethod
    def from_config(cls, config):
        config = dict(config)
        for key in ("encoder", "head", "augment"):
            config[key] = keras.saving.deserialize_keras_object(config[key])
        return cls(**config)


@dataclass
class PretrainResult:
    """A pretrained encoder and what it cost.

    Attributes
    ----------
    encoder : keras.Model
        Images (b, h, w, c) to features (b, d); the projection head is dropped.
    history : dict of str to list of float
        Per-epoch ``loss`` and ``contrastive_accuracy``.
    seconds : float
        Wall-clock pretraining time (0 when loaded from the cache).
    images_per_second : float
        Unlabelled images per second (each image makes two views), over the
        epochs after the first one (the first includes tracing) when there
        are several.
    num_images : int
        Unlabelled images per epoch.
    from_cache : bool

    Raises
    ------
    TypeError
        When ``history`` is not a dict.
    ValueError
        When ``seconds`` is not a finite number >= 0 or ``num_images`` not an int >= 1.
    """

    encoder: keras.Model
    history: dict
    seconds: float
    images_per_second: float
    num_images: int
    from_cache: bool = False
    epoch_seconds: list = field(default_factory=list)

    def __post_init__(self):
        if not isinstance(self.history, dict):
            raise TypeError(f"history must be a dict of per-epoch values, got {type(self.history).__name__}")
        check_number(self.seconds, "seconds", low=0.0)
        check_positive_int(self.num_images, "num_images")


class _EpochTimer(keras.callbacks.Callback):
    def __init__(self):
        super().__init__()
        self.seconds = []

    def on_epoch_begin(self, epoch, logs=None):
        self._started = time.perf_counter()

    def on_epoch_end(self, epoch, logs=None):
        self.seconds.append(time.perf_counter() - self._started)


def pretrain_simclr(
    x,
    *,
    epochs: int = 1,
    batch_size: int = 256,
    width: int = 32,
    feature_dim: int = 128,
    temperature: float = 0.5,
    learning_rate: float = 1e-3,
    augment=None,
    max_images: int | None = None,
    seed: int = 0,
    cache: bool = True,
    cache_dir=None,
    progress: bool | str = True,
    jit_compile: bool | str = False,
) -> PretrainResult:
    """Pretrain a :func:`~cvhelpers.training.models.small_encoder` with SimCLR.

    Parameters
    ----------
    x : ndarray of shape (n, h, w) or (n, h, w, c)
        Unlabelled images; uint8 is scaled to [0, 1].
    epochs : int, default=1
    batch_size : int, default=256
        SimCLR wants large batches (more negatives); the last partial batch
        is dropped.
    width, feature_dim : int
        As in :func:`cvhelpers.training.models.small_encoder`; use the values of the
        classifier you will fine-tune.
    temperature : float, default=0.5
    learning_rate : float, default=1e-3
        Adam.
    augment : keras.Layer, optional
        Default ``augment.strong_policy(seed)``.
    max_images : int, optional
        Use a random subset of this many images (a cheaper profile).
    seed : int, default=0
        Seeds the subset, the initialisers, the shuffle and the augmentation.
    cache : bool, default=True
        Keep the encoder in the model cache (:mod:`cvhelpers.cache`), keyed
        by the images' bytes, every setting, the augmentation (class, config,
        source), the initial encoder, this module's source and the Keras
        version; a later identical call loads it.
    cache_dir : path-like, optional
        Default :func:`cvhelpers.cache.default_cache_dir`.
    progress : bool or str, default=True
    jit_compile : bool or "auto", default=False
        Passed to ``compile``. XLA on a CPU ran the convolutions several
        times slower than TensorFlow's oneDNN kernels on a 2-core CPU; on a GPU
        try ``"auto"``.

    Returns
    -------
    PretrainResult
    """
    import tensorflow as tf

    from cvhelpers.augment import strong_policy
    from cvhelpers.cache import describe_model, entry_for, source_fingerprint
    from cvhelpers.data.pipeline import to_float_images
    from cvhelpers.training.trainer import EpochProgress

    check_positive_int(epochs, "epochs")
    check_positive_int(batch_size, "batch_size", smallest=2)
    _check_pretrain_settings(width, feature_dim, temperature, learning_rate, seed)
    x = np.asarray(x)
    if x.ndim not in (3, 4):
        raise ValueError(f"x must have shape (n, h, w) or (n, h, w, c), got {x.shape}")
    if max_images is not None:
        check_positive_int(max_images, "max_images")
        if max_images < batch_size:
            raise ValueError(f"max_images must be at least batch_size ({batch_size}), got {max_images}")
        if max_images < len(x):
            x = x[np.sort(np.random.default_rng(seed).choice(len(x), max_images, replace=False))]
    if len(x) < batch_size:
        raise ValueError(f"x must hold at least batch_size ({batch_size}) images, got {len(x)}")
    images = to_float_images(x)
    augment = augment if augment is not None else strong_policy(seed=seed)
    steps = len(images) // batch_size

    keras.utils.set_random_seed(seed)
    encoder = models.small_encoder(images.shape[1:], width, feature_dim, seed=seed)
    entry = None
    if cache:
        config = {
            "trainer": source_fingerprint(SimCLR), "images": images, "epochs": int(epochs),
            "batch_size": int(batch_size), "encoder": describe_model(encoder), "temperature": temperature,
            "learning_rate": learning_rate, "augment": augment, "seed": seed, "keras": keras.__version__,
        }
        entry = entry_for("simclr", config, cache_dir, "encoder")

        def read(meta):
            encoder.load_weights(entry.file(".weights.h5"))
            return PretrainResult(
                encoder, meta["history"], 0.0, meta["images_per_second"], len(images), True, meta["epoch_seconds"]
            )

        cached = entry.load(read) if entry is not None else None
        if cached is not None:
            return cached

    learner = SimCLR(encoder, augment=augment, temperature=temperature, seed=seed)
    learner.compile(optimizer=keras.optimizers.Adam(learning_rate), jit_compile=jit_compile)
    dataset = (
        tf.data.Dataset.from_tensor_slices(images)
        .shuffle(len(images), seed=seed, reshuffle_each_iteration=True)
        .batch(batch_size, drop_remainder=True)
        .prefetch(tf.data.AUTOTUNE)
    )
    timer = _EpochTimer()
    callbacks = [timer]
    if progress:
        description = progress if isinstance(progress, str) else "SimCLR"
        callbacks.append(EpochProgress(epochs, description, "contrastive_accuracy"))
    started = time.perf_counter()
    history = learner.fit(dataset, epochs=epochs, callbacks=callbacks, verbose=0, shuffle=False)  # tf.data shuffles
    seconds = time.perf_counter() - started
    timed = timer.seconds[1:] if len(timer.seconds) > 1 else timer.seconds
    per_second = steps * batch_size * len(timed) / max(sum(timed), 1e-9)
    logs = {k: [float(v) for v in values] for k, values in history.history.items()}
    if entry is not None:
        entry.save(
            {"history": logs, "images_per_second": per_second, "epoch_seconds": timer.seconds},
            {".weights.h5": encoder.save_weights},
        )
    return PretrainResult(encoder, logs, seconds, per_second, len(images), False, timer.seconds)


def _check_pretrain_settings(width, feature_dim, temperature, learning_rate, seed):
    """The scalar settings of :func:`pretrain_simclr`, checked before any cache lookup or training."""
    check_positive_int(width, "width")
    check_positive_int(feature_dim, "feature_dim")
    check_number(temperature, "temperature", low=0.0, low_open=True)
    check_number(learning_rate, "learning_rate", low=0.0, low_open=True)
    check_seed(seed)


def classifier_from_encoder(
    encoder: keras.Model,
    num_classes: int,
    *,
    trainable: bool = True,
    seed: int | None = None,
    name: str = "pretrained_cnn",
) -> keras.Model:
    """A classifier made of a *copy* of ``encoder`` and a fresh linear head.

    Parameters
    ----------
    encoder : keras.Model
        Images (b, h, w, c) to features (b, d), e.g. ``PretrainResult.encoder``.
        It is cloned (same weights), so training the classifier never changes it.
    num_classes : int
    trainable : bool, default=True
        ``False`` freezes the encoder: a *linear probe*. ``True``: fine-tuning.
    seed : int, optional
        Seeds the classifier's initialiser.
    name : str

    Returns
    -------
    keras.Model
        (b, h, w, c) to (b, num_classes) logits, with layers ``"encoder"`` and
        ``"classifier"`` as :func:`cvhelpers.training.models.small_cnn`. Build it inside
        :func:`cvhelpers.training.trainer.fit`'s ``build_model`` so that it lives in the
        strategy's scope.
    """
    if not isinstance(encoder, keras.Model):
        raise TypeError(f"encoder must be a keras.Model, got {type(encoder).__name__}")
    check_bool(trainable, "trainable")
    num_classes = check_positive_int(num_classes, "num_classes", smallest=2)
    seed = check_seed(seed, optional=True)
    from cvhelpers.training.two_stage import clone_with_weights

    copy = clone_with_weights(encoder)
    if copy.name != "encoder":
        copy = keras.Model(copy.inputs, copy.outputs, name="encoder")
    copy.trainable = trainable
    inputs = keras.Input(shape=encoder.input_shape[1:], name="images")
    logits = models.classifier_head(num_classes, seed)(copy(inputs, training=False if not trainable else None))
    return keras.Model(inputs, logits, name=name)
