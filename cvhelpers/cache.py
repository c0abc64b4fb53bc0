"""One cache of trained models, keyed by what was really trained.

Every trainer in cvhelpers (:func:`cvhelpers.train.fit` and the second stages
built on it, :func:`cvhelpers.gan.train_conditional_gan`,
:func:`cvhelpers.selfsup.pretrain_simclr`) stores its result here, so a rerun
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
  built (:func:`tag_dataset`; every pipeline from :mod:`cvhelpers.pipeline`
  has one). A pipeline without one cannot be keyed.

Anything :func:`describe` cannot key raises :class:`NotCacheable`; the
trainers then train without the cache and say why in a warning.

Entries are written atomically under unique temporary names, so two
processes never clash and a crash leaves no half-written entry. An entry that
cannot be read, or whose stored description differs from the one asked for,
is reported with its path (:class:`CacheWarning`), removed and retrained.
"""

from __future__ import annotations

import dis
import hashlib
import importlib
import importlib.util
import inspect
import json
import os
import re
import sys
import tempfile
import types
import warnings
import weakref
from collections.abc import Callable
from pathlib import Path

import numpy as np

from cvhelpers.paths import build_dir

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

#: Modules whose objects are keyed by configuration alone: their behaviour is
#: pinned by the installed version, which every key holds.
_LIBRARY_MODULES = ("keras", "tensorflow", "numpy", "builtins", "tf_keras")
_KIND = re.compile(r"[a-z][a-z0-9_]{0,31}")
_KEY = re.compile(r"[0-9a-f]{32}")
_DATASET_TAGS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class CacheWarning(UserWarning):
    """A cache entry was unusable (and retrained), or a result could not be cached."""


class NotCacheable(TypeError):
    """A value that :func:`describe` cannot turn into a key."""


def default_cache_dir() -> Path:
    """``$CVLAB_MODEL_CACHE``; else ``models`` in :func:`cvhelpers.paths.build_dir`.

    That is ``build/models`` in the cvlab checkout, else under the current folder.
    """
    if os.environ.get("CVLAB_MODEL_CACHE"):
        return Path(os.environ["CVLAB_MODEL_CACHE"])
    return build_dir() / "models"


# --------------------------------------------------------------------------
# fingerprints
# --------------------------------------------------------------------------
def array_fingerprint(*arrays) -> str:
    """SHA-256 (32 hex digits) of arrays' dtypes, shapes and bytes, in order.

    Parameters
    ----------
    *arrays : array-like
        NumPy arrays, tensors or anything ``np.asarray`` accepts.

    Returns
    -------
    str
    """
    digest = hashlib.sha256()
    for array in arrays:
        array = np.ascontiguousarray(_to_numpy(array))
        digest.update(f"{array.dtype.str}{array.shape};".encode())
        digest.update(array.tobytes())
    return digest.hexdigest()[:32]


def _to_numpy(value) -> np.ndarray:
    if isinstance(value, np.ndarray):
        return value
    if "keras" in sys.modules:
        import keras

        if isinstance(value, keras.Variable):
            value = value.value  # the backend's variable (np.array on a Keras one warns under NumPy 2)
    if hasattr(value, "numpy"):  # eager tensors and TensorFlow variables
        return np.asarray(value.numpy())
    return np.asarray(value)


#: Modules of this package that cannot change what is trained (storage, progress bars, records,
#: folder locations, where offline data lives; the data itself is keyed by its bytes):
#: left out of :func:`source_fingerprint`, so editing them does not retrain everything.
_NOT_TRAINING = ("cvhelpers.cache", "cvhelpers.paths", "cvhelpers.progress", "cvhelpers.results", "cvhelpers.sources")


def source_fingerprint(*objects) -> str:
    """SHA-256 (32 hex digits) of the source of the modules defining ``objects``, and of what they import.

    Whole modules rather than single functions, plus every module of the
    same top-level package that they import (anywhere in the file, also
    inside functions, followed transitively): a layer's behaviour depends
    on its module's helpers and on the modules those come from (a warp
    layer on its kernel module), and a key that missed an edited helper
    would serve a stale model. Modules listed in ``_NOT_TRAINING`` are
    skipped.

    Parameters
    ----------
    *objects : module, class, function or instance

    Returns
    -------
    str
    """
    digest = hashlib.sha256()
    for name in sorted(_with_imports({_module_name(obj) for obj in objects})):
        digest.update(name.encode() + b"\0" + _module_source(name).encode())
    return digest.hexdigest()[:32]


