"""The course report: ``build/report.html`` (one self-contained file) and ``build/report.md``.

The runner writes it after ``make run``; it reads only the build folder, so it
can be rewritten at any time::

    python -c "from cvhelpers.course.report import write_report; write_report('build')"

It is written for a reader, in this order:

1. **Every method side by side**: each model of notebooks 02-06 with its
   balanced accuracy, worst-class and tail recall, the share of the
   cross-entropy-to-oracle gap it closes and its training time, best first,
   with notebook 08's ranking figure. Records of different datasets,
   profiles or seeds get separate tables.
2. **Notebook by notebook**: what the notebook saw (its record's
   ``what_we_saw``, recorded with :func:`cvhelpers.course.results.what_we_saw`,
   else the "What we saw" section of the executed copy in
   ``build/notebooks/``), any list of rows it recorded as a table (notebook
   01's findings: question, finding, implication), its key figures (saved with
   ``save_figure(..., key_figure=True)``; every figure when none is marked),
   and every other recorded number, folded away.
3. **Run times** against each notebook's budget, and the **versions**.

Figures are embedded as base64 PNG, so the HTML file can be mailed or
uploaded alone. No cell shows a Python ``repr``: lists are joined, lists of
dicts become tables.
"""

from __future__ import annotations

import base64
import html
import json
import platform
import re
from pathlib import Path

from cvhelpers.course import _tables as tables
from cvhelpers.course import own_data, run_times
from cvhelpers.course import results as results_module

__all__ = ["write_report"]

#: The ranking figure notebook 08 saves, shown under the comparison.
RANKING_FIGURE = ("08_evaluation", "all_methods")

#: Record keys shown in their own place, not among "all recorded numbers".
_SHOWN_ELSEWHERE = {"methods", "comparison", "what_we_saw"}

_STYLE = """
body{font-family:system-ui,-apple-system,"Segoe UI",sans-serif;line-height:1.45;color:#1d2330;
  max-width:1180px;margin:2em auto;padding:0 1.2em}
h1{margin-bottom:.2em}h2{margin-top:2.2em;border-bottom:2px solid #dfe3ea;padding-bottom:.2em}
h3{margin-top:2em;padding:.3em .6em;background:#f1f4f9;border-left:4px solid #3d6fb4}
h4{margin:1.2em 0 .4em}
.muted{color:#5b6475;font-size:.9em}
nav{margin:.4em 0 0}nav a{white-space:nowrap}
table{border-collapse:collapse;margin:.6em 0 1em;font-size:.92em}
th,td{padding:.28em .7em;border-bottom:1px solid #e3e6ec;text-align:left;vertical-align:top}
th{background:#f6f7fa;font-weight:600}
td.num,th.num{text-align:right;font-variant-numeric:tabular-nums;white-space:nowrap}
tbody tr:nth-child(even){background:#fafbfc}
tr.reference td{font-style:italic;color:#3e4656}
table.wide td{max-width:34em}
.figures{column-width:520px;column-gap:1.4em}
.figures figure{break-inside:avoid;margin:0 0 1.2em}
.figures.one{column-width:auto;columns:1}.figures.one img{max-width:min(100%,900px)}
figure img{max-width:100%;height:auto;border:1px solid #eceef2}
figcaption{color:#5b6475;font-size:.85em;margin-top:.2em}
.saw{background:#fbfcf4;border:1px solid #e6e9d0;border-radius:4px;padding:.2em 1em}
details{margin:.8em 0}summary{cursor:pointer;color:#3d6fb4}
"""


