"""Known-answer tests for cvhelpers.eda.pixels: brightness, contrast, edges, blur, texture."""

from __future__ import annotations

import numpy as np
from numpy.testing import assert_allclose

from cvhelpers import eda
from known_images import constant, half_black_white


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
