"""Training: the one ``fit`` every method uses, the second stages built on it, models and losses.

``from cvhelpers import training; training.fit(...)``: the trainer and the
two-stage methods and the long-tail recipe are re-exported here.

Modules
-------
trainer
    :func:`fit` (seeded, cached, best epoch by validation balanced accuracy)
    and :class:`FitResult`.
two_stage
    Second stages on a trained model: :func:`retrain_classifier` (cRT),
    :func:`fine_tune`, :func:`deferred_reweighting` (DRW).
recipe
    The course's best long-tail recipe as one call: :func:`long_tail_recipe`
    (oversampling with augmented copies + CMO, a low learning rate, cRT) and
    :class:`RecipeResult`.
models
    The course's small CNN as encoder + linear head.
backbones
    A Keras application (MobileNetV3-Small, EfficientNet-B0; ImageNet
    weights when they download) as the encoder: :func:`backbone_classifier`,
    trained frozen then fine-tuned by :func:`fit_backbone`.
losses
    Losses for long-tailed classification: focal, logit-adjusted, post-hoc
    adjustment, TFA-compatible sigmoid focal.

The model cache these use is :mod:`cvhelpers.cache`.
"""

from cvhelpers.training.backbones import BACKBONES, BackboneResult, backbone_classifier, fit_backbone
from cvhelpers.training.recipe import RecipeResult, long_tail_recipe
from cvhelpers.training.trainer import EpochProgress, FitResult, fit
from cvhelpers.training.two_stage import (
    balanced_batch_indices,
    clone_with_weights,
    copy_model,
    deferred_reweighting,
    fine_tune,
    retrain_classifier,
)

__all__ = [
    "FitResult",
    "EpochProgress",
    "fit",
    "balanced_batch_indices",
    "copy_model",
    "clone_with_weights",
    "retrain_classifier",
    "fine_tune",
    "deferred_reweighting",
    "RecipeResult",
    "long_tail_recipe",
    "BACKBONES",
    "BackboneResult",
    "backbone_classifier",
    "fit_backbone",
]
