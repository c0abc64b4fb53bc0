"""Tests for cvhelpers.siamese: samplers, thresholds, episodes, networks."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

keras = pytest.importorskip("keras")

from cvhelpers import siamese  # noqa: E402


@pytest.fixture
def labelled():
    rng = np.random.default_rng(0)
    y = np.repeat(np.arange(10), 6)
    x = rng.integers(0, 256, size=(60, 8, 8), dtype=np.uint8)
    return x, y


def test_pk_batches_hold_p_classes_of_k_images(labelled):
    x, y = labelled
    batches = siamese.PKBatches(x, y, p=4, k=3, steps=5, seed=1)
    assert len(batches) == 5
    for index in range(len(batches)):
        xb, yb = batches[index]
        assert xb.shape == (12, 8, 8, 1) and xb.dtype == np.float32 and 0 <= xb.min() and xb.max() <= 1
        labels, counts = np.unique(yb, return_counts=True)
        assert len(labels) == 4 and (counts == 3).all()
        picks = batches.indices(index)
        assert len(np.unique(picks)) == 12  # K distinct images per class
        assert_allclose(xb[..., 0], x[picks] / 255.0, rtol=1e-6)
    again = siamese.PKBatches(x, y, p=4, k=3, steps=5, seed=1)
    assert (again.indices(2) == batches.indices(2)).all()
    batches.on_epoch_end()
    assert not (again.indices(2) == batches.indices(2)).all()


def test_pk_batches_reject_bad_arguments(labelled):
    x, y = labelled
    with pytest.raises(ValueError, match="p must be"):
        siamese.PKBatches(x, y, p=11, k=2)
    with pytest.raises(ValueError, match="k must be"):
        siamese.PKBatches(x, y, p=4, k=1)
    with pytest.raises(ValueError, match="p must be"):
        siamese.PKBatches(x, y, p=4, k=7)  # no class has 7 images


def test_make_pairs_and_pair_batches(labelled):
    x, y = labelled
    first, second, same = siamese.make_pairs(y, 200, positive_fraction=0.25, seed=0)
    assert same.sum() == 50
    assert (first != second).all()
    assert ((y[first] == y[second]) == same.astype(bool)).all()
    (x1, x2), target = siamese.PairBatches(x, y, batch_size=16, steps=2, seed=0)[0]
    assert x1.shape == x2.shape == (16, 8, 8, 1) and target.shape == (16,) and target.sum() == 8


def test_choose_threshold_on_constructed_distances():
    # Same pairs at 0.1..0.4, different at 0.6..0.9: any T in (0.4, 0.6) is perfect.
    same = np.r_[np.ones(4, int), np.zeros(4, int)]
    d = np.r_[0.1, 0.2, 0.3, 0.4, 0.6, 0.7, 0.8, 0.9]
    t = siamese.choose_threshold(d, same)
    assert 0.4 < t < 0.6
    assert siamese.verification_metrics(d, same, t)["accuracy"] == 1.0
    # Overlap: a different pair at 0.25. Best accuracy keeps it (7/8 either way,
    # smallest best T is between 0.2 and 0.25 ... accuracy there is also 7/8).
    d2 = np.r_[0.1, 0.2, 0.3, 0.4, 0.25, 0.7, 0.8, 0.9]
    t2 = siamese.choose_threshold(d2, same)
    assert siamese.verification_metrics(d2, same, t2)["accuracy"] == 7 / 8
    # Target FAR 0: must reject the different pair at 0.25, so T < 0.25.
    t0 = siamese.choose_threshold(d2, same, target_far=0.0)
    assert 0.2 < t0 < 0.25
    m0 = siamese.verification_metrics(d2, same, t0)
    assert m0["far"] == 0.0 and m0["frr"] == 0.5 and m0["tar"] == 0.5
    # Target FAR 0.25: one of four different pairs may pass, so T up to 0.7 (exclusive).
    t25 = siamese.choose_threshold(d2, same, target_far=0.25)
    assert 0.4 < t25 < 0.7
    assert siamese.verification_metrics(d2, same, t25)["far"] == 0.25


def test_threshold_bad_arguments():
    with pytest.raises(ValueError, match="target_far"):
        siamese.choose_threshold([0.1, 0.2], [1, 0], target_far=1.5)
    with pytest.raises(ValueError, match="distances"):
        siamese.verification_metrics([0.1, 0.2], [1], 0.5)


@pytest.mark.parametrize("k_shot,n_query", [(1, 1), (5, 2)])
def test_episodes_never_query_their_own_support(k_shot, n_query):
    y = np.repeat(np.arange(30), 8)
    support, query, query_class = siamese.sample_episodes(y, 5, k_shot, n_query, episodes=200, seed=3)
    assert support.shape == (200, 5, k_shot) and query.shape == query_class.shape == (200, 5 * n_query)
    for e in range(200):
        assert not np.isin(query[e], support[e]).any()
        assert len(np.unique(y[support[e, :, 0]])) == 5  # N distinct classes
        for c in range(5):
            assert (y[support[e, c]] == y[support[e, c, 0]]).all()
        assert (y[query[e]] == y[support[e, query_class[e], 0]]).all()


def test_episodes_within_one_group():
    y = np.repeat(np.arange(12), 3)
    groups = np.repeat(np.arange(3), 12)  # classes 0-3 in group 0, ...
    support, query, _ = siamese.sample_episodes(y, 4, 1, 1, episodes=50, groups=groups, seed=0)
    for e in range(50):
        assert len(np.unique(groups[support[e].ravel()])) == 1
    with pytest.raises(ValueError, match="group"):
        siamese.sample_episodes(y, 5, 1, 1, episodes=5, groups=groups)


def test_episode_accuracy_and_confidence_interval():
    # Perfectly separated features: every episode is right.
    y = np.repeat(np.arange(6), 4)
    features = np.eye(6, dtype=np.float32)[y] + 0.01 * np.random.default_rng(0).normal(size=(24, 6))
    episodes = siamese.sample_episodes(y, 3, 2, 2, episodes=30, seed=0)
    assert (siamese.episode_accuracy(features, *episodes) == 1.0).all()
    # Constant features: the argmin is always prototype 0, so accuracy = 1/N.
    flat = np.zeros((24, 4), np.float32)
    assert_allclose(siamese.episode_accuracy(flat, *episodes).mean(), 1 / 3, atol=1e-6)
    mean, half = siamese.mean_ci(np.r_[np.zeros(50), np.ones(50)])
    assert_allclose(mean, 0.5)
    assert_allclose(half, 1.959964 * np.std(np.r_[np.zeros(50), np.ones(50)], ddof=1) / 10, rtol=1e-5)


def test_pixel_features_are_unit_vectors(labelled):
    x, _ = labelled
    f = siamese.pixel_features(x)
    assert f.shape == (60, 64) and f.dtype == np.float32
    assert_allclose(np.linalg.norm(f, axis=1), 1.0, rtol=1e-5)
    assert_allclose(siamese.pair_distances(f, [0], [0]), [0.0])


def test_embedding_network_is_normalized_and_seeded():
    x = np.random.default_rng(0).random((4, 28, 28, 1)).astype(np.float32)
    a = siamese.embedding_network(embedding_dim=16, filters=(8, 8), seed=1)
    b = siamese.embedding_network(embedding_dim=16, filters=(8, 8), seed=1)
    ea, eb = np.asarray(a(x, training=False)), np.asarray(b(x, training=False))
    assert ea.shape == (4, 16)
    assert_allclose(np.linalg.norm(ea, axis=1), 1.0, rtol=1e-5)
    assert_allclose(ea, eb, rtol=1e-5)
    raw = siamese.embedding_network(embedding_dim=16, filters=(8, 8), normalize=False, seed=1)
    assert not np.allclose(np.linalg.norm(np.asarray(raw(x, training=False)), axis=1), 1.0)


def test_embedding_network_can_keep_the_last_map():
    pooled = siamese.embedding_network(embedding_dim=16, filters=(8, 8, 8, 8), seed=0)
    kept = siamese.embedding_network(embedding_dim=16, filters=(8, 8, 8, 8), pool_last_block=False, seed=0)
    flat = [layer for layer in kept.layers if isinstance(layer, keras.layers.Flatten)][0]
    assert flat.output.shape[-1] == 3 * 3 * 8  # 28 -> 14 -> 7 -> 3, no fourth pooling
    flat = [layer for layer in pooled.layers if isinstance(layer, keras.layers.Flatten)][0]
    assert flat.output.shape[-1] == 8
    assert kept(np.zeros((2, 28, 28, 1), np.float32)).shape == (2, 16)


def test_siamese_pair_model_outputs_distances():
    embedding = siamese.embedding_network(input_shape=(8, 8, 1), embedding_dim=4, filters=(4,), seed=0)
    model = siamese.siamese_pair_model(embedding)
    x1 = np.random.default_rng(1).random((3, 8, 8, 1)).astype(np.float32)
    x2 = np.random.default_rng(2).random((3, 8, 8, 1)).astype(np.float32)
    d = np.asarray(model([x1, x2], training=False))
    e1, e2 = np.asarray(embedding(x1, training=False)), np.asarray(embedding(x2, training=False))
    assert d.shape == (3,)
    assert_allclose(d, np.linalg.norm(e1 - e2, axis=1), rtol=1e-4, atol=1e-5)


def _fake_faces(people=12, photos=8, side=32, seed=0):
    """A stand-in for Olivetti: each "person" is three Gaussian blobs of their
    own (position, width, brightness); each "photo" shifts them by up to 2 px
    and adds noise. Shape (people * photos, side, side), uint8."""
    rng = np.random.default_rng(seed)
    yy, xx = np.mgrid[0:side, 0:side].astype(np.float32)
    images, labels = [], []
    for person in range(people):
        centres = rng.uniform(6, side - 6, size=(3, 2))
        widths = rng.uniform(2.0, 4.5, size=3)
        weights = rng.uniform(0.5, 1.0, size=3)
        for _ in range(photos):
            dy, dx = rng.integers(-2, 3, size=2)
            image = np.zeros((side, side), np.float32)
            for (cy, cx), width, weight in zip(centres, widths, weights):
                image += weight * np.exp(-((yy - cy - dy) ** 2 + (xx - cx - dx) ** 2) / (2 * width**2))
            image += rng.normal(0, 0.08, size=image.shape)
            images.append(np.clip(image * 200 + 20, 0, 255).astype(np.uint8))
            labels.append(person)
    return np.stack(images), np.array(labels)


@pytest.fixture(scope="module")
def fake_faces():
    return _fake_faces()


_QUICK = dict(steps=30, filters=(8, 16), embedding_dim=16, episodes=40, n_pairs=200)


def test_one_shot_experiment_structure_and_reproducibility(fake_faces):
    x, y = fake_faces
    result = siamese.one_shot_experiment(x, y, n_test_classes=4, n_way=5, seed=0, **_QUICK)
    assert result["n_way"] == 4  # clipped to the test classes
    assert result["chance"] == 1 / 4
    assert result["p"] == 8  # p=16 clipped to the 8 training classes
    assert result["image_size"] == (28, 28)
    train, test = set(result["train_classes"]), set(result["test_classes"])
    assert len(test) == 4 and not train & test and train | test == set(range(12))
    for key in ("one_shot", "pixels"):
        mean, half = result[key]
        assert 0 <= mean <= 1 and half >= 0
    for key in ("verification_auc", "pixel_verification_auc"):
        assert 0 <= result[key] <= 1
    # Well-separated fake people: both are far above chance (25%), even after 30 steps.
    assert result["one_shot"][0] > 0.6 and result["pixels"][0] > 0.6
    assert result["history"]["step"][-1] == 30  # exactly `steps` steps (logged every 15)
    assert result["seconds"] > 0
    model = result["model"]
    assert model.input_shape == (None, 28, 28, 1) and model.output_shape == (None, 16)
    # Same seed, same result on CPU (the batch order is not shuffled); another seed, another split.
    again = siamese.one_shot_experiment(x, y, n_test_classes=4, n_way=5, seed=0, **_QUICK)
    assert again["test_classes"] == result["test_classes"]
    assert again["history"]["loss"] == pytest.approx(result["history"]["loss"], rel=1e-5)
    assert again["one_shot"] == pytest.approx(result["one_shot"])
    assert again["verification_auc"] == pytest.approx(result["verification_auc"])
    assert again["pixels"] == result["pixels"]


def test_one_shot_experiment_accepts_strings_floats_and_other_sizes(fake_faces):
    x, y = fake_faces
    names = np.array([f"person {i}" for i in y])
    result = siamese.one_shot_experiment(
        x[..., None] / 255.0, names, n_test_classes=3, image_size=(16, 20), n_way=3, k=2, seed=1, **_QUICK
    )
    assert result["n_way"] == 3 and result["image_size"] == (16, 20)
    assert set(result["test_classes"]) <= set(names) and len(result["test_classes"]) == 3
    assert result["model"].input_shape == (None, 16, 20, 1)


@pytest.mark.parametrize(
    "change, error, name",
    [
        (dict(images=np.zeros((96, 32, 32, 3), np.uint8)), ValueError, "images"),
        (dict(images=np.zeros((96, 32), np.uint8)), ValueError, "images"),
        (dict(images=np.full((96, 32, 32), "a")), TypeError, "images"),
        (dict(images=np.full((96, 32, 32), 2.0)), ValueError, "images"),
        (dict(labels=np.arange(95)), ValueError, "labels"),
        (dict(n_test_classes=1), ValueError, "n_test_classes"),
        (dict(n_test_classes=11), ValueError, "n_test_classes"),  # leaves one training class
        (dict(n_test_classes=4.0), TypeError, "n_test_classes"),
        (dict(steps=0), ValueError, "steps"),
        (dict(k=9), ValueError, "k="),  # 8 photos per person
        (dict(p=1), ValueError, "p must"),
        (dict(n_way=1), ValueError, "n_way"),
        (dict(episodes=1), ValueError, "episodes"),
        (dict(image_size=(4, 28)), ValueError, "image_size"),
        (dict(image_size=28), ValueError, "image_size"),
    ],
)
def test_one_shot_experiment_rejects_bad_arguments(fake_faces, change, error, name):
    x, y = fake_faces
    kwargs = dict(images=x, labels=y, n_test_classes=4, **_QUICK)
    kwargs.update(change)
    with pytest.raises(error, match=name):
        siamese.one_shot_experiment(kwargs.pop("images"), kwargs.pop("labels"), **kwargs)


def test_one_shot_experiment_needs_keyword_arguments(fake_faces):
    x, y = fake_faces
    with pytest.raises(TypeError):
        siamese.one_shot_experiment(x, y, 4)
