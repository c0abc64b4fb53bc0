"""What the course report and the results page share: number formats, tables, provenance lines, the method rows.

Private to :mod:`cvhelpers.course.report` and :mod:`cvhelpers.course.results_page`.
Every function returns plain text; nothing here prints a Python ``repr``.
"""

from __future__ import annotations

import html
import math
import numbers

#: The columns of the method comparison, and their alignment (l: left, r: right).
METHOD_HEADERS = ("method", "notebook", "balanced accuracy", "worst class (recall)", "tail recall", "gap closed",
                  "training s")
METHOD_ALIGN = "llrrrrr"

#: The words under every method table.
METHOD_LEGEND = (
    "Balanced accuracy is the mean recall over the classes, on a balanced test set; the worst class is the class "
    "the model recalls least; tail recall is the mean recall of the three rarest training classes. Gap closed is the "
    "share of the distance from cross-entropy to the oracle (the same network trained on balanced data of the same "
    "size) that a method covers: 0 % is no better than cross-entropy, 100 % matches the oracle. Training s is the "
    "training time of that step alone; — means no training (a post-hoc change) or a model trained in an earlier "
    "notebook and reused."
)


#: On a user's folder there is no oracle: the column before last says how far a method moved from cross-entropy.
FOLDER_HEADERS = (*METHOD_HEADERS[:5], "vs cross-entropy", "training s")

#: The words under a folder's method table.
FOLDER_LEGEND = (
    "Balanced accuracy is the mean recall over the classes, on the folder's test split (which keeps the training "
    "proportions); the worst class is the class the model recalls least; tail recall is the mean recall of the three "
    "rarest training classes. vs cross-entropy is the change in balanced accuracy, in points, against cross-entropy "
    "of the same run: on your own images there is no oracle, so no gap closed. Training s is the training time of "
    "that step alone; — means no training (a post-hoc change) or a model trained in an earlier notebook and reused."
)

#: The dataset name of the course's own data in a record's provenance.
COURSE_DATASET = "fashion-mnist-lt"


def is_folder(key: tuple) -> bool:
    """Whether a :func:`run_key` names a user's folder (not the course's Fashion-MNIST-LT, not unknown)."""
    return key[0] is not None and key[0] != COURSE_DATASET


def is_number(value) -> bool:
    """A real number that is not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, bool)


def missing(value) -> bool:
    """None, NaN or pandas' NA."""
    if value is None:
        return True
    if is_number(value):
        return math.isnan(float(value))
    return type(value).__name__ in ("NAType", "NaTType")


def number(value, digits: int = 3) -> str:
    """A number for a table: a fixed number of decimals for fractions, thousands separators for large values."""
    if missing(value):
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    if not is_number(value):
        return str(value)
    if isinstance(value, numbers.Integral):
        return f"{int(value):,}"
    value = float(value)
    if value != 0 and abs(value) < 10 ** -digits:
        return f"{value:.2g}"
    if abs(value) >= 1000:
        return f"{value:,.0f}"
    if abs(value) >= 100:
        return f"{value:.1f}"
    return f"{value:.{digits}f}"


def percent(value, digits: int = 0) -> str:
    """A fraction as a percentage: 0.826 gives ``83 %`` (``82.6 %`` with one digit)."""
    return "—" if missing(value) else f"{100 * float(value):.{digits}f} %"


def whole(value) -> str:
    """A number rounded to a whole one, with thousands separators: 427.1 gives ``427``."""
    return "—" if missing(value) or not is_number(value) else f"{float(value):,.0f}"


def seconds(value) -> str:
    """Seconds as a whole number; zero or missing as ``—`` (nothing trained)."""
    return "—" if missing(value) or float(value) == 0 else f"{float(value):,.0f}"


def cell(value) -> str:
    """Any recorded value as the text of one table cell: lists joined, dicts as ``key: value`` pairs."""
    if isinstance(value, dict):
        return "; ".join(f"{key}: {cell(item)}" for key, item in value.items()) or "—"
    if isinstance(value, (list, tuple)):
        if len(value) > (40 if all(isinstance(item, str) for item in value) else 12):
            return f"{len(value)} values"
        return ", ".join(cell(item) for item in value) or "—"
    return number(value)


