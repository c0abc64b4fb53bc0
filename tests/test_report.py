"""The course report, written for a reader: the comparison first, then each notebook, then run times and versions.

The fixture is a build folder with the records of all nine notebooks as a real
course run wrote them (``docs/records/``), plus what the report reads beyond
them: "What we saw" texts, key figures, executed notebooks. The report opens
in a real headless Chromium with every image intact.
"""

import html
import json
import re
import shutil
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import nbformat
import pytest

from cvhelpers.course import report, results, run_times, runner
from cvhelpers.course.notebook_checks import check_html_in_browser

RECORDS = Path(__file__).resolve().parents[1] / "docs" / "records"
NOTEBOOKS = ["00_setup_and_data", "01_eda", "02_augmentation", "03_resampling", "04_class_weights_vs_focal_loss",
             "05_two_stage_and_self_supervised", "06_gan_synthesis", "07_siamese_one_shot", "08_evaluation"]

#: Figures saved per notebook: (key, marked as a key figure).
FIGURES = {
    "00_setup_and_data": [("samples_per_class", False), ("class_counts", False), ("long_tail_samples", False)],
    "01_eda": [("q1_sizes", True), ("q2_aspect", False), ("q7_imbalance", True)],
    "03_resampling": [("per_class_recall", True), ("learning_curves", False), ("confusion_oversampling", False)],
    "07_siamese_one_shot": [("one_shot", True), ("tsne", False)],
    "08_evaluation": [("confusion_baseline", True), ("roc_pr_curves", False), ("all_methods", False)],
}
SAW_03 = "* Cross-entropy reached a balanced accuracy of **0.841**; the oracle **0.880**.\n* Oversampling closed 52 %."


def _save(name, key, folder, marked):
    figure, ax = plt.subplots(figsize=(3, 2))
    ax.plot([0, 1], [1, 0])
    ax.set_title(key)
    results.save_figure(name, key, figure, directory=folder, key_figure=marked)
    plt.close(figure)


def _executed(path, *cells):
    notebook = nbformat.v4.new_notebook()
    notebook.cells = list(cells)
    nbformat.write(notebook, path)


@pytest.fixture
def build(tmp_path, monkeypatch):
    monkeypatch.setenv("CVLAB_PROFILE", "course")  # as make run sets them for the notebooks
    monkeypatch.setenv("CVLAB_SEED", "0")
    build = tmp_path / "build"
    folder = build / "results"
    folder.mkdir(parents=True)
    for name in NOTEBOOKS:
        shutil.copy(RECORDS / "results" / f"{name}.json", folder / f"{name}.json")
    shutil.copy(RECORDS / "run_times.json", build / "run_times.json")
    for name, figures in FIGURES.items():
        for key, marked in figures:
            _save(name, key, folder, marked)
    results.what_we_saw("03_resampling", SAW_03, directory=folder)
    (build / "notebooks").mkdir()
    _executed(build / "notebooks" / "00_setup_and_data.ipynb",
              nbformat.v4.new_markdown_cell("## What we saw\n* Fashion-MNIST loaded offline.\n\n## Try next\n* more"))
    shown = nbformat.v4.new_code_cell("display(Markdown(text))")
    shown.outputs = [nbformat.v4.new_output("display_data", data={"text/markdown": "* The fused warp was **2.7×**."})]
    _executed(build / "notebooks" / "02_augmentation.ipynb", nbformat.v4.new_markdown_cell("## What we saw"), shown,
              nbformat.v4.new_markdown_cell("## Try next\n* a stronger policy"))
    (build / "notebooks" / "03_resampling.html").write_text("<html></html>")
    return build


def _section(text, name):
    """The HTML of one notebook's section."""
    start = text.index(f"<h3 id='{name}'>")
    end = text.find("<h3 id=", start + 1)
    return text[start:end if end > 0 else text.index("<h2 id='run-times'>")]


def _shown(name):
    """The figures a notebook's section shows: its key figures, else all; 08's ranking is shown at the top."""
    figures = [(key, marked) for key, marked in FIGURES[name] if (name, key) != ("08_evaluation", "all_methods")]
    return [key for key, marked in figures if marked] or [key for key, _ in figures]


def _shown_images():
    return 1 + sum(len(_shown(name)) for name in FIGURES)  # the ranking under the comparison, then each notebook's


def test_report_renders_in_headless_chromium_in_reading_order(build):
    _, page = report.write_report(build)
    state = check_html_in_browser(page)
    assert state.images == _shown_images() and state.broken == 0
    assert state.sections == ("comparison", "notebooks", "run-times", "versions")


def test_browser_check_catches_a_broken_image(build):
    _, page = report.write_report(build)
    page.write_text(page.read_text().replace("data:image/png;base64,", "data:image/png;base64,AAAA", 1))
    assert check_html_in_browser(page).broken == 1


