import numpy as np
import pytest

from cvhelpers.data import pipeline


def _collect(dataset, batches=None):
    images, labels = [], []
    for index, (x, y) in enumerate(dataset):
        if batches is not None and index >= batches:
            break
        images.append(x.numpy())
        labels.append(y.numpy())
    return np.concatenate(images), np.concatenate(labels)


def test_to_float_images_scales_and_adds_channel(tiny_images):
    x, _ = tiny_images
    out = pipeline.to_float_images(x)
    assert out.shape == (60, 28, 28, 1) and out.dtype == np.float32
    np.testing.assert_allclose(out[..., 0], x / 255.0, rtol=0, atol=1e-7)
    with pytest.raises(ValueError, match="shape"):
        pipeline.to_float_images(np.zeros((3, 4)))


def test_make_dataset_yields_every_example_once_per_epoch(tiny_images):
    x, y = tiny_images
    dataset = pipeline.make_dataset(x, y, batch_size=16, seed=1)
    images, labels = _collect(dataset)
    assert images.shape == (60, 28, 28, 1) and images.dtype == np.float32
    assert sorted(labels.tolist()) == sorted(y.tolist())
    # every image appears exactly once: match them by their bytes
    originals = {row.tobytes(): label for row, label in zip(pipeline.to_float_images(x), y, strict=True)}
    assert {img.tobytes(): lab for img, lab in zip(images, labels, strict=True)} == originals


def test_make_dataset_shuffles_reproducibly_and_reshuffles(tiny_images):
    x, y = tiny_images
    first = _collect(pipeline.make_dataset(x, y, 60, seed=5))[1]
    again = _collect(pipeline.make_dataset(x, y, 60, seed=5))[1]
    np.testing.assert_array_equal(first, again)
    assert not np.array_equal(first, y)  # shuffled
    dataset = pipeline.make_dataset(x, y, 60, seed=5)
    epoch1, epoch2 = _collect(dataset)[1], _collect(dataset)[1]
    assert not np.array_equal(epoch1, epoch2)  # a new order every epoch
    unshuffled = _collect(pipeline.make_dataset(x, y, 7, shuffle=False))[1]
    np.testing.assert_array_equal(unshuffled, y)


def test_make_dataset_one_hot_and_augment(tiny_images):
    x, y = tiny_images
    dataset = pipeline.make_dataset(x, y, 10, shuffle=False, num_classes=3, augment=lambda images: 1.0 - images)
    images, labels = _collect(dataset)
    np.testing.assert_array_equal(labels.argmax(1), y)
    np.testing.assert_allclose(images, 1.0 - pipeline.to_float_images(x), atol=1e-6)
    with pytest.raises(ValueError, match="y must be < num_classes=2"):
        pipeline.make_dataset(x, y, num_classes=2)
    with pytest.raises(ValueError, match="same length"):
        pipeline.make_dataset(x, y[:-1])


def test_balanced_dataset_batches_are_balanced(tiny_images):
    x, y = tiny_images
    _, labels = _collect(pipeline.balanced_dataset(x, y, batch_size=300, seed=0), batches=10)
    counts = np.bincount(labels, minlength=3)
    n, p = 3000, 1 / 3
    tolerance = 4 * np.sqrt(n * p * (1 - p))  # 4 binomial standard deviations
    assert np.all(np.abs(counts - n * p) < tolerance), counts


def test_balanced_dataset_honours_weights(tiny_images):
    x, y = tiny_images
    _, labels = _collect(pipeline.balanced_dataset(x, y, 500, seed=1, weights=[0.5, 0.25, 0.25]), batches=4)
    share = np.bincount(labels, minlength=3) / len(labels)
    np.testing.assert_allclose(share, [0.5, 0.25, 0.25], atol=0.05)
    with pytest.raises(ValueError, match="weights"):
        pipeline.balanced_dataset(x, y, weights=[1, 1])


