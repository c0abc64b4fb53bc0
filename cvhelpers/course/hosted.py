"""The course on a hosted runtime (Colab, Kaggle): badges, the set-up cell and its commands.

The repository the course lives in is one value, :data:`REPOSITORY` (with
:data:`BRANCH`). From it come each notebook's "Open in Colab" badge, in the
title cell, and its set-up cell, the first code cell. Change them and run::

    python -m cvhelpers.course.hosted --badges

which rewrites the badge line and the set-up cell of every notebook (only
those two; the file is written atomically and keeps its JSON layout).

The set-up cell runs before cvhelpers is installed on a hosted runtime, so it
starts with the standard library only: it detects the runtime the way
:func:`is_hosted` does, pip-installs ``cvhelpers`` from the repository with
the pinned versions of its ``constraints.txt`` (the first command of
:func:`setup_commands`; re-installing TensorFlow takes a few minutes), then
calls :func:`setup`. Locally it installs nothing and :func:`setup` prints one
line: packages and data come from ``make setup``.

It installs ``cvhelpers`` without the ``course`` extra: the notebooks need
none of it, and the extra's Jupyter packages (ipykernel, IPython, tornado,
pyzmq, prompt-toolkit), pinned by ``constraints.txt``, would replace those the
hosted kernel itself runs on, which Colab warns can crash the runtime.
Importing this module loads nothing but the standard library (and
:mod:`cvhelpers.paths`), so that :func:`setup` can ask for a restart before
anything that pip replaced is imported.

On a hosted runtime the data comes from the online sources:

* Fashion-MNIST: Keras's download (:func:`cvhelpers.data.load_fashion_mnist`);
* the glyph alphabets (notebook 07): ``apt-get install fonts-noto-core``
  (Colab runs Ubuntu, as root); real Omniglot is
  :func:`cvhelpers.data.glyphs.load_omniglot` (tensorflow-datasets);
* the Olivetti faces (notebook 07): scikit-learn's download
  (:func:`cvhelpers.data.faces.faces_if_available`);
* the OpenCV example photos (notebook 01, EXIF): downloaded from the OpenCV
  repository into :func:`photos_folder`, which ``CVLAB_EXIF_DIR`` then names;
* the Tux Paint stamps (notebook 01) have no download of their own in
  :mod:`cvhelpers.data.sources`; as root on Ubuntu, ``apt-get install
  tuxpaint-stamps-default`` (Ubuntu's universe) is tried, and where it fails
  :func:`setup` says so in one line: notebook 01 then needs ``DATA_DIR``.
"""

from __future__ import annotations

import argparse
import importlib.metadata
import json
import os
import re
import shutil
import subprocess
import sys
import urllib.request
from pathlib import Path

from cvhelpers.paths import notebooks_dir

__all__ = [
    "REPOSITORY",
    "BRANCH",
    "BADGE_IMAGE",
    "HOSTED_VARIABLES",
    "is_hosted",
    "colab_url",
    "badge_markdown",
    "setup_commands",
    "setup_cell_source",
    "setup",
    "write_badges",
]

#: The GitHub repository ("owner/name") the badges open and the set-up cell installs from.
REPOSITORY = "cvlab/cvlab"
#: The branch of :data:`REPOSITORY`.
BRANCH = "main"
#: Colab's badge image.
BADGE_IMAGE = "https://colab.research.google.com/assets/colab-badge.svg"
#: Environment variables that only a hosted runtime sets: Colab, Kaggle.
HOSTED_VARIABLES = ("COLAB_RELEASE_TAG", "KAGGLE_KERNEL_RUN_TYPE")

#: What the set-up cell prints locally.
LOCAL_LINE = "Running locally: packages and data come from `make setup`."
#: The set-up cell's id and first line, by which :func:`write_badges` finds it again.
SETUP_CELL_ID = "hosted-setup"
_SETUP_MARKER = "# Set-up: on Colab or Kaggle"
_BADGE_LINE = re.compile(r"^\[!\[Open In Colab\]\(" + re.escape(BADGE_IMAGE) + r"\)\]\([^)]*\)\s*$")
_NOTEBOOK_NAME = re.compile(r"\d\d_[A-Za-z0-9_]+")
_REPOSITORY_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.-]*/[A-Za-z0-9][A-Za-z0-9_.-]*")

