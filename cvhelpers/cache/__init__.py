"""One cache of trained models, keyed by what was really trained.

Every trainer in cvhelpers (:func:`cvhelpers.training.trainer.fit` and the second stages
built on it, :func:`cvhelpers.methods.gan.train_conditional_gan`,
:func:`cvhelpers.methods.selfsup.pretrain_simclr`) stores its result here, so a rerun
or a later notebook reuses it. The key is never a name chosen by a person: it
is a SHA-256 of a canonical description of everything that decides the
result (:func:`describe`):

* NumPy arrays and tensors by a hash of their bytes, dtype and shape (never
  by ``str``, which NumPy abbreviates above 1,000 elements);
* Keras losses, optimizers and layers by class and configuration, minus the
  names Keras numbers automatically;
* Keras models by their layers' classes and configurations plus a hash of
  their weights (for a fresh model the seeded initial weights, for a second
  stage the weights it starts from);
* objects whose class or function is defined outside Keras, TensorFlow and
  NumPy (cvhelpers' own layers and losses, a user's function) also by a hash
  of their module's source, so editing the code retrains instead of serving
  a stale model;
* ``tf.data`` pipelines by the fingerprint they were given when they were
  built (:func:`tag_dataset`; every pipeline from :mod:`cvhelpers.data.pipeline`
  has one). A pipeline without one cannot be keyed.

Anything :func:`describe` cannot key raises :class:`NotCacheable`; the
trainers then train without the cache and say why in a warning.

Entries are written atomically under unique temporary names, so two
processes never clash and a crash leaves no half-written entry. An entry that
cannot be read, or whose stored description differs from the one asked for,
is reported with its path (:class:`CacheWarning`), removed and retrained.
"""

from cvhelpers.cache.fingerprint import (
    NotCacheable,
    array_fingerprint,
    dataset_fingerprint,
    describe,
    describe_model,
    key_of,
    source_fingerprint,
    tag_dataset,
)
from cvhelpers.cache.store import CacheEntry, CacheWarning, ModelCache, default_cache_dir, entry_for, write_atomically

__all__ = [
    "CacheWarning",
    "NotCacheable",
    "ModelCache",
    "CacheEntry",
    "default_cache_dir",
    "describe",
    "key_of",
    "array_fingerprint",
    "source_fingerprint",
    "tag_dataset",
    "dataset_fingerprint",
    "describe_model",
    "write_atomically",
    "entry_for",
]
