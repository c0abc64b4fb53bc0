"""Where the course's data comes from when there is no network.

Every dataset the course uses has two sources: an offline one that a package
registry ships (mostly Debian packages), and the usual online one. This module
names the offline sources in one place, checks which are present, and installs
the missing Debian packages when it may (as root, or with password-less sudo).

Run it from the command line::

    python -m cvhelpers.data            # report what is present
    python -m cvhelpers.data --install  # install what is missing (root/sudo)

Used by ``make run`` / ``make test`` and by the loaders' error messages.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

__all__ = [
    "DataSourceError",
    "FASHION_MNIST_DEBIAN_DIR",
    "NOTO_DIR",
    "OfflineSource",
    "SOURCES",
    "missing_sources",
    "install_command",
    "ensure_sources",
]

class DataSourceError(RuntimeError):
    """No offline copy and no online route could provide a dataset."""


#: Fashion-MNIST's four IDX files, from ``dataset-fashion-mnist``
#: (read by :func:`cvhelpers.data.load_fashion_mnist`).
FASHION_MNIST_DEBIAN_DIR = Path("/usr/share/datasets/fashion-mnist")
#: One Noto font per script, from ``fonts-noto-core``
#: (read by :func:`cvhelpers.data.glyphs.script_fonts`).
NOTO_DIR = Path("/usr/share/fonts/truetype/noto")


@dataclass(frozen=True)
class OfflineSource:
    """One offline data source shipped by a Debian package.

    Attributes
    ----------
    name : str
        Short name used in messages, e.g. ``"fashion-mnist"``.
    debian_package : str
        The Debian package that ships it.
    path : str
        A file or folder whose presence shows the package is installed.
    used_by : str
        Which notebooks need it.
    """

    name: str
    debian_package: str
    path: str
    used_by: str

    @property
    def present(self) -> bool:
        return Path(self.path).exists()


SOURCES: tuple[OfflineSource, ...] = (
    OfflineSource(
        "fashion-mnist",
        "dataset-fashion-mnist",
        str(FASHION_MNIST_DEBIAN_DIR / "train-images-idx3-ubyte.gz"),
        "notebooks 00, 02-08",
    ),
    OfflineSource(
        "tuxpaint-stamps",
        "tuxpaint-stamps-default",
        "/usr/share/tuxpaint/stamps",
        "notebooks 01, 02 (colour clip-art)",
    ),
    OfflineSource(
        "opencv-photos",
        "opencv-doc",
        "/usr/share/doc/opencv-doc/examples",
        "notebook 01 (EXIF metadata)",
    ),
    OfflineSource(
        "noto-fonts",
        "fonts-noto-core",
        str(NOTO_DIR),
        "notebook 07 (glyph alphabets)",
    ),
)


def missing_sources(sources=SOURCES) -> list[OfflineSource]:
    """Return the offline sources whose files are not on this machine."""
    return [source for source in sources if not source.present]


def install_command(sources) -> str:
    """The shell command that installs the Debian packages of ``sources``."""
    packages = " ".join(sorted({source.debian_package for source in sources}))
    return f"apt-get update && apt-get install -y {packages}"


def _privilege_prefix() -> list[str] | None:
    """``[]`` as root, ``["sudo", "-n"]`` with password-less sudo, else None."""
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        return []
    if shutil.which("sudo"):
        probe = subprocess.run(["sudo", "-n", "true"], capture_output=True)
        if probe.returncode == 0:
            return ["sudo", "-n"]
    return None


def ensure_sources(install: bool = True, sources=SOURCES) -> list[OfflineSource]:
    """Install missing Debian packages when allowed; return what is still missing.

    Parameters
    ----------
    install : bool, default=True
        Try ``apt-get install`` for missing packages when running as root or
        with password-less sudo. Without those rights, or when ``False``,
        nothing is installed and the command to run is printed instead.
    sources : sequence of OfflineSource
        Which sources to check.

    Returns
    -------
    list of OfflineSource
        The sources that are still missing afterwards.
    """
    missing = missing_sources(sources)
    if not missing:
        return []
    prefix = _privilege_prefix() if install else None
    if prefix is None or not shutil.which("apt-get"):
        print(
            "Offline data missing: "
            + ", ".join(source.name for source in missing)
            + f".\nInstall it with:\n    sudo {install_command(missing)}\n"
            "or let the loaders download from the internet where you have it.",
            file=sys.stderr,
        )
        return missing
    packages = sorted({source.debian_package for source in missing})
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(prefix + ["apt-get", "update", "-q"], check=False, env=env)
    subprocess.run(
        prefix + ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages],
        check=False,
        env=env,
    )
    return missing_sources(sources)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cvhelpers.data", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--install", action="store_true", help="install missing Debian packages (root or sudo)"
    )
    args = parser.parse_args(argv)
    still_missing = ensure_sources(install=args.install)
    for source in SOURCES:
        state = "missing" if source in still_missing else "ok"
        print(f"{source.name:16s} {state:8s} {source.debian_package:26s} {source.used_by}")
    # Missing offline data is not an error: with a network the loaders
    # download it instead, and say so when they cannot.
    return 0
