"""The course's Jupyter environment: kernel settings and ``make lab``.

Two settings make every notebook look right wherever it runs from this
environment (JupyterLab, ``make run``, nbval):

- **Figures inline.** The kernel draws Matplotlib figures into the notebook,
  even when ``MPLBACKEND=Agg`` is set for scripts and tests.
- **No C++ start-up log in the notebook.** TensorFlow prints its start-up
  lines (oneDNN, CPU features, CUDA probing) from C++ straight to file
  descriptor 2, before and regardless of ``TF_CPP_MIN_LOG_LEVEL``. The
  kernel leaves that descriptor alone (``capture_fd_output = False``), so
  those lines go to the terminal that started Jupyter, where server logs
  belong. Python's own warnings and errors still show in the cell.

Both live in ``<environment>/etc/ipython/ipython_kernel_config.py``, which
IPython reads for every kernel started from that environment;
``make setup`` writes it with :func:`install_kernel_config`.

Command line (``make lab`` runs it)::

    python -m cvhelpers.course.lab                      # JupyterLab on notebooks/, prints the URL
    python -m cvhelpers.course.lab --port 8899 --no-browser
    python -m cvhelpers.course.lab --install-kernel-config
"""

from __future__ import annotations

import argparse
import errno
import os
import secrets
import socket
import sys
from pathlib import Path

from cvhelpers.paths import notebooks_dir

__all__ = ["KERNEL_CONFIG", "kernel_config_path", "install_kernel_config", "lab_command", "main"]

_MARKER = "# cvlab kernel settings"

KERNEL_CONFIG = f"""{_MARKER}, written by `python -m cvhelpers.course.lab --install-kernel-config`.
# Read by every IPython kernel started from this environment (see cvhelpers/course/lab.py).

# C++ libraries' output on file descriptors 1 and 2 (TensorFlow's start-up log)
# goes to the terminal that started Jupyter, not into the notebook.
c.IPKernelApp.capture_fd_output = False

# Figures are drawn inline, even when MPLBACKEND=Agg is exported for scripts.
c.InteractiveShellApp.matplotlib = "inline"
"""


def kernel_config_path(prefix=None) -> Path:
    """``<prefix>/etc/ipython/ipython_kernel_config.py``; ``prefix`` defaults to ``sys.prefix``."""
    return Path(prefix or sys.prefix) / "etc" / "ipython" / "ipython_kernel_config.py"


def install_kernel_config(prefix=None) -> Path:
    """Write :data:`KERNEL_CONFIG` for the kernels of the environment at ``prefix``.

    Parameters
    ----------
    prefix : path-like, optional
        The environment's root (``sys.prefix``, the default, is the running
        one: ``.venv`` under ``make``).

    Returns
    -------
    Path
        The file written (or already up to date).

    Raises
    ------
    FileExistsError
        If the file exists and was not written by cvlab: it is the user's, and
        it is left as it is.
    """
    from cvhelpers.course.results import atomic_write_text

    path = kernel_config_path(prefix)
    if path.is_file():
        text = path.read_text(encoding="utf-8")
        if text == KERNEL_CONFIG:
            return path
        if not text.startswith(_MARKER):
            raise FileExistsError(
                f"{path} exists and was not written by cvlab; add these lines to it yourself:\n{KERNEL_CONFIG}"
            )
    return atomic_write_text(path, KERNEL_CONFIG)


def _free_port(host: str, start: int, tries: int = 50) -> int:
    """The first port from ``start`` that ``host`` can listen on."""
    for port in range(start, start + tries):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
            try:
                probe.bind((host, port))
            except OSError as error:
                if error.errno == errno.EADDRINUSE:
                    continue
                raise OSError(f"cannot listen on {host!r}: {error.strerror or error}; pass another --ip") from error
            return port
    raise OSError(f"no free port from {start} to {start + tries - 1} on {host}; pass --port")


def lab_command(notebooks_dir, *, ip: str = "127.0.0.1", port: int = 8888, token: str, open_browser: bool = True,
                as_root: bool | None = None) -> list[str]:
    """The ``jupyter lab`` command line that ``make lab`` runs.

    Parameters
    ----------
    notebooks_dir : path-like
        The folder JupyterLab opens.
    ip, port : str, int
        Where the server listens; the port is used as given (no silent retry
        on another one, so the printed URL is right).
    token : str
        The access token that goes into the URL.
    open_browser : bool, default=True
    as_root : bool, optional
        Add ``--allow-root``; default: when running as root (containers, many
        lab machines), where Jupyter otherwise refuses to start.

    Returns
    -------
    list of str
    """
    if not isinstance(port, int) or not 0 < port < 65536:
        raise ValueError(f"port must be an int from 1 to 65535, got {port!r}")
    if not isinstance(token, str) or not token:
        raise ValueError("token must be a non-empty string")
    if not Path(notebooks_dir).is_dir():
        raise FileNotFoundError(f"notebooks_dir: no such folder: {notebooks_dir}")
    if as_root is None:
        as_root = hasattr(os, "geteuid") and os.geteuid() == 0
    command = [
        sys.executable, "-m", "jupyterlab", str(notebooks_dir),
        f"--ServerApp.ip={ip}", f"--ServerApp.port={port}", "--ServerApp.port_retries=0",
        f"--IdentityProvider.token={token}",
    ]
    if not open_browser:
        command.append("--no-browser")
    if as_root:
        command.append("--allow-root")
    return command


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description="Start JupyterLab on the course's notebooks.")
    parser.add_argument("--notebooks-dir", default=str(notebooks_dir()))
    parser.add_argument("--ip", default="127.0.0.1", help="address to listen on (0.0.0.0 inside a container)")
    parser.add_argument("--port", type=int, default=None, help="default: the first free port from 8888")
    parser.add_argument("--token", default=None, help="access token (default: a random one)")
    parser.add_argument("--no-browser", action="store_true", help="do not open a browser")
    parser.add_argument("--install-kernel-config", action="store_true",
                        help="only write the kernel settings into this environment, then exit")
    args = parser.parse_args(argv)
    if not args.install_kernel_config and not Path(args.notebooks_dir).is_dir():
        parser.error(f"--notebooks-dir: no such folder: {args.notebooks_dir}")
    if args.port is not None and not 0 < args.port < 65536:
        parser.error(f"--port must be from 1 to 65535, got {args.port}")

    try:
        config = install_kernel_config()
    except FileExistsError as error:
        print(f"warning: {error}", file=sys.stderr)
        if args.install_kernel_config:
            return 1
    else:
        if args.install_kernel_config:
            print(f"kernel settings written to {config}")
            return 0
    try:
        port = args.port or _free_port(args.ip, 8888)
    except OSError as error:
        parser.error(str(error))
    token = args.token or secrets.token_hex(16)
    command = lab_command(args.notebooks_dir, ip=args.ip, port=port, token=token, open_browser=not args.no_browser)
    host = "127.0.0.1" if args.ip in ("0.0.0.0", "", "*") else args.ip
    print(f"JupyterLab on the course notebooks. Open this URL in your browser:\n\n    "
          f"http://{host}:{port}/lab?token={token}\n\nStop it with Ctrl-C.", flush=True)
    os.execv(command[0], command)
    return 0  # pragma: no cover - execv does not return


if __name__ == "__main__":
    sys.exit(main())
