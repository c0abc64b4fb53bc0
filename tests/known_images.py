"""Small known-answer images shared by the eda tests."""

import numpy as np


def constant(value=128, shape=(16, 20)):
    return np.full(shape, value, dtype=np.uint8)


def half_black_white(height=32, width=32):
    image = np.zeros((height, width), dtype=np.uint8)
    image[:, width // 2 :] = 255
    return image
