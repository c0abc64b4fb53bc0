"""Losses for long-tailed classification, written with ``keras.ops``.

* :func:`focal_loss` — Keras's ``CategoricalFocalCrossentropy`` (Lin et al.
  2017), with the per-class α checked against the number of classes.
* :class:`LogitAdjustedLoss` — the logit-adjusted softmax cross-entropy of
  Menon et al. (2021): cross-entropy on ``logits + τ·log(prior)``. With
  τ = 1 it is the balanced softmax of Ren et al. (2020). Keras has no such
  loss, hence this class.
* :func:`posthoc_logit_adjustment` — the post-hoc form: subtract
  ``τ·log(prior)`` from a trained model's logits. No training needed.
* :func:`sigmoid_focal_crossentropy` and :class:`SigmoidFocalCrossEntropy` —
  drop-in replacements for tensorflow-addons' versions (same arguments,
  defaults and numerics), for courses migrating from TFA.
* The metric-learning losses (triplet, contrastive) live with the Siamese
  method, in :mod:`cvhelpers.methods.metric_losses`.

Used in notebooks 04-06.
"""

from __future__ import annotations

import keras
import numpy as np
from keras import ops

from cvhelpers.validation import check_bool, check_finite_array, check_labels, check_number, check_positive_int

__all__ = [
    "focal_loss",
    "class_priors",
    "LogitAdjustedLoss",
    "posthoc_logit_adjustment",
    "choose_tau",
    "sigmoid_focal_crossentropy",
    "SigmoidFocalCrossEntropy",
]


def focal_loss(gamma: float = 2.0, alpha=0.25, num_classes: int | None = None, from_logits: bool = True):
    """Categorical focal loss, ``-α_t (1 - p_t)^γ log p_t`` (Lin et al. 2017).

    A thin, checked wrapper around ``keras.losses.CategoricalFocalCrossentropy``:
    labels must be one-hot. γ = 0 with α = 1 is plain cross-entropy.

    Parameters
    ----------
    gamma : float, default=2.0
        Focusing parameter, >= 0.
    alpha : float or sequence of float, default=0.25
        Scalar weight, or one weight per class (length ``num_classes``).
    num_classes : int, optional
        Required to check a per-class ``alpha``.
    from_logits : bool, default=True

    Returns
    -------
    keras.losses.CategoricalFocalCrossentropy

    Raises
    ------
    TypeError, ValueError
        Naming the argument: ``gamma`` or ``alpha`` that is not a finite
        number >= 0, a per-class ``alpha`` without ``num_classes`` or of
        another length, or ``num_classes`` that is not an int >= 2.
    """
    check_number(gamma, "gamma", low=0)
    if num_classes is not None:
        check_positive_int(num_classes, "num_classes", smallest=2)
    if np.ndim(alpha) == 1:
        alpha = check_finite_array(alpha, "alpha", nonnegative=True).tolist()
        if num_classes is None:
            raise ValueError("a per-class alpha needs num_classes to check its length")
        if len(alpha) != num_classes:
            raise ValueError(f"alpha has {len(alpha)} values but there are {num_classes} classes")
    elif np.ndim(alpha) == 0:
        alpha = check_number(alpha, "alpha", low=0)
    else:
        raise ValueError(f"alpha must be a float or a 1-D sequence, got shape {np.shape(alpha)}")
    return keras.losses.CategoricalFocalCrossentropy(
        alpha=alpha, gamma=float(gamma), from_logits=from_logits, name=f"focal_g{gamma:g}"
    )


def class_priors(counts, num_classes: int | None = None) -> np.ndarray:
    """Class frequencies π_c = n_c / n from ``{label: count}`` or a count array.

    Returns
    -------
    ndarray of shape (C,), float32, summing to 1.

    Raises
    ------
    TypeError
        When ``counts`` is not numeric, or a dict with keys that are not ints.
    ValueError
        Naming the argument: fewer than 2 classes, a count <= 0, NaN, a
        dict without one entry per class, ``num_classes`` that is not an
        int >= 2, or ``counts`` of another length than ``num_classes``.
    """
    if num_classes is not None:
        num_classes = check_positive_int(num_classes, "num_classes", smallest=2)
    if isinstance(counts, dict):
        if not counts or not all(isinstance(c, (int, np.integer)) and not isinstance(c, bool) for c in counts):
            raise TypeError(f"counts must be a non-empty dict with int class labels as keys, got {counts!r}")
        num_classes = num_classes or (max(counts) + 1)
        missing = set(range(num_classes)) - set(counts)
        extra = set(counts) - set(range(num_classes))
        if missing or extra:
            raise ValueError(
                f"counts must have one entry per class 0..{num_classes - 1}; "
                f"missing {sorted(missing)}, extra {sorted(extra)}"
            )
        counts = [counts[c] for c in range(num_classes)]
    counts = check_finite_array(counts, "counts")
    if counts.ndim != 1 or len(counts) < 2:
        raise ValueError(f"counts must list at least 2 classes, got shape {counts.shape}")
    if np.any(counts <= 0):
        raise ValueError(f"every class needs a positive count, got {counts.tolist()}")
    if num_classes is not None and len(counts) != num_classes:
        raise ValueError(f"counts has {len(counts)} classes but num_classes is {num_classes}")
    return (counts / counts.sum()).astype(np.float32)


