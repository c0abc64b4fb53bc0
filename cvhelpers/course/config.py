"""Notebook parameters and environment checks.

Notebooks read every knob from a ``parameters``-tagged cell (which papermill
and :mod:`cvhelpers.course.runner` override), and each default there comes from
:func:`env_param`, so an nbval run picks up ``CVLAB_*`` environment variables::

    PROFILE = env_param("PROFILE", "course")   # CVLAB_PROFILE=full overrides
    SEED = env_param("SEED", 0)                # CVLAB_SEED=1 overrides
"""

from __future__ import annotations

import ast
import os
import platform
import re
import warnings

from cvhelpers.validation import check_seed

__all__ = [
    "PROFILES", "PROFILE_DEFAULTS", "env_param", "check_profile", "notebook_params", "experiment_from_params",
    "environment_report",
]

PROFILES = ("course", "full")

_MINIMUM_VERSIONS = {"tensorflow": "2.21", "keras": "3.10"}

#: Every notebook parameter whose default depends on the profile, in one table:
#: ``{notebook: {PARAMETER: {profile: value}}}``. In a notebook's parameters cell
#: ``None`` means "the profile's default" (:func:`notebook_params` fills it in).
#: The shared protocol's settings (epochs, width, ...) of notebooks 03-06 and 08
#: are :data:`cvhelpers.experiment.PROFILE_SETTINGS`.
PROFILE_DEFAULTS = {
    "01_eda": {
        "MAX_SIDE": {"course": 256, "full": 512},          # px a side for the statistics
        "DETECT_PER_CLASS": {"course": 5, "full": None},  # Haar cascades are slow; None: every image
    },
    "02_augmentation": {
        "EPOCHS": {"course": 3, "full": 15},
        "SEEDS": {"course": 1, "full": 3},
        "WIDTH": {"course": 16, "full": 32},
    },
    "05_two_stage_and_self_supervised": {
        "SSL_EPOCHS": {"course": 1, "full": 30},
        "SSL_IMAGES": {"course": 12_800, "full": 60_000},
        "RECIPE_CMO": {"course": False, "full": True},  # the recipe's CMO step (its first stage is then cached)
    },
    "06_gan_synthesis": {
        "GAN_STEPS": {"course": 500, "full": 4000},
        "COMPARE_SAMPLING": {"course": False, "full": True},
    },
    "07_siamese_one_shot": {
        "STEPS": {"course": 1200, "full": 4000},
        "DEMO_STEPS": {"course": 150, "full": 300},
        "EPISODES": {"course": 400, "full": 1000},
        "FILTERS": {"course": (32, 64, 64, 64), "full": (64, 64, 64, 64)},
    },
}


def env_param(name: str, default):
    """``$CVLAB_<NAME>`` converted to the type of ``default``, else ``default``.

    Parameters
    ----------
    name : str
        Parameter name, e.g. ``"SEED"`` reads ``CVLAB_SEED``.
    default : bool, int, float, str, tuple, list or None
        Returned when the variable is unset; its type decides the conversion.

    Raises
    ------
    ValueError
        When the variable cannot be converted, naming it and its value.
    """
    if not isinstance(name, str) or not name.isidentifier():
        raise ValueError(f"name must be a parameter name such as 'SEED', got {name!r}")
    key = f"CVLAB_{name.upper()}"
    raw = os.environ.get(key)
    if raw is None or raw == "":
        return default
    try:
        if isinstance(default, bool):
            lowered = raw.strip().lower()
            if lowered not in {"1", "0", "true", "false", "yes", "no"}:
                raise ValueError(raw)
            return lowered in {"1", "true", "yes"}
        if isinstance(default, (int, float)):
            return type(default)(raw)
        if isinstance(default, str):
            return raw
        return ast.literal_eval(raw)
    except (ValueError, SyntaxError) as error:
        raise ValueError(f"{key}={raw!r} cannot be read as {type(default).__name__}") from error


def check_profile(profile: str) -> str:
    """Return ``profile`` if it is a known profile, else raise ``ValueError``."""
    if profile not in PROFILES:
        raise ValueError(f"PROFILE must be one of {PROFILES}, got {profile!r}")
    return profile