def md_table(headers, rows, align: str | None = None) -> str:
    """A Markdown (GitHub) table; ``align`` has one letter per column, ``l`` or ``r``."""
    align = align or "l" * len(headers)
    marks = ["---:" if letter == "r" else "---" for letter in align]

    def line(cells):
        return "| " + " | ".join(str(text).replace("|", "\\|").replace("\n", " ") for text in cells) + " |"

    return "\n".join([line(headers), "|" + "|".join(marks) + "|", *(line(row) for row in rows)])


def html_table(headers, rows, align: str | None = None, row_classes=None) -> str:
    """An HTML table; ``align`` as in :func:`md_table`, ``row_classes`` one CSS class (or '') per row."""
    align = align or "l" * len(headers)
    classes = [" class='num'" if letter == "r" else "" for letter in align]
    head = "".join(f"<th{css}>{html.escape(str(text))}</th>" for text, css in zip(headers, classes, strict=True))
    body = []
    for index, row in enumerate(rows):
        extra = row_classes[index] if row_classes else ""
        cells = "".join(f"<td{css}>{html.escape(str(text))}</td>" for text, css in zip(row, classes, strict=True))
        body.append(f"<tr class='{extra}'>{cells}</tr>" if extra else f"<tr>{cells}</tr>")
    return f"<table><thead><tr>{head}</tr></thead><tbody>{''.join(body)}</tbody></table>"


# ---------------------------------------------------------------------------
# Provenance
# ---------------------------------------------------------------------------


def provenance_of(payload: dict) -> dict:
    """The ``_provenance`` of a record or report, or an empty dict."""
    found = payload.get("_provenance") if isinstance(payload, dict) else None
    return found if isinstance(found, dict) else {}


def run_key(payload: dict) -> tuple:
    """What makes records comparable: dataset name and manifest hash, profile, seed."""
    found = provenance_of(payload)
    dataset = found.get("dataset") if isinstance(found.get("dataset"), dict) else {}
    profile = found.get("profile") or payload.get("profile")
    seed = found.get("seed") if found.get("seed") is not None else payload.get("seed")
    return (dataset.get("name"), dataset.get("manifest_sha256"), profile, seed)


def dataset_label(key: tuple) -> str:
    """``fashion-mnist-lt (manifest d79c0eff)`` from a :func:`run_key`."""
    name, sha, _, _ = key
    if name is None:
        return "unknown data (no dataset in the provenance)"
    return f"{name} (manifest {sha[:8]})" if sha else name


def _distinct(values) -> list:
    return sorted({str(value) for value in values if value is not None and value != ""})


def provenance_line(payloads, profile=None, seeds=None) -> str:
    """One line saying where numbers came from: commit, date, CPU, cores, GPU, profile, seed, data.

    Parameters
    ----------
    payloads : sequence of dict
        Records or reports, each with its ``_provenance``.
    profile, seeds : optional
        Used where the provenance has none (a study's own ``profile`` and ``seeds``).
    """
    found = [provenance_of(payload) for payload in payloads]
    found = [item for item in found if item]
    if not found:
        return "no provenance recorded (commit, machine and date unknown)"
    commits = [str(item["commit"])[:7] for item in found if item.get("commit")]
    commit = ", ".join(_distinct(commits)) or "no commit"
    if any(item.get("dirty") for item in found):
        commit += " with uncommitted changes"
    dates = _distinct(str(item.get("date") or "")[:10] for item in found)
    when = dates[0] if len(dates) == 1 else (f"{dates[0]} to {dates[-1]}" if dates else "undated")
    cpus = ", ".join(_distinct(item.get("cpu") for item in found)) or "unknown CPU"
    cores = "/".join(_distinct(item.get("cores") for item in found)) or "?"
    gpu_lists = [item.get("gpus") for item in found]
    if all(gpus is None for gpus in gpu_lists):
        gpu = "GPU not checked"
    else:
        most = max(len(gpus) for gpus in gpu_lists if gpus is not None)
        gpu = "no GPU" if most == 0 else f"{most} GPU{'s' if most > 1 else ''}"
    profiles = _distinct(item.get("profile") for item in found) or ([profile] if profile else [])
    seed_values = _distinct(item.get("seed") for item in found)
    if not seed_values and seeds is not None:
        seed_values = [str(seed) for seed in (seeds if isinstance(seeds, (list, tuple)) else [seeds])]
    run = [f"{', '.join(profiles)} profile"] if profiles else []
    run += [f"seed{'s' if len(seed_values) > 1 else ''} {', '.join(seed_values)}"] if seed_values else []
    datasets = []
    for item in found:
        dataset = item.get("dataset") if isinstance(item.get("dataset"), dict) else {}
        datasets.append(dataset_label((dataset.get("name"), dataset.get("manifest_sha256"), None, None)))
    datasets = _distinct(datasets)
    parts = [f"commit {commit}", when, f"{cpus}, {cores} cores, {gpu}", ", ".join(run), f"data: {', '.join(datasets)}"]
    return " · ".join(part for part in parts if part)


