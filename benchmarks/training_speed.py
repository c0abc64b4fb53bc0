"""Training throughput of the course CNN under settings that could make the course faster.

Each variant trains the course's small CNN (the course profile's width) on
Fashion-MNIST-LT through the course's ``tf.data`` pipeline, in a fresh
process (thread settings only apply before TensorFlow starts), and reports
the images per second of the epochs after the first (the first includes
tracing). The variants alternate, ``BENCH_REPEATS`` rounds (default 3), and
each is reported as the median ratio to ``default`` within the same round,
because a shared 2-core machine drifts by tens of percent over minutes.

Variants (none changes the protocol unless it says so):

* ``default`` — what ``cvhelpers.training.fit`` does today.
* ``threads_2x1`` — ``tf.config.threading``: 2 intra-op threads, 1 inter-op thread.
* ``steps_per_execution_8`` — 8 training steps per call into TensorFlow.
* ``xla`` — ``jit_compile=True`` (Keras turns XLA off on CPU-only machines by default).
* ``bfloat16`` — Keras mixed precision ``mixed_bfloat16`` (changes the arithmetic).
* ``batch_256`` — twice the batch (changes the protocol).

Writes ``build/bench/training_speed.json``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path

OUTPUT = Path(__file__).resolve().parent.parent / "build" / "bench" / "training_speed.json"
VARIANTS = ("default", "threads_2x1", "steps_per_execution_8", "xla", "bfloat16", "batch_256")
EPOCHS = int(os.environ.get("BENCH_EPOCHS", 3))


def measure(variant: str) -> dict:
    """Train once under ``variant`` in this process; images/s after the first epoch."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")
    import tensorflow as tf

    if variant == "threads_2x1":
        tf.config.threading.set_intra_op_parallelism_threads(2)
        tf.config.threading.set_inter_op_parallelism_threads(1)
    import keras

    from cvhelpers.data import load_fashion_mnist_lt, pipeline
    from cvhelpers.experiment import PROFILE_SETTINGS
    from cvhelpers.metrics.classification import BalancedAccuracy
    from cvhelpers.training import models

    if variant == "bfloat16":
        keras.mixed_precision.set_global_policy("mixed_bfloat16")
    settings = PROFILE_SETTINGS["course"]
    batch_size = 2 * settings.batch_size if variant == "batch_256" else settings.batch_size
    lt, _ = load_fashion_mnist_lt()
    data = pipeline.make_dataset(lt.x, lt.y, batch_size, seed=0)
    keras.utils.set_random_seed(0)
    model = models.small_cnn(width=settings.width, feature_dim=settings.feature_dim, seed=0)
    model.compile(
        optimizer=keras.optimizers.Adam(settings.learning_rate),
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True),
        metrics=[BalancedAccuracy(10)],
        jit_compile=variant == "xla",
        steps_per_execution=8 if variant == "steps_per_execution_8" else 1,
    )

    class Clock(keras.callbacks.Callback):
        def on_epoch_begin(self, epoch, logs=None):
            self.started = time.perf_counter()

        def on_epoch_end(self, epoch, logs=None):
            seconds.append(time.perf_counter() - self.started)

    seconds: list[float] = []
    model.fit(data, epochs=EPOCHS, verbose=0, callbacks=[Clock()])
    later = seconds[1:] or seconds
    return {"variant": variant, "images_per_second": len(lt.y) * len(later) / sum(later), "epoch_seconds": seconds}


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("variants", nargs="*", metavar="VARIANT", help=f"some of {', '.join(VARIANTS)} (default: all)")
    parser.add_argument("--one", choices=VARIANTS, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    unknown = [name for name in args.variants if name not in VARIANTS]
    if unknown:
        parser.error(f"unknown variant(s) {', '.join(unknown)}; choose from {', '.join(VARIANTS)}")
    if args.one:
        print(json.dumps(measure(args.one)))
        return 0
    repeats = int(os.environ.get("BENCH_REPEATS", 3))
    variants = list(args.variants) or list(VARIANTS)
    if "default" not in variants:
        variants.insert(0, "default")
    rounds = []
    for round_number in range(repeats):
        measured = {}
        for variant in variants:
            output = subprocess.run([sys.executable, __file__, "--one", variant], check=True, capture_output=True,
                                    text=True).stdout
            measured[variant] = json.loads(output.strip().splitlines()[-1])
            print(f"round {round_number + 1}/{repeats} {variant:24s} "
                  f"{measured[variant]['images_per_second']:7.0f} images/s", flush=True)
        rounds.append(measured)
    summary = {
        variant: {
            "median_images_per_second": round(statistics.median(r[variant]["images_per_second"] for r in rounds)),
            "median_speedup_vs_default": round(statistics.median(
                r[variant]["images_per_second"] / r["default"]["images_per_second"] for r in rounds), 3),
        }
        for variant in variants
    }
    result = {"epochs": EPOCHS, "repeats": repeats, "cores": os.cpu_count(), "variants": summary, "rounds": rounds}
    from cvhelpers.course.results import save_report  # after the variants: they set TensorFlow up themselves

    save_report(OUTPUT, result)
    for variant, row in summary.items():
        print(f"{variant:24s} {row['median_images_per_second']:7d} images/s  x{row['median_speedup_vs_default']:.2f}")
    print(f"wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