#: The OpenCV example photos notebook 01 reads for EXIF, from the OpenCV repository
#: (the same files as ``/usr/share/doc/opencv-doc/examples/data`` of Debian's opencv-doc).
OPENCV_PHOTOS_URL = "https://raw.githubusercontent.com/opencv/opencv/4.x/samples/data/"
OPENCV_PHOTOS = (
    "board.jpg", "ela_modified.jpg", "ela_original.jpg", "leuvenA.jpg", "leuvenB.jpg",
    "licenseplate_motion.jpg", "text_defocus.jpg", "text_motion.jpg", "aloeL.jpg", "ellipses.jpg",
)
#: The offline source (a name in :data:`cvhelpers.data.sources.SOURCES`) a notebook reads that a hosted
#: runtime (Ubuntu, as root) can install with apt-get: the Tux Paint stamps (notebook 01) and the Noto fonts
#: of the glyph alphabets (notebook 07).
_APT_SOURCES = {"01_eda": "tuxpaint-stamps", "07_siamese_one_shot": "noto-fonts"}
#: Libraries a hosted runtime may have imported before the install replaced them: module -> distribution.
_PREINSTALLED = {"numpy": "numpy", "scipy": "scipy", "pandas": "pandas", "matplotlib": "matplotlib",
                 "PIL": "pillow", "sklearn": "scikit-learn", "tensorflow": "tensorflow", "keras": "keras"}
#: What to do without an offline source that apt-get could not install.
_IF_MISSING = {"tuxpaint-stamps": " Notebook 01 then needs your own images: set DATA_DIR in its parameters "
                                  "cell to a folder with one subfolder per class."}
#: Notebooks that read the OpenCV example photos.
_NEEDS_PHOTOS = ("01_eda",)


def _apt_source(notebook: str):
    """The :class:`~cvhelpers.data.sources.OfflineSource` that ``notebook`` installs with apt-get, or None."""
    if notebook not in _APT_SOURCES:
        return None
    from cvhelpers.data import sources  # numpy: imported only once the install is checked

    return next(source for source in sources.SOURCES if source.name == _APT_SOURCES[notebook])


def _check_repository(repository, branch) -> None:
    if not isinstance(repository, str) or not _REPOSITORY_NAME.fullmatch(repository):
        raise ValueError(f"repository must be a GitHub 'owner/name', got {repository!r}")
    if not isinstance(branch, str) or not branch or not re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9_./-]*", branch):
        raise ValueError(f"branch must be a branch name, got {branch!r}")


def _notebook_stem(notebook) -> str:
    """``"07_siamese_one_shot"`` from a name, a file name or a path; ``ValueError`` naming ``notebook`` otherwise."""
    if not isinstance(notebook, (str, os.PathLike)):
        raise TypeError(f"notebook must be a notebook name or path, got {type(notebook).__name__}")
    path = Path(notebook)
    stem = path.stem if path.suffix == ".ipynb" else path.name
    if path.suffix not in ("", ".ipynb") or not _NOTEBOOK_NAME.fullmatch(stem):
        raise ValueError(f"notebook must name a course notebook such as '07_siamese_one_shot', got {notebook!r}")
    return stem


def is_hosted(environ=None, modules=None) -> bool:
    """Whether this is a hosted runtime: Colab or Kaggle.

    Parameters
    ----------
    environ : mapping, optional
        The environment; default ``os.environ``. A non-empty
        ``COLAB_RELEASE_TAG`` or ``KAGGLE_KERNEL_RUN_TYPE`` means hosted.
    modules : container of str, optional
        The imported modules; default ``sys.modules``. ``google.colab`` in it
        means hosted.

    Returns
    -------
    bool

    Raises
    ------
    TypeError
        When ``environ`` is not a mapping.
    """
    environ = os.environ if environ is None else environ
    modules = sys.modules if modules is None else modules
    if not hasattr(environ, "get"):
        raise TypeError(f"environ must be a mapping of environment variables, got {type(environ).__name__}")
    return "google.colab" in modules or any(environ.get(name) for name in HOSTED_VARIABLES)


def colab_url(notebook, repository: str = REPOSITORY, branch: str = BRANCH) -> str:
    """The Colab address that opens ``notebook`` from the repository.

    Parameters
    ----------
    notebook : str or path-like
        A course notebook: ``"03_resampling"``, ``"03_resampling.ipynb"`` or its path.
    repository, branch : str
        Default :data:`REPOSITORY`, :data:`BRANCH`.

    Returns
    -------
    str
        ``https://colab.research.google.com/github/<repository>/blob/<branch>/notebooks/<name>.ipynb``.

    Raises
    ------
    TypeError, ValueError
        Naming ``notebook``, ``repository`` or ``branch`` when it is not one.
    """
    stem = _notebook_stem(notebook)
    _check_repository(repository, branch)
    return f"https://colab.research.google.com/github/{repository}/blob/{branch}/notebooks/{stem}.ipynb"


