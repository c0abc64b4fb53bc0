"""Execute the course's notebooks in order and write the report (``make run``).

Each notebook is executed with papermill into ``build/notebooks/``, with the
profile, seed and any other parameters injected after its ``parameters``
cell, and rendered to HTML. The run stops at the first notebook that fails
and prints the failing cell and its error. Afterwards ``build/report.html``
(and ``build/report.md``) compares every method side by side and gathers each
notebook's findings, key figures and run time (:mod:`cvhelpers.course.report`).

Command line::

    python -m cvhelpers.course.runner                      # all notebooks, course profile
    python -m cvhelpers.course.runner --notebooks 03 04    # a subset, by number prefix
    python -m cvhelpers.course.runner --profile full --seed 1 --param EPOCHS=20
    python -m cvhelpers.course.runner --data-dir ~/my_images  # the notebooks that take DATA_DIR, on a folder

With ``--data-dir`` the run goes to ``<build-dir>/folders/<folder name>/``, so
its records never mix with the course's (:func:`select_for_data_dir`).
"""

from __future__ import annotations

import argparse
import ast
import keyword
import os
import resource
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from cvhelpers import paths
from cvhelpers.course import notebook_checks, report, run_times
from cvhelpers.course import results as results_module

__all__ = ["NotebookRun", "find_notebooks", "run_notebooks", "write_report", "select_for_data_dir", "main"]


@dataclass
class NotebookRun:
    """The outcome of executing one notebook."""

    name: str
    seconds: float
    ok: bool
    error: str = ""
    #: Largest resident memory of any kernel finished so far in this run (MiB).
    peak_memory_mib: float = float("nan")
    finished_at: str = ""
    #: What a student would find wrong in the executed copy (see :mod:`cvhelpers.course.notebook_checks`).
    problems: tuple = ()

    @property
    def clean(self) -> bool:
        """Ran without error and shows every figure, no file path and no log noise."""
        return self.ok and not self.problems


def find_notebooks(notebooks_dir, selection=None) -> list[Path]:
    """The notebooks in ``notebooks_dir`` in name order, optionally a subset.

    Parameters
    ----------
    notebooks_dir : path-like
    selection : sequence of str, optional
        Name prefixes such as ``["03", "04"]`` or full stems; ``None`` or empty
        selects all.

    Raises
    ------
    ValueError
        If a selection matches no notebook.
    FileNotFoundError
        If ``notebooks_dir`` is not a folder.
    """
    if not Path(notebooks_dir).is_dir():
        raise FileNotFoundError(f"notebooks_dir: no such folder: {notebooks_dir}")
    notebooks = sorted(
        path for path in Path(notebooks_dir).glob("*.ipynb") if not path.name.startswith(".")
    )
    if not selection:
        return notebooks
    chosen = []
    for prefix in selection:
        matches = [path for path in notebooks if path.stem.startswith(prefix)]
        if not matches:
            names = ", ".join(path.stem for path in notebooks)
            raise ValueError(f"no notebook matches {prefix!r}; available: {names}")
        chosen.extend(match for match in matches if match not in chosen)
    return sorted(chosen)


def _peak_child_memory_mib() -> float:
    # ru_maxrss is in KiB on Linux: the largest finished child (kernel) so far.
    return resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024.0


def _render_html(notebook, html_path: Path) -> None:
    from nbconvert import HTMLExporter

    body, _ = HTMLExporter().from_notebook_node(notebook)
    results_module.atomic_write_text(html_path, body)


def _saved_figures(results_dir: Path, name: str, since: float) -> int:
    """How many figures the notebook saved (``results/<name>/*.png`` written since ``since``)."""
    folder = results_dir / name
    return sum(1 for path in folder.glob("*.png") if path.stat().st_mtime >= since) if folder.is_dir() else 0


def check_executed(notebook, name: str, html_path: Path, results_dir: Path, since: float) -> tuple:
    """The problems a student would see in an executed notebook and its HTML.

    Every figure the run saved must be shown inline exactly once, no output
    may be a file path or log noise, and every image in the HTML must load in
    headless Chromium.

    Parameters
    ----------
    notebook : nbformat.NotebookNode
        The executed notebook.
    name : str
        Its stem: figures are counted under ``results_dir/<name>/``.
    html_path : Path
        Its rendered HTML.
    results_dir : Path
    since : float
        When it started (``time.time()``): only figures written since count.

    Returns
    -------
    tuple of str
        ``"cell N: ..."`` for each problem; empty when clean.
    """
    expected = _saved_figures(results_dir, name, since)
    problems = [str(problem) for problem in notebook_checks.check_outputs(notebook, expected)]
    shown = notebook_checks.count_images(notebook)
    try:
        page = notebook_checks.check_html_in_browser(html_path)
    except (FileNotFoundError, RuntimeError) as error:
        problems.append(f"browser check: {error}")
    else:
        if page.broken or page.images < shown:
            problems.append(f"browser check: {page.broken} of {page.images} images in {html_path.name} do not load")
    return tuple(problems)


