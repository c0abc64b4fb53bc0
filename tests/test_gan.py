"""Tests for cvhelpers.gan: networks, train_step, saving, and the quality measures."""

import keras
import numpy as np
import pytest
from numpy.testing import assert_allclose

from cvhelpers import gan

LATENT = 8


@pytest.fixture(scope="module")
def small_nets():
    generator = gan.build_generator(latent_dim=LATENT, num_classes=3, width=8, embed_dim=4, seed=0)
    discriminator = gan.build_discriminator(num_classes=3, width=8, seed=0)
    return generator, discriminator


# -- Fréchet distance ---------------------------------------------------------
def test_frechet_distance_of_a_set_with_itself_is_zero():
    features = np.random.default_rng(0).normal(size=(200, 6))
    assert_allclose(gan.frechet_distance(features, features), 0.0, atol=1e-6)


def test_gaussian_frechet_distance_matches_closed_form():
    # Diagonal covariances commute: FD = |mu1 - mu2|^2 + sum (s1 + s2 - 2 sqrt(s1 s2)).
    mu1, mu2 = np.array([0.0, 1.0, -2.0]), np.array([1.0, 1.0, 0.5])
    s1, s2 = np.array([1.0, 4.0, 0.25]), np.array([9.0, 1.0, 1.0])
    expected = np.sum((mu1 - mu2) ** 2) + np.sum(s1 + s2 - 2 * np.sqrt(s1 * s2))
    assert_allclose(gan.gaussian_frechet_distance(mu1, np.diag(s1), mu2, np.diag(s2)), expected, rtol=1e-10)


def test_gaussian_frechet_distance_full_covariance_rotation_invariant():
    rng = np.random.default_rng(1)
    a, b = rng.normal(size=(4, 4)), rng.normal(size=(4, 4))
    sigma1, sigma2 = a @ a.T + np.eye(4), b @ b.T + np.eye(4)
    mu1, mu2 = rng.normal(size=4), rng.normal(size=4)
    rotation, _ = np.linalg.qr(rng.normal(size=(4, 4)))
    direct = gan.gaussian_frechet_distance(mu1, sigma1, mu2, sigma2)
    rotated = gan.gaussian_frechet_distance(
        rotation @ mu1, rotation @ sigma1 @ rotation.T, rotation @ mu2, rotation @ sigma2 @ rotation.T
    )
    assert_allclose(direct, rotated, rtol=1e-8)
    # Same covariance: only the mean term remains.
    assert_allclose(gan.gaussian_frechet_distance(mu1, sigma1, mu2, sigma1), np.sum((mu1 - mu2) ** 2), rtol=1e-6)


def test_frechet_distance_of_samples_approaches_the_gaussian_value():
    rng = np.random.default_rng(2)
    a = rng.normal(0.0, 1.0, size=(20000, 2))
    b = rng.normal(0.0, 2.0, size=(20000, 2)) + np.array([3.0, 0.0])
    expected = 9.0 + 2 * (1 + 4 - 2 * 2)  # |mu|^2 + tr(I + 4I - 2*2I)
    assert_allclose(gan.frechet_distance(a, b), expected, rtol=0.03)


def test_frechet_distance_rejects_bad_shapes():
    with pytest.raises(ValueError, match="features_a"):
        gan.frechet_distance(np.zeros(5), np.zeros((5, 2)))
    with pytest.raises(ValueError, match="same width"):
        gan.frechet_distance(np.zeros((5, 3)), np.zeros((5, 2)))


# -- precision / recall, faithfulness, diversity -----------------------------
def test_precision_recall_identical_and_disjoint_sets():
    rng = np.random.default_rng(3)
    real = rng.normal(size=(300, 4))
    assert gan.precision_recall(real, real) == (1.0, 1.0)
    far = real + 100.0
    assert gan.precision_recall(real, far) == (0.0, 0.0)


def test_precision_recall_detects_mode_collapse():
    rng = np.random.default_rng(4)
    real = rng.normal(size=(400, 2))
    collapsed = rng.normal(scale=0.05, size=(400, 2))  # all near the mean: faithful but not covering
    precision, recall = gan.precision_recall(real, collapsed)
    assert precision > 0.95 and recall < 0.5
    assert gan.diversity(collapsed) < 0.1 * gan.diversity(real)


def test_precision_recall_checks_k():
    with pytest.raises(ValueError, match="k"):
        gan.precision_recall(np.zeros((3, 2)), np.zeros((3, 2)), k=3)