def test_no_python_repr_reaches_the_page(build):
    md, page = report.write_report(build)
    for text in (html.unescape(page.read_text()), md.read_text()):
        for repr_mark in ("{'", "[{", "PosixPath", "['"):
            assert repr_mark not in text, repr_mark


def test_comparison_lists_every_method_once_with_its_numbers(build):
    _, page = report.write_report(build)
    text = page.read_text()
    comparison = text[text.index("<h2 id='comparison'>"):text.index("<h2 id='notebooks'>")]
    rows = re.findall(r"<tr(?: class='reference')?><td>([^<]*)</td><td>(\d\d)</td>", comparison)
    methods = [html.unescape(method) for method, _ in rows]
    for name in ("03_resampling", "04_class_weights_vs_focal_loss", "05_two_stage_and_self_supervised"):
        for method in json.loads((build / "results" / f"{name}.json").read_text())["methods"]:
            assert method in methods, (name, method)
    assert methods.count("cross-entropy") == 1 and ("cross-entropy", "03") in [(html.unescape(m), n) for m, n in rows]
    headers = re.findall(r"<th[^>]*>([^<]*)</th>", comparison[:comparison.index("</thead>")])
    assert headers == ["method", "notebook", "balanced accuracy", "worst class (recall)", "tail recall",
                       "gap closed", "training s"]
    accuracy = [float(value) for value in re.findall(r"<tr[^>]*><td>[^<]*</td><td>\d\d</td><td class='num'>"
                                                     r"([\d.]+)</td>", comparison)]
    assert accuracy == sorted(accuracy, reverse=True) and len(accuracy) == len(rows)
    baseline = json.loads((build / "results" / "03_resampling.json").read_text())["methods"]["cross-entropy"]
    assert f"{baseline['worst_class']} {baseline['worst_recall']:.3f}" in comparison  # the worst class and its recall
    assert "<tr class='reference'><td>oracle (balanced data)</td>" in comparison and "100 %" in comparison
    losses = json.loads((build / "results" / "04_class_weights_vs_focal_loss.json").read_text())
    commit = losses["_provenance"]["commit"]
    assert comparison.count("<img") == 1 and commit[:7] in comparison  # the ranking; where the numbers came from


def test_each_notebook_shows_what_it_saw(build):
    _, page = report.write_report(build)
    text = page.read_text()
    resampling = _section(text, "03_resampling")
    assert "<strong>0.841</strong>" in resampling and "<li>Oversampling closed 52 %.</li>" in resampling
    setup = _section(text, "00_setup_and_data")
    assert "Fashion-MNIST loaded offline." in setup and "more" not in setup.split("What we saw")[1].split("<h4")[0]
    assert "<strong>2.7×</strong>" in _section(text, "02_augmentation")
    assert "What we saw" not in _section(text, "04_class_weights_vs_focal_loss")  # neither recorded nor executed
    assert "<a href='notebooks/03_resampling.html'>the executed notebook</a>" in resampling


def test_findings_of_notebook_01_are_a_table(build):
    _, page = report.write_report(build)
    eda = _section(page.read_text(), "01_eda")
    assert "<h4>Findings</h4>" in eda
    assert "<th>question</th><th>finding</th><th>implication</th>" in eda
    findings = json.loads((build / "results" / "01_eda.json").read_text())["summary"]
    assert len(findings) == 10
    for finding in findings:
        assert f"<td>{html.escape(finding['question'])}</td>" in eda


def test_key_figures_only_when_marked_else_all(build):
    _, page = report.write_report(build)
    text = page.read_text()
    for name, figures in FIGURES.items():
        section = _section(text, name)
        captions = re.findall(r"<figcaption>([^<]*)</figcaption>", section)
        assert captions == [key.replace("_", " ") for key in _shown(name)], name
        rest = len(figures) - len(_shown(name)) - (name == "08_evaluation")
        if rest:
            assert f"{rest} more figure{'s' if rest > 1 else ''} in results/{name}/" in section
    assert "<h4>Key figures</h4>" in _section(text, "03_resampling")
    assert "<h4>Figures</h4>" in _section(text, "00_setup_and_data")


def test_other_numbers_are_folded_away_as_tables(build):
    _, page = report.write_report(build)
    one_shot = _section(page.read_text(), "07_siamese_one_shot")
    folded = one_shot[one_shot.index("<details>"):one_shot.index("</details>")]
    assert "<summary>All recorded numbers</summary>" in folded
    assert "<td>20-way 1-shot</td>" in folded and "evaluation alphabets" in folded


