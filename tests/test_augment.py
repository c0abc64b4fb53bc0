"""Tests for cvhelpers.augment: invariants of every augmentation layer the course uses.

Random layers are tested on invariants (shape, dtype, value range, labels kept,
same output for the same seed, identity at inference, get_config round trip),
salt-and-pepper on a binomial tolerance and cutout on its exact square.
"""

from __future__ import annotations

import json

import keras
import numpy as np
import pytest
import tensorflow as tf
from keras import layers
from numpy.testing import assert_allclose, assert_array_equal

from cvhelpers import augment
from cvhelpers.augment import Cutout, RandomGaussianNoise, RandomGeometric, RandomResizedCrop, SaltAndPepper

RANGE = (0.0, 1.0)


def _images(n=4, h=16, w=16, c=3, seed=0):
    return np.random.default_rng(seed).random((n, h, w, c)).astype("float32")


def _np(tensor):
    return keras.ops.convert_to_numpy(tensor)


# name -> factory(seed) ; flags: keeps_range, shape-preserving, identity at inference
LAYERS = {
    # ours
    "RandomGeometric": lambda s: RandomGeometric("horizontal", 0.1, 0.1, 0.2, 0.1, fill_mode="constant", seed=s),
    "RandomResizedCrop": lambda s: RandomResizedCrop(seed=s),
    "SaltAndPepper": lambda s: SaltAndPepper(0.1, seed=s),
    "Cutout": lambda s: Cutout(5, fill="mean", seed=s),
    "RandomGaussianNoise": lambda s: RandomGaussianNoise(0.1, seed=s),
    # Keras built-ins, as the course configures them for [0, 1] images
    "RandomFlip": lambda s: layers.RandomFlip("horizontal_and_vertical", seed=s),
    "RandomRotation": lambda s: layers.RandomRotation(0.1, fill_mode="constant", seed=s),
    "RandomTranslation": lambda s: layers.RandomTranslation(0.2, 0.2, fill_mode="constant", seed=s),
    "RandomZoom": lambda s: layers.RandomZoom(0.2, fill_mode="constant", seed=s),
    "RandomShear": lambda s: layers.RandomShear(0.2, 0.2, fill_mode="constant", seed=s),
    "RandomElasticTransform": lambda s: layers.RandomElasticTransform(factor=1.0, scale=0.5, value_range=RANGE, seed=s),
    "RandomBrightness": lambda s: layers.RandomBrightness(0.3, value_range=RANGE, seed=s),
    "RandomContrast": lambda s: layers.RandomContrast(0.3, value_range=RANGE, seed=s),
    "RandomSaturation": lambda s: layers.RandomSaturation(0.3, value_range=RANGE, seed=s),
    "RandomHue": lambda s: layers.RandomHue(0.2, value_range=RANGE, seed=s),
    "RandomErasing": lambda s: layers.RandomErasing((1.0, 1.0), fill_value=0.0, value_range=RANGE, seed=s),
    "RandAugment": lambda s: layers.RandAugment(value_range=RANGE, seed=s),
    "light_policy": lambda s: augment.light_policy(s),
    "strong_policy": lambda s: augment.strong_policy(s, channels=3),
    "standard_policy": lambda s: augment.standard_policy(s),
}


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_shape_dtype_range_and_seed(name):
    x = _images()
    first = _np(LAYERS[name](3)(x, training=True))
    again = _np(LAYERS[name](3)(x, training=True))
    assert first.shape == x.shape
    assert first.dtype == np.float32
    assert first.min() >= -1e-5 and first.max() <= 1 + 1e-5, (first.min(), first.max())
    assert_allclose(first, again, atol=1e-6, err_msg="same seed, different output")
    if name not in ("RandAugment",):  # RandAugment may draw identity-like ops
        assert not np.allclose(first, x), "the layer did nothing in training mode"


@pytest.mark.parametrize("name", sorted(LAYERS))
def test_identity_at_inference(name):
    x = _images()
    assert_allclose(_np(LAYERS[name](0)(x, training=False)), x, atol=1e-6)


