"""Siamese and triplet networks for one-shot recognition.

One-shot recognition learns a similarity function: an embedding network f
maps an image to a unit vector, ``d(a, b) = ||f(a) - f(b)||_2``, and two images
are "the same" when ``d <= T``. Used in notebook 07. Every public name is
re-exported here, so ``from cvhelpers import siamese; siamese.fit_triplet(...)``
works.

Modules
-------
networks
    :func:`embedding_network` (a small CNN with an L2-normalized output) and
    :func:`siamese_pair_model` (the two-tower network that outputs ``d``).
batches
    Seeded ``keras.utils.PyDataset`` samplers: :class:`PKBatches` (P classes ×
    K images, for the triplet losses) and :class:`PairBatches` (same/different
    pairs, for the contrastive loss); :func:`make_pairs`.
training
    :func:`fit_triplet`, :func:`fit_pairs` and their optimizer
    :func:`cosine_adam`.
features
    :func:`embed` (embeddings of images) and :func:`pixel_features` (the
    raw-pixel nearest-neighbour baseline).
verification (in :mod:`cvhelpers.metrics.few_shot`, re-exported here)
    :func:`pair_distances`, :func:`choose_threshold` (T chosen on validation
    pairs) and :func:`verification_metrics`.
collapse
    Does training start? :func:`embedding_spread` (~0 for a collapsed
    embedding) and :func:`compare_mining` (one network per triplet loss, same
    steps: loss, spread and one-shot accuracy of each).
roc
    :func:`verification_roc` (ROC curve and AUC of "same when d <= T") and
    :func:`plot_verification` (the curves beside the histogram of distances).
episodes
    N-way k-shot identification over many episodes with 95% confidence
    intervals: :func:`sample_episodes`, :func:`episode_accuracy`,
    :func:`mean_ci`.
experiment
    :func:`one_shot_experiment`: the whole pipeline (split the classes, train,
    score N-way 1-shot and verification on unseen classes) on any labelled
    image set, e.g. real faces.
_labels
    Private: :func:`_class_index`, labels grouped by class.
"""

from __future__ import annotations

from cvhelpers.methods.siamese.batches import PairBatches, PKBatches, make_pairs
from cvhelpers.methods.siamese.collapse import compare_mining, embedding_spread
from cvhelpers.methods.siamese.episodes import episode_accuracy, mean_ci, sample_episodes
from cvhelpers.methods.siamese.experiment import one_shot_experiment
from cvhelpers.methods.siamese.features import embed, pixel_features
from cvhelpers.methods.siamese.networks import embedding_network, siamese_pair_model
from cvhelpers.methods.siamese.roc import plot_verification, verification_roc
from cvhelpers.methods.siamese.training import cosine_adam, fit_pairs, fit_triplet
from cvhelpers.metrics.few_shot import (
    choose_threshold,
    pair_distances,
    verification_metrics,
)

__all__ = [
    "embedding_network",
    "PKBatches",
    "PairBatches",
    "siamese_pair_model",
    "embed",
    "cosine_adam",
    "fit_triplet",
    "fit_pairs",
    "pixel_features",
    "make_pairs",
    "pair_distances",
    "choose_threshold",
    "verification_metrics",
    "sample_episodes",
    "episode_accuracy",
    "mean_ci",
    "one_shot_experiment",
    "embedding_spread",
    "compare_mining",
    "verification_roc",
    "plot_verification",
]
