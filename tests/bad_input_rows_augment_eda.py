"""Bad-input rows: cvhelpers.augment, cvhelpers.eda and cvhelpers.plots."""

import numpy as np

from bad_input_table import Correct, Refused

A = "cvhelpers.augment."
E = "cvhelpers.eda."
P = "cvhelpers.plots."

NAN = float("nan")


def _images(n=2, size=8, channels=1, value=0.5):
    return np.full((n, size, size, channels), value, np.float32)


PIXELS_0_255 = _images(value=200.0)
NAN_IMAGES = np.where(np.eye(8, dtype=bool)[None, :, :, None], np.nan, _images())


def _identity(batch, **_):
    return batch


def _background():
    import tensorflow as tf

    return tf.data.Dataset.from_tensors((_images(), np.zeros(2, np.int64)))


def _manifest():
    import pandas as pd

    return pd.DataFrame({"path": ["a/x.png", "a/y.wav"], "class_name": ["a", "a"], "status": ["skipped"] * 2,
                         "reason": ["corrupt", "not an image"]})


def _stats():
    import pandas as pd

    return pd.DataFrame({"class": ["a", "b"], "luminance": [0.1, 0.2]})


def _single_image_through_light_policy(policy_factory):
    out = policy_factory(seed=0)(_images(n=1)[0], training=True)
    return tuple(out.shape)


AUGMENT_ROWS = [
    Refused(A + "galleries.augment_batch", "draws 0", lambda f: f(_identity, _images(), draws=0), ValueError, "draws"),
    Refused(A + "galleries.augment_batch", "0-255 floats", lambda f: f(_identity, PIXELS_0_255), ValueError, "images"),
    Refused(A + "galleries.augment_batch", "not callable", lambda f: f("flip", _images()), TypeError, "layer"),
    Refused(A + "galleries.gallery", "NaN images", lambda f: f(_identity, NAN_IMAGES), ValueError, "images"),
    Refused(A + "galleries.gallery", "empty images", lambda f: f(_identity, _images(n=0)), ValueError, "images"),
    Refused(A + "galleries.images_per_second", "batches 0", lambda f: f([_images()] * 3, batches=0), ValueError,
            "batches"),
    Refused(A + "galleries.images_per_second", "shorter than warmup", lambda f: f([_images()], warmup=2),
            ValueError, "warmup"),
    Refused(A + "galleries.parameter_gallery", "no values", lambda f: f(lambda v, s: _identity, [], _images()[0]),
            ValueError, "values"),
    Refused(A + "galleries.parameter_gallery", "draws 0",
            lambda f: f(lambda v, s: _identity, [1], _images()[0], draws=0), ValueError, "draws"),
    Refused(A + "galleries.technique_gallery", "no techniques", lambda f: f({}, _images()[0]), ValueError,
            "techniques"),
    Refused(A + "galleries.technique_gallery", "0-255 floats", lambda f: f({"id": _identity}, PIXELS_0_255[0]),
            ValueError, "image"),
    Refused(A + "galleries.technique_gallery", "a list", lambda f: f([_identity], _images()[0]), TypeError,
            "techniques"),
    Refused(A + "layers.Cutout", "NaN rate", lambda f: f(4, rate=NAN), ValueError, "rate"),
    Refused(A + "layers.Cutout", "float num_squares", lambda f: f(4, num_squares=1.5), ValueError, "num_squares"),
    Refused(A + "layers.Cutout", "inf fill", lambda f: f(4, fill=float("inf")), ValueError, "fill"),
    Refused(A + "layers.RandomGaussianNoise", "0-255 images", lambda f: f(0.1, seed=0)(PIXELS_0_255, training=True),
            ValueError, "value_range"),
    Refused(A + "layers.RandomGaussianNoise", "NaN stddev", lambda f: f(NAN), ValueError, "stddev"),
    Refused(A + "layers.SaltAndPepper", "0-255 images", lambda f: f(0.1, seed=0)(PIXELS_0_255, training=True),
            ValueError, "value_range"),
    Refused(A + "layers.SaltAndPepper", "NaN amount", lambda f: f(NAN), ValueError, "amount"),
    Refused(A + "layers.SaltAndPepper", "inf in value_range", lambda f: f(0.1, value_range=(0, float("inf"))),
            ValueError, "value_range"),
    Refused(A + "policies.describe", "a list of layers", lambda f: f([]), TypeError, "policy"),
    Refused(A + "policies.light_policy", "negative seed", lambda f: f(seed=-1), ValueError, "seed"),
    Refused(A + "policies.light_policy", "fused not a bool", lambda f: f(fused="yes"), TypeError, "fused"),
    Correct(A + "policies.light_policy", "one (h, w, c) image", _single_image_through_light_policy,
            lambda shape: shape == (8, 8, 1)),
    Refused(A + "policies.standard_policy", "NaN in value_range", lambda f: f(value_range=(0, NAN)), ValueError,
            "value_range"),
    Refused(A + "policies.stock_standard_policy", "reversed value_range", lambda f: f(value_range=(1, 0)),
            ValueError, "value_range"),
    Refused(A + "policies.strong_policy", "2 channels", lambda f: f(channels=2), ValueError, "channels"),
    Refused(A + "policies.strong_policy", "float seed", lambda f: f(seed=0.5), ValueError, "seed"),
    Refused(A + "resampling.context_rich_oversampling", "NaN probability",
            lambda f: f(_images(), [0, 1], _background(), probability=NAN), ValueError, "probability"),
    Refused(A + "resampling.context_rich_oversampling", "y of the wrong length",
            lambda f: f(_images(), [0, 1, 1], _background()), ValueError, "y"),
    Refused(A + "resampling.oversample_with_augmented_copies", "epochs 0",
            lambda f: f(_images(), [0, 1], _identity, epochs=0), ValueError, "epochs"),
    Refused(A + "resampling.oversample_with_augmented_copies", "y of the wrong length",
            lambda f: f(_images(), [0, 1, 1], _identity), ValueError, "y"),
    Refused(A + "warp.RandomGeometric", "NaN rotation", lambda f: f(rotation=NAN), ValueError, "rotation"),
    Refused(A + "warp.RandomGeometric", "float seed", lambda f: f(seed=1.5), ValueError, "seed"),
    Refused(A + "warp.RandomResizedCrop", "NaN in scale", lambda f: f(scale=(0.5, NAN)), ValueError, "scale"),
    Refused(A + "xla.xla_compiled", "None", lambda f: f(None), TypeError, "augment"),
]

