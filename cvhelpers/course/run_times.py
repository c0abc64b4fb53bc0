"""How long each notebook took, and its budget: ``build/run_times.json`` and the one budget table.

The budgets are for the course profile with an empty model cache (a cold
``make run``) on 2 CPU cores, the machine a course lab gives a student. The
runner records each notebook's seconds next to its budget, prints the
notebooks that went over, and the report shows the table. Going over is
reported, not fatal: a slower or busier machine takes longer, and the
notebook's lesson is still right.

A warm run (models loaded from the cache) takes a fraction of these times,
so a run is compared with its budget only when it is cold.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

from cvhelpers.course import results as results_module

__all__ = ["NOTEBOOK_BUDGETS_S", "COURSE_BUDGET_S", "budget_of", "budget_table", "over_budget", "load", "save"]

#: Seconds each notebook may take in the course profile, cold, on 2 CPU cores.
NOTEBOOK_BUDGETS_S = {
    "00_setup_and_data": 60,
    "01_eda": 90,
    "02_augmentation": 90,
    "03_resampling": 300,
    "04_class_weights_vs_focal_loss": 300,
    "05_two_stage_and_self_supervised": 180,
    "06_gan_synthesis": 180,
    "07_siamese_one_shot": 180,
    "08_evaluation": 60,
}

#: The whole course, every notebook in order, cold: 25 minutes.
COURSE_BUDGET_S = 25 * 60


def budget_of(notebook: str, profile: str = "course") -> int | None:
    """``notebook``'s budget in seconds; ``None`` outside the course profile or for a notebook with none."""
    if not isinstance(notebook, str):
        raise TypeError(f"notebook must be a notebook's name, got {type(notebook).__name__}")
    return NOTEBOOK_BUDGETS_S.get(notebook) if profile == "course" else None


def budget_table(times: dict):
    """The run times against their budgets, one row per notebook and a total.

    Parameters
    ----------
    times : dict
        ``{notebook: {"seconds": float, "profile": str, ...}}``, as :func:`load` returns.
        An entry without a profile counts as the course profile.

    Returns
    -------
    pandas.DataFrame
        Indexed by notebook (then ``"total"``), with columns ``seconds``,
        ``budget_s``, ``share_of_budget`` and ``within_budget`` (None where
        there is no budget), and every other recorded column.
    """
    import pandas as pd

    if not isinstance(times, dict):
        raise TypeError(f"times must be a dict {{notebook: {{'seconds': ...}}}}, got {type(times).__name__}")
    frame = pd.DataFrame.from_dict(times, orient="index")
    frame.index.name = "notebook"
    if frame.empty:
        return frame
    profiles = frame["profile"].fillna("course") if "profile" in frame else ["course"] * len(frame)
    frame["budget_s"] = [budget_of(name, profile) for name, profile in zip(frame.index, profiles, strict=True)]
    total = {"seconds": frame["seconds"].sum(), "budget_s": None}
    if frame["budget_s"].notna().all():
        total["budget_s"] = COURSE_BUDGET_S
    integers = [column for column in frame.columns if pd.api.types.is_integer_dtype(frame[column])]
    frame = pd.concat([frame, pd.DataFrame([total], index=pd.Index(["total"], name="notebook"))])
    frame = frame.astype({column: "Int64" for column in [*integers, "budget_s"]})  # the total row leaves them empty
    frame["share_of_budget"] = (frame["seconds"] / frame["budget_s"]).round(2)
    frame["within_budget"] = (frame["seconds"] <= frame["budget_s"]).astype("boolean").where(frame["budget_s"].notna())
    first = ["seconds", "budget_s", "share_of_budget", "within_budget"]
    return frame[first + [column for column in frame.columns if column not in first]]


def over_budget(times: dict) -> list[str]:
    """One line per notebook (and for the whole course) that took longer than its budget."""
    table = budget_table(times)
    if table.empty:
        return []
    over = table[table["within_budget"].fillna(True).eq(False)]
    return [f"{name}: {row.seconds:.0f} s, over its budget of {row.budget_s:.0f} s" for name, row in over.iterrows()]


def save(build_dir, runs, profile: str = "course") -> Path:
    """Merge these runs' times into ``build_dir/run_times.json`` (a subset run keeps the rest).

    Parameters
    ----------
    build_dir : path-like
    runs : sequence of cvhelpers.course.runner.NotebookRun
    profile : str, default="course"
        The profile the notebooks ran with; it decides the budgets.
    """
    if Path(build_dir).exists() and not Path(build_dir).is_dir():
        raise NotADirectoryError(f"build_dir must be a folder, got the file {build_dir}")
    path = Path(build_dir) / "run_times.json"
    times = load(path)
    for run in runs:
        times[run.name] = {
            "seconds": round(run.seconds, 1),
            "profile": profile,
            "ok": run.ok,
            "output_problems": len(run.problems),
            "peak_memory_so_far_mib": round(run.peak_memory_mib, 1),
            "finished_at": run.finished_at,
        }
    return results_module.atomic_write_text(path, json.dumps(dict(sorted(times.items())), indent=2) + "\n")


def load(path) -> dict:
    """The run times recorded in ``path``, or an empty record if there are none.

    Parameters
    ----------
    path : path-like
        ``build/run_times.json``.

    Returns
    -------
    dict
        ``{notebook: {"seconds": float, ...}}``. A file that is not valid JSON
        or not of that shape is moved aside to ``<name>.corrupt`` (or
        ``<name>.corrupt-N`` if that exists) with a warning naming both paths,
        and an empty record is returned.
    """
    path = Path(path)
    if not path.is_file():
        return {}
    try:
        times = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError) as error:
        problem = f"not valid JSON ({error})"
    else:
        if isinstance(times, dict) and all(
            isinstance(entry, dict)
            and isinstance(entry.get("seconds"), (int, float))
            and not isinstance(entry.get("seconds"), bool)
            for entry in times.values()
        ):
            return times
        problem = "not an object of {notebook: {'seconds': number, ...}}"
    aside = results_module.move_aside(path)
    warnings.warn(f"ignored run times in {path}: {problem}; moved it to {aside}", stacklevel=3)
    return {}
