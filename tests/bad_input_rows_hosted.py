"""Bad-input rows: the hosted runtime (Colab badges, the set-up cell and its commands)."""

import tempfile
from pathlib import Path

from bad_input_table import Correct, Refused

HOSTED = "cvhelpers.course.hosted."


def _a_file() -> Path:
    path = Path(tempfile.mkdtemp(prefix="cvlab-bad-input-")) / "a_file"
    path.write_text("not a folder")
    return path


def _never_run(command, check):
    raise AssertionError(f"nothing runs locally, not {command}")


ROWS = [
    Refused(HOSTED + "is_hosted", "a list for the environment", lambda f: f(["COLAB_RELEASE_TAG"]), TypeError,
            "environ"),
    Correct(HOSTED + "is_hosted", "an empty environment and no module", lambda f: f({}, modules=()),
            lambda value: value is False),
    Refused(HOSTED + "colab_url", "a name that is not a course notebook", lambda f: f("resampling"), ValueError,
            "notebook"),
    Refused(HOSTED + "colab_url", "a repository with no owner", lambda f: f("03_resampling", "cvlab"), ValueError,
            "repository"),
    Correct(HOSTED + "colab_url", "a notebook's path", lambda f: f(Path("notebooks/03_resampling.ipynb")),
            lambda value: value.endswith("/notebooks/03_resampling.ipynb")),
    Refused(HOSTED + "badge_markdown", "a number for the notebook", lambda f: f(3), TypeError, "notebook"),
    Refused(HOSTED + "setup_commands", "a list for the environment",
            lambda f: f("03_resampling", environ=["COLAB_RELEASE_TAG"]), TypeError, "environ"),
    Refused(HOSTED + "setup_commands", "an empty branch", lambda f: f("03_resampling", {}, (), branch=""),
            ValueError, "branch"),
    Correct(HOSTED + "setup_commands", "a local runtime", lambda f: f("03_resampling", {}, ()),
            lambda value: value == []),
    Refused(HOSTED + "setup_cell_source", "a Python file for the notebook", lambda f: f("03_resampling.py"),
            ValueError, "notebook"),
    Refused(HOSTED + "setup", "a run that is not a function", lambda f: f("03_resampling", run=3), TypeError, "run"),
    Refused(HOSTED + "setup", "a name that is not a course notebook", lambda f: f("eda", environ={}, modules=()),
            ValueError, "notebook"),
    Refused(HOSTED + "setup", "a list for the environment", lambda f: f("03_resampling", environ=["COLAB_GPU"]),
            TypeError, "environ"),
    Correct(HOSTED + "setup", "a local runtime: one line, nothing run",
            lambda f: f("03_resampling", environ={}, modules=(), run=_never_run),
            lambda value: value == ["Running locally: packages and data come from `make setup`."]),
    Refused(HOSTED + "write_badges", "a file for the folder", lambda f: f(_a_file()), NotADirectoryError, "folder"),
    Refused(HOSTED + "write_badges", "a branch with a space", lambda f: f(_a_file().parent, branch="my branch"),
            ValueError, "branch"),
]

# main (the command line, not in __all__) is run by test_hosted.py.
EXEMPT = {}
