"""The self-contained HTML report of :func:`cvhelpers.fit_folder.fit_folder`.

One file, no external resources: tables as HTML, figures as base64 PNG.
Sections, in reading order: the data, what helped (each method's balanced
accuracy, worst-class recall and change against cross-entropy, measured on
the test split), per-class recall and precision, confusion matrices, the
files skipped and why, the classes refused and why.
"""

from __future__ import annotations

import base64
import html
import io
import os
from pathlib import Path

import numpy as np

__all__ = ["data_summary", "render_report", "write_report", "SECTIONS", "SECTION_IDS"]

#: The section headings, in order, and their ``id``s.
SECTIONS = ("The data", "What helped", "Per-class recall and precision", "Confusion matrices",
            "Files skipped", "Classes refused")
SECTION_IDS = ("data", "what-helped", "per-class", "confusion", "skipped", "refused")


def data_summary(protocol) -> dict:
    """The EDA tables of a folder protocol (:meth:`LongTailProtocol.from_folder`).

    Parameters
    ----------
    protocol : cvhelpers.experiment.LongTailProtocol
        Built by ``from_folder`` (``problems`` and ``split`` set).

    Returns
    -------
    dict
        ``sizes`` (most common stored sizes, :func:`cvhelpers.eda.size_table`),
        ``aspect`` (:func:`cvhelpers.eda.aspect_summary`), ``imbalance``
        (:func:`cvhelpers.eda.imbalance_table` of all kept images),
        ``near_duplicates`` (pairs within 4 bits of perceptual hash, a
        DataFrame with paths), ``problems`` and ``others``
        (:func:`cvhelpers.eda.file_problems`).

    Raises
    ------
    ValueError
        When ``protocol`` was not built from a folder.
    """
    from cvhelpers import eda

    if getattr(protocol, "split", None) is None or protocol.manifest is None:
        raise ValueError("protocol must come from LongTailProtocol.from_folder (it has no split or manifest)")
    manifest = protocol.manifest
    ok = manifest[manifest["status"] == "ok"]
    widths, heights = ok["width"].astype(int).to_numpy(), ok["height"].astype(int).to_numpy()
    images = np.concatenate([protocol.x_train, protocol.x_val, protocol.x_test])
    labels = np.concatenate([protocol.y_train, protocol.y_val, protocol.y_test])
    root = os.path.commonpath(ok["path"].tolist())
    relative = ok["path"].map(lambda path: Path(path).relative_to(root).as_posix())
    paths = np.concatenate([relative[ok["split"] == split].to_numpy(dtype=str) for split in ("train", "val", "test")])
    pairs = eda.near_duplicates(eda.perceptual_hash(images), labels=labels)
    pairs = pairs.assign(file_i=paths[pairs["i"].to_numpy()], file_j=paths[pairs["j"].to_numpy()])
    real, others = eda.file_problems(manifest)
    real["path"] = [os.path.relpath(path, root) for path in real["path"]]
    return {"sizes": eda.size_table(widths, heights), "aspect": eda.aspect_summary(widths, heights),
            "imbalance": eda.imbalance_table(labels, protocol.class_names), "near_duplicates": pairs,
            "problems": real, "others": others}


def _figure_png(figure) -> str:
    import matplotlib.pyplot as plt

    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=80, bbox_inches="tight")
    plt.close(figure)
    return f'<img alt="figure" src="data:image/png;base64,{base64.b64encode(buffer.getvalue()).decode()}">'


def _table(frame, **options) -> str:
    return frame.to_html(border=0, classes="table", float_format=lambda v: f"{v:.3f}", **options)


