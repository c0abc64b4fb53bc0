"""Tests for cvhelpers.fit_folder: the course's methods on a real folder of drawings, in one call.

The folder is a copy of the PNG drawings of Tux Paint's stamps
(``/usr/share/tuxpaint/stamps``: 16 categories, 247 down to 3 images) plus a
class of 2 images that must be refused; images at 32x32 and one epoch.
"""

import os
import re
import shutil
import socket
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

keras = pytest.importorskip("keras")

from cvhelpers import fit_folder as ff  # noqa: E402
from cvhelpers.fit_folder.__main__ import main  # noqa: E402
from cvhelpers.fit_folder.report import SECTION_IDS  # noqa: E402

STAMPS = Path("/usr/share/tuxpaint/stamps")
pytestmark = pytest.mark.skipif(not STAMPS.is_dir(), reason="Tux Paint's stamps are not installed")


def _snapshot(folder: Path) -> dict:
    return {path: (path.stat().st_size, path.stat().st_mtime_ns) for path in folder.rglob("*")}


@pytest.fixture(scope="module")
def run(tmp_path_factory):
    data = tmp_path_factory.mktemp("drawings") / "stamps"
    for png in sorted(STAMPS.rglob("*.png")):
        relative = png.relative_to(STAMPS)
        (data / relative).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(png, data / relative)
    (data / "tiny").mkdir()
    for name in ("one.png", "two.png"):
        shutil.copyfile(next(STAMPS.rglob("*.png")), data / "tiny" / name)
    (data / "animals" / "broken.png").write_bytes(b"\x89PNG not really")
    before = _snapshot(data)
    out = tmp_path_factory.mktemp("fit") / "out"
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("CVLAB_MODEL_CACHE", str(tmp_path_factory.mktemp("models")))
        with pytest.warns(UserWarning, match=r"'tiny' \(2\)"):
            result = ff.fit_folder(data, out, epochs=1, image_size=32, seed=0, progress=False)
    return data, before, out, result


def test_the_split_keeps_every_class_with_three_images_and_refuses_the_rest(run):
    data, _, out, result = run
    protocol = result["protocol"]
    assert protocol.refused == {"tiny": 2}
    assert len(protocol.class_names) == 16 and "tiny" not in protocol.class_names
    assert protocol.x_train.shape[1:] == (32, 32, 3)
    counts = protocol.split.counts()
    assert all(counts[split][name] >= 1 for split in counts for name in protocol.class_names)
    assert sum(len(getattr(protocol, f"y_{s}")) for s in ("train", "val", "test")) == 796
    assert (out / "split_manifest.json").read_text() == protocol.split.to_json()
    assert (out / "class_names.json").read_text().count('"') == 2 * 16
    assert "broken.png" in " ".join(protocol.problems["path"])


def test_results_compare_the_methods_against_cross_entropy_without_an_oracle(run):
    import json

    _, _, out, result = run
    record = json.loads((out / "results.json").read_text())
    assert list(record["methods"]) == list(ff.METHODS) and record["best"] in ff.METHODS
    assert record["methods"]["cross-entropy"]["balanced_accuracy_change_vs_ce"] == 0
    assert "_provenance" in record and record["dataset"]["split_sha256"] == result["protocol"].split.sha256
    assert record["refused_classes"] == {"tiny": 2}
    text = json.dumps(record).lower()
    assert "oracle" not in text and "gap" not in text
    best = record["best"]
    assert record["methods"][best]["validation_balanced_accuracy"] == max(result["validation"].values())


def test_the_report_has_its_sections_in_order(run):
    _, _, out, _ = run
    page = (out / "report.html").read_text()
    assert re.findall(r"<h2 id='([^']+)'>", page) == list(SECTION_IDS)
    assert "tiny" in page[page.index("id='refused'"):] and "broken.png" in page[page.index("id='skipped'"):]
    assert "gap closed" not in page and 'src="http' not in page
    assert page.count("data:image/png;base64,") == 2 + len(ff.METHODS)


