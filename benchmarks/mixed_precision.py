"""Mixed bfloat16 for the course CNN: training time and balanced accuracy against float32.

The cross-entropy baseline and the oracle of the course protocol (course
profile, seed 0, no model cache) are trained three ways, one after the other
in one process:

* ``float32`` — the course today (``protocol.build_model()``);
* ``bfloat16`` — Keras's ``mixed_bfloat16`` policy for the whole network;
* ``bfloat16, float32 head`` — the encoder in ``mixed_bfloat16``, the
  classifier (the logits) in float32, as the Keras mixed-precision guide
  advises for the last layer.

bfloat16 is only fast on CPUs with native bfloat16 instructions (AVX512_BF16
or AMX); elsewhere it is slower than float32. The script reports the flags
it found. Writes ``build/bench/mixed_precision.json``.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import keras

from cvhelpers.course.results import save_report
from cvhelpers.data import pipeline
from cvhelpers.experiment import LongTailProtocol
from cvhelpers.training import models

OUTPUT = Path(__file__).resolve().parent.parent / "build" / "bench" / "mixed_precision.json"
POLICIES = ("float32", "bfloat16", "bfloat16, float32 head")


def cpu_flags() -> list[str]:
    """The bfloat16-related flags of this CPU (Linux), e.g. ``["avx512_bf16"]``."""
    try:
        text = Path("/proc/cpuinfo").read_text()
    except OSError:
        return []
    flags = next((line.split(":", 1)[1].split() for line in text.splitlines() if line.startswith("flags")), [])
    return sorted(flag for flag in flags if "bf16" in flag or flag.startswith("amx"))


def model_builder(protocol: LongTailProtocol, policy: str):
    """A function building the protocol's CNN with ``policy``'s dtypes (seeded as the protocol's)."""
    settings, seed = protocol.settings, protocol.settings.seed

    def build():
        encoder_policy = "float32" if policy == "float32" else "mixed_bfloat16"
        head_policy = "mixed_bfloat16" if policy == "bfloat16" else "float32"
        keras.mixed_precision.set_global_policy(encoder_policy)
        try:
            encoder = models.small_encoder((28, 28, 1), settings.width, settings.feature_dim, seed=seed)
            keras.mixed_precision.set_global_policy(head_policy)
            head = models.classifier_head(protocol.num_classes, seed)
        finally:
            keras.mixed_precision.set_global_policy("float32")
        inputs = keras.Input(shape=(28, 28, 1), name="images")
        return keras.Model(inputs, head(encoder(inputs)), name="small_cnn")

    return build


def main() -> int:
    argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter).parse_args()
    protocol = LongTailProtocol.fashion_mnist_lt()
    x_oracle, y_oracle = protocol.oracle_data()
    settings = protocol.settings
    rows = []
    for method in ("ce", "oracle"):
        for policy in POLICIES:
            data = (protocol.train_dataset() if method == "ce" else
                    pipeline.make_dataset(x_oracle, y_oracle, settings.batch_size, seed=settings.seed))
            started = time.perf_counter()
            result = protocol.train(method, data, loss=protocol.ce_loss(), cache=False,
                                    build_model=model_builder(protocol, policy))
            rows.append({"method": method, "policy": policy, "fit_seconds": round(result.fit.seconds, 1),
                         "seconds": round(time.perf_counter() - started, 1),
                         "balanced_accuracy": round(result.report.summary["balanced_accuracy"], 4)})
            print(f"{method:7s} {policy:24s} {rows[-1]['balanced_accuracy']:.4f}  {rows[-1]['fit_seconds']:6.1f} s",
                  flush=True)
    result = {"cpu_bf16_flags": cpu_flags(), "cores": os.cpu_count(), "profile": "course", "seed": settings.seed,
              "rows": rows}
    save_report(OUTPUT, result)
    print(f"bfloat16 CPU flags: {result['cpu_bf16_flags'] or 'none'}; wrote {OUTPUT}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
