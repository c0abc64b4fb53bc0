"""Where the course's data comes from when there is no network.

Every dataset the course uses has two sources: an offline one that a package
registry ships (mostly Debian packages), and the usual online one. This module
names the offline sources in one place, checks which are present, and installs
the missing Debian packages when it may (as root, or with password-less sudo).

Run it from the command line::

    python -m cvhelpers.data            # report what is present
    python -m cvhelpers.data --install  # install what is missing (root/sudo)

Used by ``make data`` (and so ``make run`` / ``make test``) and by the loaders'
error messages.

Environment
-----------
CVLAB_NO_APT
    Set to ``1`` to never run ``apt-get``, even as root: ``--install`` then
    only reports what is missing and prints the command to install it.

With ``--install``, a failing ``apt-get install`` is reported (packages, exit
status, the end of its error output) and the command exits with status 1.
Missing offline data without an install attempt is not an error (exit 0): with
a network the loaders download instead.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from cvhelpers.validation import check_bool

__all__ = [
    "AptInstallError",
    "DataSourceError",
    "FASHION_MNIST_DEBIAN_DIR",
    "NOTO_DIR",
    "OfflineSource",
    "SOURCES",
    "missing_sources",
    "install_command",
    "ensure_sources",
]

#: Environment variable that, set to ``1``, stops this module from running ``apt-get``.
NO_APT_ENV = "CVLAB_NO_APT"


class DataSourceError(RuntimeError):
    """No offline copy and no online route could provide a dataset."""


class AptInstallError(RuntimeError):
    """``apt-get install`` of the missing Debian packages exited with an error.

    Attributes
    ----------
    packages : list of str
        The Debian packages it tried to install.
    returncode : int
        The exit status of ``apt-get install``.
    stderr_tail : str
        The last lines of its error output.
    """

    def __init__(self, packages, returncode: int, stderr_tail: str):
        self.packages = list(packages)
        self.returncode = returncode
        self.stderr_tail = stderr_tail
        message = f"apt-get install of {' '.join(self.packages)} failed with exit status {returncode}"
        if stderr_tail:
            message += ":\n" + _indent(stderr_tail)
        super().__init__(message)


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

    def __post_init__(self):
        for field in ("name", "used_by"):
            if not isinstance(getattr(self, field), str):
                raise TypeError(f"{field} must be a str, got {type(getattr(self, field)).__name__}")
        if not isinstance(self.debian_package, str) or not _DEBIAN_PACKAGE.fullmatch(self.debian_package):
            raise ValueError(
                "debian_package must be a Debian package name (lower-case letters, digits, '+', '-', '.'), "
                f"got {self.debian_package!r}"
            )
        if not isinstance(self.path, (str, os.PathLike)) or not str(self.path):
            raise TypeError(f"path must be a non-empty path (str or path-like), got {self.path!r}")

    @property
    def present(self) -> bool:
        return Path(self.path).exists()


#: Debian policy 5.6.1: package names. Also what keeps them safe inside the printed shell command.
_DEBIAN_PACKAGE = re.compile(r"[a-z0-9][a-z0-9+.-]+")


def _check_sources(sources) -> tuple:
    """``sources`` as a tuple of :class:`OfflineSource`; ``TypeError`` naming it otherwise."""
    if isinstance(sources, (OfflineSource, str, bytes)) or not hasattr(sources, "__iter__"):
        raise TypeError(f"sources must be a sequence of OfflineSource, got {type(sources).__name__}")
    sources = tuple(sources)
    wrong = [type(source).__name__ for source in sources if not isinstance(source, OfflineSource)]
    if wrong:
        raise TypeError(f"sources must hold OfflineSource objects only, got {', '.join(sorted(set(wrong)))}")
    return sources


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
    """Return the offline sources whose files are not on this machine.

    Raises
    ------
    TypeError
        When ``sources`` is not a sequence of :class:`OfflineSource`.
    """
    return [source for source in _check_sources(sources) if not source.present]


def _indent(text: str, prefix: str = "    ") -> str:
    return "\n".join(prefix + line for line in text.splitlines())


def _tail(text: str | None, lines: int = 5) -> str:
    """The last ``lines`` non-empty lines of ``text``."""
    return "\n".join([line for line in (text or "").splitlines() if line.strip()][-lines:])


def _is_root() -> bool:
    return hasattr(os, "geteuid") and os.geteuid() == 0


def _apt_disabled() -> bool:
    """True when ``CVLAB_NO_APT`` is set to anything but empty or ``0``."""
    return os.environ.get(NO_APT_ENV, "").strip() not in ("", "0")


def install_command(sources, as_root: bool | None = None) -> str:
    """The shell command that installs the Debian packages of ``sources``.

    Parameters
    ----------
    sources : sequence of OfflineSource
        The sources whose packages to install.
    as_root : bool, optional
        Whether the command is for root (no ``sudo``). Default: whether this
        process runs as root.

    Returns
    -------
    str
        ``apt-get update && apt-get install -y …`` for root, and the same
        wrapped in ``sudo sh -c '…'`` for anyone else, so that both steps run
        with root rights.

    Raises
    ------
    TypeError
        When ``sources`` is not a sequence of :class:`OfflineSource`, or
        ``as_root`` is not None, True or False.
    ValueError
        When ``sources`` is empty (there would be nothing to install).
    """
    sources = _check_sources(sources)
    as_root = check_bool(as_root, "as_root", optional=True)
    if not sources:
        raise ValueError("sources is empty: there is no package to install")
    packages = " ".join(sorted({source.debian_package for source in sources}))
    command = f"apt-get update && apt-get install -y {packages}"
    if as_root is None:
        as_root = _is_root()
    return command if as_root else f"sudo sh -c '{command}'"


def _privilege_prefix() -> list[str] | None:
    """``[]`` as root, ``["sudo", "-n"]`` with password-less sudo, else None."""
    if _is_root():
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
        with password-less sudo. Without those rights, when ``False``, or when
        the environment variable ``CVLAB_NO_APT`` is set to ``1``, nothing is
        installed and the command to run is printed instead.
    sources : sequence of OfflineSource
        Which sources to check.

    Returns
    -------
    list of OfflineSource
        The sources that are still missing afterwards.

    Raises
    ------
    AptInstallError
        When ``apt-get install`` was run and exited with an error. A failing
        ``apt-get update`` alone only prints a warning, since the install can
        still succeed from the package lists already on the machine.
    TypeError
        When ``install`` is not True or False, or ``sources`` not a sequence
        of :class:`OfflineSource`; checked before anything runs.
    """
    install = check_bool(install, "install")
    sources = _check_sources(sources)
    missing = missing_sources(sources)
    if not missing:
        return []
    no_apt = install and _apt_disabled()
    prefix = _privilege_prefix() if install and not no_apt else None
    if prefix is None or not shutil.which("apt-get"):
        skipped = f" ({NO_APT_ENV} is set, so nothing was installed)" if no_apt else ""
        print(
            "Offline data missing: "
            + ", ".join(source.name for source in missing)
            + f"{skipped}.\nInstall it with:\n    {install_command(missing)}\n"
            "or let the loaders download from the internet where you have it.",
            file=sys.stderr,
        )
        return missing
    packages = sorted({source.debian_package for source in missing})
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    update = subprocess.run(prefix + ["apt-get", "update", "-q"], stderr=subprocess.PIPE, text=True, env=env)
    if update.returncode != 0:
        print(
            f"warning: apt-get update failed with exit status {update.returncode}; trying the install anyway",
            file=sys.stderr,
        )
        if _tail(update.stderr):
            print(_indent(_tail(update.stderr)), file=sys.stderr)
    result = subprocess.run(
        prefix + ["apt-get", "install", "-y", "-q", "--no-install-recommends", *packages],
        stderr=subprocess.PIPE,
        text=True,
        env=env,
    )
    if result.returncode != 0:
        raise AptInstallError(packages, result.returncode, _tail(result.stderr))
    if result.stderr:
        print(result.stderr, end="", file=sys.stderr)
    return missing_sources(sources)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(prog="python -m cvhelpers.data", description=__doc__.splitlines()[0])
    parser.add_argument(
        "--install",
        action="store_true",
        help=f"install missing Debian packages (root or sudo); {NO_APT_ENV}=1 only reports them",
    )
    args = parser.parse_args(argv)
    status = 0
    try:
        still_missing = ensure_sources(install=args.install, sources=SOURCES)
    except AptInstallError as error:
        print(
            f"error: {error}\nThe offline data stays missing; install it by hand with:\n"
            f"    {install_command([s for s in SOURCES if s.debian_package in error.packages])}",
            file=sys.stderr,
        )
        still_missing, status = missing_sources(SOURCES), 1
    for source in SOURCES:
        state = "missing" if source in still_missing else "ok"
        print(f"{source.name:16s} {state:8s} {source.debian_package:26s} {source.used_by}")
    # Missing offline data is not an error: with a network the loaders
    # download it instead, and say so when they cannot. A failed install is.
    return status
