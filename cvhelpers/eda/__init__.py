"""Image statistics behind notebook 01: exploratory data analysis for images.

The functions answer ten questions about a labelled image collection, one
concern per module (import the package and call ``eda.<name>``; every public
name is re-exported here):

* :mod:`~cvhelpers.eda.sizes`: dimensions, aspect ratio and stored colour
  modes (questions 1-3): ``image_shapes``, ``size_table``,
  ``aspect_summary``, ``colour_modes``.
* :mod:`~cvhelpers.eda.colour`: colour, background and framing (questions 3
  and 10): ``mean_colour``, ``border_colour``, ``is_grayscale``,
  ``alpha_coverage``, ``object_boxes``, ``channel_histograms``.
* :mod:`~cvhelpers.eda.pixels`: brightness, contrast, edges, blur and
  texture (questions 4-6): ``mean_luminance``, ``rms_contrast``,
  ``edge_density``, ``laplacian_variance``, ``glcm_features``.
* :mod:`~cvhelpers.eda.separability`: how much class information a few
  per-image numbers carry (question 6): ``knn_accuracy``.
* :mod:`~cvhelpers.eda.imbalance`: class imbalance (question 7):
  ``effective_number``, ``imbalance_table``.
* :mod:`~cvhelpers.eda.detection`: objects with OpenCV Haar cascades
  (question 8): ``detect_objects``, ``HAAR_CASCADES``.
* :mod:`~cvhelpers.eda.files`: EXIF metadata and skipped files (question 9):
  ``read_exif``, ``file_problems``.
* :mod:`~cvhelpers.eda.resize`: ``resize_batch``, ``limit_size``.
* :mod:`~cvhelpers.eda.similarity`: within-class similarity (question 10):
  ``class_mean_images``, ``perceptual_hash``, ``hamming_distance``,
  ``near_duplicates``, ``pixel_digests``.
* :mod:`~cvhelpers.eda.per_image`: ``image_stats``, every per-image number in
  one pass as a DataFrame (what the benchmark times).
* :mod:`~cvhelpers.eda.plots`: the figures of notebook 01.
* :mod:`~cvhelpers.eda._batching` (private): the input contract (a batch
  ``(n, h, w[, c])`` or a list of ``(h, w[, c])`` images, uint8 or float,
  RGBA composited over white) and the batched, vectorised map behind every
  statistic; ``LUMA_WEIGHTS``.

Used in notebook 01; the summary it ends with is read by notebooks 02-04.
"""

from cvhelpers.eda._batching import LUMA_WEIGHTS
from cvhelpers.eda.colour import (
    alpha_coverage,
    border_colour,
    channel_histograms,
    is_grayscale,
    mean_colour,
    object_boxes,
)
from cvhelpers.eda.detection import HAAR_CASCADES, detect_objects
from cvhelpers.eda.files import file_problems, read_exif
from cvhelpers.eda.imbalance import effective_number, imbalance_table
from cvhelpers.eda.per_image import STAT_COLUMNS as STAT_COLUMNS
from cvhelpers.eda.per_image import image_stats
from cvhelpers.eda.pixels import GLCM_PROPERTIES as GLCM_PROPERTIES
from cvhelpers.eda.pixels import (
    edge_density,
    glcm_features,
    laplacian_variance,
    mean_luminance,
    rms_contrast,
)
from cvhelpers.eda.plots import (
    plot_aspect_histogram,
    plot_channel_histograms,
    plot_imbalance,
    plot_projection,
    plot_size_scatter,
    plot_stat_by_class,
)
from cvhelpers.eda.resize import limit_size, resize_batch
from cvhelpers.eda.separability import knn_accuracy
from cvhelpers.eda.similarity import (
    class_mean_images,
    hamming_distance,
    near_duplicates,
    perceptual_hash,
    pixel_digests,
)
from cvhelpers.eda.sizes import aspect_summary, colour_modes, image_shapes, size_table

# GLCM_PROPERTIES and STAT_COLUMNS are module constants, as before, not in __all__.
__all__ = [
    "LUMA_WEIGHTS",
    "HAAR_CASCADES",
    "mean_luminance",
    "rms_contrast",
    "edge_density",
    "laplacian_variance",
    "glcm_features",
    "knn_accuracy",
    "mean_colour",
    "border_colour",
    "is_grayscale",
    "alpha_coverage",
    "object_boxes",
    "channel_histograms",
    "image_shapes",
    "size_table",
    "aspect_summary",
    "colour_modes",
    "effective_number",
    "imbalance_table",
    "resize_batch",
    "limit_size",
    "class_mean_images",
    "perceptual_hash",
    "hamming_distance",
    "near_duplicates",
    "pixel_digests",
    "detect_objects",
    "read_exif",
    "file_problems",
    "image_stats",
    "plot_size_scatter",
    "plot_aspect_histogram",
    "plot_channel_histograms",
    "plot_stat_by_class",
    "plot_imbalance",
    "plot_projection",
]