def test_label_faithfulness_per_class():
    conditioned = np.array([0, 0, 1, 1, 2, 2])
    predicted = np.array([0, 1, 1, 1, 0, 0])
    overall, per_class = gan.label_faithfulness(predicted, conditioned)
    assert overall == pytest.approx(0.5)
    assert_allclose(per_class, [0.5, 1.0, 0.0])
    logits = np.eye(3)[predicted]
    assert gan.label_faithfulness(logits, conditioned)[0] == pytest.approx(0.5)
    with pytest.raises(ValueError, match="predicted and conditioned"):
        gan.label_faithfulness(predicted[:3], conditioned)


# -- networks -----------------------------------------------------------------
def test_output_shapes(small_nets):
    generator, discriminator = small_nets
    noise = np.zeros((5, LATENT), np.float32)
    labels = np.array([0, 1, 2, 0, 1])
    images = generator([noise, labels])
    assert tuple(images.shape) == (5, 28, 28, 1)
    assert float(keras.ops.min(images)) >= -1.0 and float(keras.ops.max(images)) <= 1.0
    logit, classes = discriminator([images, keras.ops.convert_to_tensor(labels)])
    assert tuple(logit.shape) == (5, 1) and tuple(classes.shape) == (5, 3)
    assert gan.generate(generator, labels, seed=0).shape == (5, 28, 28)
    assert gan.class_grid(generator, 3, per_class=2).shape == (3, 2, 28, 28)


def test_default_generator_is_about_0_3m_parameters():
    assert 200_000 < gan.build_generator().count_params() < 400_000


def test_labels_condition_the_output(small_nets):
    generator, _ = small_nets
    noise = np.random.default_rng(0).standard_normal((4, LATENT)).astype(np.float32)
    a = keras.ops.convert_to_numpy(generator([noise, np.zeros(4, np.int32)]))
    b = keras.ops.convert_to_numpy(generator([noise, np.full(4, 2, np.int32)]))
    assert np.abs(a - b).mean() > 1e-4
    again = keras.ops.convert_to_numpy(generator([noise, np.zeros(4, np.int32)]))
    assert_allclose(a, again, atol=1e-6)


def test_bad_arguments_name_themselves():
    with pytest.raises(ValueError, match="latent_dim"):
        gan.build_generator(latent_dim=0)
    with pytest.raises(ValueError, match="image_shape"):
        gan.build_generator(image_shape=(30, 30, 1))
    with pytest.raises(TypeError, match="generator and discriminator"):
        gan.ConditionalGAN("g", "d")
    with pytest.raises(ValueError, match="sampling"):
        gan.train_conditional_gan(np.zeros((4, 28, 28), np.uint8), np.array([0, 1, 0, 1]), sampling="uniform")
    with pytest.raises(ValueError, match="policy"):
        gan.diff_augment(np.zeros((2, 28, 28, 1), np.float32), policy=("color",))


def test_diff_augment_keeps_shape_range_and_passes_gradients():
    import tensorflow as tf

    images = tf.Variable(np.random.default_rng(0).uniform(-1, 1, (4, 28, 28, 1)).astype(np.float32))
    with tf.GradientTape() as tape:
        out = gan.diff_augment(images, keras.random.SeedGenerator(0))
        total = tf.reduce_sum(out)
    assert out.shape == images.shape
    assert float(tf.reduce_min(out)) >= -1.0 - 1e-6 and float(tf.reduce_max(out)) <= 1.0 + 1e-6
    gradient = tape.gradient(total, images)
    assert gradient is not None and float(tf.reduce_sum(tf.abs(gradient))) > 0


def test_one_train_step_updates_both_networks(small_nets):
    generator = gan.build_generator(latent_dim=LATENT, num_classes=3, width=8, embed_dim=4, seed=1)
    discriminator = gan.build_discriminator(num_classes=3, width=8, seed=1)
    model = gan.ConditionalGAN(generator, discriminator, latent_dim=LATENT, seed=0)
    model.compile(keras.optimizers.Adam(1e-2), keras.optimizers.Adam(1e-2), run_eagerly=True)
    before_g = [w.numpy().copy() for w in generator.trainable_weights]
    before_d = [w.numpy().copy() for w in discriminator.trainable_weights]
    rng = np.random.default_rng(0)
    images = rng.uniform(0, 1, (6, 28, 28, 1)).astype(np.float32)
    labels = np.array([0, 1, 2, 0, 1, 2])
    logs = model.train_on_batch(images, labels, return_dict=True)
    assert {"d_loss", "g_loss", "d_real", "d_fake"} <= set(logs)
    changed_g = [not np.allclose(a, w.numpy()) for a, w in zip(before_g, generator.trainable_weights, strict=True)]
    changed_d = [not np.allclose(a, w.numpy()) for a, w in zip(before_d, discriminator.trainable_weights, strict=True)]
    assert all(changed_g), "every generator weight should move"
    assert any(changed_d) and np.mean(changed_d) > 0.8


