"""Tests for cvhelpers.fit_folder.report: the self-contained HTML page, without training a model."""

import re

import numpy as np
import pytest
from PIL import Image

from cvhelpers.experiment import LongTailProtocol, MethodResult, Settings
from cvhelpers.fit_folder import METHODS
from cvhelpers.fit_folder import report as page


@pytest.fixture
def protocol(tmp_path):
    rng = np.random.default_rng(0)
    root = tmp_path / "shapes"
    for name, n in {"circle": 18, "square": 7, "star": 4, "dot": 2}.items():
        (root / name).mkdir(parents=True)
        for i in range(n):
            pixels = rng.integers(0, 256, (10 + i % 4, 14, 3), dtype=np.uint8)
            Image.fromarray(pixels).save(root / name / f"{i:02d}.png")
    (root / "circle" / "copy.png").write_bytes((root / "square" / "00.png").read_bytes())  # across classes
    (root / "square" / "empty.png").write_bytes(b"")
    (root / "star" / "readme.txt").write_text("notes")
    with pytest.warns(UserWarning, match="dot"):
        return LongTailProtocol.from_folder(root, 16, Settings(width=4, feature_dim=8), progress=False)


def _results(protocol):
    rng = np.random.default_rng(1)
    results = {}
    for name in METHODS:
        logits = rng.normal(size=(len(protocol.y_test), protocol.num_classes))
        logits[np.arange(len(logits)), protocol.y_test] += 1.5
        results[name] = MethodResult(name, protocol.evaluate_logits(logits), None, 1.0, logits)
    ce = results[METHODS[0]].summary
    methods = {name: {"test": dict(r.summary), "validation_balanced_accuracy": 0.5, "seconds": 1.0,
                      "balanced_accuracy_change_vs_ce": r.summary["balanced_accuracy"] - ce["balanced_accuracy"],
                      "worst_recall_change_vs_ce": r.summary["worst_recall"] - ce["worst_recall"]}
               for name, r in results.items()}
    record = {"methods": methods, "best": METHODS[1], "split_counts": protocol.split.counts(),
              "settings": {"image_size": 16, "seed": 0, "epochs": 1, "backbone": "small_cnn"}}
    return results, record


def test_the_report_lists_the_data_methods_and_problems_in_order(protocol, tmp_path):
    results, record = _results(protocol)
    summary = page.data_summary(protocol)
    assert list(summary["imbalance"]["class"]) == ["circle", "square", "star"]
    pairs = summary["near_duplicates"]
    found = [{a, b} for a, b in zip(pairs["file_i"], pairs["file_j"], strict=True)]
    assert {"circle/copy.png", "square/00.png"} in found
    path = page.write_report(tmp_path / "report.html", protocol, results, record, summary)
    text = path.read_text()
    assert re.findall(r"<h2 id='([^']+)'>", text) == list(page.SECTION_IDS)
    helped = text[text.index("id='what-helped'"):text.index("id='per-class'")]
    assert all(name in helped for name in METHODS) and "(saved)" in helped and "gap closed" not in text
    assert "empty.png" in text[text.index("id='skipped'"):] and "dot" in text[text.index("id='refused'"):]
    assert text.count("data:image/png;base64,") == 2 + len(METHODS) and "http" not in text.split("<body>")[1]


def test_the_report_opens_in_headless_chromium_with_every_image(protocol, tmp_path):
    from cvhelpers.course.notebook_checks import check_html_in_browser, find_chromium

    try:
        find_chromium()
    except FileNotFoundError:
        pytest.skip("Chromium is not installed")
    results, record = _results(protocol)
    path = page.write_report(tmp_path / "report.html", protocol, results, record, page.data_summary(protocol))
    state = check_html_in_browser(path)
    assert state.images == 2 + len(METHODS) and state.broken == 0
    assert state.sections == page.SECTION_IDS


def test_bad_inputs_are_refused(protocol):
    results, record = _results(protocol)
    with pytest.raises(TypeError, match="results"):
        page.render_report(protocol, list(results), record, {})
    plain = LongTailProtocol(protocol.x_train, protocol.y_train, protocol.x_val, protocol.y_val, protocol.x_test,
                             protocol.y_test, protocol.counts, protocol.class_names, protocol.settings,
                             protocol.x_pool, protocol.y_pool)
    with pytest.raises(ValueError, match="from_folder"):
        page.data_summary(plain)