EDA_ROWS = [
    Refused(E + "colour.alpha_coverage", "NaN pixels", lambda f: f(NAN_IMAGES), ValueError, "images"),
    Refused(E + "colour.border_colour", "border 0", lambda f: f(_images(), border=0), ValueError, "border"),
    Refused(E + "colour.border_colour", "0-255 floats", lambda f: f(PIXELS_0_255), ValueError, "images"),
    Refused(E + "colour.channel_histograms", "no images", lambda f: f([]), ValueError, "images"),
    Refused(E + "colour.channel_histograms", "labels of the wrong length", lambda f: f(_images(), [0, 1, 2]),
            ValueError, "labels"),
    Refused(E + "colour.is_grayscale", "negative tolerance", lambda f: f(_images(), tolerance=-1), ValueError,
            "tolerance"),
    Refused(E + "colour.mean_colour", "0-255 floats", lambda f: f(PIXELS_0_255), ValueError, "images"),
    Refused(E + "colour.mean_colour", "-1..1 floats", lambda f: f(_images(value=-1.0)), ValueError, "images"),
    Refused(E + "colour.object_boxes", "NaN threshold", lambda f: f(_images(), threshold=NAN), ValueError,
            "threshold"),
    Refused(E + "detection.detect_objects", "scale_factor 1", lambda f: f(_images(), scale_factor=1.0), ValueError,
            "scale_factor"),
    Refused(E + "detection.detect_objects", "one detector name", lambda f: f(_images(), detectors="face"), TypeError,
            "detectors"),
    Refused(E + "files.file_problems", "not a DataFrame", lambda f: f([("a.png", "ok")]), TypeError, "manifest"),
    Refused(E + "files.file_problems", "one extension string", lambda f: f(_manifest(), image_extensions=".png"),
            TypeError, "image_extensions"),
    Refused(E + "files.file_problems", "extension without a dot", lambda f: f(_manifest(), image_extensions=["png"]),
            ValueError, "image_extensions"),
    Refused(E + "files.read_exif", "one path", lambda f: f("photo.jpg"), TypeError, "paths"),
    Correct(E + "files.read_exif", "a missing file", lambda f: f(["/nonexistent/photo.jpg"]),
            lambda frame: len(frame) == 1 and frame["error"][0].startswith("FileNotFoundError")),
    Refused(E + "imbalance.imbalance_table", "no labels", lambda f: f([]), ValueError, "labels"),
    Refused(E + "imbalance.imbalance_table", "too few class_names", lambda f: f([0, 1, 2], ["a", "b"]), ValueError,
            "class_names"),
    Refused(E + "per_image.image_stats", "too few class_names", lambda f: f(_images(), [0, 1], ["a"]), ValueError,
            "class_names"),
    Refused(E + "per_image.image_stats", "labels of the wrong length", lambda f: f(_images(), [0]), ValueError,
            "labels"),
    Refused(E + "per_image.image_stats", "NaN pixels", lambda f: f(NAN_IMAGES), ValueError, "images"),
    Refused(E + "pixels.edge_density", "NaN threshold", lambda f: f(_images(), threshold=NAN), ValueError,
            "threshold"),
    Refused(E + "pixels.glcm_features", "levels 1", lambda f: f(_images(), levels=1), ValueError, "levels"),
    Refused(E + "pixels.laplacian_variance", "NaN pixels", lambda f: f(NAN_IMAGES), ValueError, "images"),
    Refused(E + "pixels.mean_luminance", "0-255 floats", lambda f: f(PIXELS_0_255), ValueError, "images"),
    Refused(E + "pixels.mean_luminance", "no images", lambda f: f([]), ValueError, "images"),
    Refused(E + "pixels.rms_contrast", "inf pixels", lambda f: f(_images(value=np.inf)), ValueError, "images"),
    Refused(E + "plots.plot_aspect_histogram", "no aspect ratios", lambda f: f([]), ValueError, "aspect"),
    Refused(E + "plots.plot_aspect_histogram", "NaN aspect", lambda f: f([1.0, NAN]), ValueError, "aspect"),
    Refused(E + "plots.plot_channel_histograms", "too few group_names",
            lambda f: f(np.ones((3, 1, 4)), group_names=["a"]), ValueError, "group_names"),
    Refused(E + "plots.plot_imbalance", "not a table", lambda f: f([10, 2]), TypeError, "table"),
    Refused(E + "plots.plot_projection", "too few class_names",
            lambda f: f(np.eye(4), [0, 1, 2, 3], class_names=["a"]), ValueError, "class_names"),
    Refused(E + "plots.plot_projection", "labels of the wrong length", lambda f: f(np.eye(4), [0, 1]), ValueError,
            "labels"),
    Refused(E + "plots.plot_size_scatter", "widths and heights differ", lambda f: f([10, 20], [10]), ValueError,
            "widths"),
    Refused(E + "plots.plot_stat_by_class", "a missing column", lambda f: f(_stats(), "contrast"), ValueError,
            "stats"),
    Refused(E + "plots.plot_stat_by_class", "not a DataFrame", lambda f: f({"class": ["a"]}, "class"), TypeError,
            "stats"),
    Refused(E + "resize.limit_size", "max_side 0", lambda f: f([_images()[0]], max_side=0), ValueError, "max_side"),
    Refused(E + "resize.resize_batch", "a zero size", lambda f: f(_images(), size=(0, 4)), ValueError, "size"),
    Refused(E + "resize.resize_batch", "NaN pixels", lambda f: f(NAN_IMAGES), ValueError, "images"),
    Refused(E + "separability.knn_accuracy", "labels of the wrong length", lambda f: f(np.eye(4), [0, 1]),
            ValueError, "labels"),
    Refused(E + "separability.knn_accuracy", "inf features", lambda f: f(np.full((4, 2), np.inf), [0, 0, 1, 1]),
            ValueError, "features"),
    Refused(E + "similarity.class_mean_images", "labels of the wrong length", lambda f: f(_images(), [0]),
            ValueError, "labels"),
    Refused(E + "similarity.hamming_distance", "float hashes", lambda f: f([1.5], [0]), TypeError, "a must hold"),
    Refused(E + "similarity.hamming_distance", "negative hashes", lambda f: f([1], np.array([-1])), ValueError,
            "b must hold"),
    Correct(E + "similarity.hamming_distance", "Python ints beyond int64", lambda f: f([2**64 - 1, 5], [0, 4]),
            lambda bits: bits.tolist() == [64, 1]),
    Refused(E + "similarity.near_duplicates", "threshold 65",
            lambda f: f(np.zeros(3, np.uint64), threshold=65), ValueError, "threshold"),
    Refused(E + "similarity.near_duplicates", "a zero tile", lambda f: f(np.zeros(3, np.uint64), tile=(0, 4)),
            ValueError, "tile"),
    Refused(E + "similarity.near_duplicates", "int64 hashes", lambda f: f(np.zeros(3, np.int64)), TypeError,
            "hashes"),
    Refused(E + "similarity.perceptual_hash", "hash_size 16", lambda f: f(_images(), hash_size=16), ValueError,
            "hash_size"),
    Refused(E + "similarity.perceptual_hash", "NaN pixels", lambda f: f(NAN_IMAGES), ValueError, "images"),
    Refused(E + "similarity.pixel_digests", "2 channels", lambda f: f(_images(channels=2)), ValueError, "images"),
    Refused(E + "sizes.aspect_summary", "inf width", lambda f: f([np.inf, 20], [10, 10]), ValueError, "widths"),
    Refused(E + "sizes.aspect_summary", "NaN square_tolerance", lambda f: f([10], [10], square_tolerance=NAN),
            ValueError, "square_tolerance"),
    Refused(E + "sizes.colour_modes", "stored_modes of the wrong length", lambda f: f(_images(), ["L"]), ValueError,
            "stored_modes"),
    Refused(E + "sizes.colour_modes", "one mode string", lambda f: f(_images(n=1), "L"), TypeError, "stored_modes"),
    Refused(E + "sizes.image_shapes", "a 1-D array", lambda f: f(np.zeros(5, np.uint8)), ValueError, "images"),
    Refused(E + "sizes.size_table", "fractional widths", lambda f: f([10.5, 20], [10, 10]), ValueError, "widths"),
    Refused(E + "sizes.size_table", "top 0", lambda f: f([10], [10], top=0), ValueError, "top"),
]