def badge_markdown(notebook, repository: str = REPOSITORY, branch: str = BRANCH) -> str:
    """The "Open in Colab" badge of ``notebook``, a Markdown line (arguments as :func:`colab_url`)."""
    return f"[![Open In Colab]({BADGE_IMAGE})]({colab_url(notebook, repository, branch)})"


def setup_commands(notebook, environ=None, modules=None, repository: str = REPOSITORY,
                   branch: str = BRANCH) -> list[list[str]]:
    """The commands the set-up cell of ``notebook`` runs here, as argument lists; none locally.

    Parameters
    ----------
    notebook : str or path-like
        The course notebook.
    environ, modules : optional
        As :func:`is_hosted`.
    repository, branch : str
        Where to install cvhelpers from; default :data:`REPOSITORY`, :data:`BRANCH`.

    Returns
    -------
    list of list of str
        Empty locally. On a hosted runtime: first the pip install of
        ``cvhelpers`` from the repository with its ``constraints.txt`` (the
        set-up cell runs this one itself), then, for notebook 01 and 07,
        ``apt-get update`` and ``apt-get install`` of the Tux Paint stamps
        (``tuxpaint-stamps-default``) or the Noto fonts (``fonts-noto-core``),
        run by :func:`setup`.

    Raises
    ------
    TypeError, ValueError
        Naming the argument that is not a notebook, mapping, repository or branch.
    """
    stem = _notebook_stem(notebook)
    _check_repository(repository, branch)
    if not is_hosted(environ, modules):
        return []
    commands = [[
        "{python}", "-m", "pip", "install", "-q",
        "-c", f"https://raw.githubusercontent.com/{repository}/{branch}/constraints.txt",
        f"cvhelpers @ git+https://github.com/{repository}@{branch}",
    ]]
    source = _apt_source(stem)
    if source is not None:
        commands += [["apt-get", "update", "-q"],
                     ["apt-get", "install", "-y", "-q", "--no-install-recommends", source.debian_package]]
    return [[sys.executable if part == "{python}" else part for part in command] for command in commands]


def setup_cell_source(notebook, repository: str = REPOSITORY, branch: str = BRANCH) -> str:
    """The source of the set-up cell of ``notebook`` (arguments as :func:`colab_url`).

    It uses the standard library only until cvhelpers is installed; its
    install command is the first of :func:`setup_commands` (the tests run it
    with a fake ``subprocess`` to check that).
    """
    stem = _notebook_stem(notebook)
    _check_repository(repository, branch)
    return (
        f"{_SETUP_MARKER}, install cvhelpers with the pinned versions (minutes: TensorFlow is\n"
        "# re-installed) and fetch the data online; locally, nothing (`make setup` did it).\n"
        "import importlib.util, os, subprocess, sys\n"
        'if ("google.colab" in sys.modules or os.environ.get("COLAB_RELEASE_TAG")\n'
        '        or os.environ.get("KAGGLE_KERNEL_RUN_TYPE")) and not importlib.util.find_spec("cvhelpers"):\n'
        '    subprocess.run([sys.executable, "-m", "pip", "install", "-q", "-c",\n'
        f'                    "https://raw.githubusercontent.com/{repository}/{branch}/constraints.txt",\n'
        f'                    "cvhelpers @ git+https://github.com/{repository}@{branch}"], check=True)\n'
        "    importlib.invalidate_caches()\n"
        "from cvhelpers.course import hosted\n"
        f'hosted.setup("{stem}")'
    )


def photos_folder() -> Path:
    """Where :func:`setup` puts the OpenCV example photos: ``~/.cache/cvlab/opencv-photos``."""
    return Path.home() / ".cache" / "cvlab" / "opencv-photos"


def _fetch_photos(folder: Path, base_url: str = OPENCV_PHOTOS_URL, names=OPENCV_PHOTOS, timeout: float = 30) -> int:
    """Download ``names`` from ``base_url`` into ``folder/data`` (the layout of opencv-doc); the count fetched.

    A file already there is kept; each download goes to a temporary name first,
    so an interrupted one leaves nothing under the real name.
    """
    from cvhelpers.cache.store import write_atomically

    folder = Path(folder) / "data"
    folder.mkdir(parents=True, exist_ok=True)
    fetched = 0
    for name in names:
        path = folder / name
        if path.is_file():
            continue

        def download(temporary, name=name):
            with urllib.request.urlopen(base_url + name, timeout=timeout) as response, open(temporary, "wb") as out:
                shutil.copyfileobj(response, out)

        write_atomically(path, download)
        fetched += 1
    return fetched


