"""Tests for cvhelpers.data.glyph_rendering: fonts, letters, clean renderings, writers, deduplication."""

import unicodedata

import numpy as np
import pytest

from cvhelpers.data import DataSourceError, glyph_rendering
from cvhelpers.data.sources import NOTO_DIR

needs_noto = pytest.mark.skipif(
    not (NOTO_DIR / "NotoSansCherokee-Regular.ttf").is_file(), reason="fonts-noto-core not installed"
)


@needs_noto
def test_script_fonts_one_per_script():
    fonts = glyph_rendering.script_fonts()
    assert len(fonts) > 120
    assert {"Latin", "Greek", "Cyrillic", "Cherokee", "Tamil", "Tibetan"} <= set(fonts)
    assert fonts["Tamil"].name == "NotoSansTamil-Regular.ttf"  # Sans preferred over Serif
    assert fonts["Tibetan"].name == "NotoSerifTibetan-Regular.ttf"  # Serif only
    assert not any("Mono" in str(path) or "Unjoined" in str(path) for path in fonts.values())


def test_script_fonts_missing_package_names_it(tmp_path):
    with pytest.raises(DataSourceError, match="fonts-noto-core"):
        glyph_rendering.script_fonts(tmp_path)


@needs_noto
def test_script_letters_cleaning():
    fonts = glyph_rendering.script_fonts()
    cherokee = glyph_rendering.script_letters(fonts["Cherokee"], "Cherokee")
    assert all(unicodedata.category(c).startswith("L") for c in cherokee)
    assert not any(unicodedata.name(c).startswith("LATIN") for c in cherokee)
    # One case: Cherokee has both; the capital of a kept small letter is dropped.
    assert not any(c.lower() != c and c.lower() in cherokee for c in cherokee)
    latin = glyph_rendering.script_letters(fonts["Latin"], "Latin")
    assert "a" in latin and "A" not in latin and "á" not in latin  # one case, no precomposed
    arabic = glyph_rendering.script_letters(fonts["Arabic"], "Arabic")
    assert not any(0xFB50 <= ord(c) <= 0xFEFF for c in arabic)  # no presentation forms


@needs_noto
def test_render_clean_centres_ink():
    fonts = glyph_rendering.script_fonts()
    images, kept = glyph_rendering.render_clean(fonts["Latin"], ["o", "l", " "])
    assert kept == ["o", "l"]  # the space has no ink
    assert images.shape == (2, 64, 64) and images.dtype == np.uint8
    for image in images:
        ys, xs = np.nonzero(image > 32)
        assert abs((ys.min() + ys.max()) / 2 - 31.5) <= 1.5 and abs((xs.min() + xs.max()) / 2 - 31.5) <= 1.5
        assert max(np.ptp(ys), np.ptp(xs)) >= 45  # scaled to fill about 80%


def test_draw_writers_shapes_ink_and_seed():
    clean = np.zeros((3, 64, 64), np.uint8)
    clean[0, 10:54, 30:33] = 255  # a thin vertical stroke
    clean[1, 20:44, 20:44] = 255
    clean[2, 31:33, 8:56] = 255  # a thin horizontal stroke
    a = glyph_rendering.draw_writers(clean, writers=6, size=28, seed=5)
    b = glyph_rendering.draw_writers(clean, writers=6, size=28, seed=5)
    assert a.shape == (3, 6, 28, 28) and a.dtype == np.uint8
    assert (a == b).all()
    assert (a.reshape(18, -1).max(axis=1) == 255).all()  # ink normalized: no faded drawing
    assert not (a[:, 0] == a[:, 1]).all()  # writers differ
    plain = glyph_rendering.draw_writers(clean, writers=2, size=28, strength=0.0)
    assert (plain[:, 0] == plain[:, 1]).all()
    with pytest.raises(ValueError, match="strength"):
        glyph_rendering.draw_writers(clean, strength=-1)
    with pytest.raises(ValueError, match="clean"):
        glyph_rendering.draw_writers(clean[0])


def test_dedupe_drops_near_identical_glyphs():
    rng = np.random.default_rng(0)
    base = rng.random((5, 28, 28)).astype(np.float32)
    noisy_copy = base[1] + 0.01 * rng.random((28, 28))
    images = np.concatenate([base, noisy_copy[None], base[3:4] * 2 + 1])  # affine copies correlate 1
    assert glyph_rendering.dedupe(images, 0.95).tolist() == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="threshold"):
        glyph_rendering.dedupe(images, 0)


@pytest.mark.parametrize(
    ("kwargs", "error", "name"),
    [
        (dict(strength=float("nan")), ValueError, "strength"),
        (dict(strength="1"), TypeError, "strength"),
        (dict(writers=2.5), ValueError, "writers"),
        (dict(writers=True), ValueError, "writers"),
        (dict(size=4), ValueError, "size"),
        (dict(seed=-1), ValueError, "seed"),
    ],
)
def test_draw_writers_names_a_bad_argument(kwargs, error, name):
    with pytest.raises(error, match=name):
        glyph_rendering.draw_writers(np.zeros((1, 16, 16), np.uint8), **kwargs)


def test_draw_writers_refuses_float_glyphs():
    with pytest.raises(TypeError, match="clean.*uint8"):
        glyph_rendering.draw_writers(np.zeros((1, 16, 16), np.float32))


def test_dedupe_refuses_nan_and_bad_shapes_and_accepts_no_images():
    with pytest.raises(ValueError, match="images"):
        glyph_rendering.dedupe(np.full((2, 4, 4), np.nan))
    with pytest.raises(ValueError, match="images"):
        glyph_rendering.dedupe(np.zeros((4, 4)))
    with pytest.raises(TypeError, match="threshold"):
        glyph_rendering.dedupe(np.zeros((2, 4, 4)), "0.9")
    with pytest.raises(ValueError, match="threshold"):
        glyph_rendering.dedupe(np.zeros((2, 4, 4)), float("nan"))
    assert glyph_rendering.dedupe(np.zeros((0, 4, 4))).tolist() == []


def test_fonts_and_letters_name_a_bad_path_or_script(tmp_path):
    missing = tmp_path / "NotoSans-Regular.ttf"
    with pytest.raises(TypeError, match="font_dir"):
        glyph_rendering.script_fonts(None)
    with pytest.raises(FileNotFoundError, match="font_path"):
        glyph_rendering.script_letters(missing, "Latin")
    with pytest.raises(FileNotFoundError, match="font_path"):
        glyph_rendering.script_letters(tmp_path, "Latin")  # a folder, not a font
    with pytest.raises(TypeError, match="script"):
        glyph_rendering.script_letters(missing, None)
    with pytest.raises(FileNotFoundError, match="font_path"):
        glyph_rendering.render_clean(missing, ["a"])
    with pytest.raises(ValueError, match="characters"):
        glyph_rendering.render_clean(missing, ["ab"])
    with pytest.raises(ValueError, match="side"):
        glyph_rendering.render_clean(missing, ["a"], side=0)
