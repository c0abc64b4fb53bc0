"""Tests for cvhelpers.data.glyphs: building, caching and splitting the alphabets; the online Omniglot loader."""

import sys

import numpy as np
import pytest

from cvhelpers.data import DataSourceError, glyphs

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


def _tiny_set():
    return glyphs.GlyphSet(np.zeros((4, 2, 8, 8), np.uint8), np.array([0, 0, 1, 1]), ("a", "b"), tuple("wxyz"))


def test_a_glyph_set_checks_that_its_fields_agree():
    images = np.zeros((3, 2, 8, 8), np.uint8)
    with pytest.raises(ValueError, match="alphabet has 2 entries"):
        glyphs.GlyphSet(images, np.array([0, 1]), ("a", "b"), ("x", "y", "z"))
    with pytest.raises(ValueError, match="alphabet must be < num_classes=2"):
        glyphs.GlyphSet(images, np.array([0, 1, 2]), ("a", "b"), ("x", "y", "z"))
    with pytest.raises(ValueError, match="characters"):
        glyphs.GlyphSet(images, np.array([0, 1, 1]), ("a", "b"), ("x", "y"))
    with pytest.raises(ValueError, match="images"):
        glyphs.GlyphSet(images[:, 0], np.array([0, 1, 1]), ("a", "b"), ("x", "y", "z"))
    with pytest.raises(TypeError, match="flatnonzero"):
        _tiny_set().subset(np.array([True, False, True, False]))
    assert _tiny_set().subset([2, 3]).alphabet_names == ("b",)


@pytest.mark.parametrize(
    ("kwargs", "name"),
    [
        (dict(strength=float("nan")), "strength"),
        (dict(dedupe_threshold=0), "dedupe_threshold"),
        (dict(size=4), "size"),
        (dict(writers=0), "writers"),
        (dict(max_scripts=1), "max_scripts"),
        (dict(min_letters=30, max_letters=20), "min_letters"),
        (dict(seed=-1), "seed"),
    ],
)
def test_load_glyph_alphabets_refuses_a_bad_argument_before_rendering(kwargs, name, tmp_path):
    with pytest.raises(ValueError, match=name):
        glyphs.load_glyph_alphabets(font_dir=tmp_path, cache_dir=tmp_path, **kwargs)
    assert list(tmp_path.iterdir()) == []  # nothing rendered, nothing cached


def test_split_alphabets_and_load_omniglot_name_a_bad_argument():
    with pytest.raises(TypeError, match="glyphs"):
        glyphs.split_alphabets({"images": []})
    with pytest.raises(ValueError, match="n_evaluation"):
        glyphs.split_alphabets(_tiny_set(), n_evaluation=1.5, min_eval_letters=2)
    with pytest.raises(ValueError, match="seed"):
        glyphs.split_alphabets(_tiny_set(), n_evaluation=1, min_eval_letters=2, seed=-1)
    background, evaluation = glyphs.split_alphabets(_tiny_set(), n_evaluation=1, min_eval_letters=2)
    assert background.n_chars == evaluation.n_chars == 2
    with pytest.raises(ValueError, match="size"):
        glyphs.load_omniglot(size=0)
