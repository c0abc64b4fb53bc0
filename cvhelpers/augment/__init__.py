"""Data augmentation: the Keras 3 layers Keras lacks, the course's policies, galleries.

The course uses the Keras 3 built-in augmentation layers wherever they exist
(``RandomFlip``, ``RandomRotation``, ``RandomZoom``, ``RandomErasing``,
``MixUp``, ``CutMix``, ``RandAugment``, ...); this package adds only what
Keras lacks. Its layers follow the Keras conventions: a ``seed``, the identity
when ``training=False``, ``get_config`` and registration for saving (as
``"cvhelpers>ClassName"``), batched ``(b, h, w, c)`` or single ``(h, w, c)``
images, and Keras's ``{"images", "labels"}`` dict (labels pass through).
Used in notebooks 02 and 03.

Modules (everything public is re-exported here: ``augment.light_policy``):

* :mod:`~cvhelpers.augment.warp` — :class:`RandomGeometric` (flip, rotation,
  translation, zoom and shear as one warp) and :class:`RandomResizedCrop`.
* :mod:`~cvhelpers.augment.layers` — :class:`SaltAndPepper`,
  :class:`RandomGaussianNoise` and :class:`Cutout`.
* :mod:`~cvhelpers.augment.xla` — the XLA gather warp kernel and
  :func:`xla_compiled`.
* :mod:`~cvhelpers.augment.policies` — :func:`light_policy`,
  :func:`strong_policy`, :func:`standard_policy`,
  :func:`stock_standard_policy` and :func:`describe`.
* :mod:`~cvhelpers.augment.resampling` —
  :func:`oversample_with_augmented_copies` and
  :func:`context_rich_oversampling` (notebook 03).
* :mod:`~cvhelpers.augment.galleries` — :func:`augment_batch`, the
  galleries and :func:`images_per_second`.
* ``_base`` — argument checks and the layers' shared base class.
* ``_keras_private`` — the only module that touches Keras's private API
  (the layers' base class and seed generators), with a Keras version check.
"""

from cvhelpers.augment.galleries import augment_batch, gallery, images_per_second, parameter_gallery, technique_gallery
from cvhelpers.augment.layers import Cutout, RandomGaussianNoise, SaltAndPepper
from cvhelpers.augment.policies import describe, light_policy, standard_policy, stock_standard_policy, strong_policy
from cvhelpers.augment.resampling import context_rich_oversampling, oversample_with_augmented_copies
from cvhelpers.augment.warp import RandomGeometric, RandomResizedCrop
from cvhelpers.augment.xla import xla_compiled

__all__ = [
    "RandomGeometric",
    "RandomResizedCrop",
    "SaltAndPepper",
    "Cutout",
    "RandomGaussianNoise",
    "light_policy",
    "strong_policy",
    "standard_policy",
    "stock_standard_policy",
    "oversample_with_augmented_copies",
    "context_rich_oversampling",
    "describe",
    "xla_compiled",
    "augment_batch",
    "gallery",
    "technique_gallery",
    "parameter_gallery",
    "images_per_second",
]
