"""Throughput of the EDA statistics over all 70,000 Fashion-MNIST images.

Times each analysis of notebook 01 (cvhelpers.eda) on the full Fashion-MNIST
(train + test) and writes ``build/bench/eda_throughput.json``. A useful
bar: all ten analyses over the 70,000 images in under 60 s on 2 cores.
This is a measurement, not a test: nothing here asserts a time.

    python benchmarks/eda_throughput.py              # all 70,000 images
    python benchmarks/eda_throughput.py --limit 5000 # a quick run

Analyses timed (questions of notebook 01):
1-2 sizes and aspect ratios, 3 colour (histograms, gray-scale check),
4-6 and 10 the per-image table (luminance, RMS contrast, Sobel edge density,
Laplacian variance, GLCM texture, border colour, pHash) in one pass,
7 imbalance table, 8 Haar cascades (face, eye, body, cat face),
9 metadata (Fashion-MNIST arrays carry none: not timed),
10 class mean/std images, exact duplicates (pixel digests) and
near-duplicates (all pairs of pHash within 4 bits, plus train/test leakage).
"""

from __future__ import annotations

import argparse
import os
import platform
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from cvhelpers import eda  # noqa: E402
from cvhelpers.course.results import save_report  # noqa: E402
from cvhelpers.data import load_fashion_mnist  # noqa: E402


def _timed(timings: dict, name: str, function):
    start = time.perf_counter()
    result = function()
    timings[name] = round(timings.get(name, 0.0) + time.perf_counter() - start, 3)
    return result


def run(limit: int | None = None) -> dict:
    data = load_fashion_mnist()
    x = np.concatenate([data.x_train, data.x_test])
    y = np.concatenate([data.y_train, data.y_test]).astype(np.int64)
    n_train = len(data.x_train)
    if limit is not None:
        x, y, n_train = x[:limit], y[:limit], min(n_train, limit * 6 // 7)
    n = len(x)
    timings: dict = {}
    cpu_start = time.process_time()
    wall_start = time.perf_counter()

    shapes = _timed(timings, "1_2_sizes_aspect", lambda: eda.image_shapes(x))
    _timed(timings, "1_2_sizes_aspect", lambda: eda.aspect_summary(shapes[:, 1], shapes[:, 0]))
    _timed(timings, "3_colour_histograms", lambda: eda.channel_histograms(x, y))
    stats = _timed(timings, "4_5_6_10_image_stats", lambda: eda.image_stats(x, y, data.class_names))
    _timed(timings, "7_imbalance", lambda: eda.imbalance_table(y, data.class_names))
    _timed(timings, "8_haar_objects", lambda: eda.detect_objects(x))
    _timed(timings, "10_class_means", lambda: eda.class_mean_images(x, y, size=(28, 28)))
    digests = _timed(timings, "10_exact_duplicates", lambda: eda.pixel_digests(x))
    hashes = stats["phash"].to_numpy()
    within = _timed(timings, "10_near_duplicates_all_pairs", lambda: eda.near_duplicates(hashes, threshold=4))
    leakage = _timed(
        timings,
        "10_train_test_leakage",
        lambda: eda.near_duplicates(hashes[:n_train], threshold=4, other=hashes[n_train:]),
    )

    wall = time.perf_counter() - wall_start
    cpu = time.process_time() - cpu_start
    return {
        "name": "eda_throughput",
        "images": n,
        "seconds_total": round(wall, 2),
        "images_per_second": round(n / wall, 1),
        "cpu_seconds": round(cpu, 2),
        "target_seconds": 60,
        "seconds_by_analysis": timings,
        "image_stats_images_per_second": round(n / timings["4_5_6_10_image_stats"], 1),
        "exact_duplicate_images": int(n - len(set(digests))),
        "near_duplicate_pairs_within_4_bits": int(len(within)),
        "train_test_pairs_within_4_bits": int(len(leakage)),
        "cpu_count": os.cpu_count(),
        "load_average_1min": round(os.getloadavg()[0], 2) if hasattr(os, "getloadavg") else None,
        "numpy": np.__version__,
        "python": platform.python_version(),
    }


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="use only the first N images")
    parser.add_argument("--out", type=Path, default=ROOT / "build" / "bench" / "eda_throughput.json")
    args = parser.parse_args(argv)
    if args.limit is not None and args.limit < 2:
        parser.error("--limit must be at least 2")
    result = run(args.limit)
    save_report(args.out, result)
    slowest = max(result["seconds_by_analysis"], key=result["seconds_by_analysis"].get)
    print(
        f"eda_throughput: {result['images']} images in {result['seconds_total']:.1f} s "
        f"({result['images_per_second']:.0f} images/s, target < {result['target_seconds']} s; "
        f"slowest: {slowest} {result['seconds_by_analysis'][slowest]:.1f} s; "
        f"load average {result['load_average_1min']}) -> {args.out}"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
