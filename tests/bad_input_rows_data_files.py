"""Bad-input rows: the data loaders that read files (image folders, Fashion-MNIST, faces, glyphs, sources)."""

import tempfile
from pathlib import Path

import numpy as np

from bad_input_table import Correct, Refused

FOLDER = "cvhelpers.data.image_folder."
FASHION = "cvhelpers.data.fashion_mnist."
FACES = "cvhelpers.data.faces."
GLYPHS = "cvhelpers.data.glyphs."
RENDER = "cvhelpers.data.glyph_rendering."
SOURCES = "cvhelpers.data.sources."

_TEMPORARY = tempfile.TemporaryDirectory(prefix="cvlab-bad-input-data-")


def _folder() -> Path:
    return Path(tempfile.mkdtemp(dir=_TEMPORARY.name))


def _image_folder() -> Path:
    """One class folder holding a small 32-bit float (mode F) TIFF with values in [0, 1]."""
    from PIL import Image

    root = _folder()
    (root / "a").mkdir()
    Image.fromarray(np.linspace(0, 1, 12, dtype=np.float32).reshape(3, 4)).save(root / "a" / "ramp.tif")
    return root


def _float_image_loads_scaled(folder) -> bool:
    expected = np.round(np.linspace(0, 1, 12) * 255).reshape(3, 4)
    return folder.problems.empty and np.array_equal(folder.images[0][..., 0], expected)


def _glyphs():
    from cvhelpers.data.glyphs import GlyphSet

    return GlyphSet(np.zeros((4, 2, 8, 8), np.uint8), np.array([0, 0, 1, 1]), ("a", "b"), ("w", "x", "y", "z"))


def _source(package="pkg-a"):
    from cvhelpers.data.sources import OfflineSource

    return OfflineSource("gone", package, str(Path(_TEMPORARY.name) / "nothing"), "tests")


_MISSING_FONT = "/nonexistent/NotoSans-Regular.ttf"

