"""Tests for cvhelpers.methods.siamese.collapse: embedding_spread and compare_mining."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

keras = pytest.importorskip("keras")

from cvhelpers.methods import siamese  # noqa: E402
from cvhelpers.methods.metric_losses import TripletHardLoss, TripletSemiHardLoss  # noqa: E402


def test_spread_of_a_collapsed_embedding_is_zero():
    collapsed = np.tile(np.array([[0.6, 0.8, 0.0]], np.float32), (40, 1))
    assert siamese.embedding_spread(collapsed) == 0.0
    nearly = collapsed + 1e-4 * np.random.default_rng(0).normal(size=collapsed.shape)
    assert siamese.embedding_spread(nearly) < 1e-3


def test_spread_is_the_mean_pairwise_distance():
    assert_allclose(siamese.embedding_spread(np.eye(4)), np.sqrt(2), rtol=1e-6)  # orthonormal: every pair sqrt(2)
    assert_allclose(siamese.embedding_spread([[0.0], [1.0], [3.0]]), (1 + 3 + 2) / 3, rtol=1e-6)
    rng = np.random.default_rng(0)
    random_unit = rng.normal(size=(200, 256))
    random_unit /= np.linalg.norm(random_unit, axis=1, keepdims=True)
    assert_allclose(siamese.embedding_spread(random_unit), np.sqrt(2), atol=0.02)


@pytest.mark.parametrize("features,error,match", [
    (np.zeros(5), ValueError, "features"),
    (np.zeros((1, 3)), ValueError, "n >= 2"),
    (np.array([["a", "b"], ["c", "d"]]), TypeError, "features"),
    (np.array([[0.0, np.inf], [1.0, 2.0]]), ValueError, "finite"),
])
def test_spread_names_bad_features(features, error, match):
    with pytest.raises(error, match=match):
        siamese.embedding_spread(features)


def _tiny_network(normalize=True):
    # Unseeded initializers: only keras.utils.set_random_seed makes two builds alike.
    return siamese.embedding_network(input_shape=(8, 8, 1), embedding_dim=4, filters=(4,), normalize=normalize)


def test_compare_mining_seeds_every_run_and_scores_each_network(labelled):
    x, y = labelled  # 10 classes x 6 images, 8x8
    probe = x[::6]  # one image per class
    episodes = {"5-way": siamese.sample_episodes(y, 5, 1, 1, episodes=20, seed=0)}
    optimizer = siamese.cosine_adam(1e-2, 1)  # the schedule of the second run's default optimizer
    kept = {}

    def first():
        kept["model"] = _tiny_network()
        return kept["model"]

    runs = {"semi-hard": (TripletSemiHardLoss(0.5), first, optimizer),
            "semi-hard again": (TripletSemiHardLoss(0.5), _tiny_network, None)}
    demo = siamese.compare_mining(runs, x, y, probe=probe, x_eval=x, episodes=episodes, steps=1, p=4, k=3,
                                  learning_rate=1e-2, log_every=1, seed=0)
    assert list(demo) == list(runs)
    for run in demo.values():
        assert set(run) == {"history", "spread", "5-way"}
        assert run["history"]["step"] == [1] and len(run["history"]["loss"]) == 1
        assert 0 < run["spread"] <= 2  # unit-length embeddings of 10 classes, not collapsed
        assert 0 <= run["5-way"] <= 1
    # Seeded before building: an unseeded network starts the same, sees the same batches, ends the same.
    assert demo["semi-hard again"]["history"]["loss"] == demo["semi-hard"]["history"]["loss"]
    assert demo["semi-hard again"]["spread"] == demo["semi-hard"]["spread"]
    assert demo["semi-hard again"]["5-way"] == demo["semi-hard"]["5-way"]
    # The numbers are those of the trained network; the given optimizer was used (its one step).
    features = siamese.embed(kept["model"], x)
    assert_allclose(demo["semi-hard"]["spread"], siamese.embedding_spread(features[::6]), rtol=1e-5)
    assert demo["semi-hard"]["5-way"] == siamese.mean_ci(siamese.episode_accuracy(features, *episodes["5-way"]))[0]
    assert int(optimizer.iterations) == 1


def test_compare_mining_without_episodes_reports_loss_and_spread(labelled):
    x, y = labelled
    demo = siamese.compare_mining({"no L2 norm": (TripletHardLoss(0.5), lambda: _tiny_network(False), None)},
                                  x, y, probe=x[::6], steps=1, p=4, k=2, log_every=1)
    assert set(demo["no L2 norm"]) == {"history", "spread"}
    assert demo["no L2 norm"]["history"]["step"] == [1] and demo["no L2 norm"]["spread"] > 0


@pytest.mark.parametrize("kwargs,error,match", [
    (dict(runs=[("a", None, None)]), TypeError, "runs"),
    (dict(runs={}), ValueError, "runs"),
    (dict(runs={"a": (None, None)}), ValueError, "runs"),
    (dict(runs={"a": (None, "not callable", None)}), TypeError, "build"),
    (dict(probe=np.zeros((1, 8, 8))), ValueError, "probe"),
    (dict(episodes=[1]), TypeError, "episodes"),
    (dict(episodes={"a": None}), ValueError, "x_eval"),
    (dict(episodes={"spread": None}, x_eval=np.zeros((2, 8, 8))), ValueError, "names"),
    (dict(log_every=1, learning_rate=float("nan")), ValueError, "learning_rate"),
    (dict(log_every=1, p=1), ValueError, "p must be an int >= 2"),
    (dict(log_every=1, seed=-1), ValueError, "seed"),
    (dict(log_every=0), ValueError, "log_every"),
])
def test_compare_mining_names_the_bad_argument(kwargs, error, match):
    arguments = dict(runs={"a": (None, _tiny_network, None)}, probe=np.zeros((2, 8, 8)))
    arguments.update(kwargs)
    runs = arguments.pop("runs")
    with pytest.raises(error, match=match):
        siamese.compare_mining(runs, np.zeros((4, 8, 8)), np.arange(4), steps=1, **arguments)
