"""GAN training speed, and class-balanced against natural-proportion batches.

1. Steps per second (warm: after tracing) of :class:`cvhelpers.methods.gan.ConditionalGAN`
   at batch 128 on Fashion-MNIST-LT, for the course generator (width 64, about
   0.3M parameters) and one the size of the TensorFlow DCGAN tutorial's
   (width 256), both with and without XLA (``jit_compile``). The median of
   ``BENCH_REPEATS`` timed runs of ``BENCH_STEPS`` steps is reported, because a
   shared 2-core machine swings a lot.
2. With ``BENCH_SAMPLING=1`` (the default), label faithfulness and per-class
   Fréchet distance of two GANs trained ``BENCH_GAN_STEPS`` steps (default
   600, the course profile), one on class-balanced batches and one on batches
   in the data's own proportions, judged by notebook 03's oracle (trained if
   it is not cached). This is the comparison notebook 06 skips in the course
   profile to stay within its budget.

Writes ``build/bench/gan_steps.json``.
"""

import argparse
import json
import os
import statistics
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras
import numpy as np

from cvhelpers.course.results import save_report
from cvhelpers.data import pipeline
from cvhelpers.experiment import LongTailProtocol
from cvhelpers.methods import gan
from cvhelpers.training import models

OUTPUT = Path(__file__).resolve().parent.parent / "build" / "bench" / "gan_steps.json"
REPEATS = int(os.environ.get("BENCH_REPEATS", 3))
STEPS = int(os.environ.get("BENCH_STEPS", 30))
SAMPLING = os.environ.get("BENCH_SAMPLING", "1") == "1"
GAN_STEPS = int(os.environ.get("BENCH_GAN_STEPS", 600))
BATCH = 128


def steps_per_second(protocol, width, jit):
    keras.utils.set_random_seed(0)
    model = gan.ConditionalGAN(
        gan.build_generator(width=width, seed=0), gan.build_discriminator(width=64, seed=0), latent_dim=64, seed=0
    )
    model.compile(jit_compile=jit)
    dataset = pipeline.balanced_dataset(protocol.x_train, protocol.y_train, BATCH, seed=0)
    model.fit(dataset, epochs=1, steps_per_epoch=5, verbose=0)  # trace
    rates = []
    for _ in range(REPEATS):
        started = time.perf_counter()
        model.fit(dataset, epochs=1, steps_per_epoch=STEPS, verbose=0)
        rates.append(STEPS / (time.perf_counter() - started))
    return {"generator_parameters": model.generator.count_params(), "steps_per_second": statistics.median(rates)}


def sampling_comparison(protocol):
    x_oracle, y_oracle = protocol.oracle_data()
    judge = protocol.train(
        "oracle", pipeline.make_dataset(x_oracle, y_oracle, protocol.settings.batch_size, seed=0),
        loss=protocol.ce_loss(), cache=True)
    encoder = models.encoder_of(judge.fit.model)
    real = encoder.predict(pipeline.to_float_images(protocol.x_test), verbose=0)
    out = {}
    _, tail = protocol.head_tail
    for sampling in ("balanced", "natural"):
        result = gan.train_conditional_gan(
            protocol.x_train, protocol.y_train, sampling=sampling, steps=GAN_STEPS, seed=0
        )
        labels = np.repeat(np.arange(protocol.num_classes), 500)
        images = pipeline.to_float_images(gan.generate(result.generator, labels, seed=2))
        predicted = judge.fit.model.predict(images, verbose=0).argmax(1)
        quality = gan.per_class_quality(real, protocol.y_test, encoder.predict(images, verbose=0), labels, predicted,
                                        protocol.class_names)
        overall, per_class = gan.label_faithfulness(predicted, labels, protocol.num_classes)
        out[sampling] = {
            "faithfulness": overall,
            "faithfulness_tail": {protocol.class_names[c]: float(per_class[c]) for c in tail},
            "mean_frechet": float(quality["frechet"].mean()),
            "mean_precision": float(quality["precision"].mean()),
            "mean_recall": float(quality["recall"].mean()),
            "mean_diversity_ratio": float(quality["diversity_ratio"].mean()),
            "frechet": quality["frechet"].round(2).to_dict(),
            # A cached GAN (e.g. from notebook 06) reports the time of the run that trained it.
            "train_seconds": result.seconds,
            "from_cache": bool(result.from_cache),
        }
    return out


def main():
    protocol = LongTailProtocol.fashion_mnist_lt()
    speed = {}
    for width in (64, 256):
        for jit in (False, True):
            speed[f"width{width}{'_xla' if jit else ''}"] = steps_per_second(protocol, width, jit)
            print(speed, flush=True)
    report = {
        "name": "gan_steps",
        "batch_size": BATCH,
        "cpu_count": os.cpu_count(),
        "load_average_1min": os.getloadavg()[0],
        "speed": speed,
    }
    if SAMPLING:
        report["sampling"] = sampling_comparison(protocol)
    save_report(OUTPUT, report)
    print(json.dumps(report, indent=2))


if __name__ == "__main__":
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    main()
