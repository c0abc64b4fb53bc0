"""Where the course's folders are: the checkout, ``build/``, ``data/`` and ``notebooks/``.

One rule decides whether :mod:`cvhelpers` runs from the cvlab checkout: the
folder above the package holds ``pyproject.toml`` and ``notebooks/``
(:func:`project_root`). In a checkout (an editable install included) the
folders are the checkout's; for an installed package they are under the
current folder.

* :func:`project_root`: the checkout, or None for an installed package.
* :func:`build_dir`: generated files (results, the model cache, reports).
* :func:`data_dir`: committed data (the Fashion-MNIST-LT manifests).
* :func:`notebooks_dir`: the course notebooks.

The environment variables that move one folder (``CVLAB_RESULTS_DIR``,
``CVLAB_MODEL_CACHE``, ``CVLAB_CACHE_DIR``) are read by the module that
owns that folder (:mod:`cvhelpers.course.results`, :mod:`cvhelpers.cache`,
:mod:`cvhelpers.data.glyphs`), not here.
"""

from __future__ import annotations

from pathlib import Path

__all__ = ["project_root", "build_dir", "data_dir", "notebooks_dir"]

#: The installed ``cvhelpers`` package folder; its parent is the checkout, if any.
_PACKAGE_DIR = Path(__file__).resolve().parent


def project_root() -> Path | None:
    """The cvlab checkout that holds this package, or None.

    Returns
    -------
    pathlib.Path or None
        The folder above the package when it holds ``pyproject.toml`` and a
        ``notebooks/`` folder (a checkout, or an editable install of one);
        None for a package installed into site-packages.
    """
    root = _PACKAGE_DIR.parent
    if (root / "pyproject.toml").is_file() and (root / "notebooks").is_dir():
        return root
    return None


def _in_checkout_or_cwd(name: str) -> Path:
    root = project_root()
    return (root if root is not None else Path.cwd()) / name


def build_dir() -> Path:
    """The folder for generated files.

    Returns
    -------
    pathlib.Path
        ``<checkout>/build`` in a checkout, else ``build`` under the current
        folder. It may not exist yet.
    """
    return _in_checkout_or_cwd("build")


def data_dir() -> Path:
    """The folder of committed data (the Fashion-MNIST-LT manifests).

    Returns
    -------
    pathlib.Path
        ``<checkout>/data`` in a checkout, else ``data`` under the current
        folder. It may not exist.
    """
    return _in_checkout_or_cwd("data")


def notebooks_dir() -> Path:
    """The folder of the course notebooks.

    Returns
    -------
    pathlib.Path
        ``<checkout>/notebooks`` in a checkout, else ``notebooks`` under the
        current folder.
    """
    return _in_checkout_or_cwd("notebooks")
