"""Bad-input rows: the course report, the results page and the report's helpers in course.results."""

import tempfile
from pathlib import Path

from bad_input_table import Correct, Refused

REPORT = "cvhelpers.course.report."
PAGE = "cvhelpers.course.results_page."
RESULTS = "cvhelpers.course.results."


def _folder() -> Path:
    return Path(tempfile.mkdtemp(prefix="cvlab-bad-input-"))


def _a_file(text: str = "not a folder") -> Path:
    path = _folder() / "a_file.md"
    path.write_text(text)
    return path


def _figure():
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, _ = plt.subplots()
    return figure


ROWS = [
    Refused(REPORT + "write_report", "a build folder that does not exist", lambda f: f(_folder() / "nope"),
            FileNotFoundError, "build_dir"),
    Refused(REPORT + "write_report", "a number for the build folder", lambda f: f(3), TypeError, "build_dir"),
    Refused(RESULTS + "what_we_saw", "a list of lines for the text", lambda f: f("03_resampling", ["a"], _folder()),
            TypeError, "text"),
    Refused(RESULTS + "what_we_saw", "an empty text", lambda f: f("03_resampling", "  ", _folder()), ValueError,
            "text"),
    Refused(RESULTS + "save_figure", "a string for the key-figure flag",
            lambda f: f("03_resampling", "bars", _figure(), _folder(), key_figure="yes"), TypeError, "key_figure"),
    Refused(PAGE + "render_page", "a file for the records folder", lambda f: f(_a_file()), NotADirectoryError,
            "records_dir"),
    Correct(PAGE + "render_page", "a missing records folder: nothing recorded yet", lambda f: f(_folder() / "none"),
            lambda page: page.count("Not recorded here yet.") == 7),
    Refused(PAGE + "readme_block", "a number for the records folder", lambda f: f(3), TypeError, "records_dir"),
    Refused(PAGE + "update_readme", "a README without the markers", lambda f: f(_a_file("# title\n"), "x"),
            ValueError, "readme"),
    Refused(PAGE + "update_readme", "a list for the block", lambda f: f(_a_file(), ["x"]), TypeError, "block"),
    Refused(PAGE + "collect", "a build folder that does not exist",
            lambda f: f(_folder() / "nope", _folder(), _folder() / "t.json", _folder()), FileNotFoundError,
            "build_dir"),
    Refused(PAGE + "collect", "a build folder with nothing to collect",
            lambda f: f(_folder(), _folder(), _folder() / "t.json", _folder()), FileNotFoundError, "build_dir"),
]

EXEMPT = {
    PAGE + "main": "the command line: argparse names a bad argument on stderr and exits with status 2; a bad "
                   "folder or file is printed as an error naming it, with exit status 1 (test_results_page.py)",
}