def _module_source(name: str) -> str:
    try:
        return inspect.getsource(sys.modules.get(name) or importlib.import_module(name))
    except (OSError, TypeError, ImportError) as error:
        raise NotCacheable(f"the source of module {name!r} cannot be read ({error})") from None


def _is_module(name: str) -> bool:
    """Whether ``name`` is an importable module (``from package import function`` names are not)."""
    if name in sys.modules:
        return True
    try:
        return importlib.util.find_spec(name) is not None
    except (ImportError, ValueError):
        return False


def _with_imports(names: set) -> set:
    """``names`` plus the modules of their top-level packages they import, transitively."""
    import ast

    found, pending = set(), list(names)
    while pending:
        name = pending.pop()
        if name in found:
            continue
        found.add(name)
        root = name.split(".")[0]
        if root in _LIBRARY_MODULES or root == "__main__":
            continue
        module = sys.modules.get(name)
        package = name if hasattr(module, "__path__") else name.rpartition(".")[0]
        for node in ast.walk(ast.parse(_module_source(name))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parent = package.rsplit(".", node.level - 1)[0] if node.level > 1 else package
                    base = f"{parent}.{base}" if base else parent
                targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
            else:
                continue
            for target in targets:
                if (target.split(".")[0] == root and target != root and target not in found
                        and target not in _NOT_TRAINING and _is_module(target)):
                    pending.append(target)
    return found


def _module_name(obj) -> str:
    if isinstance(obj, types.ModuleType):
        return obj.__name__
    target = obj if isinstance(obj, (type, types.FunctionType, types.BuiltinFunctionType)) else type(obj)
    return getattr(target, "__module__", None) or "builtins"


def _is_library(obj) -> bool:
    return _module_name(obj).split(".")[0] in _LIBRARY_MODULES


def _class_of(obj) -> dict:
    cls = obj if isinstance(obj, type) else type(obj)
    described = {"class": f"{cls.__module__}.{cls.__qualname__}"}
    if not _is_library(cls):
        described["source"] = source_fingerprint(cls)
    return described


# --------------------------------------------------------------------------
# datasets
# --------------------------------------------------------------------------
def tag_dataset(dataset, **config):
    """Give a ``tf.data`` pipeline a fingerprint of what it yields.

    The key of a model trained on ``dataset`` then holds this fingerprint.
    ``config`` must decide every batch the pipeline yields: its source arrays
    (hashed by their bytes), batching, resampling, augmentation and seed.
    Pipelines derived from a tagged one (``.map``, ``.repeat``) are untagged
    again, because the fingerprint would no longer describe them.

    Parameters
    ----------
    dataset : tf.data.Dataset
    **config
        Anything :func:`describe` accepts.

    Returns
    -------
    tf.data.Dataset
        ``dataset`` itself.

    Raises
    ------
    NotCacheable
        When a value in ``config`` cannot be described.
    """
    _DATASET_TAGS[dataset] = key_of(config)
    return dataset


def dataset_fingerprint(dataset) -> str | None:
    """The fingerprint :func:`tag_dataset` gave ``dataset``, or None."""
    try:
        return _DATASET_TAGS.get(dataset)
    except TypeError:  # not weak-referenceable or not hashable: never tagged
        return None


# --------------------------------------------------------------------------
# describing what decides a result
# --------------------------------------------------------------------------
def describe(value, where: str = "value"):
    """A canonical, JSON-able description of ``value`` for a cache key.

    Parameters
    ----------
    value : object
        JSON scalars, dicts, lists and tuples; NumPy arrays and scalars,
        tensors; paths; Keras layers, models, losses and optimizers; tagged
        ``tf.data`` pipelines; functions (by module, name, source, defaults
        and closure); other objects by class, source and public attributes.
    where : str
        What ``value`` is, for the error message.

    Returns
    -------
    JSON-able data

    Raises
    ------
    NotCacheable
        For values with no faithful description: an untagged pipeline, or a
        function or object that reads one.
    """
    import keras

    if value is None or isinstance(value, (bool, int, float, str)):
        return value
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, os.PathLike):
        return os.fspath(value)
    if isinstance(value, dict):
        return {str(key): describe(item, f"{where}[{key!r}]") for key, item in value.items()}
    if isinstance(value, (list, tuple)):
        return [describe(item, f"{where}[{i}]") for i, item in enumerate(value)]
    if isinstance(value, np.ndarray) or _is_tensor(value):
        array = _to_numpy(value)
        return {"array": array_fingerprint(array), "dtype": array.dtype.str, "shape": list(array.shape)}
    if _is_dataset(value):
        fingerprint = dataset_fingerprint(value)
        if fingerprint is None:
            raise NotCacheable(
                f"{where} is a tf.data pipeline without a fingerprint: build it with cvhelpers.pipeline, "
                "or give it one with cvhelpers.cache.tag_dataset"
            )
        return {"dataset": fingerprint}
    if isinstance(value, keras.Model):
        return describe_model(value)
    if isinstance(value, (keras.layers.Layer, keras.losses.Loss, keras.optimizers.Optimizer)):
        return {**_class_of(value), "config": describe(_without_names(_config_of(value)), where)}
    if isinstance(value, keras.optimizers.schedules.LearningRateSchedule):
        return {**_class_of(value), "config": describe(value.get_config(), where)}
    if isinstance(value, types.FunctionType):
        return _describe_function(value, where)
    if isinstance(value, types.MethodType):
        return {
            "method": _describe_function(value.__func__, where),
            "self": describe(value.__self__, f"{where}.__self__"),
        }
    if isinstance(value, types.BuiltinFunctionType):
        return {"function": f"{value.__module__}.{value.__qualname__}"}
    if hasattr(value, "func") and hasattr(value, "keywords"):  # functools.partial
        return {"partial": describe(value.func, where), "args": describe(value.args, where),
                "keywords": describe(value.keywords, where)}
    return _describe_object(value, where)