def _stale_modules(modules=None) -> list[str]:
    """Libraries imported (in ``modules``, default ``sys.modules``) at another version than the one installed now."""
    modules = sys.modules if modules is None else modules
    stale = []
    for name, distribution in _PREINSTALLED.items():
        module = modules.get(name) if hasattr(modules, "get") else None
        if module is None:
            continue
        try:
            installed = importlib.metadata.version(distribution)
        except importlib.metadata.PackageNotFoundError:
            continue
        if getattr(module, "__version__", installed) != installed:
            stale.append(f"{name} {module.__version__} (installed now: {installed})")
    return stale


def setup(notebook, environ=None, modules=None, run=subprocess.run) -> list[str]:
    """Prepare a hosted runtime for ``notebook`` and say where its data comes from. Locally, one line.

    Called by the set-up cell after the pip install. On a hosted runtime it
    runs the rest of :func:`setup_commands` (``apt-get``, as root, when the
    Tux Paint stamps or the Noto fonts are missing; a failure is a line, not
    an error), downloads the OpenCV example photos for notebook 01 and points
    ``CVLAB_EXIF_DIR`` at them (unless set), and prints where each dataset
    comes from.

    Parameters
    ----------
    notebook : str or path-like
        The course notebook.
    environ, modules : optional
        As :func:`is_hosted`; ``environ`` also receives ``CVLAB_EXIF_DIR``.
    run : callable, default=subprocess.run
        Runs one command (an argument list) with ``check=True``.

    Returns
    -------
    list of str
        The lines it printed.

    Raises
    ------
    RuntimeError
        When a library the install replaced (numpy, SciPy, pandas,
        Matplotlib, Pillow, scikit-learn, TensorFlow, Keras) was imported
        before it at another version: restart the runtime (Runtime menu) and
        run the notebook again (the install is then skipped).
    TypeError, ValueError
        Naming ``notebook``, ``environ`` or ``run`` when it is not one.
    """
    stem = _notebook_stem(notebook)
    if not callable(run):
        raise TypeError(f"run must be a function that runs a command, got {type(run).__name__}")
    environ = os.environ if environ is None else environ
    if not is_hosted(environ, modules):
        print(LOCAL_LINE)
        return [LOCAL_LINE]
    stale = _stale_modules()  # before anything here imports numpy
    if stale:
        raise RuntimeError(f"{', '.join(stale)} was imported before the install: restart the runtime "
                           "(Runtime menu) and run the notebook again")
    commands = setup_commands(stem, environ, modules)
    lines = ["Hosted runtime: cvhelpers is installed with the pinned versions (pip may list conflicts with the "
             "runtime's own packages, such as google-colab's pins: that is expected); the data comes from the "
             "online sources: Fashion-MNIST from Keras's download, on first use."]
    source = _apt_source(stem)
    if source is not None:
        lines.append(_install_with_apt(source, commands[1:], run))
    if stem in _NEEDS_PHOTOS:
        lines += _photos_for_exif(environ)
    for line in lines:
        print(line)
    return lines


def _install_with_apt(source, commands, run) -> str:
    """Run the ``apt-get`` ``commands`` that install ``source`` (as root, where it is missing); say what happened."""
    package = source.debian_package
    if source.present:
        return f"{source.name}: from the Ubuntu package {package} (apt-get), {source.path}."
    if not (shutil.which("apt-get") and hasattr(os, "geteuid") and os.geteuid() == 0):
        line = f"{source.name}: missing; install it as root with `apt-get install {package}`."
    else:
        try:
            for command in commands:
                run(command, check=True)
        except (OSError, subprocess.CalledProcessError) as error:
            line = f"{source.name}: `apt-get install {package}` failed ({error})."
        else:
            if source.present:
                return f"{source.name}: from the Ubuntu package {package} (apt-get), {source.path}."
            line = f"{source.name}: still missing after `apt-get install {package}`."
    return line + _IF_MISSING.get(source.name, "")


