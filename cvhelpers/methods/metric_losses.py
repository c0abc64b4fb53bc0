"""Metric-learning losses compatible with tensorflow-addons 0.23.

tensorflow-addons (TFA) reached end of life in 2024 and cannot be installed
beside Keras 3, but many courses trained Siamese and triplet networks with its
``tfa.losses.TripletSemiHardLoss``, ``TripletHardLoss`` and
``ContrastiveLoss``. Keras 3 has no replacement, so this module re-implements
them with :mod:`keras.ops` (any backend), keeping TFA 0.23's function and class
names, arguments, defaults, distance metrics, reductions and numerics, so an old
notebook switches by changing one import::

    # import tensorflow_addons as tfa; loss = tfa.losses.TripletSemiHardLoss()
    from cvhelpers.training.losses import TripletSemiHardLoss; loss = TripletSemiHardLoss()

Two documented exceptions to TFA's numerics:

1. **No positive pair.** Where TFA's :func:`triplet_semihard_loss` divides zero
   by zero and returns NaN (a batch in which no label occurs twice), this
   returns 0: such a batch carries no triplet, so it should not move the model.
2. **Soft margin overflow.** TFA's soft :func:`triplet_hard_loss` computes
   ``log1p(exp(x))``, which overflows to ``inf`` for ``x`` above about 88 in
   float32; this uses the stable ``softplus(x)``, the same value wherever TFA
   is finite, and ``x`` (finite) where TFA gives ``inf``.

Unlike TFA, bad input is refused with a ``ValueError`` or ``TypeError`` that
names the argument: a margin that is not a finite number >= 0, labels whose
count differs from the batch of embeddings (known when the shapes are static,
and checked in the graph under TensorFlow otherwise) and an empty batch.

One cosmetic difference: TFA's :class:`ContrastiveLoss` named itself
``"contrasitve_loss"`` (sic); here the default name is ``"contrastive_loss"``.

Used in notebook 07 (re-exported from :mod:`cvhelpers.training.losses`).
"""

from __future__ import annotations

import keras
from keras import ops

from cvhelpers.validation import check_bool, check_number

__all__ = [
    "DISTANCE_METRICS",
    "pairwise_distance",
    "angular_distance",
    "triplet_semihard_loss",
    "triplet_hard_loss",
    "contrastive_loss",
    "triplet_batch_all_loss",
    "TripletSemiHardLoss",
    "TripletHardLoss",
    "ContrastiveLoss",
    "TripletBatchAllLoss",
]

#: The distance metrics TFA 0.23 accepts by name (a callable is accepted too).
DISTANCE_METRICS = ("L2", "squared-L2", "angular")


def pairwise_distance(feature, squared: bool = False):
    """Pairwise Euclidean distances between rows, as TFA computes them.

    ``output[i, j] = ||feature[i] - feature[j]||_2`` (squared if asked), from
    ``|a|^2 + |b|^2 - 2 a.b`` with small negatives clipped to 0, the square
    root taken only where the squared distance is positive (so its gradient
    stays finite), and the diagonal set to exactly 0.

    Parameters
    ----------
    feature : tensor of shape (n, d), float
    squared : bool, default=False
        Return squared distances.

    Returns
    -------
    tensor of shape (n, n), dtype of ``feature``
    """
    feature = _as_matrix(feature)
    square_norms = ops.sum(ops.square(feature), axis=1, keepdims=True)
    distances_squared = square_norms + ops.transpose(square_norms) - 2.0 * ops.matmul(
        feature, ops.transpose(feature)
    )
    distances_squared = ops.maximum(distances_squared, 0.0)
    error_mask = ops.less_equal(distances_squared, 0.0)
    if squared:
        distances = distances_squared
    else:
        distances = ops.sqrt(distances_squared + ops.cast(error_mask, feature.dtype) * 1e-16)
    distances = distances * ops.cast(ops.logical_not(error_mask), feature.dtype)
    n = ops.shape(feature)[0]
    off_diagonal = ops.ones_like(distances) - ops.eye(n, dtype=feature.dtype)
    return distances * off_diagonal


