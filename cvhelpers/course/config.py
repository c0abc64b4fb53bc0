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

__all__ = ["PROFILES", "env_param", "check_profile", "environment_report"]

PROFILES = ("course", "full")

_MINIMUM_VERSIONS = {"tensorflow": "2.21", "keras": "3.10"}


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