def write_report(build_dir) -> tuple[Path, Path]:
    """Write ``report.md`` and a self-contained ``report.html`` into ``build_dir``.

    Parameters
    ----------
    build_dir : path-like
        A build folder of ``make run``: ``results/`` (records and figures),
        ``run_times.json`` and ``notebooks/`` (executed copies), any of which
        may be missing.

    Returns
    -------
    tuple of Path
        The Markdown and the HTML file.

    Raises
    ------
    FileNotFoundError
        If ``build_dir`` is not a folder.
    """
    if not isinstance(build_dir, (str, Path)):
        raise TypeError(f"build_dir must be a folder's path, got {type(build_dir).__name__}")
    build_dir = Path(build_dir)
    if not build_dir.is_dir():
        raise FileNotFoundError(f"build_dir: no such folder: {build_dir} (run the notebooks first)")
    records = results_module.load_all(build_dir / "results")
    times = run_times.load(build_dir / "run_times.json")
    folder = _folder_of(records)
    blocks = [
        *_header(records, folder),
        *_comparison(build_dir, records, folder),
        *_notebooks(build_dir, records),
        *_run_times(times, on_folder=folder is not None),
        *_versions(records),
    ]
    md_path = results_module.atomic_write_text(build_dir / "report.md", _markdown(blocks, build_dir) + "\n")
    html_path = results_module.atomic_write_text(build_dir / "report.html", _html(blocks, build_dir))
    return md_path, html_path


# ---------------------------------------------------------------------------
# The sections, as blocks: ("h", level, text, id), ("p", text, css class),
# ("md", markdown), ("table", headers, rows, align, row classes, css class),
# ("figures", [(png path, caption)], css classes...), ("links" or "nav", [text or (text, href)]),
# ("details", summary, blocks)
# ---------------------------------------------------------------------------


def _folder_of(records: dict) -> str | None:
    """The folder's name when every record that names its data names the same user's folder, else None."""
    names = {tables.run_key(payload)[0] for payload in records.values()} - {None}
    name = names.pop() if len(names) == 1 else None
    return None if name == tables.COURSE_DATASET else name


def _header(records: dict, folder: str | None) -> list:
    blocks = [("h", 1, f"cvlab report: the folder {folder!r}" if folder else "cvlab course report", None)]
    if records:
        blocks.append(("p", "Run: " + tables.provenance_line(list(records.values())), "muted"))
    blocks.append(("nav", [("Every method side by side", "#comparison"), ("Notebook by notebook", "#notebooks"),
                           ("Run times", "#run-times"), ("Versions", "#versions")]))
    return blocks


def _comparison(build_dir: Path, records: dict, folder: str | None) -> list:
    blocks = [("h", 2, "Every method side by side", "comparison")]
    groups = tables.method_groups(records)
    if not groups:
        blocks.append(("p", "No method has been recorded yet: notebooks 02 to 06 record them (make run).", ""))
    elif folder:
        blocks.append(("p", f"Every model of notebooks 03 to 05, trained in this run on the folder {folder!r} and "
                            "scored on its test split, best balanced accuracy first. Cross-entropy, in italics, is "
                            "the baseline; there is no oracle on your own images.", ""))
    else:
        blocks.append(("p", "Every model of notebooks 02 to 06, trained in this run and scored on the same balanced "
                            "test set, best balanced accuracy first. Cross-entropy and the oracle, in italics, mark "
                            "the two ends.", ""))
    for group in groups:
        if len(groups) > 1:
            _, _, profile, seed = group["key"]
            blocks.append(("h", 4, f"{tables.dataset_label(group['key'])}, {profile} profile, seed {seed}", None))
        on_folder = tables.is_folder(group["key"])
        baseline = tables.baseline_score(group["rows"]) if on_folder else None
        rows = [tables.method_cells(row, baseline) for row in group["rows"]]
        classes = ["reference" if tables.is_reference(row["method"]) else "" for row in group["rows"]]
        headers = tables.FOLDER_HEADERS if on_folder else tables.METHOD_HEADERS
        blocks.append(("table", headers, rows, tables.METHOD_ALIGN, classes, ""))
        blocks.append(("p", tables.provenance_line(group["payloads"]), "muted"))
    if groups:
        blocks.append(("p", tables.FOLDER_LEGEND if folder else tables.METHOD_LEGEND, "muted"))
    expected = own_data.FOLDER_RECORDS if folder else results_module.METHOD_RECORDS
    absent = [name for name in expected if not (records.get(name) or {}).get("methods")]
    if absent:
        command = "make run DATA_DIR=<your folder> NOTEBOOKS=" if folder else "make run NOTEBOOKS="
        blocks.append(("p", "Not in the table, because they have not run in this build: "
                       + ", ".join(f"notebook {name[:2]} ({command}{name[:2]})" for name in absent) + ".",
                       ""))
    ranking = results_module.figure_path(*RANKING_FIGURE, build_dir / "results")
    if ranking.is_file():
        blocks.append(("figures", [(ranking, "notebook 08: every method's balanced accuracy; the dotted line is "
                                             "cross-entropy")], "one"))
    return blocks


