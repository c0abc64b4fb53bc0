"""Tests for cvhelpers.glyphs: the offline glyph alphabets and the online Omniglot loader."""

import sys
import unicodedata

import numpy as np
import pytest

from cvhelpers import glyphs
from cvhelpers.datasets import DataSourceError

needs_noto = pytest.mark.skipif(
    not (glyphs.NOTO_DIR / "NotoSansCherokee-Regular.ttf").is_file(), reason="fonts-noto-core not installed"
)


@pytest.fixture
def small_font_dir(tmp_path):
    """A font folder with four scripts, so a full build takes a second."""
    folder = tmp_path / "fonts"
    folder.mkdir()
    for name in ("NotoSans", "NotoSansCherokee", "NotoSansRunic", "NotoSansOsage"):
        (folder / f"{name}-Regular.ttf").symlink_to(glyphs.NOTO_DIR / f"{name}-Regular.ttf")
    return folder


@needs_noto
def test_script_fonts_one_per_script():
    fonts = glyphs.script_fonts()
    assert len(fonts) > 120
    assert {"Latin", "Greek", "Cyrillic", "Cherokee", "Tamil", "Tibetan"} <= set(fonts)
    assert fonts["Tamil"].name == "NotoSansTamil-Regular.ttf"  # Sans preferred over Serif
    assert fonts["Tibetan"].name == "NotoSerifTibetan-Regular.ttf"  # Serif only
    assert not any("Mono" in str(path) or "Unjoined" in str(path) for path in fonts.values())


def test_script_fonts_missing_package_names_it(tmp_path):
    with pytest.raises(DataSourceError, match="fonts-noto-core"):
        glyphs.script_fonts(tmp_path)


@needs_noto
def test_script_letters_cleaning():
    fonts = glyphs.script_fonts()
    cherokee = glyphs.script_letters(fonts["Cherokee"], "Cherokee")
    assert all(unicodedata.category(c).startswith("L") for c in cherokee)
    assert not any(unicodedata.name(c).startswith("LATIN") for c in cherokee)
    # One case: Cherokee has both; the capital of a kept small letter is dropped.
    assert not any(c.lower() != c and c.lower() in cherokee for c in cherokee)
    latin = glyphs.script_letters(fonts["Latin"], "Latin")
    assert "a" in latin and "A" not in latin and "á" not in latin  # one case, no precomposed
    arabic = glyphs.script_letters(fonts["Arabic"], "Arabic")
    assert not any(0xFB50 <= ord(c) <= 0xFEFF for c in arabic)  # no presentation forms


@needs_noto
def test_render_clean_centres_ink():
    fonts = glyphs.script_fonts()
    images, kept = glyphs.render_clean(fonts["Latin"], ["o", "l", " "])
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
    a = glyphs.draw_writers(clean, writers=6, size=28, seed=5)
    b = glyphs.draw_writers(clean, writers=6, size=28, seed=5)
    assert a.shape == (3, 6, 28, 28) and a.dtype == np.uint8
    assert (a == b).all()
    assert (a.reshape(18, -1).max(axis=1) == 255).all()  # ink normalized: no faded drawing
    assert not (a[:, 0] == a[:, 1]).all()  # writers differ
    plain = glyphs.draw_writers(clean, writers=2, size=28, strength=0.0)
    assert (plain[:, 0] == plain[:, 1]).all()
    with pytest.raises(ValueError, match="strength"):
        glyphs.draw_writers(clean, strength=-1)
    with pytest.raises(ValueError, match="clean"):
        glyphs.draw_writers(clean[0])


def test_dedupe_drops_near_identical_glyphs():
    rng = np.random.default_rng(0)
    base = rng.random((5, 28, 28)).astype(np.float32)
    noisy_copy = base[1] + 0.01 * rng.random((28, 28))
    images = np.concatenate([base, noisy_copy[None], base[3:4] * 2 + 1])  # affine copies correlate 1
    assert glyphs.dedupe(images, 0.95).tolist() == [0, 1, 2, 3, 4]
    with pytest.raises(ValueError, match="threshold"):
        glyphs.dedupe(images, 0)


@needs_noto
def test_a_truncated_glyph_cache_is_reported_and_rebuilt(small_font_dir, tmp_path):
    from cvhelpers.cache import CacheWarning

    cache = tmp_path / "cache"
    kwargs = dict(writers=2, size=16, font_dir=small_font_dir, cache_dir=cache, min_letters=5)
    first = glyphs.load_glyph_alphabets(**kwargs)
    (path,) = cache.glob("glyphs_*.npz")
    path.write_bytes(path.read_bytes()[:200])
    with pytest.warns(CacheWarning, match=str(path)):
        again = glyphs.load_glyph_alphabets(**kwargs)
    assert (again.images == first.images).all()
    assert glyphs.load_glyph_alphabets(**kwargs).characters == first.characters  # rewritten whole
    assert [p.name for p in cache.iterdir()] == [path.name]  # no temporary file left


@needs_noto
def test_load_glyph_alphabets_builds_caches_and_splits(small_font_dir, tmp_path):
    cache = tmp_path / "cache"
    kwargs = dict(writers=3, size=20, font_dir=small_font_dir, cache_dir=cache, min_letters=5)
    first = glyphs.load_glyph_alphabets(**kwargs)
    assert len(list(cache.glob("glyphs_*.npz"))) == 1
    again = glyphs.load_glyph_alphabets(**kwargs)  # from the cache
    assert (first.images == again.images).all() and first.characters == again.characters
    assert first.alphabet_names == again.alphabet_names and isinstance(again.alphabet_names[0], str)
    assert first.images.shape[1:] == (3, 20, 20)
    assert len(set(first.characters)) == first.n_chars
    counts = np.bincount(first.alphabet)
    assert counts.max() <= 55 and counts.min() >= 5
    # No two characters of the set look alike at the working size.
    import cv2

    fonts = glyphs.script_fonts(small_font_dir)
    owner = [first.alphabet_names[a] for a in first.alphabet]
    clean = np.stack(
        [cv2.resize(glyphs.render_clean(fonts[s], [c])[0][0], (20, 20), interpolation=cv2.INTER_AREA)
         for s, c in zip(owner, first.characters, strict=True)]
    )
    assert len(glyphs.dedupe(clean, 0.95)) == first.n_chars
    background, evaluation = glyphs.split_alphabets(first, n_evaluation=1, min_eval_letters=20, seed=0)
    assert not set(background.alphabet_names) & set(evaluation.alphabet_names)
    assert background.n_chars + evaluation.n_chars == first.n_chars
    x, y, alphabet = evaluation.flat()
    assert x.shape == (evaluation.n_chars * 3, 20, 20) and (np.bincount(y) == 3).all()
    with pytest.raises(ValueError, match="n_evaluation"):
        glyphs.split_alphabets(first, n_evaluation=10)


def test_omniglot_offline_error_names_the_package(monkeypatch):
    monkeypatch.setitem(sys.modules, "tensorflow_datasets", None)  # import fails
    with pytest.raises(DataSourceError, match="tensorflow-datasets"):
        glyphs.load_omniglot()
    with pytest.raises(ValueError, match="split"):
        glyphs.load_omniglot(split="validation")