def test_the_saved_model_reloads_safely_and_predicts_the_same(run):
    _, _, out, result = run
    loaded = keras.models.load_model(out / "model.keras", safe_mode=True)
    images = result["protocol"].x_test.astype("float32") / 255.0
    np.testing.assert_allclose(loaded.predict(images, verbose=0), result["model"].predict(images, verbose=0),
                               rtol=1e-4, atol=1e-4)


def test_nothing_is_written_in_the_data_folder(run):
    data, before, out, _ = run
    assert _snapshot(data) == before
    assert sorted(p.name for p in out.iterdir()) == ["class_names.json", "model.keras", "report.html",
                                                     "results.json", "split_manifest.json"]


@pytest.mark.parametrize("case, arguments, named", [
    ("missing folder", ["{missing}"], "data_dir"),
    ("a file", ["{file}"], "data_dir"),
    ("out inside DATA_DIR", ["{data}", "--out", "{data}/report"], "out"),
    ("zero epochs", ["{data}", "--epochs", "0"], "--epochs"),
    ("small image size", ["{data}", "--image-size", "2"], "--image-size"),
    ("image size below the small CNN's 16", ["{data}", "--image-size", "12"], "--image-size"),
    ("a class folder with no images", ["{data}", "--out", "{missing}", "--no-progress"], "no files"),
])
def test_the_command_refuses_bad_arguments_naming_them(tmp_path, capsys, case, arguments, named):
    data = tmp_path / "data"
    (data / "a").mkdir(parents=True)
    (tmp_path / "file.txt").write_text("x")
    values = {"missing": tmp_path / "missing", "file": tmp_path / "file.txt", "data": data}
    with pytest.raises(SystemExit) as stopped:
        main([argument.format(**values) for argument in arguments])
    assert stopped.value.code == 2
    message = capsys.readouterr().err
    assert named in message and "Traceback" not in message and message.count("\n") == 1
    assert not (data / "report").exists()


def test_the_command_line_exits_2_without_a_traceback(tmp_path):
    completed = subprocess.run([sys.executable, "-m", "cvhelpers.fit_folder", str(tmp_path / "nowhere")],
                               capture_output=True, text=True, timeout=120, env={**os.environ})
    assert completed.returncode == 2 and "data_dir" in completed.stderr and "Traceback" not in completed.stderr


def test_fit_folder_refuses_bad_arguments_before_training(tmp_path):
    (tmp_path / "a").mkdir()
    with pytest.raises(ValueError, match="epochs"):
        ff.fit_folder(tmp_path, tmp_path.parent / "elsewhere", epochs=0)
    with pytest.raises(ValueError, match="backbone"):
        ff.fit_folder(tmp_path, tmp_path.parent / "elsewhere", backbone="resnet")
    with pytest.raises(ValueError, match="out"):
        ff.check_out_dir(tmp_path, tmp_path / "inside")


def test_a_pretrained_backbone_runs_offline_from_random_weights_with_one_line(tmp_path, monkeypatch, capsys):
    from cvhelpers.training import backbones

    data = tmp_path / "three"
    for name in ("animals", "food", "town"):
        (data / name).mkdir(parents=True)
        for png in sorted((STAMPS / name).rglob("*.png"))[:12]:
            shutil.copyfile(png, data / name / png.name)
    monkeypatch.setenv("CVLAB_MODEL_CACHE", str(tmp_path / "models"))
    with socket.socket() as sock:  # a port nobody listens on: the download fails as it does offline
        sock.bind(("127.0.0.1", 0))
        closed = sock.getsockname()[1]
    _, digest = backbones._IMAGENET_WEIGHTS["mobilenet_v3_small"]
    monkeypatch.setitem(backbones._IMAGENET_WEIGHTS, "mobilenet_v3_small",
                        (f"http://127.0.0.1:{closed}/mobilenet.h5", digest))
    out = tmp_path / "out"
    assert main([str(data), "--out", str(out), "--epochs", "1", "--image-size", "32", "--no-progress",
                 "--backbone", "mobilenet_v3_small"]) == 0
    printed = capsys.readouterr().out
    assert printed.count("ImageNet weights could not be downloaded") == 1, printed
    model = keras.models.load_model(out / "model.keras", safe_mode=True)
    assert model.get_layer("encoder").get_layer("mobilenet_v3_small") is not None
    assert model.output_shape == (None, 3)
