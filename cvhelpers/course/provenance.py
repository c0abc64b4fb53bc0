"""Where a number came from: the commit, the machine and the library versions.

Every record that :func:`cvhelpers.course.results.record` writes carries
:func:`provenance` under ``"_provenance"``, and the benchmarks put it in their
JSON, so numbers from different machines or revisions can be told apart.
"""

from __future__ import annotations

import functools
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["provenance"]

_ROOT = Path(__file__).resolve().parents[2]


def _cpu_model() -> str:
    """The CPU's model name (``/proc/cpuinfo`` on Linux, else ``platform.processor()``; may be empty)."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor()


def provenance(root=None) -> dict:
    """The commit, date, machine and versions of this run.

    Parameters
    ----------
    root : path-like, optional
        The git work tree whose commit is recorded; default the one this
        package lives in.

    Returns
    -------
    dict
        ``commit`` (str, or None outside a git work tree), ``dirty`` (bool:
        tracked files differed from the commit when this process first
        asked; None without a commit),
        ``date`` (ISO 8601, UTC), ``cpu``, ``cores``, ``gpus`` (the names
        TensorFlow sees, or None when TensorFlow is not loaded: it is never
        imported here), ``platform``, ``python`` and, when loaded,
        ``tensorflow`` and ``keras`` versions.
    """
    tensorflow, keras = sys.modules.get("tensorflow"), sys.modules.get("keras")
    return {
        **_fixed(Path(root).resolve() if root is not None else _ROOT),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "gpus": _gpus(tensorflow),
        "tensorflow": getattr(tensorflow, "__version__", None),
        "keras": getattr(keras, "__version__", None),
    }


@functools.cache
def _fixed(root: Path) -> dict:
    """What does not change while a process runs: looked up once (two git calls, /proc/cpuinfo)."""
    commit = _git(root, "rev-parse", "HEAD")
    return {
        "commit": commit,
        "dirty": None if commit is None else bool(_git(root, "status", "--porcelain", "--untracked-files=no")),
        "cpu": _cpu_model(),
        "cores": os.cpu_count(),
        "platform": platform.platform(),
        "python": platform.python_version(),
    }


def _git(root: Path, *arguments) -> str | None:
    """The output of one git command in ``root``, or None when git or the work tree is missing."""
    try:
        done = subprocess.run(["git", *arguments], cwd=root, capture_output=True, text=True, timeout=10, check=False)
    except (OSError, subprocess.TimeoutExpired):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


def _gpus(tensorflow) -> list | None:
    """GPU device names from an already imported TensorFlow, else None."""
    if tensorflow is None or not hasattr(tensorflow, "config"):
        return None
    return [device.name for device in tensorflow.config.list_physical_devices("GPU")]
