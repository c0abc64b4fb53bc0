"""Input-pipeline overhead: the course's tf.data pipeline against in-memory tensors.

The same small CNN trains for a few epochs on Fashion-MNIST-LT, fed either by
``cvhelpers.data.pipeline.make_dataset`` (cache, shuffle, batch, prefetch) or by
``model.fit`` on float32 tensors already in memory. The two feeds alternate
and the median images/s of each is reported, because a shared 2-core machine
swings by ±30 % from run to run. Target: the pipeline costs at most 5 %.

Writes ``build/bench/pipeline_overhead.json``.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np
import tensorflow as tf

from cvhelpers import data
from cvhelpers.course.results import save_report
from cvhelpers.data import pipeline
from cvhelpers.training import models

OUTPUT = Path(__file__).resolve().parent.parent / "build" / "bench" / "pipeline_overhead.json"
REPEATS = int(os.environ.get("BENCH_REPEATS", 5))
BATCH = 128


def _model():
    keras.utils.set_random_seed(0)
    model = models.small_cnn(seed=0)
    model.compile(optimizer="adam", loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True))
    return model


def main():
    lt, _ = data.load_fashion_mnist_lt()
    x, y = lt.x, lt.y.astype(np.int64)
    tensors = (tf.constant(pipeline.to_float_images(x)), tf.constant(y))
    dataset = pipeline.make_dataset(x, y, BATCH, seed=0)
    model = _model()
    model.fit(dataset, epochs=1, verbose=0)  # warm up: trace, fill the cache
    model.fit(*tensors, batch_size=BATCH, epochs=1, verbose=0, shuffle=True)
    rates = {"tf.data pipeline": [], "in-memory tensors": []}
    for _ in range(REPEATS):
        for name in rates:
            started = time.perf_counter()
            if name == "tf.data pipeline":
                model.fit(dataset, epochs=1, verbose=0, shuffle=False)
            else:
                model.fit(*tensors, batch_size=BATCH, epochs=1, verbose=0, shuffle=True)
            rates[name].append(len(y) / (time.perf_counter() - started))
    medians = {name: statistics.median(values) for name, values in rates.items()}
    overhead = 1 - medians["tf.data pipeline"] / medians["in-memory tensors"]
    report = {
        "name": "pipeline_overhead",
        "images": int(len(y)),
        "repeats": REPEATS,
        "images_per_second_median": medians,
        "images_per_second_all": rates,
        "pipeline_overhead_fraction": overhead,
        "target_max_overhead": 0.05,
        "meets_target": overhead <= 0.05,
        "cpu_count": os.cpu_count(),
    }
    save_report(OUTPUT, report)
    for name, value in medians.items():
        print(f"{name:20s} {value:8.0f} images/s (median of {REPEATS})")
    print(f"pipeline overhead: {overhead:+.1%} (target <= 5%)")
    return 0


if __name__ == "__main__":
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    sys.exit(main())