@pytest.mark.parametrize("name", sorted(n for n in LAYERS if not n.endswith("policy")))
def test_labels_pass_through_the_dict(name):
    x = _images()
    labels = np.eye(4, dtype="float32")
    out = LAYERS[name](1)({"images": x, "labels": labels}, training=True)
    assert_array_equal(_np(out["labels"]), labels)
    assert _np(out["images"]).shape == x.shape


@pytest.mark.parametrize(
    "name", ["RandomGeometric", "RandomResizedCrop", "SaltAndPepper", "Cutout", "RandomGaussianNoise"]
)
def test_get_config_round_trip(name):
    layer = LAYERS[name](7)
    config = layer.get_config()
    clone = type(layer).from_config(config)
    assert clone.get_config() == config
    x = _images()
    assert_allclose(_np(clone(x, training=True)), _np(LAYERS[name](7)(x, training=True)), atol=1e-6)
    # registered: deserializable by name
    restored = keras.saving.deserialize_keras_object(keras.saving.serialize_keras_object(layer))
    assert type(restored) is type(layer)


@pytest.mark.parametrize(
    "name", ["RandomGeometric", "RandomResizedCrop", "SaltAndPepper", "Cutout", "RandomGaussianNoise"]
)
def test_single_image_and_tf_data(name):
    x = _images()
    layer = LAYERS[name](0)
    assert _np(layer(x[0], training=True)).shape == x.shape[1:]
    dataset = tf.data.Dataset.from_tensor_slices(x).batch(2).map(lambda b: layer(b, training=True))
    batches = [b.numpy() for b in dataset]
    assert [b.shape for b in batches] == [(2, 16, 16, 3)] * 2


def test_policy_saved_in_a_model(tmp_path):
    inputs = keras.Input((16, 16, 3))
    x = augment.strong_policy(0, channels=3)(inputs)
    x = SaltAndPepper(0.1, seed=0)(x)
    x = Cutout(4, seed=0)(x)
    outputs = layers.Dense(2)(layers.GlobalAveragePooling2D()(x))
    model = keras.Model(inputs, outputs)
    path = tmp_path / "model.keras"
    model.save(path)
    loaded = keras.models.load_model(path)
    images = _images()
    assert_allclose(_np(loaded(images, training=False)), _np(model(images, training=False)), atol=1e-5)


# --------------------------------------------------------------------------
# RandomGeometric
# --------------------------------------------------------------------------
def test_geometric_flip_is_exact():
    x = _images(8)
    out = _np(RandomGeometric(flip="horizontal", seed=0)(x, training=True))
    for original, flipped in zip(x, out, strict=True):
        assert np.array_equal(flipped, original) or np.array_equal(flipped, original[:, ::-1])
    assert any(not np.array_equal(a, b) for a, b in zip(out, x, strict=True))


@pytest.mark.parametrize("fill_mode", ["constant", "reflect", "nearest"])
def test_geometric_xla_warp_matches_the_tf_kernel(fill_mode):
    x = _images(4, 20, 24)
    kwargs = dict(
        flip="horizontal_and_vertical", rotation=0.1, translation=0.1, zoom=0.3, shear=0.1, fill_mode=fill_mode
    )
    fast = _np(RandomGeometric(**kwargs, seed=5)(x, training=True))
    kernel = _np(RandomGeometric(**kwargs, jit_compile=False, seed=5)(x, training=True))
    assert_allclose(fast, kernel, atol=1e-4)


def test_geometric_rotation_matches_keras_direction():
    image = np.zeros((1, 9, 9, 1), "float32")
    image[0, 0, 4] = 1.0
    ours = _np(RandomGeometric(rotation=(0.25, 0.25), fill_mode="constant")(image, training=True))
    stock = _np(layers.RandomRotation((0.25, 0.25), fill_mode="constant")(image, training=True))
    assert_allclose(ours, stock, atol=1e-5)


def test_resized_crop_of_the_whole_image_is_the_identity():
    x = _images()
    assert_allclose(_np(RandomResizedCrop(scale=(1.0, 1.0), ratio=(1.0, 1.0), seed=0)(x, training=True)), x, atol=1e-5)