def _title(name: str) -> str:
    number, _, rest = name.partition("_")
    return f"{number} · {rest.replace('_', ' ')}" if rest else name


def _notebooks(build_dir: Path, records: dict) -> list:
    results_dir = build_dir / "results"
    folders = {path.name for path in results_dir.iterdir() if path.is_dir()} if results_dir.is_dir() else set()
    blocks = [("h", 2, "Notebook by notebook", "notebooks")]
    names = sorted(set(records) | {name for name in folders if any((results_dir / name).glob("*.png"))})
    if not names:
        blocks.append(("p", "Nothing recorded yet: run the notebooks (make run).", ""))
    for name in names:
        blocks += _notebook(build_dir, name, records.get(name, {}))
    return blocks


def _notebook(build_dir: Path, name: str, record: dict) -> list:
    blocks = [("h", 3, _title(name), name)]
    found = tables.provenance_of(record)
    if found:
        blocks.append(("p", f"recorded {str(found.get('date') or '')[:10]} at commit "
                            f"{str(found.get('commit') or 'unknown')[:7]}", "muted"))
    for key, value in record.items():  # tables of rows (notebook 01's findings) first: "What we saw" may cite them
        if not key.startswith("_") and key not in _SHOWN_ELSEWHERE and _is_row_list(value):
            blocks += [("h", 4, _row_list_title(key, value), None), _row_list_table(value)]
    saw = record.get("what_we_saw") or _what_we_saw_in_notebook(build_dir / "notebooks" / f"{name}.ipynb")
    if saw:
        blocks += [("h", 4, "What we saw", None), ("md", saw)]
    shown, others = _figures(build_dir / "results" / name, record, skip=RANKING_FIGURE[1] if name == RANKING_FIGURE[0]
                             else None)
    if shown:
        blocks.append(("h", 4, "Key figures" if others else "Figures", None))
        blocks.append(("figures", [(path, path.stem.replace("_", " ")) for path in shown]))
    executed = build_dir / "notebooks" / f"{name}.html"
    notes = []
    if others:
        notes.append(f"{len(others)} more figure{'s' if len(others) > 1 else ''} in results/{name}/")
    if executed.is_file():
        notes.append(("the executed notebook", f"notebooks/{executed.name}"))
    if notes:
        blocks.append(("links", notes))
    numbers = _record_tables(record)
    if numbers:
        blocks.append(("details", "All recorded numbers", [
            block for title, headers, rows, align in numbers
            for block in (("h", 5, title, None), ("table", headers, rows, align, None, "wide"))]))
    return blocks


def _figures(folder: Path, record: dict, skip: str | None = None) -> tuple[list, list]:
    """The figures to show (the marked key figures, else all, in the order saved) and the rest; not ``skip``."""
    if not folder.is_dir():
        return [], []
    every = sorted((path for path in folder.glob("*.png") if path.stem != skip),
                   key=lambda path: (path.stat().st_mtime, path.name))
    keys = [key for key in record.get("_key_figures") or [] if isinstance(key, str)]
    shown = [path for key in keys for path in every if path.stem == key]
    if not shown:
        return every, []
    return shown, [path for path in every if path not in shown]


def _what_we_saw_in_notebook(path: Path) -> str:
    """The "What we saw" section of an executed notebook: its Markdown and the Markdown its cells displayed."""
    if not path.is_file():
        return ""
    try:
        cells = json.loads(path.read_text(encoding="utf-8")).get("cells", [])
    except (OSError, ValueError, AttributeError):
        return ""
    parts, collecting = [], False
    for cell in cells:
        source = "".join(cell.get("source", ""))
        if cell.get("cell_type") == "markdown":
            lines = source.splitlines()
            if not collecting:
                starts = [i for i, line in enumerate(lines) if re.fullmatch(r"#{1,3}\s*What we saw\s*", line.strip())]
                if not starts:
                    continue
                collecting, lines = True, lines[starts[0] + 1:]
            ends = [i for i, line in enumerate(lines) if re.match(r"#{1,3}\s", line)]
            parts.append("\n".join(lines[: ends[0]] if ends else lines).strip())
            if ends:
                break
        elif collecting and cell.get("cell_type") == "code":
            for output in cell.get("outputs", []):
                shown = output.get("data", {}).get("text/markdown")
                if shown:
                    parts.append("".join(shown).strip())
    return "\n\n".join(part for part in parts if part)