def angular_distance(feature):
    """Pairwise cosine distances ``1 - cos(feature[i], feature[j])``, as TFA.

    Rows are L2-normalized first, and every entry is clipped below at 1e-16
    (so the diagonal is 1e-16, not 0, exactly as in TFA).

    Parameters
    ----------
    feature : tensor of shape (n, d), float

    Returns
    -------
    tensor of shape (n, n), dtype of ``feature``, values in [1e-16, 2]
    """
    feature = _as_matrix(feature)
    normalized = feature / ops.sqrt(
        ops.maximum(ops.sum(ops.square(feature), axis=1, keepdims=True), 1e-12)
    )
    distances = 1.0 - ops.matmul(normalized, ops.transpose(normalized))
    return ops.maximum(distances, 1e-16)


def _as_matrix(feature):
    feature = ops.convert_to_tensor(feature)
    if len(feature.shape) != 2:
        raise ValueError(f"feature must be 2-D (n, d), got shape {tuple(feature.shape)}")
    return feature


def _check_margin(margin):
    return check_number(margin, "margin", low=0)


def _check_metric(distance_metric):
    if callable(distance_metric):
        return distance_metric
    if distance_metric not in DISTANCE_METRICS:
        raise ValueError(
            f"distance_metric must be one of {DISTANCE_METRICS} or a callable, got {distance_metric!r}"
        )
    return distance_metric


def _distance_matrix(embeddings, distance_metric):
    if distance_metric == "L2":
        return pairwise_distance(embeddings, squared=False)
    if distance_metric == "squared-L2":
        return pairwise_distance(embeddings, squared=True)
    if distance_metric == "angular":
        return angular_distance(embeddings)
    return ops.convert_to_tensor(distance_metric(embeddings))


def _prepare(y_true, y_pred):
    """Labels as a (n, 1) column; embeddings in float32 if they were 16-bit."""
    embeddings = ops.convert_to_tensor(y_pred)
    if len(embeddings.shape) != 2:
        raise ValueError(f"y_pred must be 2-D embeddings (batch, dim), got shape {tuple(embeddings.shape)}")
    input_dtype = keras.backend.standardize_dtype(embeddings.dtype)
    if input_dtype in ("float16", "bfloat16"):
        embeddings = ops.cast(embeddings, "float32")
    elif not input_dtype.startswith("float"):
        embeddings = ops.cast(embeddings, keras.backend.floatx())
    labels = ops.reshape(ops.convert_to_tensor(y_true), (-1, 1))
    _check_batch(labels, embeddings)
    return labels, embeddings, input_dtype


def _check_batch(labels, embeddings):
    """One label per embedding, and at least one embedding."""
    n_labels, n = labels.shape[0], embeddings.shape[0]
    if n == 0:
        raise ValueError("y_pred is an empty batch (0 embeddings); a triplet loss needs embeddings")
    if n_labels is not None and n is not None:
        if n_labels != n:
            raise ValueError(f"y_true has {n_labels} labels but y_pred is a batch of {n} embeddings; "
                             "pass one label per embedding")
    else:
        _assert_when_run(lambda tf: (tf.shape(labels)[0], tf.shape(embeddings)[0]),
                         "y_true must hold one label per embedding of y_pred (the batch sizes differ)")


def _assert_when_run(sizes, message):
    """The runtime twin of a static shape check, for shapes known only when a graph runs.

    Under the TensorFlow backend it adds ``tf.debugging.assert_equal`` on the
    two tensors ``sizes(tf)`` returns (a few microseconds a step; XLA drops
    it). Other backends trace with static shapes, so the static check covers
    them.
    """
    if keras.backend.backend() == "tensorflow":
        import tensorflow as tf

        tf.debugging.assert_equal(*sizes(tf), message=message)


def _masked_maximum(data, mask, axis=1):
    """Max of ``data`` over ``mask`` along ``axis`` (TFA's shift trick).

    Where the mask is empty the result is the axis minimum.
    """
    axis_minimums = ops.min(data, axis=axis, keepdims=True)
    return ops.max((data - axis_minimums) * mask, axis=axis, keepdims=True) + axis_minimums