def _describe_failure(error) -> str:
    """The failing cell's source and its error, from a papermill exception."""
    lines = []
    cell_index = getattr(error, "exec_count", None) or getattr(error, "cell_index", None)
    source = getattr(error, "source", None)
    if cell_index is not None:
        lines.append(f"failing cell: {cell_index}")
    if source:
        lines.append("--- cell source ---")
        lines.append(source.rstrip())
    ename, evalue = getattr(error, "ename", None), getattr(error, "evalue", None)
    lines.append("--- error ---")
    lines.append(f"{ename}: {evalue}" if ename else str(error))
    return "\n".join(lines)


def run_notebooks(
    notebooks,
    build_dir,
    parameters: dict | None = None,
    kernel_name: str = "python3",
    progress: bool | None = None,
) -> list[NotebookRun]:
    """Execute notebooks in order; stop at the first failure.

    Parameters
    ----------
    notebooks : sequence of Path
    build_dir : path-like
        Executed copies go to ``build_dir/notebooks/`` (``.ipynb`` and
        ``.html``), results to ``build_dir/results/``.
    parameters : dict, optional
        Injected into each notebook's ``parameters`` cell, and exported as
        ``CVLAB_<NAME>`` environment variables for the kernel.
    kernel_name : str, default="python3"
    progress : bool, optional
        Papermill's per-cell progress bar; default on when stdout is a TTY.

    Returns
    -------
    list of NotebookRun
        One per executed notebook; the last one failed if any did.

    Raises
    ------
    FileNotFoundError
        Naming the first of ``notebooks`` that is not an ``.ipynb`` file.
    """
    from cvhelpers.course import lab

    notebooks = [Path(notebook) for notebook in notebooks]
    for notebook in notebooks:
        if notebook.suffix != ".ipynb" or not notebook.is_file():
            raise FileNotFoundError(f"notebooks: no such .ipynb file: {notebook}")
    build_dir = Path(build_dir)
    out_dir = build_dir / "notebooks"
    out_dir.mkdir(parents=True, exist_ok=True)
    try:  # figures inline, no C++ log in the notebooks (see cvhelpers.course.lab)
        lab.install_kernel_config()
    except FileExistsError as error:
        print(f"warning: {error}", file=sys.stderr)
    parameters = dict(parameters or {})
    environment = {f"CVLAB_{key.upper()}": str(value) for key, value in parameters.items()}
    environment["CVLAB_RESULTS_DIR"] = str((build_dir / "results").resolve())
    saved_environment = {key: os.environ.get(key) for key in environment}
    os.environ.update(environment)  # the kernel inherits the runner's environment
    try:
        return _run_all(notebooks, build_dir, out_dir, parameters, kernel_name, progress)
    finally:
        for key, value in saved_environment.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value


def _run_all(notebooks, build_dir, out_dir, parameters, kernel_name, progress):
    import nbformat
    import papermill

    if progress is None:
        progress = sys.stdout.isatty()

    runs = []
    for position, notebook in enumerate(notebooks, start=1):
        print(f"[{position}/{len(notebooks)}] {notebook.stem} ...", flush=True)
        output = out_dir / notebook.name
        started_at = time.time()
        started = time.perf_counter()
        ok, message = True, ""
        try:
            papermill.execute_notebook(
                str(notebook),
                str(output),
                # papermill writes a tuple as its text; a list keeps it a sequence of values
                parameters={key: list(val) if isinstance(val, tuple) else val for key, val in parameters.items()},
                kernel_name=kernel_name,
                cwd=str(notebook.parent),
                progress_bar=progress,
                log_output=False,
            )
        except papermill.PapermillExecutionError as error:
            ok, message = False, _describe_failure(error)
        seconds = time.perf_counter() - started
        run = NotebookRun(
            notebook.stem, seconds, ok, message, _peak_child_memory_mib(), time.strftime("%Y-%m-%d %H:%M:%S")
        )
        runs.append(run)
        if output.is_file():
            executed = nbformat.read(output, as_version=4)
            _render_html(executed, output.with_suffix(".html"))
            if ok:
                run.problems = check_executed(
                    executed, notebook.stem, output.with_suffix(".html"), build_dir / "results", started_at
                )
        status = "done" if run.clean else ("FAILED" if not ok else "done, but its outputs need fixing")
        print(f"[{position}/{len(notebooks)}] {notebook.stem} {status} in {seconds:.1f} s", flush=True)
        for problem in run.problems:
            print(f"  {notebook.stem} {problem}", file=sys.stderr, flush=True)
        if not ok:
            print(message, file=sys.stderr, flush=True)
            break
    run_times.save(build_dir, runs, parameters.get("PROFILE") or os.environ.get("CVLAB_PROFILE") or "course")
    return runs