def _photos_for_exif(environ) -> list[str]:
    """Fetch the OpenCV photos for notebook 01 unless ``CVLAB_EXIF_DIR`` is set; what to print."""
    lines = []
    if not environ.get("CVLAB_EXIF_DIR"):
        try:
            _fetch_photos(photos_folder())
            environ["CVLAB_EXIF_DIR"] = str(photos_folder())
        except OSError as error:  # URLError and HTTPError are OSErrors
            lines.append(f"EXIF photos: the download from {OPENCV_PHOTOS_URL} failed ({error}); "
                         "set CVLAB_EXIF_DIR to a folder of photos for the metadata question.")
    if environ.get("CVLAB_EXIF_DIR"):
        lines.append(f"EXIF photos: {environ['CVLAB_EXIF_DIR']} (the OpenCV examples from {OPENCV_PHOTOS_URL}, "
                     "unless CVLAB_EXIF_DIR was set).")
    return lines


def _rewrite(notebook: dict, stem: str, repository: str, branch: str) -> dict:
    """``notebook`` (its JSON) with the badge in the title cell and the set-up cell right after it."""
    cells = notebook["cells"]
    title = cells[0]
    if title.get("cell_type") != "markdown":
        raise ValueError(f"notebook {stem}: the first cell must be the Markdown title cell")
    source = title["source"] if isinstance(title["source"], str) else "".join(title["source"])
    lines = source.split("\n")
    badge = badge_markdown(stem, repository, branch)
    at = next((i for i, line in enumerate(lines) if _BADGE_LINE.match(line)), None)
    if at is None:
        lines[1:1] = ["", badge] if len(lines) > 1 and lines[1] == "" else ["", badge, ""]
    else:
        lines[at] = badge
    title["source"] = _as_lines("\n".join(lines))
    setup_cell = {"cell_type": "code", "execution_count": None, "id": SETUP_CELL_ID, "metadata": {},
                  "outputs": [], "source": _as_lines(setup_cell_source(stem, repository, branch))}
    second = cells[1] if len(cells) > 1 else {}
    if second.get("id") == SETUP_CELL_ID or "".join(second.get("source", "")).startswith(_SETUP_MARKER):
        second["source"] = setup_cell["source"]
    else:
        cells.insert(1, setup_cell)
    return notebook


def _as_lines(text: str) -> list[str]:
    """Text as a notebook's list of lines (each but the last keeps its newline)."""
    return text.splitlines(keepends=True)


def write_badges(folder=None, repository: str = REPOSITORY, branch: str = BRANCH) -> list[Path]:
    """Write the badge and the set-up cell into every notebook of ``folder``; return those that changed.

    Parameters
    ----------
    folder : path-like, optional
        Default :func:`cvhelpers.paths.notebooks_dir`.
    repository, branch : str
        Default :data:`REPOSITORY`, :data:`BRANCH`.

    Returns
    -------
    list of Path
        The notebooks rewritten; a second call returns an empty list. Only the
        title cell's badge line and the set-up cell change, and a file is
        replaced atomically, with the JSON layout Jupyter writes (one-space
        indent, non-ASCII kept, a final newline).

    Raises
    ------
    NotADirectoryError
        When ``folder`` is not a folder.
    ValueError
        Naming the notebook whose first cell is not Markdown, or the bad
        ``repository`` or ``branch``.
    """
    from cvhelpers.cache.store import write_atomically

    _check_repository(repository, branch)
    folder = notebooks_dir() if folder is None else folder
    if not isinstance(folder, (str, os.PathLike)) or not Path(folder).is_dir():
        raise NotADirectoryError(f"folder must be a folder of notebooks, got {folder!r}")
    changed = []
    for path in sorted(Path(folder).glob("*.ipynb")):
        if not _NOTEBOOK_NAME.fullmatch(path.stem):
            continue
        before = path.read_text(encoding="utf-8")
        after = json.dumps(_rewrite(json.loads(before), path.stem, repository, branch), indent=1,
                           ensure_ascii=False) + "\n"
        if after != before:
            write_atomically(path, lambda temporary, text=after: Path(temporary).write_text(text, encoding="utf-8"))
            changed.append(path)
    return changed


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cvhelpers.course.hosted", description=__doc__.splitlines()[0])
    parser.add_argument("--badges", action="store_true",
                        help=f"write the Colab badge and the set-up cell into every notebook ({REPOSITORY}@{BRANCH})")
    parser.add_argument("--notebooks-dir", default=None, help="default: the checkout's notebooks/")
    args = parser.parse_args(argv)
    if not args.badges:
        parser.print_help()
        return 0
    changed = write_badges(args.notebooks_dir)
    print(f"{len(changed)} notebooks rewritten" + "".join(f"\n  {path}" for path in changed))
    return 0


if __name__ == "__main__":
    sys.exit(main())
