"""Record each notebook's numbers and figures for the course report.

A notebook calls ``record("04_class_weights_vs_focal", {...})``; the values go
to ``build/results/04_class_weights_vs_focal.json``. Figures saved with
:func:`save_figure` go next to it, as PNG (``key_figure=True`` marks the ones
the course report shows), and :func:`what_we_saw` records the notebook's
findings for the report. The report (:mod:`cvhelpers.course.report`) and
notebook 08 read them back with :func:`load_all`.

Every write is atomic: the data goes to a temporary file in the same folder,
which is then renamed over the target, so an interrupted run never leaves a
half-written file.
"""

from __future__ import annotations

import json
import math
import os
import re
import warnings
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from cvhelpers.cache import write_atomically
from cvhelpers.course.provenance import provenance
from cvhelpers.paths import build_dir

__all__ = [
    "METHOD_RECORDS",
    "gather_methods",
    "move_aside",
    "results_dir",
    "atomic_write_text",
    "save_report",
    "atomic_write_bytes",
    "record",
    "record_path",
    "load",
    "load_all",
    "save_figure",
    "what_we_saw",
    "figure_path",
    "to_jsonable",
]

_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")


def results_dir() -> Path:
    """The folder that results go to.

    ``$CVLAB_RESULTS_DIR`` if set; else ``results`` in
    :func:`cvhelpers.paths.build_dir`: ``build/results`` in the cvlab checkout
    that holds this package, else ``build/results`` under the current folder
    (for an installed, non-editable package).
    """
    if os.environ.get("CVLAB_RESULTS_DIR"):
        return Path(os.environ["CVLAB_RESULTS_DIR"])
    return build_dir() / "results"


def _atomic_write(path: Path, data: bytes) -> Path:
    def write(temporary):
        with open(temporary, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())

    return write_atomically(path, write)


def atomic_write_bytes(path, data: bytes) -> Path:
    """Write ``data`` to ``path`` atomically (temp file + rename)."""
    if not isinstance(data, (bytes, bytearray, memoryview)):
        raise TypeError(f"data must be bytes, got {type(data).__name__}")
    return _atomic_write(Path(path), data)


def atomic_write_text(path, text: str) -> Path:
    """Write ``text`` (UTF-8) to ``path`` atomically (temp file + rename)."""
    if not isinstance(text, str):
        raise TypeError(f"text must be a str, got {type(text).__name__}")
    return _atomic_write(Path(path), text.encode("utf-8"))


def save_report(path, report: dict) -> Path:
    """Write a benchmark's or study's JSON report atomically, with its provenance.

    Parameters
    ----------
    path : path-like
        The JSON file; its folder is created.
    report : dict
        JSON-able values (:func:`to_jsonable` converts NumPy and pandas
        values); ``"_provenance"`` (:func:`cvhelpers.course.provenance.provenance`:
        commit, machine, versions) is added. A report that names its own
        data under ``"dataset"`` (a dict, e.g. a folder's name and manifest
        hash) keeps that as the provenance's dataset, in place of the one
        the environment implies.

    Returns
    -------
    Path
    """
    if not isinstance(report, dict):
        raise TypeError(f"report must be a dict, got {type(report).__name__}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    origin = provenance()
    if isinstance(report.get("dataset"), dict):
        origin["dataset"] = to_jsonable(report["dataset"])
    payload = {**to_jsonable(report), "_provenance": origin}
    return atomic_write_text(path, json.dumps(payload, indent=2) + "\n")


def to_jsonable(value):
    """Convert NumPy scalars and arrays, tuples and paths to plain JSON types.

    NaN and infinities become ``None`` so the JSON stays standard.
    """
    if isinstance(value, dict):
        converted = {}
        for key, item in value.items():
            if str(key) in converted:
                raise ValueError(f"keys {key!r} and {str(key)!r} would both be recorded as {str(key)!r}")
            converted[str(key)] = to_jsonable(item)
        return converted
    if isinstance(value, (list, tuple)):
        return [to_jsonable(item) for item in value]
    if isinstance(value, np.ndarray):
        return to_jsonable(value.tolist())
    if isinstance(value, np.generic):
        return to_jsonable(value.item())
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, Path):
        return str(value)
    if hasattr(value, "to_dict"):  # pandas objects
        return to_jsonable(value.to_dict())
    if isinstance(value, (str, int, float, bool)) or value is None:
        return value
    raise TypeError(f"cannot record a value of type {type(value).__name__}: {value!r}")


def _check_name(name: str, argument: str = "name") -> str:
    if not isinstance(name, str) or not _NAME.fullmatch(name):
        raise ValueError(
            f"{argument} must be letters, digits, '_', '.' or '-', e.g. '04_class_weights', got {name!r}"
        )
    return name


