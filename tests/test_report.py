"""The course report opens in a real headless browser with every image and section intact."""

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest

from cvhelpers.course import results, runner
from cvhelpers.course.notebook_checks import check_html_in_browser


@pytest.fixture
def build(tmp_path):
    build = tmp_path / "build"
    results.record("03_resampling", {"methods": {"ce": {"balanced_accuracy": 0.81}}}, directory=build / "results")
    figure, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    results.save_figure("03_resampling", "curve", figure, directory=build / "results")
    plt.close(figure)
    (build / "run_times.json").write_text(
        '{"03_resampling": {"seconds": 12.0, "ok": true, "peak_memory_so_far_mib": 900}}'
    )
    return build


def test_report_renders_in_headless_chromium(build):
    _, html = runner.write_report(build)
    state = check_html_in_browser(html)
    assert state.images == 1 and state.broken == 0
    for section in ("run-times", "results", "versions"):
        assert section in state.sections


def test_browser_check_catches_a_broken_image(build):
    _, html = runner.write_report(build)
    html.write_text(html.read_text().replace("data:image/png;base64,", "data:image/png;base64,AAAA", 1))
    assert check_html_in_browser(html).broken == 1


def test_report_is_self_contained(build):
    md, html = runner.write_report(build)
    text = html.read_text()
    assert "data:image/png;base64," in text and "src='http" not in text and 'src="http' not in text
    assert "![curve](results/03_resampling/curve.png)" in md.read_text()
