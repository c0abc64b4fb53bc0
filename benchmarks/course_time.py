"""The whole course's run time at two revisions, back to back on this machine.

Each revision is cloned into its own temporary folder, gets its own
virtualenv (``make setup``, not timed) and runs ``make run`` with an empty
``build/``, data cache and model cache, so every model trains. The runner's
``build/run_times.json`` of each gives the per-notebook seconds; the ratio is
the head's total over the base's. Run the two revisions on an otherwise idle
machine: a busy one slows both, but not by the same amount.

Usage::

    python benchmarks/course_time.py --base df8445e --head HEAD
    python benchmarks/course_time.py --base HEAD~1 --notebooks 00 01   # a quick check

Writes ``build/bench/course_time.json`` (seconds per notebook and revision,
``ratio``, and the provenance: commit, CPU, cores). It takes as long as two cold ``make run`` (about an
hour on 2 cores), so ``make bench`` leaves it out; run it on its own.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from cvhelpers.course.results import save_report

ROOT = Path(__file__).resolve().parent.parent
OUTPUT = ROOT / "build" / "bench" / "course_time.json"


def _git(*args, cwd=ROOT) -> str:
    return subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True, text=True).stdout.strip()


def resolve(revision: str) -> str:
    """The full commit hash of ``revision``; ``SystemExit`` naming it when git does not know it."""
    try:
        return _git("rev-parse", "--verify", f"{revision}^{{commit}}")
    except subprocess.CalledProcessError:
        raise SystemExit(f"--base/--head: unknown revision {revision!r}") from None


def run_revision(commit: str, notebooks, workdir: Path, log) -> dict:
    """Clone ``commit``, set it up, and time a cold ``make run``; its run times by notebook."""
    clone = workdir / commit[:12]
    subprocess.run(["git", "clone", "-q", str(ROOT), str(clone)], check=True)
    subprocess.run(["git", "-C", str(clone), "checkout", "-q", commit], check=True)
    shared = ROOT.parent / "shared"
    if shared.is_dir() and not (clone.parent / "shared").exists():
        (clone.parent / "shared").symlink_to(shared)  # the layout a checkout expects beside it
    environment = {key: value for key, value in os.environ.items() if not key.startswith("CVLAB_")}
    environment["CVLAB_CACHE_DIR"] = str(clone / "data" / "cache")  # empty: nothing reused from this checkout
    environment["CVLAB_MODEL_CACHE"] = str(clone / "build" / "models")
    print(f"[{commit[:12]}] make setup (not timed) ...", flush=True)
    subprocess.run(["make", "-C", str(clone), "setup"], check=True, env=environment, stdout=log, stderr=log)
    command = ["make", "-C", str(clone), "run"] + ([f"NOTEBOOKS={' '.join(notebooks)}"] if notebooks else [])
    print(f"[{commit[:12]}] {' '.join(command[3:])} ...", flush=True)
    started = time.perf_counter()
    finished = subprocess.run(command, env=environment, stdout=log, stderr=log)
    wall = time.perf_counter() - started
    times_path = clone / "build" / "run_times.json"
    times = json.loads(times_path.read_text()) if times_path.is_file() else {}
    print(f"[{commit[:12]}] exit {finished.returncode} after {wall:.0f} s", flush=True)
    return {
        "commit": commit,
        "exit_code": finished.returncode,
        "make_run_seconds": round(wall, 1),
        "seconds": {name: entry["seconds"] for name, entry in sorted(times.items())},
    }


def compare(base: dict, head: dict) -> dict:
    """Per-notebook seconds side by side, both totals and ``ratio`` (head over base) on the common notebooks."""
    common = sorted(set(base["seconds"]) & set(head["seconds"]))
    if not common:
        raise ValueError("the two runs have no notebook in common: nothing to compare")
    rows = {name: {"base_s": base["seconds"][name], "head_s": head["seconds"][name],
                   "ratio": round(head["seconds"][name] / base["seconds"][name], 3)} for name in common}
    base_total = sum(base["seconds"][name] for name in common)
    head_total = sum(head["seconds"][name] for name in common)
    return {"notebooks": rows, "base_total_s": round(base_total, 1), "head_total_s": round(head_total, 1),
            "ratio": round(head_total / base_total, 3)}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", required=True, help="the revision to compare against, e.g. df8445e")
    parser.add_argument("--head", default="HEAD", help="the revision measured (default: HEAD, as committed)")
    parser.add_argument("--notebooks", nargs="*", default=None, help="a subset, e.g. 00 03 (default: all)")
    parser.add_argument("--keep", action="store_true", help="keep the two clones (their build/ folders)")
    args = parser.parse_args(argv)
    commits = {"base": resolve(args.base), "head": resolve(args.head)}
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    workdir = Path(tempfile.mkdtemp(prefix="cvlab-course-time-"))
    log_path = OUTPUT.with_suffix(".log")
    print(f"the output of make goes to {log_path}", flush=True)
    try:
        with open(log_path, "w") as log:
            runs = {side: run_revision(commit, args.notebooks, workdir, log) for side, commit in commits.items()}
    finally:
        if args.keep:
            print(f"the clones are kept in {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    result = {"base": runs["base"], "head": runs["head"], **compare(runs["base"], runs["head"])}
    save_report(OUTPUT, result)
    print(f"{'notebook':36s} {'base s':>8s} {'head s':>8s} {'ratio':>6s}")
    for name, row in result["notebooks"].items():
        print(f"{name:36s} {row['base_s']:8.1f} {row['head_s']:8.1f} {row['ratio']:6.2f}")
    print(f"{'total':36s} {result['base_total_s']:8.1f} {result['head_total_s']:8.1f} {result['ratio']:6.2f}")
    print(f"wrote {OUTPUT}")
    return 1 if runs["base"]["exit_code"] or runs["head"]["exit_code"] else 0


if __name__ == "__main__":
    sys.exit(main())