def test_resized_crop_magnifies_by_the_drawn_scale():
    # A horizontal ramp: a crop of a quarter of the area at ratio 1 is half the width,
    # so resizing it back halves the ramp's slope; the crop stays inside the image.
    ramp = np.tile(np.arange(32, dtype="float32") / 31, (32, 1))[None, :, :, None].repeat(3, axis=0)
    out = _np(RandomResizedCrop(scale=(0.25, 0.25), ratio=(1.0, 1.0), seed=1)(ramp, training=True))
    slopes = np.diff(out[:, 16, 2:-2, 0], axis=1)
    assert_allclose(slopes, 0.5 / 31, atol=1e-4)
    assert out.min() >= 0 and out.max() <= 1
    assert len({round(float(row[0]), 4) for row in out[:, 16, :, 0]}) == 3, "each image draws its own position"


def test_resized_crop_bad_arguments():
    with pytest.raises(ValueError, match="scale"):
        RandomResizedCrop(scale=(0.0, 1.0))
    with pytest.raises(ValueError, match="scale"):
        RandomResizedCrop(scale=(0.5, 1.5))
    with pytest.raises(ValueError, match="ratio"):
        RandomResizedCrop(ratio=(2.0, 1.0))


def test_geometric_bad_arguments():
    with pytest.raises(ValueError, match="flip"):
        RandomGeometric(flip="diagonal")
    with pytest.raises(ValueError, match="rotation"):
        RandomGeometric(rotation=2.0)
    with pytest.raises(TypeError, match="translation"):
        RandomGeometric(translation="a lot")
    with pytest.raises(ValueError, match="fill_mode"):
        RandomGeometric(fill_mode="mirror")
    with pytest.raises(ValueError, match="seed"):
        RandomGeometric(seed=1.5)
    with pytest.raises(ValueError, match="seed"):
        RandomGeometric(seed=-1)
    with pytest.raises(ValueError, match="rotation"):
        RandomGeometric(rotation=float("nan"))
    with pytest.raises(ValueError, match="fill_value"):
        RandomGeometric(fill_value=float("inf"))


# --------------------------------------------------------------------------
# salt-and-pepper
# --------------------------------------------------------------------------
@pytest.mark.parametrize("amount,ratio", [(0.05, 0.5), (0.2, 0.8)])
def test_salt_and_pepper_fraction_is_binomial(amount, ratio):
    x = np.full((16, 32, 32, 3), 0.5, "float32")
    out = _np(SaltAndPepper(amount, ratio, seed=1)(x, training=True))
    changed = np.any(out != 0.5, axis=-1)
    n = changed.size
    # 5 standard deviations of Binomial(n, p): fails by chance about once in 3 million runs
    assert abs(changed.sum() - n * amount) < 5 * np.sqrt(n * amount * (1 - amount))
    salt = np.all(out == 1.0, axis=-1).sum()
    hits = changed.sum()
    assert abs(salt - hits * ratio) < 5 * np.sqrt(hits * ratio * (1 - ratio))
    # only 0 and 1 appear, and whole pixels change together
    assert set(np.unique(out[changed])) <= {0.0, 1.0}
    assert np.all((out == out[..., :1]) | ~changed[..., None])


def test_salt_and_pepper_bad_arguments():
    with pytest.raises(ValueError, match="amount"):
        SaltAndPepper(1.5)
    with pytest.raises(TypeError, match="salt_vs_pepper"):
        SaltAndPepper(0.1, salt_vs_pepper="half")
    with pytest.raises(ValueError, match="value_range"):
        SaltAndPepper(0.1, value_range=(1, 0))


# --------------------------------------------------------------------------
# cutout
# --------------------------------------------------------------------------
def test_cutout_zeroes_exactly_its_square():
    layer = Cutout(6, fill="zero", seed=3)
    x = np.ones((32, 20, 20, 1), "float32")
    transformation = layer.get_random_transformation(x, training=True)
    out = _np(layer.transform_images(x, transformation, training=True))
    cy = _np(transformation["center_y"])[:, 0]
    cx = _np(transformation["center_x"])[:, 0]
    for index in range(len(x)):
        expected = np.zeros((20, 20), bool)
        top, left = cy[index] - 3, cx[index] - 3
        expected[max(top, 0) : max(top + 6, 0), max(left, 0) : max(left + 6, 0)] = True
        assert_array_equal(out[index, ..., 0] == 0.0, expected)
        if 3 <= cy[index] <= 16 and 3 <= cx[index] <= 16:  # fully inside: exactly 6 x 6 pixels
            assert (out[index] == 0).sum() == 36


