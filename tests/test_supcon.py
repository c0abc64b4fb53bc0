"""Supervised contrastive loss against NumPy and NT-Xent; the hybrid model under training.fit."""

import keras
import numpy as np
import pytest
from numpy.testing import assert_allclose

from cvhelpers import augment, metrics, training
from cvhelpers.data import pipeline
from cvhelpers.methods import selfsup
from cvhelpers.methods.supcon import SupConHybrid, supervised_contrastive_loss
from cvhelpers.training import models


def numpy_supcon(labels, embeddings, temperature):
    """Khosla et al. 2020, eq. 2, anchor by anchor; anchors without a positive are skipped."""
    z = np.asarray(embeddings, np.float64)
    z = z / np.linalg.norm(z, axis=1, keepdims=True)
    similarity = z @ z.T / temperature
    losses = []
    for i in range(len(z)):
        others = np.arange(len(z)) != i
        positives = np.flatnonzero(others & (labels == labels[i]))
        if positives.size:
            log_denominator = np.log(np.exp(similarity[i, others]).sum())
            losses.append(-np.mean(similarity[i, positives] - log_denominator))
    return np.mean(losses) if losses else 0.0


@pytest.mark.parametrize("temperature", [0.1, 0.5, 1.0])
def test_supcon_matches_numpy_with_anchors_that_have_no_positive(temperature):
    rng = np.random.default_rng(0)
    labels = np.array([0, 0, 1, 2, 2, 2, 3])  # classes 1 and 3 have no positive
    z = rng.normal(size=(7, 5)).astype("float32")
    got = float(supervised_contrastive_loss(labels, z, temperature))
    assert_allclose(got, numpy_supcon(labels, z, temperature), rtol=1e-5, atol=1e-5)


def test_supcon_with_image_ids_as_labels_is_nt_xent():
    rng = np.random.default_rng(1)
    z1, z2 = rng.normal(size=(6, 8)).astype("float32"), rng.normal(size=(6, 8)).astype("float32")
    ids = np.concatenate([np.arange(6), np.arange(6)])
    got = float(supervised_contrastive_loss(ids, np.concatenate([z1, z2]), 0.5))
    assert_allclose(got, float(selfsup.nt_xent(z1, z2, 0.5)), rtol=1e-5)


def test_supcon_is_lower_when_classes_cluster_and_zero_without_pairs():
    labels = np.array([0, 0, 1, 1])
    clustered = np.array([[1, 0], [1, 0.1], [0, 1], [0.1, 1]], "float32")
    mixed = clustered[[0, 2, 1, 3]]
    assert float(supervised_contrastive_loss(labels, clustered)) < float(supervised_contrastive_loss(labels, mixed))
    assert float(supervised_contrastive_loss(np.arange(4), clustered)) == 0.0


@pytest.mark.parametrize(
    "temperature, error",
    [(0, ValueError), (-1.0, ValueError), (float("nan"), ValueError), (float("inf"), ValueError),
     (True, TypeError), ("0.1", TypeError)],
)
def test_supcon_rejects_a_bad_temperature(temperature, error):
    with pytest.raises(error, match="temperature"):
        supervised_contrastive_loss(np.zeros(2), np.ones((2, 3), "float32"), temperature)


def test_supcon_rejects_bad_shapes():
    with pytest.raises(ValueError, match="embeddings"):
        supervised_contrastive_loss(np.zeros(4), np.ones(4, "float32"))
    with pytest.raises(ValueError, match="differ in length"):
        supervised_contrastive_loss(np.zeros(3), np.ones((4, 2), "float32"))


def test_hybrid_rejects_bad_arguments():
    network = models.small_cnn((28, 28, 1), 3, width=4, feature_dim=8)
    with pytest.raises(TypeError, match="network"):
        SupConHybrid("cnn", augment.light_policy())
    with pytest.raises(TypeError, match="augment"):
        SupConHybrid(network, None)
    with pytest.raises(ValueError, match="weight"):
        SupConHybrid(network, augment.light_policy(), weight=-1)
    with pytest.raises(ValueError, match="temperature"):
        SupConHybrid(network, augment.light_policy(), temperature=0)


@pytest.mark.parametrize(
    "change, name",
    [(dict(weight=float("inf")), "weight"), (dict(weight=float("nan")), "weight"),
     (dict(temperature=float("inf")), "temperature"), (dict(seed=-1), "seed")],
)
def test_hybrid_rejects_non_finite_settings_and_a_negative_seed(change, name):
    network = models.small_cnn((28, 28, 1), 3, width=4, feature_dim=8)
    with pytest.raises(ValueError, match=name):
        SupConHybrid(network, augment.light_policy(), **change)


def _tiny_data(seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(3), 32)
    x = rng.integers(0, 40, size=(96, 28, 28)).astype(np.uint8)
    for c in range(3):  # a bright bar whose position gives the class away
        x[y == c, 4 + 8 * c: 10 + 8 * c, :] = 230
    return x, y


def test_hybrid_trains_under_fit_tracks_both_losses_and_caches(tmp_path):
    x, y = _tiny_data()
    data = pipeline.make_dataset(x, y, 32, seed=0)
    validation = pipeline.make_dataset(x, y, 96, shuffle=False)

    def build():
        network = models.small_cnn((28, 28, 1), 3, width=4, feature_dim=8, seed=0)
        return SupConHybrid(network, augment.light_policy(seed=0), weight=0.5, seed=0)

    kwargs = dict(epochs=8, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), num_classes=3,
                  optimizer=lambda: keras.optimizers.Adam(1e-2), cache=True, cache_dir=tmp_path,
                  progress=False)
    result = training.fit(build, data, validation, **kwargs)
    history = result.history
    for name in ("loss", "supervised_contrastive", "val_loss"):
        assert len(history[name]) == 8 and history[name][-1] < history[name][0], name
    assert np.isfinite(history["val_supervised_contrastive"]).all()
    logits = metrics.predict_logits(result.model, x)
    assert logits.shape == (96, 3)
    assert_allclose(logits, metrics.predict_logits(result.model.network, x), rtol=1e-6)
    assert (logits.argmax(1) == y).mean() > 0.9  # the bars are easy: 1.0 by epoch 5 with or without the term
    again = training.fit(build, data, validation, **kwargs)
    assert again.from_cache
    assert_allclose(metrics.predict_logits(again.model, x), logits, rtol=1e-5, atol=1e-6)


def test_hybrid_network_feeds_classifier_retraining():
    x, y = _tiny_data(1)
    network = models.small_cnn((28, 28, 1), 3, width=4, feature_dim=8, seed=0)
    hybrid = SupConHybrid(network, augment.light_policy(seed=0))
    retrained = training.retrain_classifier(hybrid.network, x, y, x, y, epochs=1, seed=0, progress=False)
    assert metrics.predict_logits(retrained.model, x).shape == (96, 3)
