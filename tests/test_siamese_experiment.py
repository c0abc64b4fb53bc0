"""Tests for cvhelpers.methods.siamese.experiment: one_shot_experiment (and fit_triplet through it)."""

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from cvhelpers.methods import siamese  # noqa: E402


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
            for (cy, cx), width, weight in zip(centres, widths, weights, strict=True):
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
        (dict(n_test_classes=4.0), ValueError, "n_test_classes must be an int >= 2"),
        (dict(seed=-1), ValueError, "seed"),
        (dict(margin=float("nan")), ValueError, "margin"),
        (dict(learning_rate=0.0), ValueError, "learning_rate"),
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


def test_cosine_adam_refuses_a_nan_rate_or_fractional_steps():
    with pytest.raises(ValueError, match="learning_rate"):
        siamese.cosine_adam(float("nan"), 10)
    with pytest.raises(ValueError, match="steps must be an int >= 1"):
        siamese.cosine_adam(1e-3, 10.5)
    with pytest.raises(TypeError, match="learning_rate"):
        siamese.cosine_adam("fast", 10)


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(steps=10, log_every=20), "steps must be >= log_every"),
        (dict(log_every=2.5), "log_every must be an int"),
        (dict(seed=-1), "seed"),
        (dict(warmup=(None, 0)), "warmup steps"),
        (dict(warmup=(None, 10)), r"warmup steps must be in \(0, steps=10\)"),
        (dict(warmup="semi-hard"), "warmup must be a tuple"),
    ],
)
def test_fit_triplet_refuses_bad_settings_before_training(change, message):
    kwargs = {"steps": 10, "log_every": 5, **change}
    with pytest.raises(ValueError, match=message):
        siamese.fit_triplet(None, np.zeros((4, 8, 8), np.uint8), np.arange(4), None, **kwargs)
    if "warmup" not in change:
        with pytest.raises(ValueError, match=message):
            siamese.fit_pairs(None, np.zeros((4, 8, 8), np.uint8), np.arange(4), None, **kwargs)
