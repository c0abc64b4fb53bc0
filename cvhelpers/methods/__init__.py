"""Methods beyond a better loss or sampler: each module (or subpackage) is one method.

Import the one you need, e.g. ``from cvhelpers.methods import gan``.

Modules
-------
selfsup
    SimCLR pretraining on unlabelled images, then a probe or fine-tuning.
supcon
    Supervised contrastive learning beside cross-entropy.
gan
    A conditional DCGAN that tops up rare classes with synthetic images.
siamese
    Siamese and triplet networks for one-shot recognition.
metric_losses
    Triplet and contrastive losses, drop-in for tensorflow-addons'.
"""