@keras.saving.register_keras_serializable(package="cvhelpers")
class LogitAdjustedLoss(keras.losses.Loss):
    """Logit-adjusted cross-entropy (Menon et al. 2021).

    ``loss = CE(y, logits + τ · log π)``, where π are the training class
    priors. Rare classes get their logits lowered during training, so the
    model must push them higher: a larger margin for the tail. τ = 1 is the
    balanced softmax (Ren et al. 2020); τ = 0 is cross-entropy. At test time
    use the raw logits.

    Parameters
    ----------
    priors : sequence of float, shape (C,)
        Training class frequencies (see :func:`class_priors`).
    tau : float, default=1.0
    sparse : bool, default=False
        Labels are integers (b,) rather than one-hot (b, C).

    Raises
    ------
    TypeError, ValueError
        Naming the argument: ``priors`` that are not finite and > 0 (1-D),
        a ``tau`` that is not a finite number, a ``sparse`` that is not a
        bool. When called: logits whose last dimension is not the number of
        priors, or labels in the other format (one-hot with ``sparse=True``,
        class indices without it).
    """

    def __init__(self, priors, tau: float = 1.0, sparse: bool = False, name="logit_adjusted", **kwargs):
        priors = check_finite_array(priors, "priors", ndim=1, positive=True)
        tau = check_number(tau, "tau")
        check_bool(sparse, "sparse")
        super().__init__(name=name, **kwargs)
        self.priors = (priors / priors.sum()).tolist()
        self.tau = tau
        self.sparse = bool(sparse)

    def call(self, y_true, y_pred):
        self._check_shapes(y_true, y_pred)
        offsets = self.tau * ops.log(ops.convert_to_tensor(self.priors, dtype=y_pred.dtype))
        adjusted = y_pred + offsets
        if self.sparse:
            return keras.losses.sparse_categorical_crossentropy(y_true, adjusted, from_logits=True)
        return keras.losses.categorical_crossentropy(y_true, adjusted, from_logits=True)

    def _check_shapes(self, y_true, y_pred):
        """Static checks (at trace time in ``fit``): logits (b, C) with C priors, labels in the chosen format."""
        classes = y_pred.shape[-1] if len(y_pred.shape) else None
        if classes is not None and classes != len(self.priors):
            raise ValueError(
                f"priors has {len(self.priors)} classes but y_pred has {classes} (shape {tuple(y_pred.shape)})"
            )
        same_rank = len(y_true.shape) == len(y_pred.shape)
        if self.sparse and same_rank and y_true.shape[-1] not in (None, 1):
            raise ValueError(f"sparse=True expects class indices y_true (b,), got shape {tuple(y_true.shape)}")
        if not self.sparse and (not same_rank or y_true.shape[-1] not in (None, classes)):
            raise ValueError(
                f"sparse=False expects one-hot y_true (b, {classes}), got shape {tuple(y_true.shape)}; "
                "pass sparse=True for class indices"
            )

    def get_config(self):
        return {**super().get_config(), "priors": self.priors, "tau": self.tau, "sparse": self.sparse}


def posthoc_logit_adjustment(logits, priors, tau: float = 1.0) -> np.ndarray:
    """Post-hoc logit adjustment: ``logits - τ · log π`` (Menon et al. 2021).

    Parameters
    ----------
    logits : ndarray of shape (n, C)
        A trained model's logits.
    priors : ndarray of shape (C,)
        Training class frequencies.
    tau : float, default=1.0

    Returns
    -------
    ndarray of shape (n, C)

    Raises
    ------
    ValueError
        Naming the argument: ``priors`` that are not finite and > 0,
        ``tau`` that is not finite, logits that are not (n, C) or hold NaN
        or inf.
    """
    logits = np.asarray(logits, dtype=np.float64)
    priors = check_finite_array(priors, "priors", ndim=1, positive=True)
    tau = check_number(tau, "tau")
    if logits.ndim != 2 or logits.shape[1] != len(priors):
        raise ValueError(f"logits must have shape (n, {len(priors)}), got {logits.shape}")
    if not np.isfinite(logits).all():
        raise ValueError("logits contain NaN or inf")
    return logits - tau * np.log(priors / priors.sum())