def test_cutout_mean_fill_and_fraction_size():
    x = _images(4, 20, 20, 3)
    layer = Cutout(0.25, fill="mean", seed=0)
    assert layer.square_side(20, 20) == 5
    out = _np(layer(x, training=True))
    changed = np.any(out != x, axis=-1)
    assert 0 < changed.sum() <= 4 * 25
    means = x.mean(axis=(1, 2))
    for index in range(4):
        erased = out[index][changed[index]]
        assert_allclose(erased, np.broadcast_to(means[index], erased.shape), atol=1e-6)


def test_cutout_bad_arguments():
    with pytest.raises(ValueError, match="size"):
        Cutout(0)
    with pytest.raises(ValueError, match="fill"):
        Cutout(4, fill="noise")
    with pytest.raises(ValueError, match="num_squares"):
        Cutout(4, num_squares=0)


def test_gaussian_noise_is_clipped_and_scaled():
    x = np.full((8, 32, 32, 1), 0.5, "float32")
    out = _np(RandomGaussianNoise(0.05, seed=0)(x, training=True))
    assert_allclose((out - 0.5).std(), 0.05, rtol=0.1)
    out = _np(RandomGaussianNoise(2.0, seed=0)(x, training=True))
    assert out.min() >= 0.0 and out.max() <= 1.0


@pytest.mark.parametrize("make", [lambda: RandomGaussianNoise(0.1, seed=0), lambda: SaltAndPepper(0.2, seed=0)],
                         ids=["RandomGaussianNoise", "SaltAndPepper"])
def test_range_layers_refuse_0_255_images_called_eagerly(make):
    pixels = np.random.default_rng(0).integers(0, 256, (2, 8, 8, 3)).astype("float32")
    for images in (pixels, tf.constant(pixels), pixels[0]):
        with pytest.raises(ValueError, match=r"value_range=\(0\.0, 1\.0\).*0-255 pixels"):
            make()(images, training=True)
    with pytest.raises(ValueError, match="value_range"):
        make()(pixels / 127.5 - 1.0, training=True)  # [-1, 1] images for a (0, 1) layer
    assert_array_equal(_np(make()(pixels, training=False)), pixels)  # inference: the identity, nothing to check
    layer = make()
    layer.value_range = (0.0, 255.0)
    out = _np(layer(pixels, training=True))
    assert out.min() >= 0 and out.max() <= 255 and out.max() > 1.5


def test_salt_is_the_top_of_value_range_for_0_255_images():
    x = np.full((4, 16, 16, 1), 128.0, "float32")
    out = _np(SaltAndPepper(0.5, 1.0, value_range=(0, 255), seed=0)(x, training=True))
    assert set(np.unique(out)) == {128.0, 255.0}


@pytest.mark.parametrize("make", [lambda: RandomGaussianNoise(0.1, seed=4), lambda: SaltAndPepper(0.2, seed=4)],
                         ids=["RandomGaussianNoise", "SaltAndPepper"])
def test_range_check_changes_no_draw_and_skips_traced_calls(make):
    x = _images()
    checked = _np(make()(x, training=True))
    plain = make()
    expected = _np(plain.transform_images(x, plain.get_random_transformation(x, training=True)))
    assert_array_equal(checked, expected)
    layer = make()
    pixels = x * 255
    dataset = tf.data.Dataset.from_tensor_slices(pixels).batch(2).map(lambda b: layer(b, training=True))
    assert np.concatenate([b.numpy() for b in dataset]).shape == x.shape  # traced: not checked