def test_indexed_dataset_augments_only_masked_draws(tiny_images):
    x, y = tiny_images
    indices = np.array([0, 1, 2, 3, 45, 50])
    mask = np.array([False, True, False, True, False, True])
    images, labels = _collect(
        pipeline.indexed_dataset(x, y, indices, batch_size=4, augment=lambda im: im * 0.0, augment_mask=mask)
    )
    np.testing.assert_array_equal(labels, y[indices])
    expected = pipeline.to_float_images(x[indices])
    expected[mask] = 0.0
    np.testing.assert_allclose(images, expected, atol=1e-7)
    with pytest.raises(ValueError, match="indices"):
        pipeline.indexed_dataset(x, y, np.array([60]))


def test_to_float_images_scales_uint16_and_keeps_unit_floats():
    x = np.array([[[0, 65535], [32768, 1]]], dtype=np.uint16)
    np.testing.assert_allclose(pipeline.to_float_images(x)[..., 0], x / 65535.0, rtol=1e-6)
    unit = np.random.default_rng(0).random((2, 4, 4, 1))
    np.testing.assert_array_equal(pipeline.to_float_images(unit), unit.astype(np.float32))
    slightly_over = np.full((1, 2, 2), 1.2)
    np.testing.assert_array_equal(pipeline.to_float_images(slightly_over), slightly_over[..., None].astype(np.float32))


@pytest.mark.parametrize(
    "x, error, match",
    [
        (np.full((1, 4, 4), 200.0), ValueError, "x must be in \\[0, 1\\], got a maximum of 200"),
        (np.array([[[0.5, np.nan]]]), ValueError, "x must be finite"),
        (np.full((1, 4, 4), 200, dtype=np.int64), TypeError, "dtype int64"),
        (np.zeros((1, 4, 4), dtype=bool), TypeError, "dtype bool"),
    ],
)
def test_to_float_images_refuses_0_255_floats_nan_and_other_dtypes(x, error, match):
    with pytest.raises(error, match=match):
        pipeline.to_float_images(x)
    with pytest.raises(error, match="images"):
        pipeline.to_float_images(x, name="images")


def test_one_hot_refuses_non_whole_negative_and_out_of_range_labels():
    np.testing.assert_array_equal(pipeline.one_hot([0, 2.0], 3), [[1, 0, 0], [0, 0, 1]])
    assert pipeline.one_hot(np.array([], int), 3).shape == (0, 3)
    with pytest.raises(ValueError, match="y must be whole numbers"):
        pipeline.one_hot([0, 2.7], 3)
    with pytest.raises(ValueError, match="y must be >= 0"):
        pipeline.one_hot([0, -1], 3)
    with pytest.raises(ValueError, match="y must be < num_classes=3"):
        pipeline.one_hot([0, 3], 3)
    with pytest.raises(ValueError, match="num_classes"):
        pipeline.one_hot([0, 1], 2.0)


def test_pipelines_refuse_bad_batch_sizes_seeds_labels_and_indices(tiny_images):
    x, y = tiny_images
    with pytest.raises(ValueError, match="batch_size"):
        pipeline.make_dataset(x, y, batch_size=0)
    with pytest.raises(ValueError, match="seed"):
        pipeline.make_dataset(x, y, seed=-1)
    with pytest.raises(ValueError, match="y must be whole numbers"):
        pipeline.make_dataset(x, y + 0.5)
    with pytest.raises(ValueError, match="y must be finite"):
        pipeline.make_dataset(x, np.full((60, 3), np.nan))
    with pytest.raises(ValueError, match="weights must be finite"):
        pipeline.balanced_dataset(x, y, weights=[1.0, np.nan, 1.0])
    with pytest.raises(ValueError, match="y must be >= 0"):
        pipeline.balanced_dataset(x, y - 1)
    with pytest.raises(ValueError, match="indices must be whole numbers"):
        pipeline.indexed_dataset(x, y, np.array([0.0, 2.7]))
    with pytest.raises(ValueError, match="x and y must have the same length"):
        pipeline.indexed_dataset(x, y[:-1], np.array([0]))
