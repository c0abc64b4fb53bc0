"""Bad-input rows: the model cache, progress bars, paths and the course's bookkeeping."""

import tempfile
from pathlib import Path

import numpy as np

from bad_input_table import Correct, Refused

FINGERPRINT = "cvhelpers.cache.fingerprint."
STORE = "cvhelpers.cache.store."
CONFIG = "cvhelpers.course.config."
LAB = "cvhelpers.course.lab."
CHECKS = "cvhelpers.course.notebook_checks."
RESULTS = "cvhelpers.course.results."
PROVENANCE = "cvhelpers.course.provenance."
RUNNER = "cvhelpers.course.runner."
TIMES = "cvhelpers.course.run_times."
OWN = "cvhelpers.course.own_data."


def _folder() -> Path:
    return Path(tempfile.mkdtemp(prefix="cvlab-bad-input-"))


def _fake_protocol():
    from types import SimpleNamespace

    return SimpleNamespace(has_oracle=False, dataset={"name": "pets"}, counts={0: 3, 1: 2}, y_test=np.array([0, 1]),
                           class_names=["cats", "dogs"])


def _a_file() -> Path:
    path = _folder() / "a_file"
    path.write_text("not a folder")
    return path


ROWS = [
    Refused(RUNNER + "select_for_data_dir", "a file as the folder", lambda f: f([], _a_file(), _folder()),
            NotADirectoryError, "DATA_DIR"),
    Refused(OWN + "oracle_name", "arrays instead of a protocol", lambda f: f(np.zeros(3)), TypeError, "protocol"),
    Refused(OWN + "on_course_data", "a dict instead of a protocol", lambda f: f({"has_oracle": True}), TypeError,
            "protocol"),
    Refused(OWN + "folder_findings", "a list instead of a table",
            lambda f: f([0.5], _fake_protocol()), ValueError, "table"),
    Refused(FINGERPRINT + "array_fingerprint", "an object array", lambda f: f(np.array([object()])), TypeError,
            "arrays"),
    Correct(FINGERPRINT + "dataset_fingerprint", "a list, never tagged", lambda f: f([1, 2]),
            lambda value: value is None),
    Refused(FINGERPRINT + "describe", "an object with no description", lambda f: f({"a": object()}, "config"),
            TypeError, "config['a']"),
    Refused(FINGERPRINT + "describe_model", "not a model", lambda f: f(3), TypeError, "model"),
    Refused(FINGERPRINT + "key_of", "an object with no description", lambda f: f({"optimizer": object()}),
            TypeError, "optimizer"),
    Refused(FINGERPRINT + "source_fingerprint", "a built-in", lambda f: f(len), TypeError, "built-in"),
    Refused(FINGERPRINT + "tag_dataset", "a list", lambda f: f([1, 2], seed=0), TypeError, "dataset"),
    Refused(STORE + "CacheEntry", "a kind that leaves the folder",
            lambda f: f(_model_cache(), "../models", "0" * 32, {}), ValueError, "kind"),
    Refused(STORE + "ModelCache", "a file for the folder", lambda f: f(_a_file()), NotADirectoryError, "folder"),
    Refused(STORE + "entry_for", "a kind with a slash", lambda f: f("a/b", {}, cache_dir=_folder()), ValueError,
            "kind"),
    Refused(STORE + "write_atomically", "write is not a function", lambda f: f(_folder() / "x.npz", 3), TypeError,
            "write"),
    Refused(STORE + "write_atomically", "a folder for the path", lambda f: f(_folder(), print), IsADirectoryError,
            "path"),
    Refused(CONFIG + "check_profile", "an unknown profile", lambda f: f("fast"), ValueError, "PROFILE"),
    Refused(CONFIG + "env_param", "an empty name", lambda f: f("", 3), ValueError, "name"),
    Refused(CONFIG + "notebook_params", "a negative seed", lambda f: f("07_siamese_one_shot", "course", -1),
            ValueError, "seed"),
    Refused(CONFIG + "notebook_params", "not a notebook name", lambda f: f("resampling", "course", 0), ValueError,
            "notebook"),
    Refused(CONFIG + "notebook_params", "a parameter the notebook lacks",
            lambda f: f("07_siamese_one_shot", "course", 0, EPOCHZ=3), ValueError, "EPOCHZ"),
    Refused(CONFIG + "experiment_from_params", "a seed given as text",
            lambda f: f("03_resampling", "course", "0"), ValueError, "seed"),
    Refused(CONFIG + "experiment_from_params", "a data_dir given as a number",
            lambda f: f("03_resampling", "course", 0, data_dir=3), TypeError, "data_dir"),
    Refused(CONFIG + "experiment_from_params", "a data_dir that does not exist",
            lambda f: f("03_resampling", "course", 0, data_dir="/nonexistent/my_images"), FileNotFoundError,
            "my_images"),
    Refused(LAB + "lab_command", "a port out of range", lambda f: f(_folder(), token="t", port=70000), ValueError,
            "port"),
    Refused(LAB + "lab_command", "an empty token", lambda f: f(_folder(), token=""), ValueError, "token"),
    Refused(LAB + "lab_command", "a missing notebooks folder", lambda f: f(_folder() / "nope", token="t"),
            FileNotFoundError, "notebooks_dir"),
    Refused(LAB + "install_kernel_config", "a file for the prefix", lambda f: f(_a_file()), NotADirectoryError,
            "a_file"),
    Refused(LAB + "kernel_config_path", "a prefix that is not a path", lambda f: f(3), TypeError, "int"),
    Refused(CHECKS + "check_html_in_browser", "a missing page", lambda f: f(_folder() / "none.html"),
            FileNotFoundError, "html_path"),
    Refused(CHECKS + "check_outputs", "a negative figure count", lambda f: f({"cells": []}, expected_figures=-1),
            ValueError, "expected_figures"),
    Refused(CHECKS + "check_outputs", "a missing notebook", lambda f: f(_folder() / "none.ipynb"), FileNotFoundError,
            "notebook"),
    Refused(CHECKS + "count_images", "not a notebook", lambda f: f(3), TypeError, "notebook"),
    Refused(RESULTS + "atomic_write_bytes", "text for bytes", lambda f: f(_folder() / "a.bin", "x"), TypeError,
            "data"),
    Refused(RESULTS + "save_report", "a list for the report", lambda f: f(_folder() / "r.json", [1, 2]), TypeError,
            "report"),
    Correct(PROVENANCE + "provenance", "a folder that is no git work tree", lambda f: f(_folder()),
            lambda info: info["commit"] is None and info["dirty"] is None),
    Correct(PROVENANCE + "provenance", "a folder that does not exist", lambda f: f(_folder() / "missing"),
            lambda info: info["commit"] is None and info["cores"] >= 1),
    Refused(PROVENANCE + "dataset_identity", "a number for the folder", lambda f: f(3), TypeError, "data_dir"),
    Correct(PROVENANCE + "dataset_identity", "a path that is no folder", lambda f: f(_folder() / "a.txt"),
            lambda info: info == {"name": "a.txt", "manifest_sha256": None}),
    Refused(RESULTS + "atomic_write_text", "bytes for text", lambda f: f(_folder() / "a.txt", b"x"), TypeError,
            "text"),
    Refused(RESULTS + "figure_path", "a key with a slash", lambda f: f("03_resampling", "a/b", _folder()),
            ValueError, "key"),
    Refused(RESULTS + "gather_methods", "a list for the records", lambda f: f([{"methods": {}}]), TypeError,
            "records"),
    Refused(RESULTS + "load", "a name that leaves the folder", lambda f: f("../secrets", _folder()), ValueError,
            "name"),
    Refused(RESULTS + "load", "a record never written", lambda f: f("03_resampling", _folder()),
            FileNotFoundError, "03_resampling.json"),
    Refused(RESULTS + "load_all", "a file for the folder", lambda f: f(_a_file()), NotADirectoryError, "directory"),
    Refused(RESULTS + "move_aside", "a missing file", lambda f: f(_folder() / "gone.json"), FileNotFoundError,
            "gone.json"),
    Refused(RESULTS + "record", "a list for the values", lambda f: f("03_resampling", [1], _folder()), TypeError,
            "values"),
    Refused(RESULTS + "record", "colliding keys", lambda f: f("03_resampling", {1: 0.5, "1": 0.6}, _folder()),
            ValueError, "'1'"),
    Refused(RESULTS + "record_path", "a name with a space", lambda f: f("my record", _folder()), ValueError,
            "name"),
    Refused(RESULTS + "save_figure", "not a figure", lambda f: f("03_resampling", "bars", 3, _folder()), TypeError,
            "figure"),
    Refused(RESULTS + "to_jsonable", "an object JSON cannot hold", lambda f: f({"model": object()}), TypeError,
            "object"),
    Correct(RESULTS + "to_jsonable", "NaN becomes null", lambda f: f({"recall": np.float32("nan")}),
            lambda value: value == {"recall": None}),
    Refused(RUNNER + "find_notebooks", "a missing folder", lambda f: f(_folder() / "nope"), FileNotFoundError,
            "notebooks_dir"),
    Refused(RUNNER + "run_notebooks", "a name that is not a notebook", lambda f: f(["03_resampling"], _folder()),
            FileNotFoundError, "notebooks"),
    Refused(RUNNER + "write_report", "a build folder that does not exist", lambda f: f(_folder() / "nope"),
            FileNotFoundError, "build_dir"),
    Refused(TIMES + "budget_of", "a path for the name", lambda f: f(Path("03_resampling.ipynb")), TypeError,
            "notebook"),
    Correct(TIMES + "budget_of", "no budget in the full profile", lambda f: f("03_resampling", "full"),
            lambda value: value is None),
    Refused(TIMES + "budget_table", "a list for the times", lambda f: f([384.0]), TypeError, "times"),
    Refused(TIMES + "over_budget", "a number for the times", lambda f: f(384.0), TypeError, "times"),
    Correct(TIMES + "load", "a missing file is no times yet", lambda f: f(_folder() / "run_times.json"),
            lambda value: value == {}),
    Refused(TIMES + "save", "a file for the build folder", lambda f: f(_a_file(), []), NotADirectoryError,
            "build_dir"),
    Refused("cvhelpers.progress.progress_bar", "a number for the iterable", lambda f: f(3), TypeError, "iterable"),
]


