"""Augmentation throughput: Keras layers in tf.data against albumentations.

Writes ``build/bench/augment_throughput.json`` and prints a table. This is a
measurement, not a test: nothing here asserts a time.

    python benchmarks/augment_throughput.py            # the full measurement
    python benchmarks/augment_throughput.py --quick    # fewer images and rounds

The standard policy: horizontal flip, rotation ±15°,
translation ±10 %, zoom ±10 %, brightness ±0.2, contrast ±0.2 and random
erasing (p = 0.5, 2-20 % of the area). Every pipeline starts from the same
uint8 images and delivers batches; the Keras pipelines deliver float32 in
[0, 1], albumentations uint8 stacked into a batch (its own output format).

Pipelines measured, at 28×28 grayscale (Fashion-MNIST) and at 224×224 RGB
(skimage.data photos, randomly cropped):

* ``keras_fused_xla_batched`` — the fast path: ``batch`` then ``map`` of
  :func:`cvhelpers.augment.standard_policy` wrapped in
  :func:`cvhelpers.augment.xla_compiled` (one fused warp, each layer of the
  policy compiled by XLA).
* ``keras_fused_batched`` — the same policy without ``xla_compiled`` (only
  the warp is XLA-compiled inside :class:`~cvhelpers.augment.RandomGeometric`).
* ``keras_stock_batched`` — the same with the stock Keras layers
  (``RandomFlip → RandomRotation → RandomTranslation → RandomZoom``: four
  resamplings), :func:`cvhelpers.augment.stock_standard_policy`.
* ``keras_fused_per_image`` — ``map`` per image, then ``batch`` (28×28 only).
* ``albumentations_loop`` — ``A.Compose`` in a Python loop (OpenCV may use
  both cores internally).
* ``albumentations_tfdata`` — the same inside ``tf.data`` with
  ``tf.numpy_function`` and a parallel map, as a Keras user would plug it in.

The ratios are each Keras pipeline over the *faster* of the two albumentations
pipelines. Rounds alternate between pipelines and the medians are reported,
because a shared 2-core machine swings ±30 % from run to run.

The training-cost part trains :func:`cvhelpers.training.models.small_cnn` on 28×28
images for one epoch at a time, alternating runs without augmentation and
with the policy in the tf.data pipeline, and reports the median images per
second (and CPU seconds per image) of each.
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import tensorflow as tf  # noqa: E402

from cvhelpers import augment  # noqa: E402
from cvhelpers.course.results import save_report  # noqa: E402
from cvhelpers.data import load_fashion_mnist  # noqa: E402
from cvhelpers.training import models  # noqa: E402

OUTPUT = ROOT / "build" / "bench" / "augment_throughput.json"


def albumentations_policy():
    """The standard policy in albumentations, or None if it is not installed."""
    try:
        import albumentations as A
        import cv2
    except ImportError:
        return None
    return A.Compose(
        [
            A.HorizontalFlip(p=0.5),
            A.Affine(
                rotate=(-15, 15), translate_percent=(-0.1, 0.1), scale=(0.9, 1.1),
                border_mode=cv2.BORDER_REFLECT_101, p=1.0,
            ),
            A.RandomBrightnessContrast(brightness_limit=0.2, contrast_limit=0.2, p=1.0),
            A.Erasing(scale=(0.02, 0.2), fill=0, p=0.5),
        ],
        seed=0,
    )


def photos_224(count: int, seed: int = 0) -> np.ndarray:
    """``count`` random 224×224 RGB crops of the skimage.data colour photos, uint8."""
    import skimage.data
    from skimage.transform import resize

    names = ["astronaut", "coffee", "chelsea", "rocket", "hubble_deep_field", "immunohistochemistry", "retina"]
    rng = np.random.default_rng(seed)
    sources = []
    for name in names:
        image = getattr(skimage.data, name)()
        if image.ndim == 3 and image.shape[-1] >= 3:
            scale = 320 / min(image.shape[:2])
            size = (int(image.shape[0] * scale), int(image.shape[1] * scale))
            sources.append((resize(image[..., :3], size, anti_aliasing=True) * 255).astype(np.uint8))
    out = np.empty((count, 224, 224, 3), np.uint8)
    for index in range(count):
        source = sources[index % len(sources)]
        top = rng.integers(0, source.shape[0] - 224 + 1)
        left = rng.integers(0, source.shape[1] - 224 + 1)
        out[index] = source[top : top + 224, left : left + 224]
    return out


# ---------------------------------------------------------------------------
# pipelines: each returns a tf.data.Dataset or a Python iterable of batches
# ---------------------------------------------------------------------------
def _to_float(batch):
    return tf.cast(batch, tf.float32) / 255.0


def keras_batched(images, batch_size, policy):
    dataset = tf.data.Dataset.from_tensor_slices(images).batch(batch_size)
    return dataset.map(lambda b: policy(_to_float(b), training=True), num_parallel_calls=tf.data.AUTOTUNE).prefetch(
        tf.data.AUTOTUNE
    )


def keras_xla_batched(images, batch_size, policy):
    compiled = augment.xla_compiled(policy)
    dataset = tf.data.Dataset.from_tensor_slices(images).batch(batch_size)
    return dataset.map(lambda b: compiled(_to_float(b)), num_parallel_calls=tf.data.AUTOTUNE).prefetch(tf.data.AUTOTUNE)


def keras_per_image(images, batch_size, policy):
    dataset = tf.data.Dataset.from_tensor_slices(images)
    dataset = dataset.map(lambda i: policy(_to_float(i), training=True), num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def albumentations_loop(images, batch_size, transform):
    def batches():
        for start in range(0, len(images), batch_size):
            yield np.stack([transform(image=image)["image"] for image in images[start : start + batch_size]])

    return batches()


def albumentations_tfdata(images, batch_size, transform):
    shape = images.shape[1:]

    def one(image):
        out = transform(image=image)["image"]
        return out.reshape(shape)

    def apply(image):
        out = tf.numpy_function(one, [image], tf.uint8)
        out.set_shape(shape)
        return out

    dataset = tf.data.Dataset.from_tensor_slices(images).map(apply, num_parallel_calls=tf.data.AUTOTUNE)
    return dataset.batch(batch_size).prefetch(tf.data.AUTOTUNE)


def _time_pipeline(make, warmup_batches: int = 2):
    """Images per second of one full pass (after a warm-up pass of a few batches)."""
    iterator = iter(make())
    for _ in range(warmup_batches):
        next(iterator, None)
    count = 0
    started = time.perf_counter()
    cpu_started = time.process_time()
    for batch in iterator:
        count += int(batch.shape[0])
    elapsed = time.perf_counter() - started
    cpu = time.process_time() - cpu_started
    return count / elapsed, cpu / max(count, 1)


def throughput(images, batch_size: int, rounds: int, per_image: bool, include_stock: bool = True) -> dict:
    fused = augment.standard_policy(seed=0)
    stock = augment.stock_standard_policy(seed=0)
    transform = albumentations_policy()
    fused_xla = augment.standard_policy(seed=0)
    # Each tf.data pipeline is built once and iterated every round, so tracing
    # and XLA compilation happen in the untimed first pass only.
    built = {
        "keras_fused_xla_batched": keras_xla_batched(images, batch_size, fused_xla),
        "keras_fused_batched": keras_batched(images, batch_size, fused),
    }
    if include_stock:
        built["keras_stock_batched"] = keras_batched(images, batch_size, stock)
    if per_image:
        built["keras_fused_per_image"] = keras_per_image(images, batch_size, fused)
    if transform is not None:
        built["albumentations_tfdata"] = albumentations_tfdata(images, batch_size, transform)
    pipelines = {name: (lambda dataset=dataset: dataset) for name, dataset in built.items()}
    if transform is not None:
        pipelines["albumentations_loop"] = lambda: albumentations_loop(images, batch_size, transform)
    samples = {name: [] for name in pipelines}
    cpu = {name: [] for name in pipelines}
    for make in pipelines.values():  # one untimed pass each: tracing, OpenCV warm-up
        _time_pipeline(make)
    for _ in range(rounds):
        for name, make in pipelines.items():
            rate, cpu_per_image = _time_pipeline(make)
            samples[name].append(rate)
            cpu[name].append(cpu_per_image)
    result = {
        "images": int(len(images)),
        "shape": list(images.shape[1:]),
        "batch_size": batch_size,
        "rounds": rounds,
        "images_per_second": {name: round(statistics.median(values), 1) for name, values in samples.items()},
        "images_per_second_all": {name: [round(v, 1) for v in values] for name, values in samples.items()},
        "cpu_ms_per_image": {name: round(1000 * statistics.median(values), 4) for name, values in cpu.items()},
    }
    rates = result["images_per_second"]
    if transform is not None:
        best = max(rates["albumentations_loop"], rates["albumentations_tfdata"])
        result["albumentations_best"] = best
        result["ratio_vs_albumentations"] = {
            name: round(rates[name] / best, 3) for name in rates if name.startswith("keras")
        }
        # CPU time per image is steadier than wall time on a shared machine.
        cpu_ms = result["cpu_ms_per_image"]
        best_cpu = min(cpu_ms["albumentations_loop"], cpu_ms["albumentations_tfdata"])
        result["cpu_ratio_vs_albumentations"] = {
            name: round(best_cpu / cpu_ms[name], 3) for name in cpu_ms if name.startswith("keras")
        }
    else:
        result["albumentations_skipped"] = "albumentations is not installed: pip install albumentations"
    return result


# ---------------------------------------------------------------------------
# training cost
# ---------------------------------------------------------------------------
def training_cost(x, y, epochs_per_run: int, rounds: int, batch_size: int = 128) -> dict:
    """Median images/s of ``fit`` without and with the policy, alternating runs."""
    from cvhelpers.data.pipeline import make_dataset

    variants = {
        "none": None,
        "light_policy": augment.light_policy(seed=0),
        "standard_policy": augment.standard_policy(seed=0),
    }
    model = models.small_cnn((28, 28, 1), 10, seed=0)
    model.compile(
        keras.optimizers.Adam(1e-3), keras.losses.SparseCategoricalCrossentropy(from_logits=True)
    )
    datasets_ = {name: make_dataset(x, y, batch_size, seed=0, augment=policy) for name, policy in variants.items()}
    for dataset in datasets_.values():  # trace once, fill the caches
        model.fit(dataset.take(3), epochs=1, verbose=0)
    rates = {name: [] for name in variants}
    cpu = {name: [] for name in variants}
    for _ in range(rounds):
        for name, dataset in datasets_.items():
            started, cpu_started = time.perf_counter(), time.process_time()
            model.fit(dataset, epochs=epochs_per_run, verbose=0)
            elapsed, cpu_used = time.perf_counter() - started, time.process_time() - cpu_started
            rates[name].append(len(x) * epochs_per_run / elapsed)
            cpu[name].append(cpu_used / (len(x) * epochs_per_run))
    median = {name: statistics.median(values) for name, values in rates.items()}
    median_cpu = {name: statistics.median(values) for name, values in cpu.items()}
    return {
        "images": int(len(x)),
        "epochs_per_run": epochs_per_run,
        "rounds": rounds,
        "images_per_second": {name: round(value, 1) for name, value in median.items()},
        "images_per_second_all": {name: [round(v, 1) for v in values] for name, values in rates.items()},
        "cpu_ms_per_image": {name: round(1000 * value, 4) for name, value in median_cpu.items()},
        "relative_speed": {name: round(median[name] / median["none"], 3) for name in variants if name != "none"},
        "relative_speed_cpu_time": {
            name: round(median_cpu["none"] / median_cpu[name], 3) for name in variants if name != "none"
        },
    }


def _print_table(report: dict) -> None:
    for key in ("28x28_gray", "224x224_rgb"):
        part = report.get(key)
        if not part:
            continue
        print(f"\n{key}: {part['images']} images, batch {part['batch_size']}, median of {part['rounds']} rounds")
        print(f"  {'pipeline':<26}{'images/s':>12}{'CPU ms/img':>12}{'vs albu':>10}{'(by CPU)':>10}")
        ratios = part.get("ratio_vs_albumentations", {})
        cpu_ratios = part.get("cpu_ratio_vs_albumentations", {})
        for name, rate in part["images_per_second"].items():
            ratio = f"{ratios[name]:.2f}x" if name in ratios else ""
            cpu_ratio = f"{cpu_ratios[name]:.2f}x" if name in cpu_ratios else ""
            print(f"  {name:<26}{rate:>12.0f}{part['cpu_ms_per_image'][name]:>12.3f}{ratio:>10}{cpu_ratio:>10}")
        if "albumentations_skipped" in part:
            print("  " + part["albumentations_skipped"])
    cost = report.get("training_cost")
    if cost:
        print(f"\ntraining cost (small_cnn, {cost['images']} images x {cost['epochs_per_run']} epoch, "
              f"median of {cost['rounds']} alternating runs)")
        for name, rate in cost["images_per_second"].items():
            relative = cost["relative_speed"].get(name)
            extra = (
                f"  {relative:.0%} of no augmentation (CPU time: {cost['relative_speed_cpu_time'][name]:.0%})"
                if relative
                else ""
            )
            print(f"  {name:<18}{rate:>10.0f} images/s{extra}")


def main(argv=None) -> dict:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer images and rounds")
    parser.add_argument("--rounds", type=int, default=None)
    parser.add_argument("--skip-training", action="store_true")
    parser.add_argument("--output", type=Path, default=OUTPUT)
    args = parser.parse_args(argv)
    rounds = args.rounds or (3 if args.quick else 5)

    keras.utils.set_random_seed(0)
    data = load_fashion_mnist()
    report = {
        "benchmark": "augment_throughput",
        "machine": {
            "cpu_count": os.cpu_count(),
            "platform": platform.platform(),
            "note": "shared machine: other jobs may run at the same time; rounds alternate, medians reported",
        },
        "versions": {"tensorflow": tf.__version__, "keras": keras.__version__},
    }
    try:
        import albumentations

        report["versions"]["albumentations"] = albumentations.__version__
    except ImportError:
        print("albumentations is not installed: measuring the Keras pipelines only (pip install albumentations)")
        report["versions"]["albumentations"] = None

    n_small = 4096 if args.quick else 16384
    small = data.x_train[:n_small, :, :, None]
    report["28x28_gray"] = throughput(small, 256, rounds, per_image=True)
    n_large = 256 if args.quick else 768
    report["224x224_rgb"] = throughput(photos_224(n_large), 32, rounds, per_image=False)
    if not args.skip_training:
        n_train = 4096 if args.quick else 8192
        report["training_cost"] = training_cost(
            data.x_train[:n_train], data.y_train[:n_train].astype(np.int64), 1, rounds
        )
    save_report(args.output, report)
    _print_table(report)
    print(f"\nwrote {args.output}")
    return report


if __name__ == "__main__":
    main()