def test_saved_and_loaded_generator_gives_identical_output(small_nets, tmp_path):
    generator, _ = small_nets
    path = tmp_path / "generator.keras"
    generator.save(path)
    loaded = gan.load_generator(path)
    labels = np.array([2, 1, 0, 2])
    noise = np.random.default_rng(5).standard_normal((4, LATENT)).astype(np.float32)
    assert_allclose(
        gan.generate(loaded, labels, noise=noise).astype(int), gan.generate(generator, labels, noise=noise).astype(int)
    )
    assert_allclose(
        keras.ops.convert_to_numpy(loaded([noise, labels])), keras.ops.convert_to_numpy(generator([noise, labels])),
        atol=1e-6,
    )


def test_conditional_gan_config_round_trip(small_nets):
    generator, discriminator = small_nets
    model = gan.ConditionalGAN(generator, discriminator, latent_dim=LATENT, label_smoothing=0.2, seed=3)
    clone = gan.ConditionalGAN.from_config(model.get_config())
    assert clone.latent_dim == LATENT and clone.label_smoothing == 0.2 and clone.seed == 3
    assert clone.generator.count_params() == generator.count_params()


def test_train_conditional_gan_caches_and_reloads(tmp_path):
    rng = np.random.default_rng(0)
    x = rng.integers(0, 256, (40, 28, 28), dtype=np.uint8)
    y = np.repeat([0, 1], [30, 10])
    kwargs = dict(steps=2, steps_per_epoch=1, batch_size=8, width=8, latent_dim=LATENT, grid_every=1,
                  cache_dir=tmp_path, run_eagerly=True)
    first = gan.train_conditional_gan(x, y, **kwargs)
    assert not first.from_cache and first.steps == 2 and set(first.grids) == {1, 2}
    assert len(first.history["g_loss"]) == 2
    second = gan.train_conditional_gan(x, y, **kwargs)
    assert second.from_cache and set(second.grids) == {1, 2}
    assert_allclose(gan.generate(second.generator, [0, 1]), gan.generate(first.generator, [0, 1]))
    natural = gan.train_conditional_gan(x, y, **{**kwargs, "sampling": "natural", "cache": False})
    assert natural.steps == 2


def test_top_up_with_synthetic(small_nets):
    generator, _ = small_nets
    x = np.zeros((7, 28, 28), np.uint8)
    y = np.array([0, 0, 0, 0, 1, 1, 2])
    x_all, y_all, synthetic = gan.top_up_with_synthetic(x, y, generator, target=3)
    assert_allclose(np.bincount(y_all), [4, 3, 3])
    assert synthetic.sum() == 3 and not synthetic[:7].any()
    assert x_all.shape == (10, 28, 28) and x_all.dtype == np.uint8


def test_frechet_curve_writes_per_class_values_into_logs(small_nets):
    generator, discriminator = small_nets
    model = gan.ConditionalGAN(generator, discriminator, latent_dim=LATENT)
    rng = np.random.default_rng(0)
    real = rng.normal(size=(30, 4))
    labels = np.repeat([0, 1, 2], 10)
    curve = gan.FrechetCurve(lambda images: images.reshape(len(images), -1)[:, :4].astype(float), real, labels,
                             per_class=5, every=2)
    curve.set_model(model)
    logs = {}
    curve.on_epoch_end(0, logs)
    assert np.isnan(logs["frechet_mean"]) and set(logs) == {"frechet_0", "frechet_1", "frechet_2", "frechet_mean"}
    curve.on_epoch_end(1, logs)
    assert np.isfinite(logs["frechet_mean"]) and logs["frechet_1"] >= 0


def test_gaussian_frechet_distance_matches_scipy_sqrtm_on_full_covariances():
    from scipy import linalg

    rng = np.random.default_rng(3)
    a, b = rng.normal(size=(5, 5)), rng.normal(size=(5, 5))
    sigma1, sigma2 = a @ a.T + np.eye(5), b @ b.T + 0.5 * np.eye(5)
    mu1, mu2 = rng.normal(size=5), rng.normal(size=5)
    covmean = np.real(linalg.sqrtm(sigma1 @ sigma2))
    expected = np.sum((mu1 - mu2) ** 2) + np.trace(sigma1 + sigma2 - 2 * covmean)
    assert_allclose(gan.gaussian_frechet_distance(mu1, sigma1, mu2, sigma2), expected, rtol=1e-9)


def test_frechet_distance_of_singular_covariances_is_finite_and_silent():
    import warnings

    rng = np.random.default_rng(4)
    a, b = rng.normal(size=(6, 16)), rng.normal(size=(6, 16)) + 1.0  # 6 samples in 16-D: rank 5
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # scipy's sqrtm warns "Matrix is singular" here
        value = gan.frechet_distance(a, b)
    assert np.isfinite(value) and value > 0
    assert_allclose(gan.frechet_distance(a, a), 0.0, atol=1e-9)