def _model_cache():
    from cvhelpers.cache.store import ModelCache

    return ModelCache(_folder())


EXEMPT = {
    FINGERPRINT + "NotCacheable": "an exception class, raised by the cache, never called by users",
    STORE + "CacheWarning": "a warning class, issued by the cache, never called by users",
    STORE + "default_cache_dir": "takes no arguments",
    CONFIG + "environment_report": "takes no arguments",
    LAB + "main": "the command line: argparse names a bad argument on stderr and exits with status 2 (test_lab.py)",
    RUNNER + "main": "the command line: argparse names a bad argument on stderr and exits with status 2 "
                     "(test_runner.py)",
    RUNNER + "NotebookRun": "a record of one run that the runner builds; users read it, never build one",
    CHECKS + "Problem": "a record of one output problem that the checks build; users read it",
    CHECKS + "BrowserCheck": "a record of one browser check that the checks build; users read it",
    CHECKS + "find_chromium": "takes no arguments",
    RESULTS + "results_dir": "takes no arguments",
    "cvhelpers.paths.build_dir": "takes no arguments",
    "cvhelpers.paths.data_dir": "takes no arguments",
    "cvhelpers.paths.notebooks_dir": "takes no arguments",
    "cvhelpers.paths.project_root": "takes no arguments",
}