# ---------------------------------------------------------------------------
# The method comparison
# ---------------------------------------------------------------------------


def is_reference(method: str) -> bool:
    """Cross-entropy and the oracle: the two ends every method is measured between."""
    return method == "cross-entropy" or method.startswith("oracle")


def method_groups(records: dict) -> list[dict]:
    """Every recorded method, in groups that may be compared: one per dataset, profile and seed.

    Parameters
    ----------
    records : dict
        ``{record name: record}``; a record takes part through its ``"methods"``
        (``{method: {metric: value}}``).

    Returns
    -------
    list of dict
        Each with ``key`` (:func:`run_key`), ``payloads`` (its records), and
        ``rows``: one dict per method, best balanced accuracy first. A method
        whose numbers repeat an earlier notebook's (the shared cross-entropy
        and oracle) appears once, under the notebook that trained it.
    """
    groups: dict[tuple, dict] = {}
    for name in sorted(records):
        payload = records[name]
        methods = payload.get("methods") if isinstance(payload, dict) else None
        if not isinstance(methods, dict) or not methods:
            continue
        key = run_key(payload)
        group = groups.setdefault(key, {"key": key, "payloads": [], "rows": [], "seen": set()})
        group["payloads"].append(payload)
        for method, values in methods.items():
            if not isinstance(values, dict):
                continue
            same = (method, values.get("balanced_accuracy"), values.get("tail_recall"))
            if same in group["seen"]:
                continue
            group["seen"].add(same)
            group["rows"].append({"method": method, "notebook": name[:2], **values})
    for group in groups.values():
        del group["seen"]
        group["rows"].sort(key=lambda row: -row["balanced_accuracy"] if is_number(row.get("balanced_accuracy"))
                           and not missing(row["balanced_accuracy"]) else math.inf)
    return list(groups.values())


def method_cells(row: dict, baseline: float | None = None) -> list[str]:
    """One method's row of :data:`METHOD_HEADERS`; with ``baseline`` (cross-entropy's balanced accuracy), of
    :data:`FOLDER_HEADERS`."""
    worst = number(row.get("worst_recall"))
    if row.get("worst_class"):
        worst = f"{row['worst_class']} {worst}"
    if baseline is None:
        last = percent(row.get("gap_closed"))
    else:
        score = row.get("balanced_accuracy")
        last = f"{100 * (score - baseline):+.1f}" if is_number(score) and not missing(score) else "—"
    return [row["method"], row["notebook"], number(row.get("balanced_accuracy")), worst,
            number(row.get("tail_recall")), last, seconds(row.get("train_seconds"))]


def baseline_score(rows: list) -> float | None:
    """Cross-entropy's balanced accuracy among a group's rows, or None."""
    for row in rows:
        if row.get("method") == "cross-entropy" and is_number(row.get("balanced_accuracy")):
            return float(row["balanced_accuracy"])
    return None