def render_report(protocol, results: dict, record: dict, summary: dict) -> str:
    """The report as one HTML text.

    Parameters
    ----------
    protocol : cvhelpers.experiment.LongTailProtocol
        From :meth:`~cvhelpers.experiment.LongTailProtocol.from_folder`.
    results : dict of str to MethodResult
        Test-split results by method, cross-entropy first.
    record : dict
        The ``results.json`` dict (``best``, ``methods``, ``settings``).
    summary : dict
        :func:`data_summary`.

    Returns
    -------
    str

    Raises
    ------
    TypeError
        When ``results`` or ``record`` is not a dict.
    """
    import pandas as pd

    from cvhelpers import metrics

    if not isinstance(results, dict) or not isinstance(record, dict):
        raise TypeError("results and record must be dicts (method to MethodResult, results.json)")
    name = html.escape(str((protocol.dataset or {}).get("name", "folder")))
    parts = [f"<h1>Long-tail methods on {name}</h1>", _intro(protocol, record)]

    parts.append(_heading(0))
    imbalance = summary["imbalance"]
    ratio = imbalance.attrs.get("imbalance_ratio")
    parts.append(f"<p>{len(protocol.class_names)} classes, {int(imbalance['count'].sum())} images"
                 + (f", imbalance ratio {ratio:.1f} (largest / smallest class)" if ratio else "") + ".</p>")
    parts.append(_table(imbalance[["class", "count", "share"]], index=False))
    parts.append(_figure_png(_imbalance_figure(imbalance)))
    parts.append("<h3>Stored image sizes</h3>" + _table(summary["sizes"].head(10), index=False))
    aspect = {k: v for k, v in summary["aspect"].items() if np.isscalar(v)}
    parts.append(_table(pd.DataFrame([aspect]), index=False))
    parts.append(_duplicates(summary["near_duplicates"], protocol.class_names))

    parts.append(_heading(1))
    parts.append("<p>Measured on the test split; changes against cross-entropy in percentage points. "
                 "The best model by validation balanced accuracy is saved as <code>model.keras</code>. "
                 "Seconds are this run's: a model trained before on the same data loads from the cache.</p>")
    test_counts = np.bincount(protocol.y_test, minlength=protocol.num_classes)
    few = [name for name, n in zip(protocol.class_names, test_counts, strict=True) if n < 5]
    if few:
        parts.append(f"<p>{len(few)} of {protocol.num_classes} classes have fewer than 5 test images "
                     f"({html.escape(', '.join(few))}): their recall moves in steps of 20 points or more, so "
                     "worst-class recall and small changes are noisy; more images of those classes help most.</p>")
    rows = []
    for method, entry in record["methods"].items():
        test = entry["test"]
        rows.append({"method": method + (" (saved)" if method == record["best"] else ""),
                     "balanced accuracy": test["balanced_accuracy"],
                     "change": _points(entry["balanced_accuracy_change_vs_ce"]),
                     "worst-class recall": test["worst_recall"], "worst class": test.get("worst_class"),
                     "worst-recall change": _points(entry["worst_recall_change_vs_ce"]),
                     "validation balanced accuracy": entry["validation_balanced_accuracy"],
                     "seconds (this run)": f"{entry['seconds']:.0f}" if entry["seconds"] is not None else ""})
    parts.append(_table(pd.DataFrame(rows), index=False))

    parts.append(_heading(2))
    per_class = pd.concat({method: result.report.per_class[["recall", "precision"]]
                           for method, result in results.items()}, axis=1)
    per_class.insert(0, ("", "training images"), [protocol.counts[c] for c in range(protocol.num_classes)])
    per_class.insert(1, ("", "test images"), np.bincount(protocol.y_test, minlength=protocol.num_classes))
    parts.append(_table(per_class))
    reports = {method: result.report for method, result in results.items()}
    parts.append(_figure_png(metrics.plot_per_class_recall(reports, protocol.counts, protocol.class_names)))

    parts.append(_heading(3))
    for method, result in results.items():
        parts.append(f"<h3>{html.escape(method)}</h3>")
        parts.append(_figure_png(metrics.plot_confusion_matrices(result.report, title=method, normalize_only=True)))

    parts.append(_heading(4))
    problems, others = summary["problems"], summary["others"]
    parts.append(f"<p>{len(problems)} image files could not be read; {int(others['files'].sum()) if len(others) else 0}"
                 " other files are not images.</p>")
    if len(problems):
        parts.append(_table(problems.head(200), index=False))
    if len(others):
        parts.append("<h3>Files that are not images, by extension</h3>" + _table(others, index=False))

    parts.append(_heading(5))
    if protocol.refused:
        refused = pd.DataFrame([{"class": c, "readable images": n, "why": "fewer than 3 (one per split needed)"}
                                for c, n in protocol.refused.items()])
        parts.append(_table(refused, index=False))
    else:
        parts.append("<p>None: every class had at least 3 readable images.</p>")
    return _page(name, "\n".join(parts))


def _points(change: float) -> str:
    return f"{100 * change:+.1f}"


def _duplicates(pairs, class_names) -> str:
    """The near-duplicate pairs as a paragraph and a table of at most 20 rows."""
    text = f"<h3>Near-duplicates</h3><p>{len(pairs)} pairs of images within 4 bits of perceptual hash"
    if not len(pairs):
        return text + ".</p>"
    text += f", {int((~pairs['same_class']).sum())} of them across classes (check their labels).</p>"
    shown = pairs.head(20).assign(
        class_i=[class_names[i] for i in pairs["label_i"].head(20)],
        class_j=[class_names[j] for j in pairs["label_j"].head(20)])
    return text + _table(shown[["distance", "file_i", "class_i", "file_j", "class_j"]], index=False)


def _heading(index: int) -> str:
    return f"<h2 id='{SECTION_IDS[index]}'>{SECTIONS[index]}</h2>"


def _intro(protocol, record) -> str:
    settings = record["settings"]
    counts = record["split_counts"]
    sizes = ", ".join(f"{split} {sum(counts[split].values())}" for split in ("train", "val", "test"))
    return (f"<p>Images letterboxed to {settings['image_size']}x{settings['image_size']} (aspect ratio kept); "
            f"split {sizes} (stratified, seed {protocol.split.seed}, kept in <code>split_manifest.json</code>); "
            f"{settings['epochs']} epochs, model {html.escape(settings['backbone'])}. "
            "There is no oracle on a user's folder, so no gap to it is reported.</p>")


def _imbalance_figure(imbalance):
    import matplotlib.pyplot as plt

    figure, ax = plt.subplots(figsize=(8, 3))
    ax.bar(range(len(imbalance)), imbalance["count"].to_numpy())
    ax.set_xticks(range(len(imbalance)), imbalance["class"].tolist(), rotation=45, ha="right")
    ax.set_ylabel("images")
    ax.set_title("Images per class, head to tail")
    return figure


def _page(title: str, body: str) -> str:
    style = ("body{font-family:sans-serif;max-width:1100px;margin:2em auto;padding:0 1em;color:#222}"
             "table.table{border-collapse:collapse;margin:0.5em 0;font-size:0.9em}"
             "table.table td,table.table th{border-bottom:1px solid #ddd;padding:2px 8px;text-align:right}"
             "img{max-width:100%}h2{border-bottom:2px solid #888;margin-top:1.5em}")
    return (f"<!DOCTYPE html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{title}</title>"
            f"<style>{style}</style></head><body>\n{body}\n</body></html>\n")


def write_report(path, protocol, results: dict, record: dict, summary: dict):
    """Write :func:`render_report` to ``path`` atomically; returns the path."""
    from cvhelpers.course.results import atomic_write_text

    return atomic_write_text(path, render_report(protocol, results, record, summary))
