"""Cache keys: canonical descriptions and fingerprints of what decides a trained model.

:func:`describe` turns a training configuration into canonical JSON and
:func:`key_of` hashes it; :func:`array_fingerprint`, :func:`source_fingerprint`,
:func:`describe_model` and :func:`tag_dataset` / :func:`dataset_fingerprint`
are its parts. :mod:`cvhelpers.cache.store` keeps the files.
"""

from __future__ import annotations

import dis
import hashlib
import importlib
import importlib.util
import inspect
import json
import os
import sys
import types
import weakref

import numpy as np

__all__ = [
    "NotCacheable",
    "describe",
    "key_of",
    "array_fingerprint",
    "source_fingerprint",
    "tag_dataset",
    "dataset_fingerprint",
    "describe_model",
]

#: Modules whose objects are keyed by configuration alone: their behaviour is
#: pinned by the installed version, which every key holds.
_LIBRARY_MODULES = ("keras", "tensorflow", "numpy", "builtins", "tf_keras")
_DATASET_TAGS: weakref.WeakKeyDictionary = weakref.WeakKeyDictionary()


class NotCacheable(TypeError):
    """A value that :func:`describe` cannot turn into a key."""


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
        if array.dtype.hasobject:
            raise NotCacheable(f"arrays must hold numbers, not Python objects (dtype {array.dtype}); "
                               "their bytes are memory addresses, not values")
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
_NOT_TRAINING = (
    "cvhelpers.cache", "cvhelpers.course", "cvhelpers.data.sources", "cvhelpers.paths", "cvhelpers.progress",
)


def _is_bookkeeping(name: str) -> bool:
    """Whether module ``name`` is, or is inside, one of ``_NOT_TRAINING``."""
    return any(name == skipped or name.startswith(skipped + ".") for skipped in _NOT_TRAINING)


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
                submodules = [f"{base}.{alias.name}" for alias in node.names]
                # ``from package import module`` needs only the module; names defined in
                # ``package`` itself (its __init__, or a module) need ``package``.
                targets = [submodule for submodule in submodules if _is_module(submodule)]
                if len(targets) < len(submodules):
                    targets.append(base)
            else:
                continue
            for target in targets:
                if (target.split(".")[0] == root and target != root and target not in found
                        and not _is_bookkeeping(target) and _is_module(target)):
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
    if not hasattr(dataset, "element_spec"):
        raise TypeError(f"dataset must be a tf.data.Dataset, got {type(dataset).__name__}")
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
                f"{where} is a tf.data pipeline without a fingerprint: build it with cvhelpers.data.pipeline, "
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
    if not (hasattr(model, "weights") and hasattr(model, "trainable")):
        raise TypeError(f"model must be a Keras model or layer, got {type(model).__name__}")
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
