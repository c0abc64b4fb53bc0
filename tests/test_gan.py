"""Tests for cvhelpers.methods.gan: networks, train_step, saving, training, top-up, callbacks."""

import keras
import numpy as np
import pytest
from numpy.testing import assert_allclose

from cvhelpers.methods import gan

LATENT = 8


@pytest.fixture(scope="module")
def small_nets():
    generator = gan.build_generator(latent_dim=LATENT, num_classes=3, width=8, embed_dim=4, seed=0)
    discriminator = gan.build_discriminator(num_classes=3, width=8, seed=0)
    return generator, discriminator




# -- precision / recall, faithfulness, diversity -----------------------------


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


# -- bad input ------------------------------------------------------------------
@pytest.mark.parametrize(
    "make, message",
    [
        (lambda: gan.build_generator(latent_dim=2.0), "latent_dim must be an int >= 1"),
        (lambda: gan.build_discriminator(num_classes=True), "num_classes must be an int >= 1"),
        (lambda: gan.SampleGrid(3, every=0), "every must be an int >= 1"),
        (lambda: gan.top_up_with_synthetic(np.zeros((2, 28, 28), np.uint8), [0, 1], None, target=1.5),
         "target must be an int >= 1"),
    ],
)
def test_integer_arguments_use_the_shared_check(make, message):
    with pytest.raises(ValueError, match=message):
        make()


def test_generate_refuses_bad_labels_noise_and_generators(small_nets):
    generator, _ = small_nets
    with pytest.raises(ValueError, match="labels must be whole numbers"):
        gan.generate(generator, [0, 1.5])
    with pytest.raises(ValueError, match="labels must be < num_classes=3"):
        gan.generate(generator, [0, 3])
    with pytest.raises(ValueError, match="labels must be >= 0"):
        gan.generate(generator, [-1, 0])
    with pytest.raises(ValueError, match="noise must be finite"):
        gan.generate(generator, [0], noise=np.full((1, LATENT), np.nan))
    with pytest.raises(ValueError, match="seed"):
        gan.generate(generator, [0], seed=-1)
    with pytest.raises(TypeError, match="generator"):
        gan.generate("generator", [0])
    assert gan.generate(generator, np.array([[0], [2]])).shape == (2, 28, 28)  # a column of labels still works


def test_top_up_refuses_labels_that_do_not_match_the_images(small_nets):
    generator, _ = small_nets
    with pytest.raises(ValueError, match="y has 3 entries but there are 2 of images in x"):
        gan.top_up_with_synthetic(np.zeros((2, 28, 28), np.uint8), [0, 1, 1], generator, target=2)


def test_diff_augment_refuses_non_finite_or_out_of_range_fractions_and_3d_images():
    images = np.zeros((2, 8, 8, 1), np.float32)
    for name in ("translation", "cutout"):
        for value in (float("nan"), -0.1, 1.5):
            with pytest.raises(ValueError, match=name):
                gan.diff_augment(images, **{name: value})
    with pytest.raises(ValueError, match="images must have shape"):
        gan.diff_augment(images[..., 0])
    with pytest.raises(ValueError, match="policy"):
        gan.diff_augment(images, policy="translation")


def test_conditional_gan_refuses_non_finite_weights(small_nets):
    generator, discriminator = small_nets
    with pytest.raises(ValueError, match="class_weight"):
        gan.ConditionalGAN(generator, discriminator, latent_dim=LATENT, class_weight=float("nan"))
    with pytest.raises(ValueError, match="label_smoothing"):
        gan.ConditionalGAN(generator, discriminator, latent_dim=LATENT, label_smoothing=float("nan"))
    with pytest.raises(ValueError, match="seed"):
        gan.ConditionalGAN(generator, discriminator, latent_dim=LATENT, seed=-1)


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(learning_rate=float("nan")), "learning_rate"),
        (dict(class_weight=float("inf")), "class_weight"),
        (dict(batch_size=0), "batch_size"),
        (dict(seed=-1), "seed"),
        (dict(num_classes=0), "num_classes"),
        (dict(num_classes=1), "y must be < num_classes=1"),
        (dict(y=np.array([0, -1, 0, 1])), "y must be >= 0"),
    ],
)
def test_train_conditional_gan_refuses_bad_settings_before_training(change, message):
    kwargs = {"x": np.zeros((4, 28, 28), np.uint8), "y": np.array([0, 1, 0, 1]), "cache": False, **change}
    with pytest.raises(ValueError, match=message):
        gan.train_conditional_gan(kwargs.pop("x"), kwargs.pop("y"), **kwargs)


def test_plot_class_grid_refuses_a_grid_of_the_wrong_shape_or_names():
    with pytest.raises(ValueError, match="grid must have shape"):
        gan.plot_class_grid(np.zeros((3, 28, 28), np.uint8))
    with pytest.raises(ValueError, match="class_names must have 2 names"):
        gan.plot_class_grid(np.zeros((2, 1, 4, 4), np.uint8), class_names=["a"])


def test_frechet_curve_refuses_non_finite_features_and_unmatched_labels():
    def features(images):
        return images

    with pytest.raises(ValueError, match="real_features must be finite"):
        gan.FrechetCurve(features, np.full((4, 2), np.nan), [0, 0, 1, 1])
    with pytest.raises(ValueError, match="real_labels has 3 entries"):
        gan.FrechetCurve(features, np.zeros((4, 2)), [0, 0, 1])
    with pytest.raises(TypeError, match="on_grid"):
        gan.SampleGrid(3, on_grid="draw")


def test_gan_result_refuses_a_history_that_is_not_a_dict_and_bad_counts():
    with pytest.raises(TypeError, match="history"):
        gan.GANResult(None, [], 1.0, 10, 10.0)
    with pytest.raises(ValueError, match="seconds"):
        gan.GANResult(None, {}, float("nan"), 10, 10.0)
    with pytest.raises(ValueError, match="steps"):
        gan.GANResult(None, {}, 1.0, 0, 10.0)
