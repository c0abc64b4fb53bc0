"""The student's path: kernels of this environment show figures and no log noise,
``make run`` checks it, and ``make lab`` starts (as root too) and serves a kernel."""

import asyncio
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request
import uuid

import nbformat
import pytest
from nbformat.v4 import new_code_cell, new_markdown_cell, new_notebook

from cvhelpers.course import lab, runner

PLOT = "import matplotlib.pyplot as plt\nfigure, ax = plt.subplots(figsize=(2, 2))\nax.plot([0, 1])\n"


@pytest.fixture(scope="module", autouse=True)
def _environment_has_the_kernel_settings():
    path = lab.kernel_config_path()
    assert path.is_file() and path.read_text() == lab.KERNEL_CONFIG, (
        f"{path} is missing or stale; run `make setup` (or python -m cvhelpers.course.lab --install-kernel-config)"
    )


def test_install_kernel_config_writes_once_and_keeps_a_users_file(tmp_path):
    path = lab.install_kernel_config(tmp_path)
    assert path == tmp_path / "etc" / "ipython" / "ipython_kernel_config.py"
    assert "capture_fd_output = False" in path.read_text() and 'matplotlib = "inline"' in path.read_text()
    assert lab.install_kernel_config(tmp_path) == path
    path.write_text("c.InteractiveShell.colors = 'nocolor'\n")
    with pytest.raises(FileExistsError, match="not written by cvlab"):
        lab.install_kernel_config(tmp_path)
    assert path.read_text() == "c.InteractiveShell.colors = 'nocolor'\n"


def test_lab_command_allows_root_only_for_root(tmp_path):
    as_user = lab.lab_command(tmp_path, port=8899, token="t", as_root=False)
    as_root = lab.lab_command(tmp_path, port=8899, token="t", as_root=True)
    assert "--allow-root" not in as_user and "--allow-root" in as_root
    assert "--ServerApp.port=8899" in as_user and "--ServerApp.port_retries=0" in as_user
    with pytest.raises(ValueError, match="port"):
        lab.lab_command(tmp_path, port=0, token="t")
    with pytest.raises(ValueError, match="token"):
        lab.lab_command(tmp_path, port=8899, token="")


def test_lab_refuses_a_missing_folder_and_a_bad_port(capsys):
    with pytest.raises(SystemExit):
        lab.main(["--notebooks-dir", "/no/such/folder"])
    assert "--notebooks-dir" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        lab.main(["--port", "70000"])
    assert "--port" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        lab.main(["--ip", "203.0.113.7"])  # a documentation address: no machine has it
    assert "cannot listen on '203.0.113.7'" in capsys.readouterr().err


def _write(path, *code):
    notebook = new_notebook(cells=[new_markdown_cell("# probe"), *(new_code_cell(source) for source in code)])
    notebook.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3", "language": "python"}
    nbformat.write(notebook, path)
    return path


def test_runner_shows_figures_inline_and_names_cells_with_noise(tmp_path, monkeypatch):
    """Both notebooks run in the environment's kernel, as `make run` runs the course."""
    monkeypatch.setenv("MPLBACKEND", "Agg")  # a script setting must not reach the kernel's figures
    folder = tmp_path / "notebooks"
    folder.mkdir()
    clean = _write(
        folder / "01_clean.ipynb",
        (
            "import tensorflow as tf\nimport keras\n"
            "from cvhelpers.course import results\nfrom cvhelpers.progress import progress_bar"
        ),
        PLOT + "results.save_figure('01_clean', 'line', figure)",
        "for _ in progress_bar(range(5), desc='steps'):\n    pass",
        "print(float(tf.reduce_sum(tf.ones(3))))",
    )
    noisy = _write(
        folder / "02_noisy.ipynb",
        "import warnings\nwarnings.warn('a deliberate warning')",
        PLOT + "from cvhelpers.course import results\n"
        "results.save_figure('02_noisy', 'line', figure)\nplt.close(figure)",
        "from pathlib import Path\nPath('/tmp/figure.png')",
    )
    runs = runner.run_notebooks([clean, noisy], tmp_path / "build")
    assert [run.ok for run in runs] == [True, True]
    assert runs[0].problems == (), runs[0].problems
    executed = nbformat.read(tmp_path / "build" / "notebooks" / "01_clean.ipynb", as_version=4)
    outputs = [output for cell in executed.cells if cell.cell_type == "code" for output in cell.outputs]
    assert sum("image/png" in output.get("data", {}) for output in outputs) == 1
    assert not any(output.get("name") == "stderr" for output in outputs)
    bar = executed.cells[3].outputs
    assert len(bar) == 1 and bar[0]["data"] == {"text/plain": bar[0]["data"]["text/plain"]}
    assert bar[0]["data"]["text/plain"].startswith("steps: 100%") and "5/5" in bar[0]["data"]["text/plain"]

    problems = "\n".join(runs[1].problems)
    assert "cell 1: writes to stderr" in problems and "deliberate warning" in problems  # warnings still show
    assert "cell 2: saves a figure but shows none inline" in problems
    assert "cell 3: shows a file path" in problems