def _words(key) -> str:
    """A record key as words: ``balanced_accuracy`` gives ``balanced accuracy``."""
    return str(key).replace("_", " ")


def _is_row_list(value) -> bool:
    return isinstance(value, list) and bool(value) and all(isinstance(item, dict) for item in value)


def _row_list_title(key: str, rows: list) -> str:
    if all({"question", "finding"} <= set(row) for row in rows):
        return "Findings"
    return _words(key).capitalize()


def _row_list_table(rows: list) -> tuple:
    columns = list(dict.fromkeys(column for row in rows for column in row))
    align = "".join("r" if all(tables.is_number(row.get(c)) for row in rows) else "l" for c in columns)
    cells = [[tables.cell(row.get(column)) for column in columns] for row in rows]
    return ("table", columns, cells, align, None, "wide")


def _record_tables(record: dict) -> list:
    """A record's other values as (title, headers, rows, align): single values, then a table per dict of dicts."""
    single, found = [], []
    for key, value in record.items():
        if key.startswith("_") or key in _SHOWN_ELSEWHERE or _is_row_list(value):
            continue
        label = _words(key)
        if isinstance(value, dict) and value and all(isinstance(item, dict) for item in value.values()):
            columns = list(dict.fromkeys(column for item in value.values() for column in item))
            rows = [[str(index), *(tables.cell(item.get(column)) for column in columns)]
                    for index, item in value.items()]
            found.append((label, ["", *map(_words, columns)], rows, "l" + "r" * len(columns)))
        elif isinstance(value, dict) and value:
            single += [[f"{label}: {_words(sub)}", tables.cell(item)] for sub, item in value.items()]
        else:
            single.append([label, tables.cell(value)])
    if single:
        found.insert(0, ("single values", ["name", "value"], single, "lr"))
    return found


_TIME_HEADERS = {"budget_s": "budget s", "seconds": "seconds", "peak_memory_so_far_mib": "peak memory MiB"}


def _run_times(times: dict, on_folder: bool = False) -> list:
    blocks = [("h", 2, "Run times", "run-times")]
    if not times:
        return blocks + [("p", "No run times recorded (run_times.json is written by make run).", "")]
    frame = run_times.budget_table(times)
    budgets = () if on_folder else ("budget_s", "share_of_budget", "within_budget")  # Fashion-MNIST-LT's budgets
    columns = [column for column in ("seconds", *budgets, "ok", "output_problems", "peak_memory_so_far_mib",
                                     "finished_at") if column in frame]
    headers = ["notebook", *(_TIME_HEADERS.get(column, column.replace("_", " ")) for column in columns)]
    rows = []
    for name, row in frame.iterrows():
        values = []
        for column in columns:
            value = row[column]
            if column in ("seconds", "budget_s", "peak_memory_so_far_mib"):
                values.append(tables.seconds(value) if column != "peak_memory_so_far_mib" else tables.whole(value))
            elif column == "share_of_budget":
                values.append(tables.percent(value))
            else:
                values.append(tables.cell(value))
        rows.append([str(name), *values])
    blocks.append(("table", headers, rows, "l" + "r" * len(columns), None, ""))
    if on_folder:
        return blocks + [("p", "The course's budgets are for Fashion-MNIST-LT and do not apply to a folder; a "
                               "rerun loads the trained models from the cache and takes a fraction of the time.",
                          "muted")]
    over = run_times.over_budget(times)
    note = ("Budgets are for a cold run (an empty model cache) of the course profile on 2 CPU cores; a warm run "
            "loads the trained models and takes a fraction of the time.")
    if over:
        note += " Over budget: " + "; ".join(over) + "."
    return blocks + [("p", note, "muted")]


