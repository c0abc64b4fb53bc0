"""Checks on an executed notebook as a student sees it (used by ``make run``).

:func:`check_outputs` reads the saved outputs: every figure shown inline,
no file path left as a cell's output, no log noise on stderr, no progress bar
frozen as a widget. :func:`check_html_in_browser` opens a rendered page in
headless Chromium and counts the images that did and did not load.
"""

from __future__ import annotations

import re
import shutil
import subprocess
import tempfile
from dataclasses import dataclass
from pathlib import Path

from cvhelpers.validation import check_positive_int

__all__ = [
    "Problem",
    "check_outputs",
    "count_images",
    "find_chromium",
    "BrowserCheck",
    "check_html_in_browser",
    "CHROMIUM_INSTALL",
]

CHROMIUM_INSTALL = "sudo apt-get update && sudo apt-get install chromium  (Debian/Ubuntu; .ci/run installs it)"

_PATH_OUTPUT = re.compile(r"^(?:\w*Path\(['\"]|['\"]?/[^\s'\"]+\.(?:png|json|html|h5|keras|npz)['\"]?$)")
_WIDGET = "application/vnd.jupyter.widget-view+json"


@dataclass(frozen=True)
class Problem:
    """One thing wrong with an executed notebook."""

    cell: int | None  #: 0-based index of the cell in the notebook; None for the whole notebook
    message: str

    def __str__(self):
        return f"{'whole notebook' if self.cell is None else f'cell {self.cell}'}: {self.message}"


def _first_line(text: str) -> str:
    line = next((line for line in text.splitlines() if line.strip()), "")
    return line if len(line) <= 160 else line[:157] + "..."


def _saves_a_figure_unconditionally(source: str) -> bool:
    """Whether a cell calls ``save_figure`` outside any ``if``, loop, ``try`` or function.

    Such a cell always draws a figure, so it must show one. A call inside a
    branch may not run (a full-profile-only figure); those figures are
    covered by the notebook-wide count.
    """
    import ast

    try:
        tree = ast.parse(source)
    except SyntaxError:  # IPython magics: fall back to the text
        return "save_figure(" in source
    for statement in tree.body:
        if isinstance(statement, (ast.If, ast.For, ast.While, ast.Try, ast.With, ast.FunctionDef)):
            continue
        for node in ast.walk(statement):
            if isinstance(node, ast.Call):
                name = node.func.attr if isinstance(node.func, ast.Attribute) else getattr(node.func, "id", "")
                if name == "save_figure":
                    return True
    return False


def _as_notebook(notebook):
    """``notebook`` as an ``nbformat.NotebookNode``: a node, a notebook dict or an ``.ipynb`` path."""
    import nbformat

    if isinstance(notebook, (str, Path)):
        if not Path(notebook).is_file():
            raise FileNotFoundError(f"notebook: no such file: {notebook}")
        return nbformat.read(notebook, as_version=4)
    if isinstance(notebook, dict) and "cells" in notebook:
        return nbformat.from_dict(notebook)
    raise TypeError(f"notebook must be an nbformat notebook, a notebook dict or an .ipynb path, "
                    f"got {type(notebook).__name__}")


def count_images(notebook) -> int:
    """How many ``image/png`` outputs an executed notebook holds (a notebook node, dict or ``.ipynb`` path)."""
    notebook = _as_notebook(notebook)
    return sum(
        "image/png" in output.get("data", {})
        for cell in notebook.cells if cell.cell_type == "code"
        for output in cell.get("outputs", [])
    )


def check_outputs(notebook, expected_figures: int | None = None) -> list[Problem]:
    """What a student would find wrong in an executed notebook's outputs.

    Parameters
    ----------
    notebook : nbformat.NotebookNode, dict or path-like
        An executed notebook, or its ``.ipynb`` file.
    expected_figures : int, optional
        How many figures the run saved (for the report). Each should appear
        inline exactly once, so the notebook's ``image/png`` outputs must
        number the same.

    Returns
    -------
    list of Problem
        Empty when the notebook is clean:

        - a cell that always calls ``save_figure`` shows at least one image
          (one that calls it in a branch is covered by the count);
        - no output is a file path (``PosixPath('...png')``);
        - nothing is written to stderr: no C++ log lines, no warnings;
        - no progress bar is left as a widget (the saved copy would read "0%").
    """
    notebook = _as_notebook(notebook)
    if expected_figures is not None:
        check_positive_int(expected_figures, "expected_figures", smallest=0)
    problems = []
    for index, cell in enumerate(notebook.cells):
        if cell.cell_type != "code":
            continue
        outputs = cell.get("outputs", [])
        images = sum("image/png" in output.get("data", {}) for output in outputs)
        if images == 0 and _saves_a_figure_unconditionally(cell.source):
            problems.append(Problem(index, "saves a figure but shows none inline"))
        for output in outputs:
            if output.get("output_type") == "stream" and output.get("name") == "stderr":
                problems.append(Problem(index, f"writes to stderr: {_first_line(output.get('text', ''))}"))
            data = output.get("data", {})
            text = data.get("text/plain", "")
            text = "".join(text) if isinstance(text, list) else text
            if _PATH_OUTPUT.match(text.strip()):
                problems.append(Problem(index, f"shows a file path as its output: {_first_line(text)}"))
            if _WIDGET in data and "%|" in text:
                problems.append(Problem(index, f"leaves a progress bar as a widget: {_first_line(text)}"))
    if expected_figures is not None:
        shown = count_images(notebook)
        if shown != expected_figures:
            problems.append(Problem(None, f"shows {shown} images inline but saved {expected_figures} figures"))
    return problems