def _masked_minimum(data, mask, axis=1):
    """Min of ``data`` over ``mask`` along ``axis`` (TFA's shift trick).

    Where the mask is empty the result is the axis maximum.
    """
    axis_maximums = ops.max(data, axis=axis, keepdims=True)
    return ops.min((data - axis_maximums) * mask, axis=axis, keepdims=True) + axis_maximums


def _restore_dtype(value, input_dtype):
    if input_dtype in ("float16", "bfloat16"):
        return ops.cast(value, input_dtype)
    return value


def triplet_semihard_loss(y_true, y_pred, margin=1.0, distance_metric="L2"):
    """Triplet loss with semi-hard negative mining (Schroff et al. 2015), as TFA.

    For every anchor ``a`` and positive ``p`` (same label, ``p != a``) it picks
    the semi-hard negative: the closest negative ``n`` with
    ``d(a, n) > d(a, p)``; if there is none, the farthest negative of ``a``.
    The loss is the mean over all (anchor, positive) pairs of
    ``max(d(a, p) - d(a, n) + margin, 0)``.

    Parameters
    ----------
    y_true : tensor of shape (batch,) or (batch, 1), int (or float holding ints)
        Class labels.
    y_pred : tensor of shape (batch, dim), float16, bfloat16, float32 or float64
        Embeddings, which should be L2-normalized. 16-bit input is computed in
        float32 and the result cast back, as in TFA.
    margin : float >= 0, default=1.0
    distance_metric : {"L2", "squared-L2", "angular"} or callable, default="L2"
        ``"L2"``: Euclidean distance; ``"squared-L2"``: its square;
        ``"angular"``: ``1 - cosine similarity``; a callable maps the
        (batch, dim) embeddings to a (batch, batch) distance matrix.

    Returns
    -------
    scalar tensor, dtype of ``y_pred``
        0 for a batch with no positive pair (TFA returns NaN there).

    Raises
    ------
    ValueError
        When ``y_pred`` is not 2-D or is an empty batch, ``y_true`` does not
        hold one label per embedding, ``margin`` is not a finite number >= 0
        (``TypeError`` when it is not a number) or ``distance_metric`` is
        unknown.

    Examples
    --------
    >>> float(triplet_semihard_loss([0, 0], [[0.0, 1.0], [1.0, 0.0]]))  # doctest: +ELLIPSIS
    2.41421...
    """
    margin = _check_margin(margin)
    distance_metric = _check_metric(distance_metric)
    labels, embeddings, input_dtype = _prepare(y_true, y_pred)
    dtype = embeddings.dtype
    distances = _distance_matrix(embeddings, distance_metric)
    batch_size = ops.shape(labels)[0]

    adjacency = ops.equal(labels, ops.transpose(labels))
    adjacency_not = ops.logical_not(adjacency)

    # mask[a, p, n]: n is a negative of a, farther from a than p is.
    d_an = ops.expand_dims(distances, 1)  # (a, 1, n)
    d_ap = ops.expand_dims(distances, 2)  # (a, p, 1)
    mask = ops.logical_and(ops.expand_dims(adjacency_not, 1), ops.greater(d_an, d_ap))
    mask_final = ops.any(mask, axis=2)  # (a, p)

    # negatives_outside: smallest d(a, n) with d(a, n) > d(a, p).
    tiled = ops.broadcast_to(d_an, (batch_size, batch_size, batch_size))
    negatives_outside = ops.squeeze(_masked_minimum(tiled, ops.cast(mask, dtype), axis=2), axis=2)
    # negatives_inside: largest d(a, n).
    negatives_inside = ops.broadcast_to(
        _masked_maximum(distances, ops.cast(adjacency_not, dtype), axis=1), (batch_size, batch_size)
    )
    semi_hard_negatives = ops.where(mask_final, negatives_outside, negatives_inside)

    loss_matrix = margin + distances - semi_hard_negatives
    mask_positives = ops.cast(adjacency, dtype) - ops.eye(batch_size, dtype=dtype)
    num_positives = ops.sum(mask_positives)
    total = ops.sum(ops.maximum(loss_matrix * mask_positives, 0.0))
    # Exception 1: TFA returns 0/0 = NaN when there is no positive pair.
    loss = ops.where(num_positives > 0, total / ops.maximum(num_positives, 1.0), ops.zeros_like(total))
    return _restore_dtype(loss, input_dtype)


