"""SimCLR pieces: NT-Xent against NumPy, the two views, the model and helpers."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

from cvhelpers import augment
from cvhelpers.methods import selfsup
from cvhelpers.training import models


def numpy_nt_xent(z1, z2, temperature):
    """Chen et al. 2020, eq. 1, written out with loops over the 2b views."""
    z = np.concatenate([z1, z2]).astype(np.float64)
    z /= np.linalg.norm(z, axis=1, keepdims=True)
    n, b = len(z), len(z1)
    losses = []
    for i in range(n):
        positive = (i + b) % n
        sims = np.array([z[i] @ z[k] / temperature for k in range(n)])
        others = [k for k in range(n) if k != i]
        losses.append(-sims[positive] + np.log(np.sum(np.exp(sims[others]))))
    return np.mean(losses)


@pytest.mark.parametrize("temperature", [0.1, 0.5, 1.0])
def test_nt_xent_matches_numpy(temperature):
    rng = np.random.default_rng(0)
    z1, z2 = rng.normal(size=(6, 5)).astype("float32"), rng.normal(size=(6, 5)).astype("float32")
    got = float(selfsup.nt_xent(z1, z2, temperature))
    assert_allclose(got, numpy_nt_xent(z1, z2, temperature), rtol=1e-5, atol=1e-5)


def test_nt_xent_is_low_for_matching_views_and_is_scale_invariant():
    rng = np.random.default_rng(1)
    z = rng.normal(size=(8, 16)).astype("float32")
    matched = float(selfsup.nt_xent(z, z, 0.1))
    shuffled = float(selfsup.nt_xent(z, z[::-1], 0.1))
    assert matched < shuffled
    assert_allclose(float(selfsup.nt_xent(3 * z, z, 0.1)), matched, rtol=1e-5)


def test_nt_xent_checks_its_arguments():
    z = np.zeros((4, 3), "float32")
    with pytest.raises(ValueError, match="temperature"):
        selfsup.nt_xent(z, z, 0.0)
    with pytest.raises(ValueError, match="z1 and z2"):
        selfsup.nt_xent(z, z[:2], 0.5)


def test_two_views_differ_but_keep_the_shape(fashion):
    images = fashion.x_train[:16, ..., None].astype("float32") / 255.0
    view1, view2 = selfsup.two_views(augment.strong_policy(seed=0), images)
    view1, view2 = np.asarray(view1), np.asarray(view2)
    assert view1.shape == view2.shape == images.shape
    assert view1.dtype == view2.dtype == np.float32
    assert not np.allclose(view1, view2)
    assert not np.allclose(view1, images)
    per_image = np.abs(view1 - view2).reshape(16, -1).max(axis=1)
    assert np.all(per_image > 0), "every image's two views differ"


def test_two_views_checks_augment():
    with pytest.raises(TypeError, match="augment"):
        selfsup.two_views("strong", np.zeros((2, 28, 28, 1), "float32"))


def test_projection_head_shapes_and_arguments():
    head = selfsup.projection_head(32, 16, 8, seed=0)
    assert head(np.zeros((3, 32), "float32")).shape == (3, 8)
    with pytest.raises(ValueError, match="output_dim"):
        selfsup.projection_head(32, 16, 0)


def test_simclr_trains_lowers_its_loss_and_is_cached(fashion, tmp_path):
    x = fashion.x_train[:512]
    light = augment.light_policy(seed=0)  # cheaper to trace than the default strong policy
    kwargs = dict(epochs=3, batch_size=128, width=4, feature_dim=16, augment=light, cache_dir=tmp_path, progress=False)
    result = selfsup.pretrain_simclr(x, **kwargs)
    assert result.encoder.output_shape == (None, 16)
    losses = result.history["loss"]
    assert len(losses) == 3 and losses[-1] < losses[0]
    assert result.images_per_second > 0 and result.num_images == 512 and not result.from_cache
    again = selfsup.pretrain_simclr(x, **{**kwargs, "augment": augment.light_policy(seed=0)})
    assert again.from_cache and again.history == result.history
    for a, b in zip(result.encoder.get_weights(), again.encoder.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)


def test_pretrain_simclr_checks_arguments(fashion):
    with pytest.raises(ValueError, match="epochs"):
        selfsup.pretrain_simclr(fashion.x_train[:256], epochs=0, cache=False)
    with pytest.raises(ValueError, match="batch_size"):
        selfsup.pretrain_simclr(fashion.x_train[:100], batch_size=128, cache=False)


def test_simclr_model_config_round_trip():
    encoder = models.small_encoder(width=4, feature_dim=8, seed=0)
    model = selfsup.SimCLR(encoder, temperature=0.2, seed=3)
    config = model.get_config()
    assert config["temperature"] == 0.2 and config["seed"] == 3
    rebuilt = selfsup.SimCLR.from_config(config)
    assert rebuilt.temperature == 0.2 and rebuilt(np.zeros((2, 28, 28, 1), "float32")).shape == (2, 8)
    with pytest.raises(ValueError, match="temperature"):
        selfsup.SimCLR(encoder, temperature=-1)
    with pytest.raises(TypeError, match="encoder"):
        selfsup.SimCLR("encoder")


@pytest.mark.parametrize("trainable", [True, False])
def test_classifier_from_encoder_copies_and_freezes(trainable):
    encoder = models.small_encoder(width=4, feature_dim=8, seed=0)
    model = selfsup.classifier_from_encoder(encoder, 10, trainable=trainable, seed=0)
    assert model.output_shape == (None, 10)
    copy = models.encoder_of(model)
    assert copy is not encoder and copy.trainable is trainable
    for a, b in zip(copy.get_weights(), encoder.get_weights(), strict=True):
        np.testing.assert_array_equal(a, b)
    expected = 2 if not trainable else 2 + len(encoder.trainable_weights)
    assert len(model.trainable_weights) == expected


@pytest.mark.parametrize("temperature, error", [(float("nan"), ValueError), (float("inf"), ValueError),
                                                (-0.5, ValueError), ("0.5", TypeError)])
def test_nt_xent_refuses_a_temperature_that_is_not_a_finite_positive_number(temperature, error):
    z = np.eye(4, dtype="float32")
    with pytest.raises(error, match="temperature"):
        selfsup.nt_xent(z, z, temperature)


def test_nt_xent_refuses_a_batch_of_one_image():
    z = np.ones((1, 3), "float32")
    with pytest.raises(ValueError, match="b >= 2"):
        selfsup.nt_xent(z, z)


@pytest.mark.parametrize(
    "change, name",
    [(dict(learning_rate=float("nan")), "learning_rate"), (dict(temperature=float("inf")), "temperature"),
     (dict(seed=-1), "seed"), (dict(max_images=2.5), "max_images"), (dict(width=0), "width")],
)
def test_pretrain_simclr_refuses_bad_settings_before_any_work(change, name):
    with pytest.raises(ValueError, match=name):
        selfsup.pretrain_simclr(np.zeros((4, 8, 8), np.uint8), batch_size=2, cache=False, progress=False, **change)


def test_simclr_and_helpers_refuse_a_negative_seed_or_a_fractional_size():
    encoder = models.small_encoder(width=4, feature_dim=8, seed=0)
    with pytest.raises(ValueError, match="seed"):
        selfsup.SimCLR(encoder, seed=-1)
    with pytest.raises(ValueError, match="seed"):
        selfsup.projection_head(8, seed=-1)
    with pytest.raises(ValueError, match="hidden_dim"):
        selfsup.projection_head(8, hidden_dim=2.0)
    with pytest.raises(ValueError, match="num_classes"):
        selfsup.classifier_from_encoder(encoder, 2.5)


def test_pretrain_result_refuses_a_history_that_is_not_a_dict_and_bad_counts():
    with pytest.raises(TypeError, match="history"):
        selfsup.PretrainResult(None, [], 1.0, 10.0, 4)
    with pytest.raises(ValueError, match="seconds"):
        selfsup.PretrainResult(None, {}, -1.0, 10.0, 4)
    with pytest.raises(ValueError, match="num_images"):
        selfsup.PretrainResult(None, {}, 1.0, 10.0, 0)