# ---------------------------------------------------------------------------
# The report
# ---------------------------------------------------------------------------


def write_report(build_dir) -> tuple[Path, Path]:
    """Write ``report.md`` and a self-contained ``report.html`` into ``build_dir``.

    The comparison of every method first, then each notebook's findings and
    key figures, then the run times and versions: see
    :func:`cvhelpers.course.report.write_report`, which this calls.

    Parameters
    ----------
    build_dir : path-like

    Returns
    -------
    tuple of Path
        The Markdown and the HTML file.
    """
    return report.write_report(build_dir)


def _parse_param(text: str):
    """``NAME=VALUE`` as ``(NAME, value)``: the name upper-cased, the value a Python literal or else the text.

    Raises
    ------
    argparse.ArgumentTypeError
        If there is no ``=`` or the name is not an ASCII Python identifier
        (the name is pasted into the notebook as code).
    """
    if "=" not in text:
        raise argparse.ArgumentTypeError(f"expected NAME=VALUE, got {text!r}")
    raw_name, raw = text.split("=", 1)
    name = raw_name.strip()
    if not (name.isascii() and name.isidentifier()) or keyword.iskeyword(name) or keyword.iskeyword(name.upper()):
        raise argparse.ArgumentTypeError(
            f"{raw_name!r} is not a parameter name: use ASCII letters, digits and '_', "
            "not starting with a digit, e.g. --param EPOCHS=20"
        )
    try:
        value = ast.literal_eval(raw)
    except (ValueError, SyntaxError):
        value = raw
    return name.upper(), value


def declared_parameters(notebook) -> set[str]:
    """The names assigned in a notebook's ``parameters``-tagged cells.

    Parameters
    ----------
    notebook : path-like
        An ``.ipynb`` file.

    Returns
    -------
    set of str
        Every name bound by an assignment there (``P, K = ...`` gives both).
        A line that is not Python (an IPython magic) is skipped.
    """
    import nbformat

    names = set()
    for cell in nbformat.read(notebook, as_version=4).cells:
        if cell.cell_type != "code" or "parameters" not in cell.metadata.get("tags", []):
            continue
        try:
            trees = [ast.parse(cell.source)]
        except SyntaxError:
            trees = []
            for line in cell.source.splitlines():
                try:
                    trees.append(ast.parse(line))
                except SyntaxError:
                    continue
        for tree in trees:
            for statement in tree.body:
                if isinstance(statement, ast.Assign):
                    targets = statement.targets
                elif isinstance(statement, (ast.AnnAssign, ast.AugAssign)):
                    targets = [statement.target]
                else:
                    continue
                for target in targets:
                    names.update(
                        node.id
                        for node in ast.walk(target)
                        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store)
                    )
    return names


def check_parameters(notebooks, names) -> None:
    """Refuse parameter names that no selected notebook declares.

    Parameters
    ----------
    notebooks : sequence of Path
        The selected notebooks.
    names : iterable of str
        The ``--param`` names, as injected.

    Raises
    ------
    ValueError
        Naming the first undeclared parameter and listing the declared ones.
    """
    declared = set()
    for notebook in notebooks:
        declared |= declared_parameters(notebook)
    for name in names:
        if name not in declared:
            listing = ", ".join(sorted(declared)) or "none"
            raise ValueError(
                f"argument --param: {name!r} is not declared in the parameters cell of the selected notebooks "
                f"({', '.join(path.stem for path in notebooks)}); declared: {listing}"
            )