ROWS = [
    # load_image_folder
    Refused(FOLDER + "load_image_folder", "not a path", lambda f: f(None), TypeError, "path"),
    Refused(FOLDER + "load_image_folder", "a missing folder", lambda f: f("/nonexistent/photos"), FileNotFoundError,
            "/nonexistent/photos"),
    Refused(FOLDER + "load_image_folder", "a colour name for background",
            lambda f: f(_image_folder(), background="white", progress=False), ValueError, "background"),
    Refused(FOLDER + "load_image_folder", "a background out of 0..255",
            lambda f: f(_image_folder(), background=(0, 300, 0), progress=False), ValueError, "background"),
    Refused(FOLDER + "load_image_folder", "a zero width", lambda f: f(_image_folder(), size=(28, 0), progress=False),
            ValueError, "size"),
    Refused(FOLDER + "load_image_folder", "one number for size", lambda f: f(_image_folder(), size=28, progress=False),
            ValueError, "size"),
    Refused(FOLDER + "load_image_folder", "no pixel limit", lambda f: f(_image_folder(), max_pixels=None),
            ValueError, "max_pixels"),
    Correct(FOLDER + "load_image_folder", "a 32-bit float image in [0, 1]",
            lambda f: f(_image_folder(), mode="L", progress=False), _float_image_loads_scaled),
    # load_fashion_mnist
    Refused(FASHION + "load_fashion_mnist", "a number for cache_dir", lambda f: f(cache_dir=3), TypeError,
            "cache_dir"),
    Refused(FASHION + "load_fashion_mnist", "None for debian_dir", lambda f: f(debian_dir=None), TypeError,
            "debian_dir"),
    # faces
    Refused(FACES + "load_faces", "an unknown set", lambda f: f("mnist"), ValueError, "name"),
    Refused(FACES + "load_faces", "a negative minimum", lambda f: f("lfw", min_faces_per_person=-1), ValueError,
            "min_faces_per_person"),
    Refused(FACES + "load_faces", "a float minimum", lambda f: f("lfw", min_faces_per_person=2.5), ValueError,
            "min_faces_per_person"),
    Refused(FACES + "faces_if_available", "a NaN timeout", lambda f: f("olivetti", timeout=float("nan")), ValueError,
            "timeout"),
    Refused(FACES + "faces_if_available", "an unknown set", lambda f: f("mnist"), ValueError, "name"),
    # glyph rendering
    Refused(RENDER + "script_fonts", "a number for the folder", lambda f: f(3), TypeError, "font_dir"),
    Refused(RENDER + "script_fonts", "a folder with no fonts", lambda f: f(_folder()), RuntimeError,
            "fonts-noto-core"),
    Refused(RENDER + "script_letters", "a number for the script", lambda f: f(_MISSING_FONT, 3), TypeError, "script"),
    Refused(RENDER + "script_letters", "a missing font", lambda f: f(_MISSING_FONT, "Latin"), FileNotFoundError,
            "font_path"),
    Refused(RENDER + "render_clean", "a missing font", lambda f: f(_MISSING_FONT, ["a"]), FileNotFoundError,
            "font_path"),
    Refused(RENDER + "render_clean", "two letters as one character", lambda f: f(_MISSING_FONT, ["ab"]), ValueError,
            "characters"),
    Refused(RENDER + "render_clean", "a tiny side", lambda f: f(_MISSING_FONT, ["a"], side=2), ValueError, "side"),
    Refused(RENDER + "draw_writers", "a NaN strength",
            lambda f: f(np.zeros((1, 16, 16), np.uint8), strength=float("nan")), ValueError, "strength"),
    Refused(RENDER + "draw_writers", "float glyphs", lambda f: f(np.zeros((1, 16, 16))), TypeError, "clean"),
    Refused(RENDER + "draw_writers", "a fractional writer count",
            lambda f: f(np.zeros((1, 16, 16), np.uint8), writers=2.5), ValueError, "writers"),
    Refused(RENDER + "draw_writers", "a negative seed", lambda f: f(np.zeros((1, 16, 16), np.uint8), seed=-1),
            ValueError, "seed"),
    Refused(RENDER + "dedupe", "a NaN image", lambda f: f(np.full((2, 4, 4), np.nan)), ValueError, "images"),
    Refused(RENDER + "dedupe", "a threshold as text", lambda f: f(np.zeros((2, 4, 4)), "0.9"), TypeError,
            "threshold"),
    Refused(RENDER + "dedupe", "one image, not a stack", lambda f: f(np.zeros((4, 4))), ValueError, "images"),
    Correct(RENDER + "dedupe", "no images", lambda f: f(np.zeros((0, 4, 4))), lambda keep: len(keep) == 0),
    # glyphs
    Refused(GLYPHS + "GlyphSet", "an alphabet of the wrong length",
            lambda f: f(np.zeros((3, 2, 8, 8), np.uint8), np.array([0, 1]), ("a", "b"), ("x", "y", "z")),
            ValueError, "alphabet"),
    Refused(GLYPHS + "GlyphSet", "an alphabet index with no name",
            lambda f: f(np.zeros((2, 2, 8, 8), np.uint8), np.array([0, 5]), ("a", "b"), ("x", "y")),
            ValueError, "alphabet"),
    Refused(GLYPHS + "GlyphSet", "images without the drawings axis",
            lambda f: f(np.zeros((2, 8, 8), np.uint8), np.array([0, 1]), ("a", "b"), ("x", "y")),
            ValueError, "images"),
    Refused(GLYPHS + "load_glyph_alphabets", "a NaN strength", lambda f: f(strength=float("nan")), ValueError,
            "strength"),
    Refused(GLYPHS + "load_glyph_alphabets", "a threshold above 1", lambda f: f(dedupe_threshold=1.5), ValueError,
            "dedupe_threshold"),
    Refused(GLYPHS + "load_glyph_alphabets", "a tiny size", lambda f: f(size=4), ValueError, "size"),
    Refused(GLYPHS + "load_glyph_alphabets", "min_letters above max_letters",
            lambda f: f(min_letters=30, max_letters=20), ValueError, "min_letters"),
    Refused(GLYPHS + "split_alphabets", "a fractional count", lambda f: f(_glyphs(), n_evaluation=1.5), ValueError,
            "n_evaluation"),
    Refused(GLYPHS + "split_alphabets", "not a GlyphSet", lambda f: f({"images": []}), TypeError, "glyphs"),
    Refused(GLYPHS + "load_omniglot", "an unknown split", lambda f: f(split="validation"), ValueError, "split"),
    Refused(GLYPHS + "load_omniglot", "a zero size", lambda f: f(size=0), ValueError, "size"),
    # sources
    Refused(SOURCES + "OfflineSource", "a package name with a quote", lambda f: f("x", "pkg'; rm -rf ~", "/", "t"),
            ValueError, "debian_package"),
    Refused(SOURCES + "OfflineSource", "no path", lambda f: f("x", "pkg-a", None, "t"), TypeError, "path"),
    Refused(SOURCES + "missing_sources", "one source, not a list", lambda f: f(_source()), TypeError, "sources"),
    Correct(SOURCES + "missing_sources", "no sources", lambda f: f([]), lambda missing: missing == []),
    Refused(SOURCES + "install_command", "no sources", lambda f: f([]), ValueError, "sources"),
    Refused(SOURCES + "install_command", "as_root as text", lambda f: f([_source()], as_root="no"), TypeError,
            "as_root"),
    Refused(SOURCES + "ensure_sources", "install as text", lambda f: f(install="no", sources=[_source()]), TypeError,
            "install"),
    Refused(SOURCES + "ensure_sources", "one source, not a list", lambda f: f(install=False, sources=_source()),
            TypeError, "sources"),
]

EXEMPT = {
    FOLDER + "ImageFolder": "the result load_image_folder returns; users read its fields, never build one",
    FASHION + "FashionMNIST": "a NamedTuple of the arrays load_fashion_mnist returns; users unpack it, never build one",
    FACES + "FaceSet": "a NamedTuple of the arrays load_faces returns; users read its fields, never build one",
    GLYPHS + "default_cache_dir": "takes no arguments",
    SOURCES + "AptInstallError": "an exception class raised by ensure_sources; users catch it, never construct it",
    SOURCES + "DataSourceError": "an exception class raised by the loaders; users catch it, never construct it",
}
