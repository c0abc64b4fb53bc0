"""Supervised contrastive learning beside cross-entropy, for long-tailed data.

The supervised contrastive loss (SupCon, Khosla et al. 2020) pulls together
the embeddings of every pair of images that share a label and pushes apart
the rest. Added to cross-entropy as a second objective on two augmented views
of each batch (the "hybrid" of Wang et al. 2021 and of balanced contrastive
learning, Zhu et al. 2022), it shapes the encoder's features class by class,
which is what a rare class with few images lacks. Keras 3 has no SupCon loss
(its contrastive losses are pairwise), so it is written here with
:mod:`keras.ops`.

Measured in ``experiments/lt_methods.py`` (full profile, 3 seeds, on the
oversampling + augmented copies batches): 0.871 balanced accuracy, the best
first stage there (the logit-adjusted loss: 0.868; the oracle: 0.890), and
0.878 with cRT on top, no better than the other two-stage recipes; see the
README.

Example
-------
>>> network = models.small_cnn((28, 28, 1), 10)                      # doctest: +SKIP
>>> hybrid = lambda: SupConHybrid(network, augment.light_policy())   # doctest: +SKIP
>>> result = train.fit(hybrid, data, validation, epochs=15, loss=ce, num_classes=10)  # doctest: +SKIP
>>> result.model.network                                             # the trained classifier  # doctest: +SKIP
"""

from __future__ import annotations

import keras
from keras import ops

from cvhelpers.validation import check_number, check_seed

__all__ = ["supervised_contrastive_loss", "SupConHybrid"]


def supervised_contrastive_loss(labels, embeddings, temperature: float = 0.1):
    """The supervised contrastive loss ("L_out", Khosla et al. 2020, eq. 2).

    With embeddings ``z`` normalised to unit length and
    ``s_ij = z_i . z_j / temperature``, anchor ``i`` with positives
    ``P(i) = {p != i : y_p = y_i}`` has loss
    ``-1/|P(i)| sum_{p in P(i)} (s_ip - log sum_{a != i} exp(s_ia))``. The
    result is the mean over anchors with at least one positive; a batch in
    which no label occurs twice gives 0. With two views of ``b`` images and
    the image index as label it is SimCLR's NT-Xent
    (:func:`cvhelpers.methods.selfsup.nt_xent`).

    Parameters
    ----------
    labels : tensor of shape (n,), int
    embeddings : tensor of shape (n, d), float
    temperature : float, default=0.1
        Must be finite and > 0.

    Returns
    -------
    scalar tensor, float32

    Raises
    ------
    ValueError
        When ``embeddings`` is not 2-D, ``labels`` and ``embeddings`` differ
        in length (compared when both lengths are static) or ``temperature``
        is not a finite number > 0 (``TypeError`` when it is not a number).
    """
    check_number(temperature, "temperature", low=0.0, low_open=True)
    if len(embeddings.shape) != 2:
        raise ValueError(f"embeddings must have shape (n, d), got {tuple(embeddings.shape)}")
    labels = ops.reshape(labels, (-1,))
    if labels.shape[0] is not None and embeddings.shape[0] is not None and labels.shape[0] != embeddings.shape[0]:
        raise ValueError(f"labels ({labels.shape[0]}) and embeddings ({embeddings.shape[0]}) differ in length")
    z = ops.cast(embeddings, "float32")
    z = z / ops.maximum(ops.norm(z, axis=1, keepdims=True), 1e-12)
    n = ops.shape(z)[0]
    not_self = 1.0 - ops.eye(n, dtype="float32")
    similarity = ops.matmul(z, ops.transpose(z)) / temperature
    log_probability = similarity - ops.logsumexp(similarity - 1e9 * (1.0 - not_self), axis=1, keepdims=True)
    positives = ops.cast(ops.equal(labels[:, None], labels[None, :]), "float32") * not_self
    count = ops.sum(positives, axis=1)
    per_anchor = -ops.sum(positives * log_probability, axis=1) / ops.maximum(count, 1.0)
    has_positive = ops.cast(count > 0, "float32")
    return ops.sum(per_anchor * has_positive) / ops.maximum(ops.sum(has_positive), 1.0)


