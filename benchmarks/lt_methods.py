"""The quality target of notebooks 03-04, over paired seeds (the full profile).

Trains the main methods of notebooks 03-04 and the second stages of notebook 05
(cRT, balanced fine-tuning, DRW) on Fashion-MNIST-LT (r = 100) with several seeds and
reports each method's balanced accuracy as mean ± std and the fraction of the
cross-entropy-to-oracle gap it closes, per seed and on average. The target: the
best single method closes at least 80 % of the gap on average and gains at
least 4 points of balanced accuracy over cross-entropy.

    python benchmarks/lt_methods.py                    # full profile, seeds 0 1 2
    python benchmarks/lt_methods.py --profile course --seeds 0

Writes ``build/bench/lt_methods.json``. Models are cached in build/models, so
an interrupted run resumes.
"""

import argparse
import json
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np

from cvhelpers import augment, evaluation, losses, pipeline, sampling, train
from cvhelpers.protocol import PROFILE_SETTINGS, LongTailProtocol, MethodResult
from cvhelpers.results import atomic_write_text

CRT_EPOCHS = 10  # as notebook 05
STAGE2_EPOCHS = 2
OUTPUT = Path(__file__).resolve().parent.parent / "build" / "bench" / "lt_methods.json"


def run_seed(protocol):
    seed = protocol.settings.seed
    batch = protocol.settings.batch_size
    ce_loss = protocol.ce_loss()
    out = {}
    base = protocol.train("ce", protocol.train_dataset(), loss=ce_loss)
    out["cross-entropy"] = base
    x_oracle, y_oracle = protocol.oracle_data()
    out["oracle"] = protocol.train("oracle", pipeline.make_dataset(x_oracle, y_oracle, batch, seed=seed), loss=ce_loss)
    out["oversampling"] = protocol.train(
        "ros", pipeline.balanced_dataset(protocol.x_train, protocol.y_train, batch, seed=seed), loss=ce_loss)
    policy = augment.light_policy(seed=seed)
    copies = augment.oversample_with_augmented_copies(
        protocol.x_train, protocol.y_train, policy, epochs=protocol.settings.epochs, seed=seed, batch_size=batch)
    augment_key = {"augment": policy}
    out["oversampling + augmented copies"] = protocol.train(
        "ros_aug_copies", copies, loss=ce_loss, steps_per_epoch=len(protocol.y_train) // batch, cache_extra=augment_key)
    effective_weights = sampling.class_weights(protocol.y_train, "effective", beta=0.999)
    out["class weights: effective"] = protocol.train(
        "cw_effective", protocol.train_dataset(), loss=ce_loss, class_weight=effective_weights,
        cache_extra={"beta": 0.999})
    out["logit-adjusted loss (tau=1)"] = protocol.train(
        "la_loss_tau1", protocol.train_dataset(), loss=losses.LogitAdjustedLoss(protocol.priors, 1.0, sparse=True))
    augmented = protocol.train("aug", protocol.train_dataset(augment=policy), loss=ce_loss, cache_extra=augment_key)
    for name, model in (("post-hoc adjustment", base), ("augmentation + post-hoc adjustment", augmented)):
        val_logits = evaluation.predict_logits(model.fit.model, protocol.x_val)
        tau, _ = losses.choose_tau(val_logits, protocol.y_val, protocol.priors)
        logits = losses.posthoc_logit_adjustment(model.logits, protocol.priors, tau)
        out[f"{name} (tau on validation)"] = MethodResult(name, protocol.evaluate_logits(logits), model.fit, 0.0)
    first_stage = {"ce": base, "aug": augmented, "ros_aug": out["oversampling + augmented copies"]}
    out.update(two_stage(protocol, {key: result.fit.model for key, result in first_stage.items()}, effective_weights))
    return {name: result.summary for name, result in out.items()}


def two_stage(protocol, first_stage, drw_weights):
    """Notebook 05's second stages on top of the (cached) first-stage models.

    ``first_stage`` maps "ce", "aug" and "ros_aug" to trained models. cRT runs
    on each; balanced fine-tuning and DRW (with ``drw_weights``) on the
    cross-entropy model, as in notebook 05.
    """
    seed, settings = protocol.settings.seed, protocol.settings
    out = {}
    ce_model = first_stage["ce"]
    for base, label in (("ce", "cross-entropy"), ("aug", "augmentation"), ("ros_aug", "oversampling + augmented copies")):
        name = f"cRT on the {label} model"
        fitted = train.retrain_classifier(
            first_stage[base], protocol.x_train, protocol.y_train, protocol.x_val, protocol.y_val, epochs=CRT_EPOCHS,
            sampling="balanced", seed=seed, progress=name,
            cache_key=protocol.cache_key("crt", seed, base=base, crt_epochs=CRT_EPOCHS))
        out[name] = protocol.evaluate_fit(name, fitted)
    stage2 = dict(epochs=STAGE2_EPOCHS, num_classes=protocol.num_classes, steps_per_epoch=protocol.steps_per_epoch,
                  learning_rate=settings.learning_rate / 10, seed=seed)
    validation = protocol.validation_dataset()
    balanced = pipeline.balanced_dataset(protocol.x_train, protocol.y_train, settings.batch_size, seed=seed)
    fitted = train.fine_tune(ce_model, balanced, validation, progress="fine-tune, balanced",
                             cache_key=protocol.cache_key("ft_balanced", seed, stage2=STAGE2_EPOCHS), **stage2)
    out["fine-tune on balanced batches"] = protocol.evaluate_fit("ft_balanced", fitted)
    fitted = train.deferred_reweighting(ce_model, protocol.train_dataset(), validation, drw_weights, progress="DRW",
                                        cache_key=protocol.cache_key("drw", seed, stage2=STAGE2_EPOCHS), **stage2)
    out["DRW (effective-number weights)"] = protocol.evaluate_fit("drw", fitted)
    return out


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="full", choices=sorted(PROFILE_SETTINGS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    args = parser.parse_args(argv)
    base = LongTailProtocol.fashion_mnist_lt()
    per_seed = {}
    for seed in args.seeds:
        settings = PROFILE_SETTINGS[args.profile]
        protocol = base.with_settings(**{**settings.__dict__, "seed": seed})
        per_seed[seed] = run_seed(protocol)
        print(f"seed {seed} done", flush=True)
    methods = list(per_seed[args.seeds[0]])
    table = {}
    for name in methods:
        accuracy = np.array([per_seed[s][name]["balanced_accuracy"] for s in args.seeds])
        gaps = [evaluation.gap_closed(per_seed[s][name]["balanced_accuracy"], per_seed[s]["cross-entropy"]["balanced_accuracy"],
                                      per_seed[s]["oracle"]["balanced_accuracy"]) for s in args.seeds]
        gain = accuracy - np.array([per_seed[s]["cross-entropy"]["balanced_accuracy"] for s in args.seeds])
        table[name] = {
            "balanced_accuracy_mean": float(accuracy.mean()), "balanced_accuracy_std": float(accuracy.std(ddof=1)) if len(accuracy) > 1 else 0.0,
            "gap_closed_per_seed": gaps, "gap_closed_mean": float(np.mean(gaps)), "gain_over_ce_mean": float(gain.mean()),
            "tail_recall_mean": float(np.mean([per_seed[s][name]["tail_recall"] for s in args.seeds])),
            "worst_recall_mean": float(np.mean([per_seed[s][name]["worst_recall"] for s in args.seeds])),
        }
    candidates = {k: v for k, v in table.items() if k not in ("oracle", "cross-entropy")}
    best = max(candidates, key=lambda k: candidates[k]["gap_closed_mean"])
    report = {
        "name": "lt_methods", "profile": args.profile, "seeds": args.seeds, "epochs": PROFILE_SETTINGS[args.profile].epochs,
        "methods": table, "best": best,
        "target_met": candidates[best]["gap_closed_mean"] >= 0.8 and candidates[best]["gain_over_ce_mean"] >= 0.04,
        "per_seed": {str(s): v for s, v in per_seed.items()},
    }
    OUTPUT.parent.mkdir(parents=True, exist_ok=True)
    atomic_write_text(OUTPUT, json.dumps(report, indent=2, default=float) + "\n")
    print(f"{'method':50s} {'bal. acc.':>16s} {'gap closed':>11s}  per seed")
    for name, row in table.items():
        print(f"{name:50s} {row['balanced_accuracy_mean']:.3f} ± {row['balanced_accuracy_std']:.3f}   "
              f"{row['gap_closed_mean']:9.2f}  {[round(g, 2) for g in row['gap_closed_per_seed']]}")
    print(f"best: {best}; target (>= 80 % of the gap and >= 4 points) met: {report['target_met']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