def record_path(name: str, directory=None) -> Path:
    """Where :func:`record` writes record ``name``."""
    return Path(directory or results_dir()) / f"{_check_name(name)}.json"


def record(name: str, values: dict, directory=None, merge: bool = True) -> None:
    """Record a notebook's results under ``name``.

    Parameters
    ----------
    name : str
        Usually the notebook's stem, e.g. ``"00_setup_and_data"``.
    values : dict
        JSON-able values (NumPy and pandas values are converted).
    directory : path-like, optional
        Default :func:`results_dir`.
    merge : bool, default=True
        Merge into an existing record of the same name (new keys win), so a
        notebook can record in several cells. ``False`` replaces it.

    Returns nothing, so a notebook cell that ends with it shows no file
    path; :func:`record_path` says where the JSON went. The record also
    gets ``"_recorded_at"`` and ``"_provenance"``
    (:func:`cvhelpers.course.provenance.provenance`: commit, machine,
    versions).
    """
    path = record_path(name, directory)
    if not isinstance(values, dict):
        raise TypeError(f"values must be a dict, got {type(values).__name__}")
    payload = {}
    if merge and path.is_file():
        payload = _read_record(path)
        if payload is None:  # unreadable: kept beside, not merged
            payload = {}
    payload.update(to_jsonable(values))
    payload["_recorded_at"] = datetime.now(UTC).isoformat(timespec="seconds")
    payload["_provenance"] = provenance()
    atomic_write_text(path, json.dumps(payload, indent=2, sort_keys=False) + "\n")


def load(name: str, directory=None) -> dict:
    """Read one record.

    ``FileNotFoundError`` if it was never recorded; ``ValueError`` naming the file if it is corrupt.
    """
    _check_name(name)
    path = Path(directory or results_dir()) / f"{name}.json"
    with open(path, encoding="utf-8") as handle:
        try:
            payload = json.load(handle)
        except (json.JSONDecodeError, UnicodeDecodeError) as error:
            raise ValueError(f"record {path} is not valid JSON ({error}); rerun the notebook that writes it") from None
    if not isinstance(payload, dict):
        raise ValueError(f"record {path} holds a JSON {type(payload).__name__}, not an object")
    return payload


def load_all(directory=None) -> dict:
    """Every record in the folder, by name, in name order.

    A file that is not a record (a name :func:`record` would refuse, such as
    ``03_resampling (1).json``) is skipped with a warning that names it; an
    unreadable record (not JSON, or not a JSON object) is moved aside to
    ``<name>.json.corrupt`` and skipped, with a warning that names both paths.
    A missing folder has no records yet (``{}``); a file in its place raises
    ``NotADirectoryError``.
    """
    folder = Path(directory or results_dir())
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(f"directory must be a folder of records, got the file {folder}")
    if not folder.is_dir():
        return {}
    records = {}
    for path in sorted(folder.glob("*.json")):
        if not _NAME.fullmatch(path.stem):
            warnings.warn(f"skipped {path}: not a record name (letters, digits, '_', '.', '-')", stacklevel=2)
            continue
        payload = _read_record(path)
        if payload is not None:
            records[path.stem] = payload
    return records


def _read_record(path: Path) -> dict | None:
    """The record in ``path``; ``None`` after moving an unreadable one aside (with a warning naming both paths)."""
    try:
        with open(path, encoding="utf-8") as handle:
            payload = json.load(handle)
        if isinstance(payload, dict):
            return payload
        problem = f"a JSON {type(payload).__name__}, not an object"
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        problem = f"not valid JSON ({error})"
    aside = move_aside(path)
    warnings.warn(f"skipped record {path}: {problem}; moved it to {aside}", stacklevel=3)
    return None


def move_aside(path) -> Path:
    """Rename an unreadable file to ``<name>.corrupt`` (``.corrupt-N`` if taken), never deleting it.

    Returns
    -------
    Path
        Where the file is now.
    """
    path = Path(path)
    aside = path.with_name(path.name + ".corrupt")
    number = 1
    while os.path.lexists(aside):  # a dangling link counts as taken
        aside = path.with_name(f"{path.name}.corrupt-{number}")
        number += 1
    path.replace(aside)
    return aside


def figure_path(name: str, key: str, directory=None) -> Path:
    """Where :func:`save_figure` puts figure ``key`` of record ``name``."""
    return Path(directory or results_dir()) / _check_name(name) / f"{_check_name(key, 'key')}.png"