def _is_tensor(value) -> bool:
    module = type(value).__module__
    return module.startswith(("tensorflow", "keras")) and hasattr(value, "numpy") and hasattr(value, "shape")


def _is_dataset(value) -> bool:
    if "tensorflow" not in sys.modules:
        return False
    import tensorflow as tf

    return isinstance(value, tf.data.Dataset)


def _config_of(value) -> dict | None:
    try:
        return value.get_config()
    except NotImplementedError:
        return None


def _without_names(config):
    """A configuration minus ``name`` entries, which Keras numbers automatically (labels, not settings).

    A dtype policy's ``name`` ("float16", "mixed_float16") is its setting and is kept.
    """
    if isinstance(config, dict):
        if "DTypePolicy" in str(config.get("class_name", "")):
            return config
        return {key: _without_names(item) for key, item in config.items() if key != "name"}
    if isinstance(config, (list, tuple)):
        return [_without_names(item) for item in config]
    return config


def describe_model(model) -> dict:
    """A Keras model by its layers (classes, configurations, trainable flags), their wiring and its weights.

    Walks nested models through their public ``layers``; auto-numbered names
    are left out, and the wiring of functional models names layers by
    position. The weights hash covers every variable, so a fresh model is
    keyed by its seeded initial weights and a second stage by its start.
    """
    def layers_of(layer):
        described = {**_class_of(layer), "trainable": bool(layer.trainable)}
        inner = getattr(layer, "layers", None)
        if inner:
            described["layers"] = [layers_of(child) for child in inner]
            described["wiring"] = _wiring(layer)
        else:
            described["config"] = describe(_without_names(_config_of(layer)), f"layer {layer.name!r}")
        return described

    return {**layers_of(model), "weights": array_fingerprint(*[_to_numpy(w) for w in model.weights])}


def _wiring(model):
    """Which layer feeds which, with layer names replaced by positions; None when the config has no layers.

    From the functional config's ``inbound_nodes`` and input/output lists:
    two models with the same layers wired differently (a residual from
    another tensor) differ here.
    """
    try:
        config = model.get_config()
    except (NotImplementedError, TypeError, ValueError):
        return None
    if not isinstance(config, dict) or not isinstance(config.get("layers"), list):
        return None
    position = {layer.get("name"): i for i, layer in enumerate(config["layers"]) if isinstance(layer, dict)}

    def by_position(node):
        if isinstance(node, dict):
            return {key: by_position(item) for key, item in node.items() if key != "name"}
        if isinstance(node, (list, tuple)):
            return [by_position(item) for item in node]
        return position.get(node, node) if isinstance(node, str) else node

    return by_position({
        "inbound": [layer.get("inbound_nodes") for layer in config["layers"] if isinstance(layer, dict)],
        "inputs": config.get("input_layers"),
        "outputs": config.get("output_layers"),
    })