def test_run_times_and_versions_come_last(build):
    md, page = report.write_report(build)
    text = page.read_text()
    assert text.index("<h2 id='notebooks'>") < text.index("<h2 id='run-times'>") < text.index("<h2 id='versions'>")
    times = text[text.index("<h2 id='run-times'>"):text.index("<h2 id='versions'>")]
    seconds = json.loads((build / "run_times.json").read_text())["03_resampling"]["seconds"]
    assert f"<td>03_resampling</td><td class='num'>{seconds:.0f}</td><td class='num'>300</td>" in times
    assert ("Over budget: " in times) == bool(run_times.over_budget(run_times.load(build / "run_times.json")))
    headings = re.findall(r"^## (.+)$", md.read_text(), re.M)
    assert headings == ["Every method side by side", "Notebook by notebook", "Run times", "Versions"]


def test_report_is_self_contained(build):
    md, page = report.write_report(build)
    text = page.read_text()
    assert "data:image/png;base64," in text and "src='http" not in text and 'src="http' not in text
    assert "![per class recall](results/03_resampling/per_class_recall.png)" in md.read_text()


def test_runner_writes_the_same_report(build):
    md, page = runner.write_report(build)
    assert page == build / "report.html" and md == build / "report.md"


def test_records_of_two_datasets_get_two_tables(tmp_path):
    for name, dataset in (("03_resampling", "fashion-mnist-lt"), ("04_class_weights_vs_focal_loss", "my-photos")):
        path = tmp_path / "results" / f"{name}.json"
        results.record(name, {"methods": {f"{dataset} model": {"balanced_accuracy": 0.8}}}, directory=path.parent)
        payload = json.loads(path.read_text())
        payload["_provenance"]["dataset"] = {"name": dataset, "manifest_sha256": "ab" * 32}
        path.write_text(json.dumps(payload))
    _, page = report.write_report(tmp_path)
    text = page.read_text()
    comparison = text[text.index("<h2 id='comparison'>"):text.index("<h2 id='notebooks'>")]
    tables = comparison.split("<table")[1:]
    assert len(tables) == 2 and "<h4>fashion-mnist-lt (manifest abababab)" in comparison
    assert ["fashion-mnist-lt model" in table for table in tables] == [True, False]
    assert ["my-photos model" in table for table in tables] == [False, True]


def test_a_folder_run_is_measured_against_cross_entropy_without_an_oracle(tmp_path):
    path = tmp_path / "results" / "03_resampling.json"
    methods = {"cross-entropy": {"balanced_accuracy": 0.30, "worst_recall": 0.0, "gap_closed": None},
               "oversampling": {"balanced_accuracy": 0.42, "worst_recall": 0.1, "gap_closed": None}}
    results.record("03_resampling", {"methods": methods}, directory=path.parent)
    payload = json.loads(path.read_text())
    payload["_provenance"]["dataset"] = {"name": "stamps", "manifest_sha256": "cd" * 32}
    path.write_text(json.dumps(payload))
    _, page = report.write_report(tmp_path)
    text = page.read_text()
    comparison = text[text.index("<h2 id='comparison'>"):text.index("<h2 id='notebooks'>")]
    assert "cvlab report: the folder &#x27;stamps&#x27;" in text or "cvlab report: the folder 'stamps'" in text
    assert "vs cross-entropy" in comparison and "gap closed" not in comparison.lower().replace("no gap closed", "")
    assert ">+12.0<" in comparison and ">+0.0<" in comparison and "balanced test set" not in comparison
    assert "notebook 04 (make run DATA_DIR=&lt;your folder&gt; NOTEBOOKS=04)" in comparison
    assert "notebook 02" not in comparison and "notebook 06" not in comparison
    (tmp_path / "run_times.json").write_text(json.dumps({"03_resampling": {"seconds": 900.0, "ok": True}}))
    times = report.write_report(tmp_path)[1].read_text()
    times = times[times.index("<h2 id='run-times'>"):]
    assert "budget" not in times.split("</table>")[0] and "do not apply to a folder" in times


def test_key_figure_mark_is_recorded_and_dropped_when_saved_again(tmp_path):
    _save("03_resampling", "bars", tmp_path, True)
    _save("03_resampling", "curve", tmp_path, True)
    assert results.load("03_resampling", tmp_path)["_key_figures"] == ["bars", "curve"]
    _save("03_resampling", "bars", tmp_path, False)
    assert results.load("03_resampling", tmp_path)["_key_figures"] == ["curve"]
    _save("04_class_weights_vs_focal_loss", "plain", tmp_path, False)  # no mark: no record written
    assert not results.record_path("04_class_weights_vs_focal_loss", tmp_path).exists()


def test_what_we_saw_is_recorded_and_returned(tmp_path):
    results.record("05_two_stage", {"seed": 0}, directory=tmp_path)
    assert results.what_we_saw("05_two_stage", "* cRT closed **83 %**.", tmp_path) == "* cRT closed **83 %**."
    recorded = results.load("05_two_stage", tmp_path)
    assert recorded["what_we_saw"] == "* cRT closed **83 %**." and recorded["seed"] == 0