# --------------------------------------------------------------------------
# label mixing: Keras MixUp and CutMix
# --------------------------------------------------------------------------
@pytest.mark.parametrize(
    "layer", [layers.MixUp(alpha=0.4, seed=0), layers.CutMix(factor=1.0, seed=0)], ids=["MixUp", "CutMix"]
)
def test_mixing_mixes_labels_like_images(layer):
    n = 8
    values = np.arange(n, dtype="float32") / n
    x = np.broadcast_to(values[:, None, None, None], (n, 16, 16, 1)).copy()
    labels = np.eye(n, dtype="float32")  # image i has class i and brightness values[i]
    out = layer({"images": x, "labels": labels}, training=True)
    images, mixed = _np(out["images"]), _np(out["labels"])
    assert_allclose(mixed.sum(axis=1), 1.0, atol=1e-5)
    assert mixed.min() >= 0.0
    # Each image's mean brightness is the label-weighted mean of its sources:
    # the labels were mixed with the same lambda as the pixels.
    # Keras's CutMix takes lambda from the continuous box area while its mask
    # covers whole pixels: they differ by up to one row and one column.
    tolerance = 1e-4 if isinstance(layer, layers.MixUp) else 1 / 16 + 1 / 16
    assert_allclose(images.mean(axis=(1, 2, 3)), mixed @ values, atol=tolerance)


# --------------------------------------------------------------------------
# policies and helpers
# --------------------------------------------------------------------------
def test_policy_arguments():
    with pytest.raises(ValueError, match="channels"):
        augment.strong_policy(0, channels=2)
    with pytest.raises(ValueError, match="value_range"):
        augment.standard_policy(0, value_range=(0, 0))
    grayscale = augment.strong_policy(0, channels=1)
    assert not any(isinstance(layer, (layers.RandomSaturation, layers.RandomHue)) for layer in grayscale.layers)


POLICIES = {
    "light_policy": lambda: augment.light_policy(0),
    "strong_policy": lambda: augment.strong_policy(0, channels=3),
    "standard_policy": lambda: augment.standard_policy(0),
    "stock_standard_policy": lambda: augment.stock_standard_policy(0),
}


@pytest.mark.parametrize("name", sorted(POLICIES))
def test_policy_takes_a_single_image_before_or_after_a_batch(name):
    x = _images(2)
    batch_first = POLICIES[name]()
    assert _np(batch_first(x, training=True)).shape == x.shape
    assert _np(batch_first(x[0], training=True)).shape == x.shape[1:]
    single_first = POLICIES[name]()
    single = _np(single_first(x[0], training=True))
    assert single.shape == x.shape[1:] and single.min() >= 0 and single.max() <= 1
    assert _np(single_first(x, training=True)).shape == x.shape
    assert_array_equal(_np(POLICIES[name]()(x[:1], training=True))[0], single)  # a batch of one
    assert_allclose(_np(single_first(x[0], training=False)), x[0], atol=1e-6)


@pytest.mark.parametrize("name", ["light_policy", "strong_policy"])
def test_policy_maps_single_images_in_tf_data_and_round_trips(name):
    policy = POLICIES[name]()
    x = _images(3)
    out = [b.numpy() for b in tf.data.Dataset.from_tensor_slices(x).map(lambda image: policy(image, training=True))]
    assert [b.shape for b in out] == [x.shape[1:]] * 3
    clone = type(policy).from_config(policy.get_config())
    assert isinstance(clone, keras.Sequential) and augment.describe(clone) == augment.describe(policy)
    assert_allclose(_np(clone(x[0], training=True)), _np(POLICIES[name]()(x[0], training=True)), atol=1e-6)


def test_policy_batches_are_those_of_a_plain_sequential():
    x = _images(4)
    policy = augment.strong_policy(0, channels=3)
    plain = keras.Sequential(augment.strong_policy(0, channels=3).layers)
    assert_array_equal(_np(policy(x, training=True)), _np(plain(x, training=True)))


def test_stock_and_fused_policies_agree_on_flips_only():
    # Same transforms, built two ways: both keep shape and range.
    x = _images(4, 28, 28, 1)
    for policy in (augment.standard_policy(0), augment.stock_standard_policy(0), augment.light_policy(0, fused=False)):
        out = _np(policy(x, training=True))
        assert out.shape == x.shape and out.min() >= 0 and out.max() <= 1


def test_xla_compiled_policy_in_tf_data():
    x = _images(8, 28, 28, 1)
    compiled = augment.xla_compiled(augment.standard_policy(0))
    dataset = tf.data.Dataset.from_tensor_slices(x).batch(4).map(compiled)
    out = np.concatenate([b.numpy() for b in dataset])
    assert out.shape == x.shape and out.min() >= 0 and out.max() <= 1
    with pytest.raises(TypeError, match="MixUp"):
        augment.xla_compiled(layers.MixUp())
    with pytest.raises(TypeError, match="CutMix"):  # found inside a nested policy too
        augment.xla_compiled(keras.Sequential([augment.light_policy(0), keras.Sequential([layers.CutMix()])]))