def _describe_function(function, where: str, _seen=None) -> dict:
    """A function by name and source, plus the values it reads: defaults, closure and globals.

    Globals matter for functions typed in a notebook (``features`` reading a
    global ``encoder``): the key then holds the encoder's weights. Modules,
    classes and library functions among the globals are skipped (their code
    is in the source hash or the versions); other functions are described in
    turn, each once.
    """
    seen = set() if _seen is None else _seen
    seen.add(id(function))
    described = {"function": f"{function.__module__}.{function.__qualname__}"}
    if _is_library(function):
        return described
    described["source"] = _function_source(function)
    described["code"] = _code_fingerprint(function.__code__)
    if function.__defaults__:
        described["defaults"] = describe(function.__defaults__, f"{where} defaults")
    if function.__kwdefaults__:
        described["kwdefaults"] = describe(function.__kwdefaults__, f"{where} defaults")
    values = {}
    if function.__closure__:
        contents = (cell.cell_contents for cell in function.__closure__)
        values.update(zip(function.__code__.co_freevars, contents, strict=True))
    for name in _global_names(function.__code__):
        if name in function.__globals__:
            values.setdefault(name, function.__globals__[name])
    read = {}
    for name, value in sorted(values.items()):
        if isinstance(value, (types.ModuleType, type)) or (callable(value) and _is_library(value)):
            continue
        if isinstance(value, types.FunctionType):
            if id(value) not in seen:
                read[name] = _describe_function(value, f"{where} -> {name}", seen)
            continue
        read[name] = describe(value, f"{where} reads {name!r}, which")
    if read:
        described["reads"] = read
    return described


def _global_names(code) -> set:
    """Names a code object (and the functions and comprehensions nested in it) reads as globals."""
    names = {op.argval for op in dis.get_instructions(code) if op.opname in ("LOAD_GLOBAL", "LOAD_NAME")}
    for constant in code.co_consts:
        if isinstance(constant, types.CodeType):
            names |= _global_names(constant)
    return names


def _code_fingerprint(code) -> str:
    """A hash of a function's own bytecode and constants: tells apart two lambdas of one module."""
    def parts(code):
        yield code.co_code
        for constant in code.co_consts:
            yield from (parts(constant) if isinstance(constant, types.CodeType) else [repr(constant).encode()])
        yield repr(code.co_names).encode()

    return hashlib.sha256(b"\0".join(parts(code))).hexdigest()[:16]


def _function_source(function) -> str:
    """Its module's source; for a function typed in a notebook or shell, its own."""
    try:
        return source_fingerprint(function)
    except NotCacheable:
        try:
            text = inspect.getsource(function)
        except (OSError, TypeError) as error:
            raise NotCacheable(f"the source of {function.__qualname__} cannot be read ({error})") from None
        return hashlib.sha256(text.encode()).hexdigest()[:32]


def _describe_object(value, where: str) -> dict:
    """Any other object: its class, its module's source and its public attributes."""
    attributes = {
        name: item for name, item in vars(value).items() if not name.startswith("_") and name not in ("model", "params")
    } if hasattr(value, "__dict__") else None
    if attributes is None:
        raise NotCacheable(f"{where} ({type(value).__name__}) has no description for a cache key")
    return {**_class_of(value), "attributes": describe(attributes, f"{where}.{type(value).__name__}")}


def _canonical(described) -> str:
    """JSON text with sorted keys: equal for equal descriptions, NaN included (NaN != NaN as a float)."""
    return json.dumps(described, sort_keys=True, separators=(",", ":"))


def key_of(config) -> str:
    """The cache key of ``config``: SHA-256 (32 hex digits) of :func:`describe` as canonical JSON."""
    return hashlib.sha256(_canonical(describe(config)).encode()).hexdigest()[:32]


# --------------------------------------------------------------------------
# the cache on disk
# --------------------------------------------------------------------------
class ModelCache:
    """A folder of cache entries, each a few files named ``<kind>-<key><suffix>``.

    Parameters
    ----------
    folder : path-like, optional
        Default :func:`default_cache_dir`.

    Examples
    --------
    >>> entry = ModelCache("/tmp/models").entry("fit", {"seed": 0})   # doctest: +SKIP
    >>> entry.load(lambda meta: meta["history"])                      # doctest: +SKIP
    """

    def __init__(self, folder=None):
        self.folder = Path(folder) if folder is not None else default_cache_dir()

    def entry(self, kind: str, config) -> CacheEntry:
        """The entry for ``config`` (described and hashed with :func:`key_of`)."""
        described = describe(config)
        return CacheEntry(self, kind, hashlib.sha256(_canonical(described).encode()).hexdigest()[:32], described)

    def path(self, kind: str, key: str, suffix: str) -> Path:
        """Where an entry's file lives; refuses anything that could leave the folder.

        Raises
        ------
        ValueError
            When ``kind`` is not a short lowercase word, ``key`` not 32
            lowercase hex digits, or ``suffix`` not of the form ``.name``.
        """
        if not isinstance(kind, str) or not _KIND.fullmatch(kind):
            raise ValueError(f"kind must be a short lowercase word ([a-z][a-z0-9_]*), got {kind!r}")
        if not isinstance(key, str) or not _KEY.fullmatch(key):
            raise ValueError(f"key must be 32 lowercase hex digits (from key_of), got {key!r}")
        if not isinstance(suffix, str) or not re.fullmatch(r"(\.[a-z0-9_]+)+", suffix):
            raise ValueError(f"suffix must look like '.json' or '.weights.h5', got {suffix!r}")
        return self.folder / f"{kind}-{key}{suffix}"