def choose_tau(val_logits, y_val, priors, taus=None):
    """Pick the post-hoc adjustment strength τ by validation balanced accuracy.

    Parameters
    ----------
    val_logits : ndarray of shape (n, C)
        The trained model's logits on the validation split (never the test set).
    y_val : ndarray of shape (n,), int
    priors : ndarray of shape (C,)
    taus : sequence of float, optional
        Candidates; default 0, 0.25, ..., 3.

    Returns
    -------
    best_tau : float
        The candidate with the highest balanced accuracy (the smallest on ties).
    scores : dict of float to float
        Balanced accuracy for every candidate.

    Raises
    ------
    ValueError
        Naming the argument: ``val_logits`` that is not (n, C), ``y_val``
        that is not n class indices in [0, C), bad ``priors``, or ``taus``
        that is not a non-empty, finite 1-D sequence.
    """
    from sklearn.metrics import balanced_accuracy_score

    logits = np.asarray(val_logits)
    if logits.ndim != 2:
        raise ValueError(f"val_logits must have shape (n, C), got {logits.shape}")
    y_val = check_labels(y_val, "y_val", num_classes=logits.shape[1], length=len(logits),
                         length_of="the rows of val_logits")
    taus = np.arange(0.0, 3.01, 0.25) if taus is None else check_finite_array(taus, "taus", ndim=1)
    if taus.size == 0:
        raise ValueError("taus must hold at least one candidate")
    scores = {
        float(tau): float(balanced_accuracy_score(y_val, posthoc_logit_adjustment(val_logits, priors, tau).argmax(1)))
        for tau in taus
    }
    best_tau = max(scores, key=lambda tau: (scores[tau], -tau))
    return best_tau, scores


def sigmoid_focal_crossentropy(y_true, y_pred, alpha=0.25, gamma=2.0, from_logits=False):
    """tensorflow-addons' ``sigmoid_focal_crossentropy``, on ``keras.ops``.

    Per element: ``α_t (1 - p_t)^γ · BCE(y, p)`` with ``p_t = y p + (1-y)(1-p)``
    and ``α_t = y α + (1-y)(1-α)``; summed over the last axis. α or γ of
    ``None``/0 turns that factor off, as in TFA 0.23.

    Parameters
    ----------
    y_true : tensor of shape (..., C)
        0/1 targets.
    y_pred : tensor of shape (..., C)
        Probabilities, or logits with ``from_logits=True``.
    alpha : float or None, default=0.25
    gamma : float or None, default=2.0
    from_logits : bool, default=False

    Returns
    -------
    tensor of shape (...,)

    Raises
    ------
    TypeError, ValueError
        Naming the argument: ``alpha`` outside [0, 1], ``gamma`` below 0,
        either not a finite number (or None), or ``y_true`` and ``y_pred``
        of different static shapes.
    """
    _check_focal_factors(alpha, gamma)
    y_pred = ops.convert_to_tensor(y_pred)
    y_true = ops.cast(y_true, y_pred.dtype)
    _check_same_shape(y_true.shape, y_pred.shape)
    cross_entropy = ops.binary_crossentropy(y_true, y_pred, from_logits=from_logits)
    probabilities = ops.sigmoid(y_pred) if from_logits else y_pred
    p_t = y_true * probabilities + (1 - y_true) * (1 - probabilities)
    factor = ops.ones_like(p_t)
    if alpha:
        factor = factor * (y_true * alpha + (1 - y_true) * (1 - alpha))
    if gamma:
        factor = factor * ops.power(1.0 - p_t, gamma)
    return ops.sum(factor * cross_entropy, axis=-1)


def _check_focal_factors(alpha, gamma):
    """``alpha`` None or in [0, 1], ``gamma`` None or >= 0 (TFA's arguments)."""
    if alpha is not None:
        check_number(alpha, "alpha", low=0, high=1)
    if gamma is not None:
        check_number(gamma, "gamma", low=0)


def _check_same_shape(true_shape, pred_shape):
    """Refuse labels and predictions whose known dimensions differ (they would broadcast)."""
    true_shape, pred_shape = tuple(true_shape), tuple(pred_shape)
    differ = len(true_shape) != len(pred_shape) or any(
        a is not None and b is not None and a != b for a, b in zip(true_shape, pred_shape, strict=True)
    )
    if differ:
        raise ValueError(f"y_true and y_pred must have the same shape, got {true_shape} and {pred_shape}")


@keras.saving.register_keras_serializable(package="cvhelpers")
class SigmoidFocalCrossEntropy(keras.losses.Loss):
    """tensorflow-addons' ``SigmoidFocalCrossEntropy`` as a Keras 3 loss.

    Same arguments and defaults as TFA 0.23, including its default
    ``reduction="none"`` (one value per example).

    Raises
    ------
    TypeError, ValueError
        Naming the argument: ``alpha`` outside [0, 1], ``gamma`` below 0,
        either not a finite number (or None), or ``from_logits`` that is not
        a bool.
    """

    def __init__(self, from_logits=False, alpha=0.25, gamma=2.0, reduction="none", name="sigmoid_focal_crossentropy"):
        _check_focal_factors(alpha, gamma)
        check_bool(from_logits, "from_logits")
        super().__init__(name=name, reduction=reduction)
        self.from_logits = from_logits
        self.alpha = alpha
        self.gamma = gamma

    def call(self, y_true, y_pred):
        return sigmoid_focal_crossentropy(y_true, y_pred, self.alpha, self.gamma, self.from_logits)

    def get_config(self):
        return {
            **super().get_config(),
            "from_logits": self.from_logits,
            "alpha": self.alpha,
            "gamma": self.gamma,
        }
