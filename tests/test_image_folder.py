import hashlib
import os
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


def _listing(root: Path):
    return sorted((str(p.relative_to(root)), p.is_symlink(), p.is_dir()) for p in root.rglob("*"))


def _by_name(frame):
    return frame.set_index(frame["path"].map(lambda p: Path(p).name))


def test_image_folder_scales_float_and_16_bit_images(tmp_path):
    (tmp_path / "a").mkdir()
    ramp = np.linspace(0.0, 1.0, 12, dtype=np.float32).reshape(3, 4)
    Image.fromarray(ramp).save(tmp_path / "a" / "unit.tif")
    Image.fromarray(ramp * 1000).save(tmp_path / "a" / "wide.tif")
    Image.fromarray(np.where(ramp > 0.5, np.nan, ramp).astype(np.float32)).save(tmp_path / "a" / "nan.tif")
    big_endian = Image.frombytes("I;16B", (4, 3), np.full((3, 4), 40000, ">u2").tobytes())
    big_endian.save(tmp_path / "a" / "sixteen_be.tif")
    Image.fromarray(np.full((3, 4), 65535, np.uint16)).save(tmp_path / "a" / "sixteen_full.png")
    Image.fromarray(np.full((3, 4), 100_000, np.int32)).save(tmp_path / "a" / "thirty_two.tif")
    folder = image_folder.load_image_folder(tmp_path, mode="L", progress=False)
    loaded = dict(zip(map(lambda p: Path(p).name, folder.paths), folder.images, strict=True))
    rows = _by_name(folder.manifest)
    assert rows.loc["unit.tif", "mode"] == "F"
    np.testing.assert_array_equal(loaded["unit.tif"][..., 0], np.round(ramp * 255).astype(np.uint8))
    assert (loaded["sixteen_be.tif"] == round(40000 / 65535 * 255)).all()  # scaled, not clipped at 255
    assert (loaded["sixteen_full.png"] == 255).all()
    problems = _by_name(folder.problems)
    assert set(problems.index) == {"wide.tif", "nan.tif", "thirty_two.tif"}
    assert "outside [0, 65535]" in problems.loc["thirty_two.tif", "reason"]
    assert "outside [0, 1]" in problems.loc["wide.tif", "reason"] and "1000" in problems.loc["wide.tif", "reason"]
    assert "NaN" in problems.loc["nan.tif", "reason"]


def test_image_folder_raises_pillows_pixel_limit_for_the_call_only(tmp_path, monkeypatch):
    from PIL import Image as PILImage

    (tmp_path / "a").mkdir()
    Image.new("L", (60, 60)).save(tmp_path / "a" / "large.png")  # 3,600 pixels
    monkeypatch.setattr(PILImage, "MAX_IMAGE_PIXELS", 1_000)
    folder = image_folder.load_image_folder(tmp_path, max_pixels=10_000, progress=False)
    assert len(folder.images) == 1 and folder.problems.empty
    assert PILImage.MAX_IMAGE_PIXELS == 1_000  # restored
    monkeypatch.undo()
    Image.new("L", (10, 10)).save(tmp_path / "a" / "small.png")
    folder = image_folder.load_image_folder(tmp_path, max_pixels=500, progress=False)
    assert [Path(p).name for p in folder.paths] == ["small.png"]
    assert "max_pixels=500" in _by_name(folder.problems).loc["large.png", "reason"]


@pytest.fixture
def awkward_folder(tmp_path):
    root = tmp_path / "photos"
    for folder in (root / "cats" / "inner", root / "dogs", root / "locked"):
        folder.mkdir(parents=True)
    Image.new("RGB", (4, 4), (10, 20, 30)).save(root / "cats" / "ok.png")
    Image.new("RGB", (4, 4)).save(root / "cats" / "inner" / "hidden_by_permissions.png")
    Image.new("RGB", (4, 4)).save(root / "dogs" / "ok.png")
    Image.new("RGB", (4, 4)).save(root / "dogs" / "secret.png")
    Image.new("RGB", (4, 4)).save(root / "locked" / "never_seen.png")
    (root / "dogs" / "gone.png").symlink_to(root / "dogs" / "deleted.png")
    return root


def _unlistable(monkeypatch, *folders):
    """Make os.scandir refuse these folders, as it does for a non-root user after chmod 000."""
    real_scandir = image_folder.os.scandir
    blocked = {str(folder) for folder in folders}

    def scandir(path="."):
        if str(path) in blocked:
            raise PermissionError(13, "Permission denied", str(path))
        return real_scandir(path)

    monkeypatch.setattr(image_folder.os, "scandir", scandir)


def _unopenable(monkeypatch, *files):
    """Make Pillow's open refuse these files, as it does for a non-root user after chmod 000."""
    import PIL.Image

    real_open = PIL.Image.open
    blocked = {str(file) for file in files}

    def open_image(fp, *args, **kwargs):
        if str(fp) in blocked:
            raise PermissionError(13, "Permission denied", str(fp))
        return real_open(fp, *args, **kwargs)

    monkeypatch.setattr(PIL.Image, "open", open_image)