def triplet_hard_loss(y_true, y_pred, margin=1.0, soft=False, distance_metric="L2"):
    """Batch-hard triplet loss (Hermans et al. 2017), as TFA.

    For every anchor ``a`` it takes the farthest positive and the closest
    negative in the batch; the loss is the mean over anchors of
    ``max(d(a, p_hard) - d(a, n_hard) + margin, 0)``, or with ``soft=True``
    ``softplus(d(a, p_hard) - d(a, n_hard))`` (no margin). As in TFA, an
    anchor with no positive uses ``d(a, a)`` (the row minimum) and an anchor
    with no negative uses the row maximum, and all anchors are averaged.

    Parameters
    ----------
    y_true : tensor of shape (batch,) or (batch, 1), int (or float holding ints)
    y_pred : tensor of shape (batch, dim), float
        L2-normalized embeddings; 16-bit input is computed in float32.
    margin : float >= 0, default=1.0
        Ignored when ``soft=True``.
    soft : bool, default=False
        Soft-margin version. TFA's ``log1p(exp(x))`` overflows to inf for large
        ``x``; this uses the stable ``softplus`` (exception 2), equal wherever
        TFA is finite.
    distance_metric : {"L2", "squared-L2", "angular"} or callable, default="L2"

    Returns
    -------
    scalar tensor, dtype of ``y_pred``

    Raises
    ------
    ValueError
        When ``y_pred`` is not 2-D or is an empty batch, ``y_true`` does not
        hold one label per embedding, ``margin`` is not a finite number >= 0
        (``TypeError`` when it is not a number) or ``distance_metric`` is
        unknown.

    Examples
    --------
    >>> float(triplet_hard_loss([0, 0], [[0.0, 1.0], [1.0, 0.0]]))
    1.0
    """
    margin = _check_margin(margin)
    distance_metric = _check_metric(distance_metric)
    check_bool(soft, "soft")
    labels, embeddings, input_dtype = _prepare(y_true, y_pred)
    dtype = embeddings.dtype
    distances = _distance_matrix(embeddings, distance_metric)
    batch_size = ops.shape(labels)[0]

    adjacency = ops.equal(labels, ops.transpose(labels))
    adjacency_not = ops.cast(ops.logical_not(adjacency), dtype)
    hard_negatives = _masked_minimum(distances, adjacency_not, axis=1)
    mask_positives = ops.cast(adjacency, dtype) - ops.eye(batch_size, dtype=dtype)
    hard_positives = _masked_maximum(distances, mask_positives, axis=1)

    if soft:
        per_anchor = ops.softplus(hard_positives - hard_negatives)
    else:
        per_anchor = ops.maximum(hard_positives - hard_negatives + margin, 0.0)
    return _restore_dtype(ops.mean(per_anchor), input_dtype)


def contrastive_loss(y_true, y_pred, margin=1.0):
    """Contrastive loss of Hadsell, Chopra and LeCun (2006), as TFA.

    ``y * d^2 + (1 - y) * max(margin - d, 0)^2`` for each pair, where ``d`` is
    the distance between the pair's two embeddings, e.g.
    ``ops.norm(a - b, axis=1)``, and ``y`` is 1 for a "same" pair.

    Parameters
    ----------
    y_true : tensor of shape (batch,), int, bool or float
        1 for a same-class pair, 0 for a different-class pair.
    y_pred : tensor of shape (batch,), float
        Distances between the two embeddings of each pair.
    margin : float >= 0, default=1.0

    Returns
    -------
    tensor of shape (batch,), dtype of ``y_pred``
        One loss per pair (no reduction), as in TFA.

    Raises
    ------
    ValueError
        When ``y_true`` and ``y_pred`` differ in shape (one label per pair,
        never broadcast) or ``margin`` is not a finite number >= 0
        (``TypeError`` when it is not a number).

    Examples
    --------
    >>> [float(v) for v in contrastive_loss([1, 0], [0.5, 0.25])]
    [0.25, 0.5625]
    """
    margin = _check_margin(margin)
    y_pred = ops.convert_to_tensor(y_pred)
    if not keras.backend.standardize_dtype(y_pred.dtype).startswith(("float", "bfloat")):
        y_pred = ops.cast(y_pred, keras.backend.floatx())
    y_true = ops.cast(ops.convert_to_tensor(y_true), y_pred.dtype)
    _check_pairs(y_true, y_pred)
    return y_true * ops.square(y_pred) + (1.0 - y_true) * ops.square(ops.maximum(margin - y_pred, 0.0))