def test_oversample_augments_only_the_copies():
    rng = np.random.default_rng(0)
    y = np.array([0] * 40 + [1] * 4)
    x = (rng.random((len(y), 12, 12)) * 255).astype("uint8")
    dataset = augment.oversample_with_augmented_copies(
        x, y, SaltAndPepper(0.3, seed=0), epochs=2, seed=0, batch_size=16, num_classes=2
    )
    from cvhelpers.data.sampling import balanced_epoch_indices

    indices, is_copy = balanced_epoch_indices(y, epochs=2, seed=0)
    images = np.concatenate([b[0].numpy() for b in dataset])
    labels = np.concatenate([b[1].numpy() for b in dataset])
    assert images.shape == (len(indices), 12, 12, 1)
    assert_array_equal(labels.argmax(1), y[indices])
    originals = x[indices][..., None].astype("float32") / 255.0
    same = np.all(np.isclose(images, originals), axis=(1, 2, 3))
    assert_array_equal(same, ~is_copy)  # originals untouched, every copy changed
    assert is_copy.any() and (y[indices][is_copy] == 1).all()


def test_oversample_bad_arguments():
    y = np.array([0, 0, 1])
    with pytest.raises(TypeError, match="augment"):
        augment.oversample_with_augmented_copies(np.zeros((3, 4, 4)), y, None)
    with pytest.raises(ValueError, match="epochs"):
        augment.oversample_with_augmented_copies(np.zeros((3, 4, 4)), y, SaltAndPepper(), epochs=0)


def _cmo_inputs(batches=60, batch_size=32):
    """Long-tailed source images whose constant value names their class; an all-zero background of class 0."""
    from cvhelpers.data.pipeline import make_dataset

    y = np.repeat([0, 1, 2], [200, 20, 4])
    x = np.repeat(((y + 1) / 4.0)[:, None, None], 8, axis=1).repeat(8, axis=2).astype("float32")
    background = make_dataset(np.zeros((batches * batch_size, 8, 8), "float32"),
                              np.zeros(batches * batch_size, int), batch_size, shuffle=False)
    return x, y, background


def test_context_rich_oversampling_pastes_balanced_boxes_and_mixes_labels_by_area():
    x, y, background = _cmo_inputs()
    dataset = augment.context_rich_oversampling(x, y, background, probability=1.0, batch_size=32, seed=0)
    batches = list(dataset)
    assert len(batches) == 60  # ends with the background
    images = np.concatenate([b[0].numpy() for b in batches])
    labels = np.concatenate([b[1].numpy() for b in batches])
    assert images.shape == (60 * 32, 8, 8, 1) and labels.shape == (60 * 32, 3)
    assert_allclose(labels.sum(1), 1.0, atol=1e-6)
    area = (images > 0).mean(axis=(1, 2, 3))
    pasted = area > 0
    assert pasted.mean() > 0.5  # a box can be empty (side sqrt(1 - λ), λ ~ U(0, 1)), but rarely
    box_class = np.round(images.max(axis=(1, 2, 3)) * 4 - 1).astype(int)
    expected = np.zeros_like(labels)
    expected[:, 0] = 1 - area
    expected[pasted, box_class[pasted]] += area[pasted]
    assert_allclose(labels, expected, atol=1e-5)
    # the pasted classes are balanced although the source is 200 : 20 : 4
    counts = np.bincount(box_class[pasted], minlength=3)
    n = counts.sum()
    assert np.all(np.abs(counts - n / 3) < 4 * np.sqrt(n * (1 / 3) * (2 / 3)))


def test_context_rich_oversampling_probability_zero_is_the_background():
    x, y, background = _cmo_inputs(batches=3)
    dataset = augment.context_rich_oversampling(x, y, background, probability=0.0, batch_size=32)
    for images, labels in dataset:
        assert not images.numpy().any()
        assert_array_equal(labels.numpy(), np.eye(3)[np.zeros(32, int)])


