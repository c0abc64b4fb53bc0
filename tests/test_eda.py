"""Known-answer tests for cvhelpers.eda."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from numpy.testing import assert_allclose, assert_array_equal
from PIL import Image

from cvhelpers import eda
from cvhelpers.datasets import load_image_folder


def constant(value=128, shape=(16, 20)):
    return np.full(shape, value, dtype=np.uint8)


def half_black_white(height=32, width=32):
    image = np.zeros((height, width), dtype=np.uint8)
    image[:, width // 2 :] = 255
    return image


@pytest.fixture(scope="module")
def camera():
    from skimage import data

    return data.camera()  # 512 x 512, uint8, bundled with scikit-image


# --- brightness, contrast, edges, blur --------------------------------------


def test_constant_image_has_zero_contrast_edges_and_laplacian():
    batch = np.stack([constant(0), constant(128), constant(255)])
    assert_allclose(eda.rms_contrast(batch), 0.0, atol=1e-7)
    assert_allclose(eda.edge_density(batch), 0.0)
    assert_allclose(eda.laplacian_variance(batch), 0.0, atol=1e-6)
    assert_allclose(eda.mean_luminance(batch), [0.0, 128 / 255, 1.0], rtol=1e-6)


def test_half_black_half_white_known_mean_contrast_and_edges():
    image = half_black_white(32, 32)
    assert_allclose(eda.mean_luminance(image[None]), [0.5], rtol=1e-6)
    assert_allclose(eda.rms_contrast(image[None]), [0.5], rtol=1e-6)
    # The step makes edges on the two columns either side of it: 2 / width.
    assert_allclose(eda.edge_density(image[None]), [2 / 32])
    # Lower the threshold below the step's magnitude (1) and above zero: same answer.
    assert_allclose(eda.edge_density(image[None], threshold=0.9), [2 / 32])


def test_rgb_and_float_inputs_give_the_same_luminance():
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (3, 8, 9, 3), dtype=np.uint8)
    expected = (rgb @ np.array(eda.LUMA_WEIGHTS)).mean(axis=(1, 2)) / 255
    assert_allclose(eda.mean_luminance(rgb), expected, rtol=1e-5)
    assert_allclose(eda.mean_luminance(rgb.astype(np.float32) / 255), expected, rtol=1e-5)


def test_rgba_is_composited_over_white():
    transparent = np.zeros((4, 4, 4), dtype=np.uint8)  # black, fully transparent
    assert_allclose(eda.mean_luminance([transparent]), [1.0], rtol=1e-6)
    assert_allclose(eda.alpha_coverage([transparent]), [1.0])
    opaque = transparent.copy()
    opaque[..., 3] = 255
    assert_allclose(eda.mean_luminance([opaque]), [0.0], atol=1e-7)
    assert_allclose(eda.alpha_coverage([opaque]), [0.0])


def test_laplacian_variance_matches_opencv_and_drops_with_blur(camera):
    import cv2

    expected = cv2.Laplacian(camera, cv2.CV_64F).var()
    assert_allclose(eda.laplacian_variance(camera[None]), [expected], rtol=1e-5)
    blurred = cv2.GaussianBlur(camera, (9, 9), 3)
    sharp, smooth = eda.laplacian_variance([camera, blurred])
    assert smooth < sharp / 5


def test_single_bright_pixel_laplacian_known_answer():
    image = np.zeros((9, 9), dtype=np.uint8)
    image[4, 4] = 255
    # Laplacian: -4*255 at the centre, 255 at its 4 neighbours, 0 elsewhere; mean 0.
    expected = ((4 * 255) ** 2 + 4 * 255**2) / 81
    assert_allclose(eda.laplacian_variance(image[None]), [expected], rtol=1e-6)


def test_list_of_mixed_sizes_keeps_input_order():
    images = [constant(0, (5, 7)), half_black_white(8, 8), constant(255, (5, 7)), constant(51, (3, 3))]
    assert_allclose(eda.mean_luminance(images), [0.0, 0.5, 1.0, 0.2], rtol=1e-6)
    assert_array_equal(eda.image_shapes(images)[:, :2], [[5, 7], [8, 8], [5, 7], [3, 3]])


# --- texture ------------------------------------------------------------------


def test_glcm_matches_scikit_image():
    from skimage.feature import graycomatrix, graycoprops

    rng = np.random.default_rng(1)
    images = rng.integers(0, 256, (3, 12, 17), dtype=np.uint8)
    images[1] = np.sort(images[1], axis=1)  # a smooth gradient, strong correlation
    ours = eda.glcm_features(images, levels=16)
    for index, image in enumerate(images):
        quantised = (image.astype(np.int64) * 16) >> 8
        matrix = graycomatrix(quantised, [1], [0, np.pi / 2], levels=16, symmetric=True, normed=True)
        for name in eda.GLCM_PROPERTIES:
            assert_allclose(ours.loc[index, name], graycoprops(matrix, name).mean(), rtol=1e-9, err_msg=name)


def test_glcm_constant_image():
    features = eda.glcm_features(constant(77)[None]).iloc[0]
    assert_allclose(features.to_numpy(), [0.0, 1.0, 1.0, 1.0])


# --- colour -------------------------------------------------------------------


def test_grayscale_detection_and_colour_modes():
    gray_rgb = np.repeat(half_black_white(6, 6)[..., None], 3, axis=-1)
    colour = gray_rgb.copy()
    colour[0, 0] = (255, 0, 0)
    rgba = np.dstack([colour, np.full((6, 6), 255, np.uint8)])
    rgba[0, 1, 3] = 0
    images = [half_black_white(6, 6), gray_rgb, colour, rgba]
    modes = eda.colour_modes(images, stored_modes=["L", "RGB", "P", "RGBA"])
    assert modes["grayscale"].tolist() == [True, True, False, False]
    assert modes["has_alpha"].tolist() == [False, False, False, True]
    assert modes["palette"].tolist() == [False, False, True, False]


def test_channel_histograms_known_counts():
    red = np.zeros((2, 2, 3), np.uint8)
    red[..., 0] = 255
    hist = eda.channel_histograms([red, red], labels=np.array([0, 0]), bins=4)
    assert hist.shape == (1, 3, 4)
    assert_allclose(hist[0, 0], [0, 0, 0, 1])
    assert_allclose(hist[0, 1], [1, 0, 0, 0])


def test_mean_and_border_colour():
    image = np.zeros((10, 10, 3), np.uint8)
    image[...] = (0, 0, 255)  # blue frame
    image[2:-2, 2:-2] = (255, 0, 0)  # red centre
    assert_allclose(eda.border_colour([image], border=2), [[0, 0, 1]])
    assert_allclose(eda.mean_colour([image]), [[0.36, 0, 0.64]], rtol=1e-6)


# --- dimensions, aspect, imbalance -------------------------------------------


def test_aspect_summary_shares_and_stretch():
    summary = eda.aspect_summary([100, 200, 100, 300], [100, 100, 200, 100], side=150)
    assert summary["share_square"] == 0.25
    assert summary["share_landscape"] == 0.5
    assert summary["share_portrait"] == 0.25
    assert_allclose(summary["stretch"], [1, 2, 2, 3])
    assert summary["share_stretch_over_2"] == 0.25
    assert summary["share_upscaled"] == 1.0
    table = eda.size_table([100, 100, 200], [50, 50, 50])
    assert table.iloc[0][["width", "height", "count"]].tolist() == [100, 50, 2]


def test_effective_number_known_values():
    assert_allclose(eda.effective_number([1, 10], beta=0.9), [1.0, (1 - 0.9**10) / 0.1])
    assert_allclose(eda.effective_number([5, 0], beta=0.0), [1.0, 0.0])
    assert_allclose(eda.effective_number([1000], beta=1 - 1e-9), [1000], rtol=1e-5)


def test_imbalance_table_sorted_head_to_tail():
    labels = np.repeat([0, 1, 2], [5, 50, 10])
    table = eda.imbalance_table(labels, ["a", "b", "c"], beta=0.99)
    assert table["class"].tolist() == ["b", "c", "a"]
    assert table.attrs["imbalance_ratio"] == 10
    assert_allclose(table["cb_weight"].mean(), 1.0)
    assert table["cb_weight"].is_monotonic_increasing


# --- duplicates ----------------------------------------------------------------


def test_identical_images_are_duplicates_and_rotation_follows_the_contract(camera):
    import cv2

    rotated = np.rot90(camera).copy()
    resized = cv2.resize(camera, (256, 256), interpolation=cv2.INTER_AREA)
    brighter = np.clip(camera * 0.9 + 20, 0, 255).astype(np.uint8)
    other = np.random.default_rng(0).integers(0, 256, (64, 64), dtype=np.uint8)
    images = [camera, camera.copy(), rotated, resized, brighter, other]
    hashes = eda.perceptual_hash(images)
    assert hashes.dtype == np.uint64
    pairs = eda.near_duplicates(hashes, threshold=4)
    found = set(zip(pairs["i"], pairs["j"]))
    assert (0, 1) in found and pairs.iloc[0]["distance"] == 0
    assert {(0, 3), (0, 4)} <= found  # resized and brightened copies are flagged
    assert not any(2 in pair for pair in found)  # the contract: a 90-degree rotation is not
    assert not any(5 in pair for pair in found)
    digests = eda.pixel_digests(images)
    assert digests[0] == digests[1] and digests[0] != digests[3]


def test_near_duplicates_across_sets_and_labels():
    hashes = np.array([0, 0xFF, 2**63], dtype=np.uint64)
    test = np.array([1, 2**64 - 1], dtype=np.uint64)
    cross = eda.near_duplicates(hashes, threshold=1, other=test, labels=np.array([0, 1, 2]), other_labels=np.array([0, 1]))
    assert cross[["i", "j", "distance"]].values.tolist() == [[0, 0, 1]]
    assert cross["same_class"].tolist() == [True]
    assert_array_equal(eda.hamming_distance(hashes, np.uint64(0)), [0, 8, 1])


# --- objects, metadata, problems ----------------------------------------------


def test_haar_face_detector_finds_the_astronaut():
    from skimage import data

    counts = eda.detect_objects([data.astronaut(), constant(128, (64, 64))], detectors=("face",))
    assert counts["face"].tolist()[1] == 0
    assert counts["face"].tolist()[0] >= 1


def test_exif_written_by_pillow_is_read_back(tmp_path):
    image = Image.fromarray(np.zeros((12, 20, 3), np.uint8))
    exif = Image.Exif()
    exif[271] = "TestMake"
    exif[272] = "Model 9"
    exif[274] = 6
    exif[306] = "2020:01:02 03:04:05"
    exif.get_ifd(0x8769)[36867] = "2019:05:06 07:08:09"
    exif.get_ifd(0x8825)[1] = "N"
    path = tmp_path / "photo.jpg"
    image.save(path, exif=exif, dpi=(300, 300))
    plain = tmp_path / "plain.png"
    image.save(plain)
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a jpeg")
    table = eda.read_exif([path, plain, broken])
    row = table.iloc[0]
    assert (row["make"], row["model"], row["camera"]) == ("TestMake", "Model 9", "TestMake Model 9")
    assert row["taken"] == pd.Timestamp("2019-05-06 07:08:09") and row["year"] == 2019
    assert row["orientation"] == 6 and row["has_gps"]
    assert (row["width"], row["height"]) == (20, 12)
    assert not table.iloc[1]["has_exif"] and table.iloc[1]["camera"] == "unknown"
    assert table.iloc[2]["error"] != ""


def test_folder_with_corrupt_and_odd_files_gives_problems_table(tmp_path):
    good = tmp_path / "cats"
    good.mkdir()
    Image.fromarray(np.full((8, 8, 3), 200, np.uint8)).save(good / "ok.png")
    (good / "empty.png").write_bytes(b"")
    (good / "fake.jpg").write_bytes(b"hello, I am text")
    truncated = tmp_path / "dogs"
    truncated.mkdir()
    Image.fromarray(np.full((64, 64, 3), 10, np.uint8)).save(truncated / "whole.jpg")
    data = (truncated / "whole.jpg").read_bytes()
    (truncated / "cut.jpg").write_bytes(data[: len(data) // 3])
    (truncated / "notes.txt").write_text("readme")
    (truncated / "sound.ogg").write_bytes(b"OggS")
    folder = load_image_folder(tmp_path, progress=False)
    problems, others = eda.file_problems(folder.manifest)
    assert sorted(problems["path"].map(lambda p: p.split("/")[-1])) == ["cut.jpg", "empty.png", "fake.jpg"]
    assert (problems["reason"] != "").all()
    assert dict(zip(others["extension"], others["files"])) == {".txt": 1, ".ogg": 1}
    stats = eda.image_stats(folder.images, folder.labels, folder.class_names)
    assert len(stats) == len(folder.images) == 2


# --- the one-pass table and argument checks ----------------------------------


def test_image_stats_agrees_with_the_single_functions():
    rng = np.random.default_rng(2)
    images = [rng.integers(0, 256, (9, 11, 3), dtype=np.uint8), half_black_white(10, 10),
              rng.integers(0, 256, (9, 11, 3), dtype=np.uint8)]
    stats = eda.image_stats(images, labels=np.array([0, 1, 0]), class_names=["x", "y"])
    assert list(stats.columns[: len(eda.STAT_COLUMNS)]) == list(eda.STAT_COLUMNS)
    assert_allclose(stats["rms_contrast"], eda.rms_contrast(images))
    assert_allclose(stats["edge_density"], eda.edge_density(images))
    assert_allclose(stats["laplacian_var"], eda.laplacian_variance(images))
    assert_allclose(stats[["mean_r", "mean_g", "mean_b"]], eda.mean_colour(images))
    assert_allclose(stats["glcm_contrast"], eda.glcm_features(images)["contrast"])
    assert_array_equal(stats["phash"].to_numpy(), eda.perceptual_hash(images))
    assert stats["class"].tolist() == ["x", "y", "x"]


def test_class_mean_images_known_values():
    images = np.stack([constant(0, (4, 4)), constant(255, (4, 4)), constant(255, (4, 4))])
    mean, std = eda.class_mean_images(images, np.array([0, 0, 1]), size=(2, 2))
    assert mean.shape == (2, 2, 2, 1)
    assert_allclose(mean[0], 0.5)
    assert_allclose(std[0], 0.5)
    assert_allclose(mean[1], 1.0)
    assert_allclose(std[1], 0.0)


@pytest.mark.parametrize(
    "call, error, word",
    [
        (lambda: eda.mean_luminance(np.zeros((2, 4, 4), np.int32)), TypeError, "images"),
        (lambda: eda.mean_luminance(np.zeros((2, 4, 4, 2), np.uint8)), ValueError, "channels"),
        (lambda: eda.mean_luminance("x"), TypeError, "images"),
        (lambda: eda.edge_density(np.zeros((1, 4, 4), np.uint8), threshold=0), ValueError, "threshold"),
        (lambda: eda.effective_number([1, 2], beta=1.0), ValueError, "beta"),
        (lambda: eda.glcm_features(np.zeros((1, 4, 4), np.uint8), levels=1), ValueError, "levels"),
        (lambda: eda.class_mean_images(np.zeros((2, 4, 4), np.uint8), np.array([0])), ValueError, "labels"),
        (lambda: eda.near_duplicates(np.array([1, 2])), TypeError, "hashes"),
        (lambda: eda.detect_objects([constant()], detectors=("dog",)), ValueError, "detectors"),
        (lambda: eda.aspect_summary([1, 2], [1]), ValueError, "widths"),
    ],
)
def test_bad_arguments_raise_and_name_the_argument(call, error, word):
    with pytest.raises(error, match=word):
        call()


def test_channel_histogram_counts_sum_over_groups():
    rng = np.random.default_rng(3)
    images = rng.integers(0, 256, (6, 5, 4, 3), dtype=np.uint8)
    labels = np.array([0, 1, 1, 2, 2, 2])
    counts = eda.channel_histograms(images, labels, bins=8, normalize=False)
    assert_allclose(counts.sum(axis=0), eda.channel_histograms(images, bins=8, normalize=False)[0])
    assert_allclose(counts.sum(axis=2), [[20] * 3, [40] * 3, [60] * 3])  # pixels per class, per channel


def test_limit_size_keeps_aspect_and_small_images():
    big = np.zeros((1000, 500, 3), np.uint8)
    small = np.zeros((40, 30), np.uint8)
    out = eda.limit_size([big, small], max_side=512)
    assert out[0].shape == (512, 256, 3)
    assert out[1] is small


def test_tiny_images_do_not_crash():
    stats = eda.image_stats([np.zeros((1, 1, 3), np.uint8), np.zeros((1, 5), np.uint8)])
    assert stats["glcm_contrast"].isna().tolist() == [True, False]
    assert (stats["edge_density"] == 0).all()


def test_object_boxes_find_the_box_and_the_sides_it_touches():
    inside = np.zeros((10, 12), np.uint8)
    inside[2:6, 3:9] = 200                        # well inside the frame
    cut = np.full((10, 12, 3), 255, np.uint8)    # white background
    cut[4:10, 0:5] = (30, 60, 90)                # runs out at the bottom and the left
    rgba = np.zeros((10, 12, 4), np.uint8)
    rgba[0:3, 5:7] = (255, 255, 255, 255)        # opaque white at the top edge: alpha decides
    empty = np.full((10, 12), 17, np.uint8)
    boxes = eda.object_boxes([inside, cut, rgba, empty])
    assert boxes[["top", "left", "bottom", "right"]].values.tolist() == [
        [2, 3, 5, 8], [4, 0, 9, 4], [0, 5, 2, 6], [0, 0, 0, 0]]
    assert boxes["sides_touching"].tolist() == [0, 2, 1, 0]
    assert boxes["touches_border"].tolist() == [False, True, True, False]
    assert boxes["empty"].tolist() == [False, False, False, True]
    assert_allclose(boxes["box_share"], [24 / 120, 30 / 120, 6 / 120, 0.0])
    assert_allclose(boxes["frame_contact"], [0.0, 10 / 40, 2 / 40, 0.0])  # the frame has 40 pixels


def test_object_boxes_float_and_uint8_agree_and_check_threshold():
    rng = np.random.default_rng(0)
    images = np.zeros((5, 16, 16), np.uint8)
    for k in range(5):
        r, c = rng.integers(0, 10, 2)
        images[k, r:r + 6, c:c + 6] = 180
    assert eda.object_boxes(images).equals(eda.object_boxes(images.astype(np.float32) / 255))
    for bad in (0, 1.0, float("nan"), "0.1"):
        with pytest.raises(ValueError, match="threshold"):
            eda.object_boxes(images, threshold=bad)