def _check_pairs(y_true, y_pred):
    """The same shape for the pair labels and the pair distances (no broadcasting)."""
    true_shape, pred_shape = tuple(y_true.shape), tuple(y_pred.shape)
    if len(true_shape) != len(pred_shape) or any(
        a is not None and b is not None and a != b for a, b in zip(true_shape, pred_shape, strict=True)
    ):
        raise ValueError(f"y_true has shape {true_shape} but y_pred has shape {pred_shape}; "
                         "pass one label per pair distance")
    if None in true_shape or None in pred_shape:
        _assert_when_run(lambda tf: (tf.shape(y_true), tf.shape(y_pred)),
                         "y_true must hold one label per pair distance of y_pred (the shapes differ)")


def triplet_batch_all_loss(y_true, y_pred, margin=1.0, distance_metric="L2", remove_easy=True):
    """Batch-all triplet loss (Hermans et al. 2017). Not in TFA; added for notebook 07.

    Every valid triplet of the batch (anchor ``a``, positive ``p != a`` of the
    same label, negative ``n`` of another label) contributes
    ``max(d(a, p) - d(a, n) + margin, 0)``. With ``remove_easy`` (Hermans's
    "BA≠0") the sum is divided by the number of triplets with a positive loss,
    so easy triplets do not dilute the gradient; otherwise by all valid ones.

    Parameters
    ----------
    y_true : tensor of shape (batch,) or (batch, 1), int
    y_pred : tensor of shape (batch, dim), float
    margin : float >= 0, default=1.0
    distance_metric : {"L2", "squared-L2", "angular"} or callable, default="L2"
    remove_easy : bool, default=True

    Returns
    -------
    scalar tensor, dtype of ``y_pred``; 0 when the batch has no valid triplet.

    Raises
    ------
    ValueError
        When ``y_pred`` is not 2-D or is an empty batch, ``y_true`` does not
        hold one label per embedding, ``margin`` is not a finite number >= 0
        (``TypeError`` when it is not a number) or ``distance_metric`` is
        unknown.
    """
    margin = _check_margin(margin)
    distance_metric = _check_metric(distance_metric)
    labels, embeddings, input_dtype = _prepare(y_true, y_pred)
    dtype = embeddings.dtype
    distances = _distance_matrix(embeddings, distance_metric)
    batch_size = ops.shape(labels)[0]
    adjacency = ops.equal(labels, ops.transpose(labels))
    positive = ops.cast(adjacency, dtype) - ops.eye(batch_size, dtype=dtype)  # (a, p)
    negative = ops.cast(ops.logical_not(adjacency), dtype)  # (a, n)
    valid = ops.expand_dims(positive, 2) * ops.expand_dims(negative, 1)  # (a, p, n)
    losses = ops.maximum(ops.expand_dims(distances, 2) - ops.expand_dims(distances, 1) + margin, 0.0) * valid
    if remove_easy:
        count = ops.sum(ops.cast(losses > 1e-16, dtype))
    else:
        count = ops.sum(valid)
    loss = ops.sum(losses) / ops.maximum(count, 1.0)
    return _restore_dtype(loss, input_dtype)