class CacheEntry:
    """One cached result: a ``.json`` of metadata (written last) and data files.

    Attributes
    ----------
    kind : str
        Which trainer wrote it (``"fit"``, ``"gan"``, ``"simclr"``).
    key : str
        32 hex digits.
    config : JSON-able
        The description the key was made from; stored in the ``.json`` and
        compared on load.
    """

    def __init__(self, cache: ModelCache, kind: str, key: str, config):
        self.cache, self.kind, self.key, self.config = cache, kind, key, config
        self.meta_path = cache.path(kind, key, ".json")

    def file(self, suffix: str) -> Path:
        """The path of this entry's data file with ``suffix`` (e.g. ``".weights.h5"``)."""
        return self.cache.path(self.kind, self.key, suffix)

    def load(self, read: Callable[[dict], object]):
        """``read(meta)`` if the entry is there and sound, else None.

        ``read`` gets the stored metadata and loads the data files itself
        (via :meth:`file`). When the metadata cannot be parsed, its stored
        description differs from this entry's, or ``read`` raises, the
        problem is reported with the path in a :class:`CacheWarning`, the
        entry is removed, and None is returned so that the caller retrains.
        """
        if not self.meta_path.is_file():
            return None
        try:
            meta = json.loads(self.meta_path.read_text())
            if not isinstance(meta, dict) or _canonical(meta.get("config")) != _canonical(self.config):
                raise ValueError("it was stored for another configuration")
            return read(meta)
        except Exception as error:  # any unreadable entry is retrained, never served
            warnings.warn(
                f"cache entry {self.meta_path} is unusable ({type(error).__name__}: {error}); retraining",
                CacheWarning, stacklevel=3,
            )
            self.remove()
            return None

    def save(self, meta: dict, files: dict | None = None) -> None:
        """Write the data files, then the metadata, each atomically under a unique temporary name.

        Parameters
        ----------
        meta : dict
            JSON-able; the entry's ``config`` is added.
        files : dict of str to callable, optional
            Suffix -> ``write(path)`` that writes the file (e.g.
            ``model.save_weights``). The temporary path ends with the same
            suffix, as Keras requires.
        """
        text = json.dumps({**meta, "config": self.config})
        for suffix, write in (files or {}).items():
            write_atomically(self.file(suffix), write)
        write_atomically(self.meta_path, lambda temporary: Path(temporary).write_text(text))

    def remove(self) -> None:
        """Delete the entry's files (metadata first, so a half-removed entry is never read)."""
        for path in [self.meta_path, *self.meta_path.parent.glob(f"{self.kind}-{self.key}.*")]:
            try:
                path.unlink()
            except FileNotFoundError:
                pass


def entry_for(kind: str, config, cache_dir=None, what: str = "model") -> CacheEntry | None:
    """The cache entry for ``config``, or None when it cannot be keyed.

    The trainers' one way in: when :func:`describe` raises
    :class:`NotCacheable`, a :class:`CacheWarning` says that ``what`` is
    trained but not cached, and why.
    """
    try:
        return ModelCache(cache_dir).entry(kind, config)
    except NotCacheable as error:
        warnings.warn(f"this {what} is trained but not cached: {error}", CacheWarning, stacklevel=3)
        return None


def write_atomically(path, write: Callable[[str], object]) -> Path:
    """Call ``write(temporary_path)``, then rename the file to ``path``.

    The temporary name is unique (``tempfile.mkstemp`` in the same folder)
    and ends with ``path``'s suffixes, so writers that check the extension
    (``model.save_weights`` wants ``.weights.h5``) accept it. The file gets
    the permissions a plain ``open`` would give (``mkstemp`` makes it
    private). On any error the temporary file is removed and the error
    re-raised; ``path`` is untouched.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    suffix = ".weights.h5" if path.name.endswith(".weights.h5") else path.suffix
    handle, temporary = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=suffix)
    os.close(handle)
    try:
        umask = os.umask(0)
        os.umask(umask)
        os.chmod(temporary, 0o666 & ~umask)
        write(temporary)
        os.replace(temporary, path)
    except BaseException:  # KeyboardInterrupt too: leave no temporary file behind
        if os.path.exists(temporary):
            os.unlink(temporary)
        raise
    return path