def _versions(records: dict) -> list:
    from importlib import metadata

    versions = {"python": platform.python_version(), "platform": platform.platform()}
    for package in ("tensorflow", "keras", "numpy", "scikit-learn", "imbalanced-learn", "pandas"):
        try:
            versions[package] = metadata.version(package)
        except metadata.PackageNotFoundError:
            versions[package] = "not installed"
    blocks = [("h", 2, "Versions", "versions"),
              ("p", "The packages of the environment that wrote this report.", "muted"),
              ("table", ["package", "version"], [[key, value] for key, value in versions.items()], "ll", None, "")]
    if records:
        blocks.append(("p", "The records came from: " + tables.provenance_line(list(records.values())), "muted"))
    return blocks


# ---------------------------------------------------------------------------
# Rendering
# ---------------------------------------------------------------------------


def _markdown(blocks: list, build_dir: Path) -> str:
    out = []
    for block in blocks:
        kind = block[0]
        if kind == "h":
            out.append("#" * block[1] + " " + block[2])
        elif kind == "p":
            out.append(block[1])
        elif kind == "md":
            out.append(block[1])
        elif kind == "table":
            out.append(tables.md_table(block[1], block[2], block[3]))
        elif kind == "figures":
            out += [f"![{caption}]({path.relative_to(build_dir).as_posix()})" for path, caption in block[1]]
        elif kind in ("links", "nav"):
            out.append(" · ".join(item if isinstance(item, str) else f"[{item[0]}]({item[1]})" for item in block[1]))
        elif kind == "details":
            out += [f"**{block[1]}**", _markdown(block[2], build_dir)]
    return "\n\n".join(out)


def _render_markdown(text: str) -> str:
    import mistune

    return mistune.create_markdown(escape=True, plugins=["table", "strikethrough"])(text)


def _html(blocks: list, build_dir: Path) -> str:
    parts = []
    for block in blocks:
        kind = block[0]
        if kind == "h":
            anchor = f" id='{html.escape(block[3])}'" if block[3] else ""
            parts.append(f"<h{block[1]}{anchor}>{html.escape(block[2])}</h{block[1]}>")
        elif kind == "p":
            css = f" class='{block[2]}'" if block[2] else ""
            parts.append(f"<p{css}>{html.escape(block[1])}</p>")
        elif kind == "md":
            parts.append(f"<div class='saw'>{_render_markdown(block[1])}</div>")
        elif kind == "table":
            table = tables.html_table(block[1], block[2], block[3], block[4])
            parts.append(table.replace("<table>", f"<table class='{block[5]}'>", 1) if block[5] else table)
        elif kind == "figures":
            css = " ".join(["figures", *block[2:]])
            parts.append(f"<div class='{css}'>" + "".join(_figure_html(path, caption) for path, caption in block[1])
                         + "</div>")
        elif kind in ("links", "nav"):
            items = [html.escape(item) if isinstance(item, str)
                     else f"<a href='{html.escape(item[1])}'>{html.escape(item[0])}</a>" for item in block[1]]
            tag, css = ("nav", "") if kind == "nav" else ("p", " class='muted'")
            parts.append(f"<{tag}{css}>" + " · ".join(items) + f"</{tag}>")
        elif kind == "details":
            parts.append(f"<details><summary>{html.escape(block[1])}</summary>{_html(block[2], build_dir)}</details>")
    body = "\n".join(parts)
    if blocks and blocks[0][0] == "h" and blocks[0][1] == 1:
        return ("<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>"
                "<meta name='viewport' content='width=device-width, initial-scale=1'>"
                f"<title>cvlab course report</title><style>{_STYLE}</style></head><body>\n{body}\n</body></html>\n")
    return body


def _figure_html(path: Path, caption: str) -> str:
    encoded = base64.b64encode(path.read_bytes()).decode("ascii")
    return (f"<figure><img alt='{html.escape(caption)}' src='data:image/png;base64,{encoded}'>"
            f"<figcaption>{html.escape(caption)}</figcaption></figure>")