def find_chromium() -> str:
    """The path of a Chromium (or Chrome) executable.

    Raises
    ------
    FileNotFoundError
        If none is installed; the message gives the install command.
    """
    for name in ("chromium", "chromium-browser", "google-chrome", "google-chrome-stable"):
        found = shutil.which(name)
        if found:
            return found
    raise FileNotFoundError(f"the browser check needs Chromium; install it with: {CHROMIUM_INSTALL}")


@dataclass(frozen=True)
class BrowserCheck:
    """What headless Chromium found on a page."""

    images: int  #: ``<img>`` elements on the page that it carries (remote ``http(s)`` badges not counted)
    broken: int  #: of them, how many did not load
    sections: tuple  #: the ``id`` of every ``<h2>``, in order


_CHECK_SCRIPT = """<script>
window.addEventListener('load', () => {
  // A remote image (the notebooks' Colab badge) cannot load offline and is no output: not counted.
  const images = [...document.images].filter(i => !/^https?:/i.test(i.getAttribute('src') || ''));
  const broken = images.filter(i => !i.complete || i.naturalWidth === 0).length;
  const sections = [...document.querySelectorAll('h2')].map(h => h.id).join(',');
  document.body.setAttribute('data-cvlab-images', images.length);
  document.body.setAttribute('data-cvlab-broken', broken);
  document.body.setAttribute('data-cvlab-sections', sections);
});
</script>"""


def check_html_in_browser(html_path, timeout: float = 120.0) -> BrowserCheck:
    """Open a page in headless Chromium and count its images, loaded and broken.

    Only the images the page carries count (embedded or local files); a
    remote ``http(s)`` image such as a badge is left out, since whether it
    loads depends on the network, not on the page.

    The page is copied, with a small script added, into a temporary
    folder; the original is not changed. Relative links resolve against
    the original's folder.

    Parameters
    ----------
    html_path : path-like
    timeout : float, default=120

    Raises
    ------
    FileNotFoundError
        If the page or Chromium is missing (with the install command).
    RuntimeError
        If Chromium fails to render the page.
    """
    html_path = Path(html_path).resolve()
    if not html_path.is_file():
        raise FileNotFoundError(f"html_path: no such file: {html_path}")
    chromium = find_chromium()
    text = html_path.read_text(encoding="utf-8")
    base = f"<base href='{html_path.parent.as_uri()}/'>"
    text = text.replace("<head>", "<head>" + base, 1) if "<head>" in text else base + text
    text = text.replace("</body>", _CHECK_SCRIPT + "</body>", 1) if "</body>" in text else text + _CHECK_SCRIPT
    with tempfile.TemporaryDirectory(prefix="cvlab-browser-") as folder:
        page = Path(folder) / "page.html"
        page.write_text(text, encoding="utf-8")
        completed = subprocess.run(
            [chromium, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
             "--disable-component-update", "--disable-sync", "--no-first-run", "--disable-quic",
             f"--user-data-dir={Path(folder) / 'profile'}", "--virtual-time-budget=10000", "--dump-dom",
             page.as_uri()],
            capture_output=True, text=True, timeout=timeout,
        )
    found = re.search(r"<body([^>]*)>", completed.stdout)
    attributes = dict(re.findall(r'data-cvlab-(\w+)="([^"]*)"', found.group(1))) if found else {}
    if completed.returncode != 0 or "images" not in attributes:
        raise RuntimeError(f"Chromium could not render {html_path}: {completed.stderr[-1000:]}")
    sections = tuple(item for item in attributes.get("sections", "").split(",") if item)
    return BrowserCheck(int(attributes["images"]), int(attributes["broken"]), sections)
