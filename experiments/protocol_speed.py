"""Shorter training protocols against the course protocol: the deterministic numbers each gives.

Trains the five methods whose numbers the course reports first (cross-entropy,
the oracle, oversampling, the logit-adjusted loss and cRT on the cross-entropy
model) under the course protocol and under candidate protocols with fewer
epochs, another peak learning rate or a cosine schedule with warm-up, all on one
seed. A candidate is worth shipping only when every number stays within one
point of balanced accuracy of the course protocol's and the training time falls.

    python experiments/protocol_speed.py                            # the candidates below
    python experiments/protocol_speed.py --candidate epochs=6,learning_rate=2e-3,schedule=cosine,warmup_epochs=0.5

Writes ``build/bench/protocol_speed.json`` and prints a table. Models are cached
in build/models, so a second run only re-evaluates.
"""

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

OUTPUT = Path(__file__).resolve().parent.parent / "build" / "bench" / "protocol_speed.json"
REFERENCE = "epochs=8"
CANDIDATES = ("epochs=4", "epochs=4,learning_rate=2e-3,schedule=cosine,warmup_epochs=0.5",
              "epochs=4,learning_rate=3e-3,schedule=cosine,warmup_epochs=0.5",
              "epochs=5,learning_rate=2e-3,schedule=cosine,warmup_epochs=0.5")
CRT_EPOCHS = 10  # as notebook 05


def parse_candidate(text: str) -> dict:
    """``"epochs=4,learning_rate=2e-3"`` to a dict of :class:`~cvhelpers.experiment.Settings` changes."""
    from cvhelpers.experiment import Settings

    types = {name: type(value) for name, value in vars(Settings()).items() if name != "seed"}
    changes = {}
    for item in text.split(","):
        name, _, value = (part.strip() for part in item.partition("="))
        if name not in types or not value:
            raise argparse.ArgumentTypeError(
                f"a candidate is setting=value pairs joined by commas, e.g. epochs=4,learning_rate=2e-3, with "
                f"settings from {sorted(types)}; got {text!r}")
        try:
            changes[name] = types[name](value)
        except ValueError as error:
            raise argparse.ArgumentTypeError(f"{name} must be a {types[name].__name__}, got {value!r}") from error
    try:
        Settings(**changes)
    except (TypeError, ValueError) as error:
        raise argparse.ArgumentTypeError(str(error)) from error
    return changes


def run(protocol) -> dict:
    """Balanced accuracy and training seconds of the five methods under ``protocol``."""
    from cvhelpers import training
    from cvhelpers.data import pipeline
    from cvhelpers.training import losses

    settings = protocol.settings
    ce = protocol.baseline("ce")
    balanced = pipeline.balanced_dataset(protocol.x_train, protocol.y_train, settings.batch_size, seed=settings.seed)
    results = {
        "cross-entropy": ce,
        "oracle": protocol.baseline("oracle"),
        "oversampling": protocol.train("ros", balanced, loss=protocol.ce_loss()),
        "logit-adjusted loss": protocol.train(
            "la_loss_tau1", protocol.train_dataset(), loss=losses.LogitAdjustedLoss(protocol.priors, 1.0, sparse=True)),
    }
    crt = training.retrain_classifier(
        ce.fit.model, protocol.x_train, protocol.y_train, protocol.x_val, protocol.y_val,
        epochs=CRT_EPOCHS, sampling="balanced", seed=settings.seed, progress="cRT")
    results["cRT"] = protocol.evaluate_fit("crt", crt)
    return {name: {"balanced_accuracy": round(float(r.summary["balanced_accuracy"]), 4),
                   "fit_seconds": round(float(r.fit.seconds), 1), "from_cache": bool(r.fit.from_cache)}
            for name, r in results.items()}


def _seed(text: str) -> int:
    if not text.isdigit():
        raise argparse.ArgumentTypeError(f"seed must be an int >= 0, got {text!r}")
    return int(text)


def compare(rows: dict) -> dict:
    """Each candidate's largest change of balanced accuracy against the first (the reference) and its seconds."""
    labels = list(rows)
    reference = rows[labels[0]]
    candidates = {}
    for label, row in rows.items():
        worst = max(abs(row[m]["balanced_accuracy"] - reference[m]["balanced_accuracy"]) for m in row)
        candidates[label] = {"methods": row, "largest_change": round(worst, 4),
                             "fit_seconds": round(sum(row[m]["fit_seconds"] for m in row), 1)}
    return {"reference": labels[0], "candidates": candidates}


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--candidate", action="append", type=parse_candidate, metavar="SETTING=VALUE,...",
                        help=f"a protocol to compare (repeatable); default: {'; '.join(CANDIDATES)}")
    parser.add_argument("--seed", type=_seed, default=0, help="the one seed every protocol trains with (default 0)")
    args = parser.parse_args(argv)
    candidates = [parse_candidate(REFERENCE)] + (args.candidate or [parse_candidate(c) for c in CANDIDATES])

    from cvhelpers.course.results import save_report
    from cvhelpers.experiment import LongTailProtocol, Settings

    base = LongTailProtocol.fashion_mnist_lt(Settings(seed=args.seed))
    rows = {}
    for changes in candidates:
        label = ",".join(f"{k}={v}" for k, v in changes.items())
        rows[label] = run(base.with_settings(**changes))
        print(label, json.dumps(rows[label]), flush=True)
    report = {"seed": args.seed, **compare(rows)}
    save_report(OUTPUT, report)
    reference = report["candidates"][report["reference"]]["methods"]
    print(f"{'candidate':60} " + " ".join(f"{m[:12]:>12}" for m in reference) + "  largest change  seconds")
    for label, entry in report["candidates"].items():
        print(f"{label:60} " + " ".join(f"{v['balanced_accuracy']:12.4f}" for v in entry["methods"].values())
              + f"  {entry['largest_change']:14.4f}  {entry['fit_seconds']:7.0f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