def _free_port():
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _request(url, method="GET", body=None):
    request = urllib.request.Request(url, method=method, data=None if body is None else json.dumps(body).encode())
    with urllib.request.urlopen(request, timeout=10) as response:
        return response.status, response.read()


async def _execute(ws_url, code, timeout=60.0):
    """Run ``code`` in a kernel over Jupyter's websocket protocol; its iopub outputs."""
    from tornado.websocket import websocket_connect

    connection = await websocket_connect(ws_url)
    msg_id = uuid.uuid4().hex
    await connection.write_message(json.dumps({
        "header": {"msg_id": msg_id, "msg_type": "execute_request", "username": "test", "session": uuid.uuid4().hex,
                   "version": "5.3", "date": ""},
        "parent_header": {}, "metadata": {}, "channel": "shell", "buffers": [],
        "content": {"code": code, "silent": False, "store_history": False, "user_expressions": {},
                    "allow_stdin": False, "stop_on_error": True},
    }))
    outputs, deadline = [], time.monotonic() + timeout
    while time.monotonic() < deadline:
        raw = await asyncio.wait_for(connection.read_message(), deadline - time.monotonic())
        message = json.loads(raw)
        if message.get("parent_header", {}).get("msg_id") != msg_id or message.get("channel") != "iopub":
            continue
        kind = message["msg_type"]
        if kind in ("display_data", "execute_result", "stream", "error"):
            outputs.append((kind, message["content"]))
        if kind == "status" and message["content"]["execution_state"] == "idle":
            break
    connection.close()
    return outputs


def test_make_lab_serves_a_kernel_that_draws_inline(tmp_path):
    """Start the `make lab` server headless, run a plotting cell through its API, stop it."""
    port, token = _free_port(), uuid.uuid4().hex
    environment = {**os.environ, "MPLBACKEND": "Agg", "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
                   "JUPYTER_CONFIG_DIR": str(tmp_path / "config"), "JUPYTER_DATA_DIR": str(tmp_path / "data")}
    server = subprocess.Popen(
        [sys.executable, "-m", "cvhelpers.course.lab", "--no-browser", "--port", str(port), "--token", token],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, env=environment, text=True,
    )
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            try:
                if _request(f"{base}/api/status?token={token}")[0] == 200:
                    break
            except OSError:
                pass
            assert server.poll() is None, server.stdout.read()
            assert time.monotonic() < deadline, "the lab server did not answer within 60 s"
            time.sleep(0.5)
        _, body = _request(f"{base}/api/kernels?token={token}", "POST", {"name": "python3"})
        kernel = json.loads(body)["id"]
        ws_url = f"ws://127.0.0.1:{port}/api/kernels/{kernel}/channels?token={token}"
        outputs = asyncio.run(_execute(ws_url, "import tensorflow as tf\n" + PLOT + "figure.suptitle('lab')"))
        images = [content for kind, content in outputs if "image/png" in content.get("data", {})]
        assert len(images) == 1, outputs
        assert not [content for kind, content in outputs if kind == "stream" and content["name"] == "stderr"], outputs
        _request(f"{base}/api/kernels/{kernel}?token={token}", "DELETE")
    finally:
        server.terminate()
        try:
            log, _ = server.communicate(timeout=20)
        except subprocess.TimeoutExpired:
            server.kill()
            log, _ = server.communicate()
    assert f"http://127.0.0.1:{port}/lab?token={token}" in log  # the URL to open is printed
