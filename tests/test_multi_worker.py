"""``fit`` under ``MultiWorkerMirroredStrategy``: two worker processes on this machine, as on two machines.

Each worker is a process of its own (``multi_worker_job.py``) with its own
``TF_CONFIG``; a third process trains the same model on the same global
batches without a strategy, as the reference. This process never starts
TensorFlow's collective ops itself.
"""

import json
import os
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

JOB = Path(__file__).with_name("multi_worker_job.py")
TIMEOUT_S = 90  # all three processes together; they take about 25 s on two cores


def _free_ports(count: int) -> list[int]:
    """``count`` distinct ports on 127.0.0.1 that were free a moment ago."""
    sockets = [socket.socket() for _ in range(count)]
    try:
        for sock in sockets:
            sock.bind(("127.0.0.1", 0))
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _environment(tf_config: dict | None) -> dict:
    """This process's environment, quiet and CPU-only, with ``TF_CONFIG`` set (or removed)."""
    env = {key: value for key, value in os.environ.items() if key != "TF_CONFIG"}
    env.update(TF_CPP_MIN_LOG_LEVEL="3", CUDA_VISIBLE_DEVICES="")
    if tf_config is not None:
        env["TF_CONFIG"] = json.dumps(tf_config)
    return env


def _start(outdir: Path, name: str, tf_config: dict | None) -> subprocess.Popen:
    """Start one training process; its output goes to ``outdir/<name>.log``."""
    arguments = [sys.executable, str(JOB), str(outdir), *([] if tf_config else ["--single"])]
    with open(outdir / f"{name}.log", "wb") as log:
        return subprocess.Popen(arguments, env=_environment(tf_config), stdout=log, stderr=subprocess.STDOUT)


def _run_all(outdir: Path) -> None:
    """Two workers and the single-process reference, side by side; each must exit cleanly in time."""
    workers = [f"127.0.0.1:{port}" for port in _free_ports(2)]
    configs = {f"worker{i}": {"cluster": {"worker": workers}, "task": {"type": "worker", "index": i}} for i in (0, 1)}
    processes, deadline = {}, time.monotonic() + TIMEOUT_S
    try:
        for name, config in [*configs.items(), ("single", None)]:
            processes[name] = _start(outdir, name, config)
        codes = {name: process.wait(timeout=max(deadline - time.monotonic(), 0.1))
                 for name, process in processes.items()}
    finally:
        for process in processes.values():
            if process.poll() is None:
                process.kill()
                process.wait()
    failed = {name: (outdir / f"{name}.log").read_text()[-3000:] for name, code in codes.items() if code != 0}
    assert not failed, failed


def _weights(outdir: Path, name: str) -> list[np.ndarray]:
    with np.load(outdir / f"weights-{name}.npz") as arrays:
        return [arrays[key] for key in sorted(arrays.files, key=lambda key: int(key.split("_")[1]))]


def test_fit_on_two_workers_matches_one_process_on_the_same_global_batches(tmp_path):
    _run_all(tmp_path)
    first, second = _weights(tmp_path, "worker0"), _weights(tmp_path, "worker1")
    assert len(first) == len(second) > 0
    for a, b in zip(first, second, strict=True):
        np.testing.assert_allclose(a, b, rtol=0, atol=1e-6)
    assert not (tmp_path / "result-worker1.json").exists()  # only the chief writes results
    distributed = json.loads((tmp_path / "result-worker0.json").read_text())
    single = json.loads((tmp_path / "result-single.json").read_text())
    assert distributed["replicas"] == 2 and single["replicas"] == 1
    assert single["val_balanced_accuracy"] > 0.5  # the reference learned something worth matching
    assert abs(distributed["val_balanced_accuracy"] - single["val_balanced_accuracy"]) <= 0.02
