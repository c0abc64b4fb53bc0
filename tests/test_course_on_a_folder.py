"""The course's notebooks 03, 04, 05 and 08 on a user's folder, end to end (``make run DATA_DIR=...``).

A small folder of drawn shapes, one epoch everywhere: every cell must run, every figure show, the
Fashion-MNIST-LT checks be skipped with a line, and the report be about the folder, with no oracle.
"""

import json

import nbformat
import numpy as np
import pytest

from cvhelpers.course import runner

QUICK = ["EPOCHS=1", "IMAGE_SIZE=16", "SWEEP_EPOCHS=1", "GAMMAS=(0.0,2.0)", "CRT_EPOCHS=1", "STAGE2_EPOCHS=1",
         "LOW_RATE_EPOCHS=1", "SSL_EPOCHS=1", "TSNE_POINTS=30"]  # SSL_BATCH 128: more than the folder holds


def _shapes(root, sizes):
    from PIL import Image, ImageDraw

    rng = np.random.default_rng(0)
    for c, (name, count) in enumerate(sizes.items()):
        (root / name).mkdir(parents=True)
        for i in range(count):
            image = Image.new("RGB", (int(rng.integers(20, 40)), int(rng.integers(20, 40))), "white")
            draw = ImageDraw.Draw(image)
            box = [int(v) for v in rng.integers(0, 8, 2)] + [int(v) for v in rng.integers(14, 20, 2)]
            (draw.ellipse, draw.rectangle, draw.polygon)[c](
                box if c < 2 else [(box[0], box[3]), (box[2], box[3]), ((box[0] + box[2]) // 2, box[1])],
                fill=(200 * (c == 0), 150 * (c == 1), 220 * (c == 2)))
            image.save(root / name / f"{i:02d}.png")
    return root


@pytest.fixture(scope="module")
def folder_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("course-on-a-folder")
    data = _shapes(tmp / "shapes", {"circles": 40, "squares": 16, "triangles": 7})
    before = sorted(path.relative_to(data) for path in data.rglob("*"))
    build = tmp / "build"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CVLAB_MODEL_CACHE", str(tmp / "models"))
        patch.delenv("MPLBACKEND", raising=False)  # the kernels draw inline, as in `make run`
        code = runner.main(["--data-dir", str(data), "--build-dir", str(build), "--notebooks", "03", "04", "05", "08",
                            *[item for param in QUICK for item in ("--param", param)]])
    assert sorted(path.relative_to(data) for path in data.rglob("*")) == before, "the folder was changed"
    return code, build / "folders" / "shapes"


def test_every_cell_runs_and_shows_its_figures_on_the_folder(folder_run):
    code, out = folder_run
    assert code == 0
    times = json.loads((out / "run_times.json").read_text())
    assert set(times) == {"03_resampling", "04_class_weights_vs_focal_loss", "05_two_stage_and_self_supervised",
                          "08_evaluation"}


def test_the_records_name_the_folder_and_have_no_oracle(folder_run):
    _, out = folder_run
    for name in ("03_resampling", "04_class_weights_vs_focal_loss", "05_two_stage_and_self_supervised"):
        record = json.loads((out / "results" / f"{name}.json").read_text())
        assert record["_provenance"]["dataset"]["name"] == "shapes"
        assert "cross-entropy" in record["methods"] and not any("oracle" in m for m in record["methods"])
        assert "Data: the folder 'shapes', 3 classes" in record["what_we_saw"]


def test_the_fashion_checks_say_they_are_skipped(folder_run):
    _, out = folder_run
    executed = nbformat.read(out / "notebooks" / "03_resampling.ipynb", as_version=4)
    said = "".join(output.get("text", "") for cell in executed.cells if cell.cell_type == "code"
                   for output in cell.outputs)
    assert "Skipped on the folder 'shapes'" in said and "The text around the cells describes" in said


def test_the_report_is_about_the_folder(folder_run):
    _, out = folder_run
    page = (out / "report.html").read_text()
    assert "cvlab report: the folder" in page and "vs cross-entropy" in page and "oracle (balanced data)" not in page


def test_the_run_times_are_not_held_to_the_course_budgets(folder_run):
    _, out = folder_run
    page = (out / "report.html").read_text()
    assert "do not apply to a folder" in page
