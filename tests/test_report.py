"""The course report opens in a real headless browser with every image and section intact."""

import re
import shutil
import subprocess

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt
import pytest

from cvhelpers import results, runner

CHROMIUM = shutil.which("chromium") or shutil.which("chromium-browser") or shutil.which("google-chrome")

CHECK = """<script>
window.addEventListener('load', () => {
  const images = [...document.images];
  const broken = images.filter(i => !i.complete || i.naturalWidth === 0).length;
  const sections = [...document.querySelectorAll('h2')].map(h => h.id).join(',');
  document.body.setAttribute('data-images', images.length);
  document.body.setAttribute('data-broken', broken);
  document.body.setAttribute('data-sections', sections);
});
</script>"""


def _browser_check(html_path, tmp_path):
    page = tmp_path / "checked.html"
    page.write_text(html_path.read_text().replace("</body>", CHECK + "</body>"))
    completed = subprocess.run(
        [CHROMIUM, "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
         "--disable-component-update", "--disable-sync", "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}",
         "--virtual-time-budget=5000", "--dump-dom", page.as_uri()],
        capture_output=True, text=True, timeout=120,
    )
    assert completed.returncode == 0, completed.stderr[-2000:]
    body = re.search(r"<body([^>]*)>", completed.stdout).group(1)
    return {key: value for key, value in re.findall(r'data-(\w+)="([^"]*)"', body)}


@pytest.fixture
def build(tmp_path):
    build = tmp_path / "build"
    results.record("03_resampling", {"methods": {"ce": {"balanced_accuracy": 0.81}}}, directory=build / "results")
    figure, ax = plt.subplots()
    ax.plot([0, 1], [1, 0])
    results.save_figure("03_resampling", "curve", figure, directory=build / "results")
    plt.close(figure)
    (build / "run_times.json").write_text('{"03_resampling": {"seconds": 12.0, "ok": true, "peak_memory_so_far_mib": 900}}')
    return build


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_report_renders_in_headless_chromium(build, tmp_path):
    _, html = runner.write_report(build)
    state = _browser_check(html, tmp_path)
    assert state["images"] == "1" and state["broken"] == "0"
    for section in ("run-times", "results", "versions"):
        assert section in state["sections"].split(",")


@pytest.mark.skipif(CHROMIUM is None, reason="Debian's chromium is not installed (.ci/run installs it)")
def test_browser_check_catches_a_broken_image(build, tmp_path):
    _, html = runner.write_report(build)
    html.write_text(html.read_text().replace("data:image/png;base64,", "data:image/png;base64,AAAA", 1))
    assert _browser_check(html, tmp_path)["broken"] == "1"


def test_report_is_self_contained(build):
    md, html = runner.write_report(build)
    text = html.read_text()
    assert "data:image/png;base64," in text and "src='http" not in text and 'src="http' not in text
    assert "![curve](results/03_resampling/curve.png)" in md.read_text()
