"""Known-answer tests for cvhelpers.eda.files: EXIF metadata and skipped files."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from PIL import Image

from cvhelpers import eda
from cvhelpers.data import load_image_folder


def test_exif_written_by_pillow_is_read_back(tmp_path):
    image = Image.fromarray(np.zeros((12, 20, 3), np.uint8))
    exif = Image.Exif()
    exif[271] = "TestMake"
    exif[272] = "Model 9"
    exif[274] = 6
    exif[306] = "2020:01:02 03:04:05"
    exif.get_ifd(0x8769)[36867] = "2019:05:06 07:08:09"
    exif.get_ifd(0x8825)[1] = "N"
    path = tmp_path / "photo.jpg"
    image.save(path, exif=exif, dpi=(300, 300))
    plain = tmp_path / "plain.png"
    image.save(plain)
    broken = tmp_path / "broken.jpg"
    broken.write_bytes(b"not a jpeg")
    table = eda.read_exif([path, plain, broken])
    row = table.iloc[0]
    assert (row["make"], row["model"], row["camera"]) == ("TestMake", "Model 9", "TestMake Model 9")
    assert row["taken"] == pd.Timestamp("2019-05-06 07:08:09") and row["year"] == 2019
    assert row["orientation"] == 6 and row["has_gps"]
    assert (row["width"], row["height"]) == (20, 12)
    assert not table.iloc[1]["has_exif"] and table.iloc[1]["camera"] == "unknown"
    assert table.iloc[2]["error"] != ""


def test_folder_with_corrupt_and_odd_files_gives_problems_table(tmp_path):
    good = tmp_path / "cats"
    good.mkdir()
    Image.fromarray(np.full((8, 8, 3), 200, np.uint8)).save(good / "ok.png")
    (good / "empty.png").write_bytes(b"")
    (good / "fake.jpg").write_bytes(b"hello, I am text")
    truncated = tmp_path / "dogs"
    truncated.mkdir()
    Image.fromarray(np.full((64, 64, 3), 10, np.uint8)).save(truncated / "whole.jpg")
    data = (truncated / "whole.jpg").read_bytes()
    (truncated / "cut.jpg").write_bytes(data[: len(data) // 3])
    (truncated / "notes.txt").write_text("readme")
    (truncated / "sound.ogg").write_bytes(b"OggS")
    folder = load_image_folder(tmp_path, progress=False)
    problems, others = eda.file_problems(folder.manifest)
    assert sorted(problems["path"].map(lambda p: p.split("/")[-1])) == ["cut.jpg", "empty.png", "fake.jpg"]
    assert (problems["reason"] != "").all()
    assert dict(zip(others["extension"], others["files"], strict=True)) == {".txt": 1, ".ogg": 1}
    stats = eda.image_stats(folder.images, folder.labels, folder.class_names)
    assert len(stats) == len(folder.images) == 2


@pytest.mark.parametrize("extensions, error", [(".png", TypeError), (["png"], ValueError)])
def test_file_problems_refuses_extensions_that_would_match_nothing(extensions, error):
    manifest = pd.DataFrame({"path": ["a/x.png"], "class_name": ["a"], "status": ["skipped"], "reason": ["corrupt"]})
    with pytest.raises(error, match="image_extensions"):
        eda.file_problems(manifest, image_extensions=extensions)
    problems, _ = eda.file_problems(manifest, image_extensions=[".PNG"])
    assert problems["path"].tolist() == ["a/x.png"]