def test_image_folder_reports_links_and_unreadable_files_and_folders(awkward_folder, monkeypatch):
    root = awkward_folder
    before, listing = _tree_fingerprint(root), _listing(root)
    _unlistable(monkeypatch, root / "locked", root / "cats" / "inner")
    _unopenable(monkeypatch, root / "dogs" / "secret.png")
    folder = image_folder.load_image_folder(root, progress=False)
    monkeypatch.undo()
    assert _tree_fingerprint(root) == before and _listing(root) == listing  # nothing written, nothing added
    assert folder.class_names == ["cats", "dogs", "locked"]
    assert [Path(p).name for p in folder.paths] == ["ok.png", "ok.png"]
    problems = _by_name(folder.problems)
    assert set(problems.index) == {"gone.png", "secret.png", "locked", "inner"}
    assert problems.loc["secret.png", "reason"].startswith("permission denied")
    assert "corrupt" not in problems.loc["secret.png", "reason"]
    assert "dangling symbolic link" in problems.loc["gone.png", "reason"]
    assert "deleted.png" in problems.loc["gone.png", "reason"]
    assert problems.loc["locked", "class_name"] == "locked"
    assert "permission denied" in problems.loc["locked", "reason"]
    assert "permission denied" in problems.loc["inner", "reason"] and problems.loc["inner", "class_name"] == "cats"


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() == 0, reason="root reads files whatever their mode")
def test_image_folder_reports_chmod_000_for_real(awkward_folder):
    locked, secret = awkward_folder / "locked", awkward_folder / "dogs" / "secret.png"
    locked.chmod(0)
    secret.chmod(0)
    try:
        folder = image_folder.load_image_folder(awkward_folder, progress=False)
    finally:
        locked.chmod(0o755)
        secret.chmod(0o644)
    problems = _by_name(folder.problems)
    assert problems.loc["secret.png", "reason"].startswith("permission denied")
    assert "permission denied" in problems.loc["locked", "reason"]


def test_image_folder_names_unlistable_folders_when_nothing_is_left(awkward_folder, monkeypatch):
    _unlistable(monkeypatch, *(awkward_folder / name for name in ("cats", "dogs", "locked")))
    with pytest.raises(ValueError, match="no files.*permission denied"):
        image_folder.load_image_folder(awkward_folder, progress=False)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        (dict(background="white"), "background"),
        (dict(background=(255, 255)), "background"),
        (dict(background=(0, 300, 0)), "background"),
        (dict(background=(0.5, 0.5, 0.5)), "background"),
        (dict(size=28), "size"),
        (dict(size=(28, 0)), "size"),
        (dict(size=(28.5, 28)), "size"),
        (dict(max_pixels=0), "max_pixels"),
        (dict(max_pixels=None), "max_pixels"),
    ],
)
def test_image_folder_checks_arguments_before_reading(tmp_path, kwargs, name):
    (tmp_path / "a").mkdir()
    Image.new("RGBA", (4, 4)).save(tmp_path / "a" / "clear.png")
    with pytest.raises(ValueError, match=name):
        image_folder.load_image_folder(tmp_path, progress=False, **kwargs)


def test_image_folder_refuses_a_path_that_is_not_a_path():
    with pytest.raises(TypeError, match="path"):
        image_folder.load_image_folder(None)


def _wide_red_folder(root):
    """One 40x20 (width x height) red image on a white background folder."""
    (root / "a").mkdir()
    Image.new("RGB", (40, 20), (255, 0, 0)).save(root / "a" / "wide.png")
    return root


def test_image_folder_pads_by_default_keeping_the_aspect_ratio(tmp_path):
    folder = image_folder.load_image_folder(_wide_red_folder(tmp_path), size=(20, 20), progress=False,
                                            background=(0, 0, 255))
    image = folder.images[0]
    assert image.shape == (20, 20, 3)
    np.testing.assert_array_equal(image[10, 10], [255, 0, 0])  # the image in the middle band
    np.testing.assert_array_equal(image[0, 10], [0, 0, 255])  # letterbox in the background colour
    np.testing.assert_array_equal(image[19, 10], [0, 0, 255])
    assert (image[:, :, 0] == 255).sum() == 20 * 10


def test_image_folder_crops_the_centre_or_stretches(tmp_path):
    root = _wide_red_folder(tmp_path)
    with Image.open(root / "a" / "wide.png") as wide:
        pattern = np.asarray(wide).copy()
    pattern[:, :10] = (0, 255, 0)  # a green left quarter, cut away by a centre crop
    Image.fromarray(pattern).save(root / "a" / "wide.png")
    crop = image_folder.load_image_folder(root, size=(20, 20), resize="crop", progress=False).images[0]
    assert crop.shape == (20, 20, 3) and (crop[:, :, 1] > 128).sum() == 0
    stretch = image_folder.load_image_folder(root, size=(20, 20), resize="stretch", progress=False).images[0]
    assert (stretch[:, :4, 1] > 128).all()  # squeezed: the green quarter stays at the left
    with pytest.raises(ValueError, match="resize"):
        image_folder.load_image_folder(root, size=(20, 20), resize="squash", progress=False)
