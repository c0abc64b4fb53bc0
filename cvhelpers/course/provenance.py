"""Where a number came from: the commit, the machine and the library versions.

Every record that :func:`cvhelpers.course.results.record` writes carries
:func:`provenance` under ``"_provenance"``, and the benchmarks put it in their
JSON, so numbers from different machines or revisions can be told apart.
"""

from __future__ import annotations

import functools
import hashlib
import os
import platform
import subprocess
import sys
from datetime import UTC, datetime
from pathlib import Path

__all__ = ["provenance", "dataset_identity"]

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
        imported here), ``platform``, ``python``, when loaded,
        ``tensorflow`` and ``keras`` versions, and the course run's
        ``profile``, ``seed`` and ``dataset`` (:func:`dataset_identity`), read
        from ``CVLAB_PROFILE``, ``CVLAB_SEED`` and ``CVLAB_DATA_DIR`` as the
        notebooks read them (None where a variable is unset).
    """
    tensorflow, keras = sys.modules.get("tensorflow"), sys.modules.get("keras")
    seed = os.environ.get("CVLAB_SEED") or None
    return {
        **_fixed(Path(root).resolve() if root is not None else _ROOT),
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "profile": os.environ.get("CVLAB_PROFILE") or None,
        "seed": int(seed) if seed is not None and seed.isdigit() else seed,
        "dataset": dataset_identity(os.environ.get("CVLAB_DATA_DIR") or None),
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


#: The course's own data: Fashion-MNIST-LT, identified by its committed split.
_COURSE_MANIFEST = Path(__file__).resolve().parents[1] / "data" / "manifests" / (
    "fashion_mnist_lt_r100_exponential_label_seed0.json")


def dataset_identity(data_dir=None) -> dict:
    """A short identity for the data a run used: its name and a hash of its file list.

    Records of different datasets must never be mixed in one table; this is
    what tells them apart.

    Parameters
    ----------
    data_dir : path-like, optional
        A folder of images with one subfolder per class. None: the course's
        Fashion-MNIST-LT.

    Returns
    -------
    dict
        ``name`` (``"fashion-mnist-lt"``, or the folder's name) and
        ``manifest_sha256``: for Fashion-MNIST-LT the SHA-256 of its committed
        index manifest; for a folder the SHA-256 of its sorted file list
        (each file's path relative to the folder and its size in bytes), so
        adding, removing or replacing an image changes it. Hidden files and
        folders are left out, as :func:`cvhelpers.data.load_image_folder`
        leaves them out. A folder that does not exist gets ``None``.

    Raises
    ------
    TypeError
        When ``data_dir`` is not None, a str or a path.
    """
    if data_dir is not None and not isinstance(data_dir, (str, os.PathLike)):
        raise TypeError(f"data_dir must be a folder's path or None, got {type(data_dir).__name__}")
    if data_dir is None:
        return {"name": "fashion-mnist-lt", "manifest_sha256": _sha256(_COURSE_MANIFEST.read_bytes())}
    folder = Path(data_dir).expanduser()
    if not folder.is_dir():
        return {"name": folder.name, "manifest_sha256": None}
    lines = []
    for directory, folders, files in os.walk(folder):
        folders[:] = sorted(name for name in folders if not name.startswith("."))
        for name in sorted(files):
            if name.startswith("."):
                continue
            path = Path(directory) / name
            try:
                size = path.stat().st_size
            except OSError:
                size = -1
            lines.append(f"{path.relative_to(folder).as_posix()}\t{size}")
    return {"name": folder.resolve().name, "manifest_sha256": _sha256("\n".join(sorted(lines)).encode())}


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()