def notebook_params(notebook: str, profile: str, seed: int, **given) -> dict:
    """Check the profile, seed Keras, and fill in the profile's defaults for one notebook.

    Parameters
    ----------
    notebook : str
        The notebook's name (its file name without ``.ipynb``), e.g. ``"07_siamese_one_shot"``.
    profile : {"course", "full"}
    seed : int
        Passed to ``keras.utils.set_random_seed`` (Python, NumPy and the backend).
    **given
        The notebook's parameters that :data:`PROFILE_DEFAULTS` lists for it;
        ``None`` takes the profile's default.

    Returns
    -------
    dict
        Every parameter :data:`PROFILE_DEFAULTS` lists for ``notebook``, resolved.

    Raises
    ------
    ValueError
        For an unknown profile or a parameter the table does not list for ``notebook``.
    """
    import keras

    check_profile(profile)
    if not isinstance(notebook, str) or not re.fullmatch(r"\d\d_\w+", notebook):
        raise ValueError(f"notebook must be a notebook's name such as '03_resampling', got {notebook!r}")
    seed = check_seed(seed, "seed")
    table = PROFILE_DEFAULTS.get(notebook, {})
    unknown = sorted(set(given) - set(table))
    if unknown:
        raise ValueError(f"{notebook!r} has no profile default for {unknown}; it has {sorted(table)}")
    keras.utils.set_random_seed(seed)
    return {
        name: by_profile[profile] if given.get(name) is None else given[name] for name, by_profile in table.items()
    }


def experiment_from_params(notebook: str, profile: str, seed: int, *, class_order="label", epochs=None,
                           data_dir=None, image_size=64, **given):
    """The shared protocol of notebooks 03-06 and 08 from their parameters, in one call.

    Parameters
    ----------
    notebook, profile, seed, **given
        As in :func:`notebook_params`.
    class_order : {"label", "hard"}, default="label"
        Fashion-MNIST-LT's head-to-tail order (a folder's order is its own).
    epochs : int, optional
        ``None``: the profile's epochs (:data:`cvhelpers.experiment.PROFILE_SETTINGS`).
    data_dir : path-like, optional
        A folder of images, one subfolder per class: the protocol is built
        on it (:meth:`cvhelpers.experiment.LongTailProtocol.from_folder`,
        split seeded by ``seed``; no oracle). ``None`` or ``""``:
        Fashion-MNIST-LT.
    image_size : int, default=64
        A folder's images are letterboxed to this many pixels a side.

    Returns
    -------
    protocol : cvhelpers.experiment.LongTailProtocol
        With the profile's settings, ``epochs`` and ``seed``.
    params : dict
        :func:`notebook_params` of the notebook.

    Raises
    ------
    ValueError, TypeError, FileNotFoundError, NotADirectoryError
        Naming the argument (``data_dir`` for a folder that cannot be used).
    """
    from cvhelpers.experiment import PROFILE_SETTINGS, LongTailProtocol

    params = notebook_params(notebook, profile, seed, **given)
    if epochs is not None and (isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1):
        raise ValueError(f"epochs must be a positive int or None, got {epochs!r}")
    if data_dir is not None and not isinstance(data_dir, (str, os.PathLike)):
        raise TypeError(f"data_dir must be a folder's path, '' or None, got {type(data_dir).__name__}")
    settings = {"seed": seed} | ({"epochs": epochs} if epochs is not None else {})
    if data_dir:
        with warnings.catch_warnings(record=True) as said:  # shown as lines of the notebook, not as a stderr log
            warnings.simplefilter("always")
            protocol = LongTailProtocol.from_folder(
                os.path.expanduser(data_dir), image_size, PROFILE_SETTINGS[profile], seed=seed, progress=False)
        print(f"Data: the folder {protocol.dataset['name']!r}. The text around the cells describes the course's "
              "Fashion-MNIST-LT; the numbers and figures are this folder's.")
        for warning in said:
            print(f"Note: {warning.message}")
    else:
        protocol = LongTailProtocol.fashion_mnist_lt(PROFILE_SETTINGS[profile], class_order=class_order)
    return protocol.with_settings(**settings), params


def _version_tuple(text: str) -> tuple:
    parts = []
    for piece in text.split(".")[:3]:
        digits = "".join(ch for ch in piece if ch.isdigit())
        parts.append(int(digits) if digits else 0)
    return tuple(parts)


def environment_report() -> dict:
    """Versions of the stack and the devices TensorFlow sees.

    Returns
    -------
    dict
        ``python``, ``platform``, package versions, ``devices`` (list of str)
        and ``cpu_count``.

    Raises
    ------
    RuntimeError
        If TensorFlow or Keras is older than the course needs.
    """
    from importlib import metadata

    import tensorflow as tf

    report = {"python": platform.python_version(), "platform": platform.platform()}
    for package in ("tensorflow", "keras", "numpy", "scikit-learn", "imbalanced-learn", "matplotlib", "seaborn"):
        try:
            report[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            report[package] = None
    for package, minimum in _MINIMUM_VERSIONS.items():
        found = report.get(package)
        if found is None or _version_tuple(found) < _version_tuple(minimum):
            raise RuntimeError(f"{package} >= {minimum} is needed, found {found}; run `make setup`")
    report["devices"] = [f"{d.device_type}:{d.name.split(':')[-1]}" for d in tf.config.list_physical_devices()]
    report["cpu_count"] = os.cpu_count()
    return report