PLOTS_ROWS = [
    Refused(P + "class_counts_bar", "too few class_names", lambda f: f([5, 3, 1], ["a", "b"]), ValueError,
            "class_names"),
    Refused(P + "class_counts_bar", "negative counts", lambda f: f([5, -3]), ValueError, "counts"),
    Refused(P + "class_counts_bar", "no counts", lambda f: f({}), ValueError, "counts"),
    Refused(P + "embedding_map", "labels of the wrong length", lambda f: f(np.eye(4), [0, 1]), ValueError, "labels"),
    Refused(P + "image_grid", "titles of the wrong length", lambda f: f(list(_images()), ["a"]), ValueError,
            "titles"),
    Refused(P + "image_grid", "0-255 floats", lambda f: f(list(PIXELS_0_255)), ValueError, "images[0]"),
    Refused(P + "samples_per_class", "too few class_names", lambda f: f(_images(), [0, 2], ["a", "b"]), ValueError,
            "class_names"),
    Refused(P + "samples_per_class", "y of the wrong length", lambda f: f(_images(), [0], ["a"]), ValueError, "y"),
    Refused(P + "tsne_points", "perplexity >= n", lambda f: f(np.eye(4), perplexity=4), ValueError, "perplexity"),
    Refused(P + "tsne_points", "NaN features", lambda f: f(np.full((4, 2), NAN)), ValueError, "features"),
]

ROWS = AUGMENT_ROWS + EDA_ROWS + PLOTS_ROWS

EXEMPT: dict[str, str] = {}
