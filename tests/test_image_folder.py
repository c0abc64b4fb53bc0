import hashlib
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from cvhelpers.data import image_folder


def _tree_fingerprint(root: Path):
    return sorted(
        (str(p.relative_to(root)), p.stat().st_size, p.stat().st_mtime_ns, hashlib.md5(p.read_bytes()).hexdigest())
        for p in root.rglob("*") if p.is_file()
    )


@pytest.fixture
def odd_folder(tmp_path):
    root = tmp_path / "photos"
    cats, dogs, birds = root / "cats", root / "dogs", root / "birds" / "nested"
    for folder in (cats, dogs, birds):
        folder.mkdir(parents=True)
    rng = np.random.default_rng(0)
    rgb = rng.integers(0, 256, (20, 30, 3), dtype=np.uint8)
    Image.fromarray(rgb).save(cats / "rgb.png")
    Image.fromarray(rgb).save(cats / "photo.jpg", quality=90)
    Image.fromarray(rgb[..., 0]).save(cats / "gray.bmp")
    Image.fromarray(rgb).convert("P").save(cats / "palette.gif")
    Image.fromarray(np.dstack([rgb, np.full((20, 30), 128, np.uint8)])).save(dogs / "alpha.png")
    Image.fromarray(np.dstack([rgb[..., :2], rgb[..., :2]])).convert("RGBA").save(dogs / "rgba.webp")
    Image.fromarray(rgb).convert("CMYK").save(dogs / "cmyk.tif")
    Image.fromarray(np.full((10, 12), 40000, np.uint16)).save(dogs / "sixteen.png")
    Image.fromarray(rgb[..., :2].mean(-1).astype(np.uint8)).convert("LA").save(birds / "la.png")
    # EXIF orientation 6: the stored 20x30 image is shown rotated to 30x20.
    exif = Image.Exif()
    exif[0x0112] = 6
    Image.fromarray(rgb).save(birds / "rotated.jpg", exif=exif)
    # problems
    (cats / "empty.png").write_bytes(b"")
    (cats / "notes.txt").write_text("not an image")
    full = (cats / "rgb.png").read_bytes()
    (dogs / "truncated.png").write_bytes(full[: len(full) // 2])
    (dogs / "corrupt.jpg").write_bytes(b"\xff\xd8\xff" + b"garbage" * 20)
    Image.new("L", (400, 400)).save(birds / "bomb.png")
    (root / "stray.png").write_bytes(full)  # top-level file: not in a class
    (cats / ".DS_Store").write_bytes(b"\x00\x01")
    return root


def test_image_folder_loads_every_mode_and_lists_problems(odd_folder):
    before = _tree_fingerprint(odd_folder)
    folder = image_folder.load_image_folder(odd_folder, max_pixels=100_000, progress=False)
    assert _tree_fingerprint(odd_folder) == before  # the source is never changed
    assert folder.class_names == ["birds", "cats", "dogs"]
    assert len(folder.images) == 10 and len(folder.labels) == 10
    assert all(image.dtype == np.uint8 and image.shape[-1] == 3 for image in folder.images)
    problems = folder.problems.set_index(folder.problems["path"].map(lambda p: Path(p).name))
    assert set(problems.index) == {"empty.png", "notes.txt", "truncated.png", "corrupt.jpg", "bomb.png"}
    assert "empty" in problems.loc["empty.png", "reason"]
    assert "bomb" in problems.loc["bomb.png", "reason"]
    assert "truncated" in problems.loc["truncated.png", "reason"]
    rows = folder.manifest.set_index(folder.manifest["path"].map(lambda p: Path(p).name))
    assert rows.loc["cmyk.tif", "mode"] == "CMYK" and rows.loc["palette.gif", "mode"] == "P"
    by_name = dict(zip(map(lambda p: Path(p).name, folder.paths), folder.images, strict=True))
    assert by_name["rotated.jpg"].shape == (30, 20, 3)  # EXIF orientation applied
    assert by_name["sixteen.png"].max() == round(40000 / 65535 * 255)  # 16-bit scaled to 8-bit


def test_image_folder_resizes_and_keeps_modes(odd_folder):
    stacked = image_folder.load_image_folder(odd_folder, size=(16, 16), mode="L", max_pixels=100_000, progress=False)
    assert stacked.images.shape == (10, 16, 16, 1) and stacked.images.dtype == np.uint8
    rgba = image_folder.load_image_folder(odd_folder, mode="RGBA", max_pixels=100_000, progress=False)
    assert all(image.shape[-1] == 4 for image in rgba.images)


def test_image_folder_composites_transparency_over_background(tmp_path):
    (tmp_path / "a").mkdir()
    Image.new("RGBA", (4, 4), (255, 0, 0, 0)).save(tmp_path / "a" / "clear.png")
    folder = image_folder.load_image_folder(tmp_path, background=(0, 255, 0), progress=False)
    np.testing.assert_array_equal(folder.images[0][0, 0], [0, 255, 0])


def test_image_folder_errors(tmp_path):
    with pytest.raises(FileNotFoundError):
        image_folder.load_image_folder(tmp_path / "missing")
    (tmp_path / "file.png").write_bytes(b"x")
    with pytest.raises(NotADirectoryError):
        image_folder.load_image_folder(tmp_path / "file.png")
    with pytest.raises(ValueError, match="no class subfolders"):
        image_folder.load_image_folder(tmp_path)
    (tmp_path / "empty_class").mkdir()
    with pytest.raises(ValueError, match="no files"):
        image_folder.load_image_folder(tmp_path, progress=False)
    (tmp_path / "empty_class" / "bad.jpg").write_bytes(b"not a jpeg")
    with pytest.raises(ValueError, match="no readable image"):
        image_folder.load_image_folder(tmp_path, progress=False)
    with pytest.raises(ValueError, match="mode"):
        image_folder.load_image_folder(tmp_path, mode="CMYK")
