"""Run every benchmark in this folder, then print one table of their JSON results.

Each benchmark is a script ``benchmarks/<name>.py`` that writes
``build/bench/<name>.json``. ``make bench`` runs this file; pass names to run a
subset: ``python benchmarks/run_all.py pipeline_overhead``. The long-tail study
``experiments/lt_methods.py`` is not a speed benchmark: ``make experiment`` runs it,
and its ``build/bench/lt_methods*.json`` stay out of this table. ``course_time.py``
runs the whole course twice (about an hour): run it on its own.
"""

import json
import subprocess
import sys
import time
from pathlib import Path

HERE = Path(__file__).resolve().parent
OUT = HERE.parent / "build" / "bench"


def _flatten(values, prefix=""):
    for key, value in values.items():
        if isinstance(value, dict):
            yield from _flatten(value, f"{prefix}{key}.")
        elif isinstance(value, (int, float, str, bool)):
            yield f"{prefix}{key}", value


def _origin(provenance) -> str:
    """One line on where a report's numbers came from."""
    if not provenance:
        return "(no provenance recorded)"
    commit = (provenance.get("commit") or "no commit")[:10] + (" with changes" if provenance.get("dirty") else "")
    cpu = provenance.get("cpu") or "CPU unknown"
    return f"{commit}, {cpu}, {provenance.get('cores')} cores, {provenance.get('date')}"


def main(names):
    scripts = sorted(p for p in HERE.glob("*.py") if p.stem not in ("run_all", "course_time"))
    benchmarks = {p.stem for p in scripts}
    if names:
        scripts = [p for p in scripts if p.stem in names]
    failed = []
    for script in scripts:
        print(f"== {script.stem}", flush=True)
        started = time.perf_counter()
        code = subprocess.call([sys.executable, str(script)])
        print(f"== {script.stem}: exit {code} after {time.perf_counter() - started:.0f} s", flush=True)
        if code:
            failed.append(script.stem)
    print("\nResults (build/bench/*.json):")
    for path in sorted(p for p in OUT.glob("*.json") if p.stem in benchmarks):
        report = json.loads(path.read_text())
        print(f"\n[{path.stem}] {_origin(report.pop('_provenance', None))}")
        for key, value in _flatten(report):
            shown = f"{value:.4g}" if isinstance(value, float) else value
            print(f"  {key:50s} {shown}")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