def test_context_rich_oversampling_bad_arguments():
    x, y, background = _cmo_inputs(batches=1)
    with pytest.raises(TypeError, match="background"):
        augment.context_rich_oversampling(x, y, np.zeros((4, 8, 8)))
    with pytest.raises(ValueError, match="probability"):
        augment.context_rich_oversampling(x, y, background, probability=1.5)
    with pytest.raises(ValueError, match="y must be < num_classes=2"):
        augment.context_rich_oversampling(x, y, background, num_classes=2)
    with pytest.raises(ValueError, match="probability"):
        augment.context_rich_oversampling(x, y, background, probability=float("nan"))
    with pytest.raises(ValueError, match="y has 3 entries"):
        augment.context_rich_oversampling(x, y[:3], background)


def test_gallery_and_parameter_gallery():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    x = (_images(2, 16, 16, 1) * 255).astype("uint8")
    figure = augment.gallery(SaltAndPepper(0.1, seed=0), x, draws=3)
    assert len(figure.axes) == 2 * 4
    figure2 = augment.parameter_gallery(
        lambda v, s: layers.RandomRotation(v / 360, seed=s), [15, 30, 45], x[0], "rotation", draws=2
    )
    assert len(figure2.axes) == 3 * 3
    plt.close("all")
    with pytest.raises(ValueError, match="draws"):
        augment.augment_batch(SaltAndPepper(), x, draws=0)


def test_images_per_second():
    dataset = tf.data.Dataset.from_tensor_slices(np.zeros((64, 4, 4, 1), "float32")).batch(8)
    assert augment.images_per_second(dataset, warmup=1) > 0


@pytest.mark.parametrize("call, error, word", [
    (lambda x: augment.augment_batch(SaltAndPepper(), x.astype("float32"), draws=1), ValueError, "0-255"),
    (lambda x: augment.augment_batch("salt", x), TypeError, "layer"),
    (lambda x: augment.gallery(SaltAndPepper(), x[:0]), ValueError, "images is empty"),
    (lambda x: augment.technique_gallery([SaltAndPepper()], x[0]), TypeError, "techniques"),
    (lambda x: augment.technique_gallery({"s&p": SaltAndPepper()}, x[0], draws=0), ValueError, "draws"),
    (lambda x: augment.parameter_gallery(lambda v, s: SaltAndPepper(v, seed=s), [], x[0]), ValueError, "values"),
    (lambda x: augment.images_per_second([x] * 3, batches=0), ValueError, "batches"),
    (lambda x: augment.images_per_second([x], warmup=2), ValueError, "warmup=2"),
    (lambda x: augment.oversample_with_augmented_copies(x, [0, 1, 1], SaltAndPepper()), ValueError, "y has 3"),
    (lambda x: Cutout(4, rate=float("nan")), ValueError, "rate"),
    (lambda x: Cutout(4, fill=float("inf")), ValueError, "fill"),
    (lambda x: RandomGaussianNoise(float("nan")), ValueError, "stddev"),
    (lambda x: SaltAndPepper(float("nan")), ValueError, "amount"),
    (lambda x: RandomResizedCrop(scale=(0.5, float("nan"))), ValueError, "scale"),
    (lambda x: augment.standard_policy(value_range=(0, float("inf"))), ValueError, "value_range"),
    (lambda x: augment.light_policy(fused="no"), TypeError, "fused"),
])
def test_galleries_layers_and_policies_name_the_bad_argument(call, error, word):
    x = (_images(2, 8, 8, 1) * 255).astype("uint8")
    with pytest.raises(error, match=word):
        call(x)


def test_describe_keys_the_policy_not_its_names():
    first, second = augment.light_policy(seed=0), augment.light_policy(seed=0)  # names differ: _1 suffixes
    assert first.layers[0].name != second.layers[0].name
    assert augment.describe(first) == augment.describe(second)
    assert augment.describe(augment.light_policy(seed=1)) != augment.describe(first)
    wider = augment.RandomGeometric(rotation=0.2, seed=0)
    assert augment.describe(wider) != augment.describe(augment.RandomGeometric(rotation=0.1, seed=0))
    assert augment.describe(None) is None
    json.dumps(augment.describe(augment.strong_policy(seed=0)))  # JSON-able, for the cache key
    with pytest.raises(TypeError, match="policy"):
        augment.describe(lambda images: images)