@keras.saving.register_keras_serializable(package="cvhelpers")
class TripletBatchAllLoss(keras.losses.Loss):
    """Keras loss for :func:`triplet_batch_all_loss` (not in TFA).

    Parameters
    ----------
    margin : float >= 0, default=1.0
    distance_metric : {"L2", "squared-L2", "angular"} or callable, default="L2"
    remove_easy : bool, default=True
    name : str, optional
    """

    def __init__(self, margin=1.0, distance_metric="L2", remove_easy=True, name=None, **kwargs):
        super().__init__(name=name or "triplet_batch_all_loss", reduction="none", dtype=kwargs.get("dtype"))
        self.margin = _check_margin(margin)
        self.distance_metric = _check_metric(distance_metric)
        self.remove_easy = bool(remove_easy)

    def call(self, y_true, y_pred):
        return triplet_batch_all_loss(y_true, y_pred, self.margin, self.distance_metric, self.remove_easy)

    def get_config(self):
        return {
            "name": self.name,
            "margin": self.margin,
            "distance_metric": self.distance_metric,
            "remove_easy": self.remove_easy,
        }


@keras.saving.register_keras_serializable(package="cvhelpers")
class TripletSemiHardLoss(keras.losses.Loss):
    """Keras loss for :func:`triplet_semihard_loss` (``tfa.losses.TripletSemiHardLoss``).

    The function already averages over the batch, so the reduction is
    ``"none"``, as in TFA; extra keyword arguments are ignored, as in TFA.

    Parameters
    ----------
    margin : float >= 0, default=1.0
    distance_metric : {"L2", "squared-L2", "angular"} or callable, default="L2"
    name : str, optional

    Examples
    --------
    >>> model.compile(optimizer="adam", loss=TripletSemiHardLoss(margin=0.5))  # doctest: +SKIP
    """

    def __init__(self, margin=1.0, distance_metric="L2", name=None, **kwargs):
        super().__init__(name=name or "triplet_semihard_loss", reduction="none", dtype=kwargs.get("dtype"))
        self.margin = _check_margin(margin)
        self.distance_metric = _check_metric(distance_metric)

    def call(self, y_true, y_pred):
        return triplet_semihard_loss(y_true, y_pred, self.margin, self.distance_metric)

    def get_config(self):
        return {"name": self.name, "margin": self.margin, "distance_metric": self.distance_metric}


@keras.saving.register_keras_serializable(package="cvhelpers")
class TripletHardLoss(keras.losses.Loss):
    """Keras loss for :func:`triplet_hard_loss` (``tfa.losses.TripletHardLoss``).

    Parameters
    ----------
    margin : float >= 0, default=1.0
    soft : bool, default=False
    distance_metric : {"L2", "squared-L2", "angular"} or callable, default="L2"
    name : str, optional
    """

    def __init__(self, margin=1.0, soft=False, distance_metric="L2", name=None, **kwargs):
        super().__init__(name=name or "triplet_hard_loss", reduction="none", dtype=kwargs.get("dtype"))
        check_bool(soft, "soft")
        self.margin = _check_margin(margin)
        self.soft = soft
        self.distance_metric = _check_metric(distance_metric)

    def call(self, y_true, y_pred):
        return triplet_hard_loss(y_true, y_pred, self.margin, self.soft, self.distance_metric)

    def get_config(self):
        return {
            "name": self.name,
            "margin": self.margin,
            "soft": self.soft,
            "distance_metric": self.distance_metric,
        }


@keras.saving.register_keras_serializable(package="cvhelpers")
class ContrastiveLoss(keras.losses.Loss):
    """Keras loss for :func:`contrastive_loss` (``tfa.losses.ContrastiveLoss``).

    Parameters
    ----------
    margin : float >= 0, default=1.0
    reduction : str, default="sum_over_batch_size"
        Any Keras 3 reduction (``"sum"``, ``"none"``, ...).
    name : str, default="contrastive_loss"
        TFA's default was ``"contrasitve_loss"`` (sic).
    """

    def __init__(self, margin=1.0, reduction="sum_over_batch_size", name="contrastive_loss", dtype=None):
        super().__init__(name=name, reduction=reduction, dtype=dtype)
        self.margin = _check_margin(margin)

    def call(self, y_true, y_pred):
        y_pred = ops.reshape(y_pred, (-1,))
        y_true = ops.reshape(y_true, (-1,))
        return contrastive_loss(y_true, y_pred, self.margin)

    def get_config(self):
        return {**super().get_config(), "margin": self.margin}