def select_for_data_dir(notebooks, data_dir, build_dir, chosen: bool = False):
    """The notebooks that run on a user's folder, and where that run goes.

    Parameters
    ----------
    notebooks : sequence of Path
        The selected notebooks.
    data_dir : path-like
        A folder of images, one subfolder per class (``~`` is expanded).
    build_dir : path-like
        The course's build folder; the folder's run goes below it.
    chosen : bool, default=False
        Whether the user named the notebooks. Then one that does not take
        ``DATA_DIR`` is an error; otherwise it is left out.

    Returns
    -------
    notebooks : list of Path
        Those whose parameters cell declares ``DATA_DIR``.
    data_dir : Path
        The folder, absolute.
    build_dir : Path
        ``build_dir/folders/<folder name>``.

    Raises
    ------
    NotADirectoryError
        When ``data_dir`` is not a folder.
    ValueError
        When ``chosen`` and a notebook does not take ``DATA_DIR``, or none does.
    """
    folder = Path(data_dir).expanduser()
    if not folder.is_dir():
        raise NotADirectoryError(f"DATA_DIR must be a folder with one subfolder per class, got {str(data_dir)!r}")
    folder = folder.resolve()
    notebooks = [Path(notebook) for notebook in notebooks]
    taking = [notebook for notebook in notebooks if "DATA_DIR" in declared_parameters(notebook)]
    others = [notebook.stem for notebook in notebooks if notebook not in taking]
    if others and chosen:
        raise ValueError(f"DATA_DIR: {', '.join(others)} run on the course's own data and do not take DATA_DIR; "
                         f"leave them out (these take it: {', '.join(n.stem for n in taking) or 'none'})")
    if not taking:
        raise ValueError("DATA_DIR: none of the selected notebooks takes DATA_DIR")
    return taking, folder, Path(build_dir) / "folders" / folder.name


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Execute the cvlab notebooks and write the report.")
    parser.add_argument("--notebooks", nargs="*", default=None, help="number prefixes, e.g. 03 04")
    parser.add_argument("--notebooks-dir", default=str(paths.notebooks_dir()))
    parser.add_argument("--build-dir", default=str(paths.build_dir()))
    parser.add_argument("--profile", default=None, choices=["course", "full"])
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument("--param", action="append", type=_parse_param, default=[], help="NAME=VALUE")
    parser.add_argument("--data-dir", default=None,
                        help="your images, one subfolder per class: the notebooks that take DATA_DIR run on them")
    args = parser.parse_args(argv)

    selection = [item for entry in (args.notebooks or []) for item in entry.replace(",", " ").split()]
    try:
        notebooks = find_notebooks(args.notebooks_dir, selection)
    except ValueError as error:
        parser.error(str(error))
    if not notebooks:
        parser.error(f"no notebooks in {args.notebooks_dir}")
    build_dir = Path(args.build_dir)
    if args.data_dir:
        try:
            notebooks, data_dir, build_dir = select_for_data_dir(notebooks, args.data_dir, build_dir, bool(selection))
        except (NotADirectoryError, ValueError) as error:
            parser.error(f"argument --data-dir: {error}")
        print(f"On the folder {data_dir}: {', '.join(n.stem for n in notebooks)}; results in {build_dir}", flush=True)
    try:
        check_parameters(notebooks, [name for name, _ in args.param])
    except ValueError as error:
        parser.error(str(error))
    parameters = dict(args.param)
    if args.data_dir:
        parameters["DATA_DIR"] = str(data_dir)
    if args.profile is not None:
        parameters["PROFILE"] = args.profile
    if args.seed is not None:
        parameters["SEED"] = args.seed

    started = time.perf_counter()
    runs = run_notebooks(notebooks, build_dir, parameters)
    md_path, html_path = write_report(build_dir)
    failed = [run for run in runs if not run.ok]
    unclean = [run for run in runs if run.ok and run.problems]
    print(
        f"{len(runs) - len(failed)} of {len(notebooks)} notebooks ran in "
        f"{time.perf_counter() - started:.0f} s; report: {html_path}"
    )
    budgets = {} if args.data_dir else run_times.load(build_dir / "run_times.json")  # budgets: Fashion-MNIST-LT's
    for line in run_times.over_budget(budgets):
        print(f"over budget (cold, 2 cores) {line}", file=sys.stderr)
    for run in unclean:
        print(f"{run.name}: {len(run.problems)} output problems:", file=sys.stderr)
        for problem in run.problems:
            print(f"  {problem}", file=sys.stderr)
    return 1 if failed or unclean else 0


if __name__ == "__main__":
    sys.exit(main())
