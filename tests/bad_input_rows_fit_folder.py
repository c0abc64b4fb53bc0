"""Bad-input rows: a user's folder: its split, the one-call comparison and its report."""

import tempfile
from pathlib import Path

import numpy as np

from bad_input_table import Correct, Refused

SPLIT = "cvhelpers.data.folder_split."
FIT = "cvhelpers.fit_folder."
REPORT = "cvhelpers.fit_folder.report."


def _folder(sizes=None) -> Path:
    """A folder of class subfolders of tiny PNGs (default 4 and 3 images)."""
    from PIL import Image

    root = Path(tempfile.mkdtemp(prefix="cvlab-bad-input-")) / "shapes"
    for c, (name, n) in enumerate((sizes or {"a": 4, "b": 3}).items()):
        (root / name).mkdir(parents=True)
        for i in range(n):
            Image.new("RGB", (6, 4), (60 * c, 10 * i, 0)).save(root / name / f"{i}.png")
    return root


def _loaded(sizes=None):
    from cvhelpers.data import load_image_folder

    root = _folder(sizes)
    return load_image_folder(root, progress=False), root


def _warned(function, *arguments):
    """Call ``function``, which must warn about the classes it leaves out."""
    import pytest

    with pytest.warns(UserWarning, match="left out classes"):
        return function(*arguments)


def _a_file() -> Path:
    path = Path(tempfile.mkdtemp(prefix="cvlab-bad-input-")) / "a_file"
    path.write_text("not a folder")
    return path


ROWS = [
    Refused(SPLIT + "FolderSplit", "class names that are not a list of str", lambda f: f("ab", []), TypeError,
            "class_names"),
    Refused(SPLIT + "FolderSplit", "a file of an unknown class", lambda f: f(
        ["a"], [{"path": "b/1.png", "class_name": "b", "split": "train"}]), ValueError, "files"),
    Refused(SPLIT + "split_folder", "a path instead of a loaded folder", lambda f: f("data", "data"), TypeError,
            "folder"),
    Refused(SPLIT + "split_folder", "fractions that leave no training images",
            lambda f: f(*_loaded(), val_fraction=0.6, test_fraction=0.4), ValueError, "val_fraction + test_fraction"),
    Refused(SPLIT + "split_folder", "one class left", lambda f: _warned(f, *_loaded({"a": 4, "b": 2})), ValueError,
            "at least 2 classes"),
    Refused(SPLIT + "split_folder", "a negative seed", lambda f: f(*_loaded(), seed=-1), ValueError, "seed"),
    Correct(SPLIT + "split_folder", "classes of exactly 3 images",
            lambda f: f(*_loaded({"a": 3, "b": 3})).counts(),
            lambda counts: all(set(per_class.values()) == {1} for per_class in counts.values())),
    Refused(SPLIT + "load_split", "a number", lambda f: f(3), TypeError, "manifest"),
    Refused(SPLIT + "load_split", "JSON that is not a split", lambda f: f('{"version": 1}'), ValueError, "manifest"),
    Refused(SPLIT + "folder_arrays", "RGBA images", lambda f: f(_folder(), 8, mode="RGBA"), ValueError, "mode"),
    Refused(SPLIT + "folder_arrays", "a file for the folder", lambda f: f(_a_file(), 8, progress=False),
            NotADirectoryError, "a_file"),
    Correct(SPLIT + "folder_arrays", "a non-square size", lambda f: f(_folder(), (6, 10), progress=False),
            lambda data: data["x_train"].shape[1:] == (6, 10, 3) and data["y_test"].dtype == np.int64),
    Refused("cvhelpers.data.image_folder.load_image_folder", "an unknown resize",
            lambda f: f(_folder(), size=(8, 8), resize="fit"), ValueError, "resize"),
    Refused("cvhelpers.experiment.LongTailProtocol", "from_folder with a missing folder",
            lambda f: f.from_folder(_a_file().parent / "missing", progress=False), FileNotFoundError, "missing"),
    Refused("cvhelpers.experiment.LongTailProtocol", "from_folder with settings that are not Settings",
            lambda f: f.from_folder(_folder(), settings={"epochs": 1}), TypeError, "settings"),
    Refused(FIT + "fit_folder", "zero epochs", lambda f: f(_folder(), _a_file().parent / "out", epochs=0),
            ValueError, "epochs"),
    Refused(FIT + "fit_folder", "an unknown backbone", lambda f: f(_folder(), _a_file().parent / "out",
                                                                    backbone="vit"), ValueError, "backbone"),
    Refused(FIT + "fit_folder", "a tiny image size", lambda f: f(_folder(), _a_file().parent / "out",
                                                                  image_size=4), ValueError, "image_size"),
    Refused(FIT + "fit_folder", "out inside the data folder", lambda f: (lambda root: f(root, root / "out"))(
        _folder()), ValueError, "out"),
    Refused(FIT + "check_out_dir", "a missing folder", lambda f: f(_a_file().parent / "missing"),
            FileNotFoundError, "data_dir"),
    Refused(FIT + "check_out_dir", "a file for the folder", lambda f: f(_a_file()), NotADirectoryError, "data_dir"),
    Refused(FIT + "check_out_dir", "the data folder itself", lambda f: (lambda root: f(root, root))(_folder()),
            ValueError, "out"),
    Refused(FIT + "check_out_dir", "a number for out", lambda f: f(_folder(), 3), TypeError, "out"),
    Correct(FIT + "check_out_dir", "a sibling folder", lambda f: (lambda root: f(root, root.parent / "fit"))(
        _folder()), lambda path: path.name == "fit"),
    Refused(REPORT + "data_summary", "a protocol not built from a folder", lambda f: f(
        type("Arrays", (), {"split": None, "manifest": None})()), ValueError, "from_folder"),
    Refused(REPORT + "render_report", "a list of results", lambda f: f(None, [], {}, {}), TypeError, "results"),
    Refused(REPORT + "write_report", "a list of results", lambda f: f(_a_file(), None, [], {}, {}), TypeError,
            "results"),
]

EXEMPT = {}