class SupConHybrid(keras.Model):
    """A classifier trained with cross-entropy plus a supervised contrastive term.

    Each ``train_step`` computes the compiled loss (cross-entropy) on the
    batch as given and ``weight`` times :func:`supervised_contrastive_loss`
    on the projections of the batch *and* one more augmented view of it
    (``2b`` embeddings, each image's two views sharing its label). Calling the
    model, evaluating it and predicting use ``network`` alone, so
    :func:`cvhelpers.training.trainer.fit` (its best-epoch choice and its cache) works
    unchanged, and the projection head is dropped afterwards.

    Parameters
    ----------
    network : keras.Model
        A :func:`cvhelpers.training.models.small_cnn`-style classifier with a layer
        ``"encoder"`` (images to features); it returns logits.
    augment : keras layer or callable
        Makes the second view, e.g. :func:`cvhelpers.augment.light_policy`.
    weight : float, default=0.5
        Of the contrastive term; 0 is plain cross-entropy.
    temperature : float, default=0.1
    head : keras.Model, optional
        Default :func:`cvhelpers.methods.selfsup.projection_head` (128 → 64) seeded
        with ``seed``.
    seed : int, optional

    Notes
    -----
    Metrics: ``loss`` is the compiled loss (cross-entropy) alone and
    ``supervised_contrastive`` the contrastive term, each on training and on
    validation batches, plus the compiled metrics.

    Save ``network`` (a plain functional model) or the wrapper's weights
    (what :func:`cvhelpers.training.trainer.fit`'s cache does); the wrapper itself has no
    ``get_config``.

    Integer labels only (sparse cross-entropy). ``train_step`` uses
    ``tf.GradientTape`` (the TensorFlow backend, the course's). A step costs
    about three times a plain one: the encoder runs over ``3b`` images.
    """

    def __init__(self, network, augment, weight: float = 0.5, temperature: float = 0.1, head=None,
                 seed: int | None = None, **kwargs):
        super().__init__(**kwargs)
        from cvhelpers.methods.selfsup import projection_head
        from cvhelpers.training.models import encoder_of

        if not isinstance(network, keras.Model):
            raise TypeError(f"network must be a keras.Model, got {type(network).__name__}")
        if augment is None or not callable(augment):
            raise TypeError(f"augment must be a Keras layer or a callable, got {augment!r}")
        weight = check_number(weight, "weight", low=0.0)
        temperature = check_number(temperature, "temperature", low=0.0, low_open=True)
        seed = None if seed is None else check_seed(seed)
        self.network = network
        self.encoder = encoder_of(network)
        self.augment = augment
        self.weight = float(weight)
        self.temperature = float(temperature)
        self.seed = None if seed is None else int(seed)
        self.head = head if head is not None else projection_head(self.encoder.output_shape[-1], seed=self.seed)
        self.contrastive_tracker = keras.metrics.Mean(name="supervised_contrastive")
        self.build()  # fit never calls the model itself, and saving needs it built

    def build(self, input_shape=None):
        if not self.head.built:
            self.head.build(self.encoder.output_shape)
        self.built = True

    def call(self, images, training=False):
        return self.network(images, training=training)

    def _contrastive(self, images, labels, training):
        """The contrastive term on the batch and one more view of it (2b embeddings)."""
        is_layer = isinstance(self.augment, keras.layers.Layer)
        view = self.augment(images, training=True) if is_layer else self.augment(images)
        both = ops.concatenate([images, ops.cast(view, images.dtype)], axis=0)
        projections = self.head(self.encoder(both, training=training), training=training)
        both_labels = ops.concatenate([ops.reshape(labels, (-1,))] * 2, axis=0)
        return supervised_contrastive_loss(both_labels, projections, self.temperature)

    def _track(self, images, labels, logits, cross_entropy, contrastive):
        for metric in self.metrics:
            if metric.name == "loss":
                metric.update_state(cross_entropy)
        self.contrastive_tracker.update_state(contrastive)
        return self.compute_metrics(images, labels, logits)

    def train_step(self, data):
        import tensorflow as tf

        images, labels = data[0], data[1]
        with tf.GradientTape() as tape:
            logits = self.network(images, training=True)
            cross_entropy = self.compute_loss(x=images, y=labels, y_pred=logits, training=True)
            contrastive = self._contrastive(images, labels, training=True)
            loss = cross_entropy + self.weight * contrastive
        variables = self.network.trainable_variables + self.head.trainable_variables
        self.optimizer.apply_gradients(zip(tape.gradient(loss, variables), variables, strict=True))
        return self._track(images, labels, logits, cross_entropy, contrastive)

    def test_step(self, data):
        images, labels = data[0], data[1]
        logits = self.network(images, training=False)
        cross_entropy = self.compute_loss(x=images, y=labels, y_pred=logits, training=False)
        return self._track(images, labels, logits, cross_entropy, self._contrastive(images, labels, training=False))