def save_figure(name: str, key: str, figure, directory=None, dpi: int = 100, *, key_figure: bool = False) -> None:
    """Save a Matplotlib figure as ``<results>/<name>/<key>.png``, atomically.

    The report embeds these figures. Like ``Figure.savefig`` it returns
    nothing, so a notebook cell that ends with it shows the figure (drawn
    inline by the kernel) and no file path; :func:`figure_path` says where
    the file went.

    Parameters
    ----------
    name : str
        The record the figure belongs to, usually the notebook's stem.
    key : str
        The figure's name within the record (the PNG's stem).
    figure : matplotlib.figure.Figure
    directory : path-like, optional
        Default :func:`results_dir`.
    dpi : int, default=100
    key_figure : bool, default=False
        Mark it as one of the notebook's key figures: its key is listed under
        ``"_key_figures"`` in record ``name``, and the course report shows the
        key figures of a notebook that marks any, and every figure of one that
        marks none. Saving a figure again without the mark removes it.
    """
    import io

    path = figure_path(name, key, directory)
    if not hasattr(figure, "savefig"):
        raise TypeError(f"figure must be a Matplotlib figure, got {type(figure).__name__}")
    if not isinstance(key_figure, bool):
        raise TypeError(f"key_figure must be True or False, got {type(key_figure).__name__}")
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=dpi, bbox_inches="tight")
    atomic_write_bytes(path, buffer.getvalue())
    _mark_key_figure(name, key, directory, key_figure)


def _mark_key_figure(name: str, key: str, directory, marked: bool) -> None:
    """Add ``key`` to (or drop it from) record ``name``'s ``"_key_figures"``; write only on a change."""
    path = record_path(name, directory)
    current = _read_record(path) if path.is_file() else None
    keys = [item for item in (current or {}).get("_key_figures") or [] if isinstance(item, str)]
    if marked == (key in keys):
        return
    keys = [*keys, key] if marked else [item for item in keys if item != key]
    record(name, {"_key_figures": keys}, directory)


def what_we_saw(name: str, text: str, directory=None) -> str:
    """Record a notebook's "What we saw" text for the course report, and return it unchanged.

    Use it where the notebook shows the text, so the report says what the
    notebook said::

        display(Markdown(results.what_we_saw(NAME, f"* Cross-entropy reached {ba:.3f} ...")))

    Parameters
    ----------
    name : str
        The record, usually the notebook's stem.
    text : str
        Markdown: the findings of this run, usually a bulleted list.
    directory : path-like, optional
        Default :func:`results_dir`.

    Returns
    -------
    str
        ``text``, so the call can sit inside ``Markdown(...)``.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be a str of Markdown, got {type(text).__name__}")
    if not text.strip():
        raise ValueError("text must say what the notebook saw, got an empty string")
    record(name, {"what_we_saw": text}, directory)
    return text


#: Which notebook records which comparison of methods, for :func:`gather_methods`.
METHOD_RECORDS = {
    "02_augmentation": "notebook 02: augmentation",
    "03_resampling": "notebook 03: resampling",
    "04_class_weights_vs_focal_loss": "notebook 04: losses and weights",
    "05_two_stage_and_self_supervised": "notebook 05: two-stage and self-supervised",
    "06_gan_synthesis": "notebook 06: GAN synthesis",
}


def gather_methods(records: dict, expected=tuple(METHOD_RECORDS)):
    """Every method of notebooks 02-06 in one table, missing notebooks marked.

    Parameters
    ----------
    records : dict
        ``cvhelpers.course.results.load_all()``: ``{record name: dict}``. A record
        contributes rows through its ``"methods"`` entry, ``{method: {metric:
        value}}``.
    expected : sequence of str
        Record names that should be there. A missing one, or one without
        methods, becomes a row with ``status`` "missing: run notebook NN"
        rather than silently disappearing.

    Returns
    -------
    pandas.DataFrame
        One row per (notebook, method), with columns ``notebook, method,
        status, profile, seed, dataset`` (the data's name from the record's
        provenance, None when it has none) and every metric the records
        carry. Rows of different profiles, seeds or datasets are not
        comparable; the columns show it.
    """
    import pandas as pd

    if not isinstance(records, dict) or not all(isinstance(value, dict) for value in records.values()):
        raise TypeError("records must be a dict {record name: dict}, as cvhelpers.course.results.load_all() returns")
    rows = []
    names = list(dict.fromkeys([*expected, *(n for n in records if "methods" in records[n])]))
    for name in names:
        methods = records.get(name, {}).get("methods")
        if not methods:
            rows.append({"notebook": name, "method": "—", "status": f"missing: run notebook {name[:2]}"})
            continue
        run = {key: records[name].get(key) for key in ("profile", "seed")}
        run["dataset"] = ((records[name].get("_provenance") or {}).get("dataset") or {}).get("name")
        for method, values in methods.items():
            rows.append({"notebook": name, "method": method, "status": "recorded", **run, **values})
    return pd.DataFrame(rows)
