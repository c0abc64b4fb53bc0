"""The quality bar for notebooks 03-04's methods, over paired seeds (the full profile).

Trains the main methods of notebooks 03-04 and the second stages of notebook 05
(cRT, balanced fine-tuning, DRW) on Fashion-MNIST-LT (r = 100) with several seeds and
reports each method's balanced accuracy as mean ± std and the fraction of the
cross-entropy-to-oracle gap it closes, per seed and on average. The bar: the
best single method closes at least 80 % of the gap on average and gains at
least 4 points of balanced accuracy over cross-entropy.

It also trains a hybrid first stage: cross-entropy on the oversampling +
augmented copies batches plus a supervised contrastive term on two views
(:class:`cvhelpers.methods.supcon.SupConHybrid`), and runs cRT on it. And it runs the
best recipe found (oversampling with augmented copies, a
short phase at a tenth of the learning rate, then cRT) together with two
controls: cross-entropy and the oracle given the same low-rate phase. The
protocol trains at a constant learning rate, so the controls show how much of
a second stage's gain any model would get from the lower rate alone; every
method's gap is also reported against them.

Finally it trains context-rich minority oversampling (CMO, Park et al. 2022:
class-balanced boxes pasted into the oversampling + augmented copies batches,
:func:`cvhelpers.augment.context_rich_oversampling`) and puts it through
the same low-rate phase and cRT. Both recipes run through
:func:`cvhelpers.training.long_tail_recipe` (the one with CMO is its default).

    python experiments/lt_methods.py                    # full profile, seeds 0 1 2
    python experiments/lt_methods.py --profile course --seeds 0
    python experiments/lt_methods.py --core             # baselines, the two recipes, the controls

Writes ``build/bench/lt_methods.json`` (``lt_methods_core.json`` with ``--core``). Models are cached in build/models, so
an interrupted run resumes.
"""

import argparse
import os
import sys
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "3")

import numpy as np

from cvhelpers import augment, metrics, training
from cvhelpers.course.results import save_report
from cvhelpers.data import pipeline, sampling
from cvhelpers.experiment import PROFILE_SETTINGS, LongTailProtocol, MethodResult
from cvhelpers.methods.supcon import SupConHybrid
from cvhelpers.training import losses, recipe

CRT_EPOCHS = 10  # as notebook 05
STAGE2_EPOCHS = 2
SUPCON = {"weight": 0.5, "temperature": 0.1}  # the hybrid's contrastive term
CMO_PROBABILITY = 0.5  # share of batches that get a pasted class-balanced box (the paper's value)
LOW_LR_EPOCHS = 3  # the low-learning-rate phase of the best recipe, and of its two controls
#: Control rows: the baselines given the same extra low-learning-rate epochs. Not candidates for "best".
CONTROLS = ("cross-entropy, continued at lr/10", "oracle, continued at lr/10")
OUTPUT = Path(__file__).resolve().parent.parent / "build" / "bench" / "lt_methods.json"


def augmented_copies(protocol):
    """The first stage's light policy and its oversampling + augmented copies batches, all epochs."""
    seed, settings = protocol.settings.seed, protocol.settings
    policy = augment.light_policy(seed=seed)
    return policy, augment.oversample_with_augmented_copies(
        protocol.x_train, protocol.y_train, policy, epochs=settings.epochs, seed=seed, batch_size=settings.batch_size)


def baselines(protocol):
    """Cross-entropy, the oracle and oversampling with augmented copies: every run trains these."""
    seed, batch = protocol.settings.seed, protocol.settings.batch_size
    x_oracle, y_oracle = protocol.oracle_data()
    policy, copies = augmented_copies(protocol)
    return {
        "cross-entropy": protocol.train("ce", protocol.train_dataset(), loss=protocol.ce_loss()),
        "oracle": protocol.train("oracle", pipeline.make_dataset(x_oracle, y_oracle, batch, seed=seed),
                                 loss=protocol.ce_loss()),
        "oversampling + augmented copies": protocol.train(
            "ros_aug_copies", copies, loss=protocol.ce_loss(), steps_per_epoch=protocol.full_batches),
    }


def run_seed(protocol):
    seed = protocol.settings.seed
    batch = protocol.settings.batch_size
    ce_loss = protocol.ce_loss()
    out = baselines(protocol)
    base = out["cross-entropy"]
    x_oracle, y_oracle = protocol.oracle_data()
    out["oversampling"] = protocol.train(
        "ros", pipeline.balanced_dataset(protocol.x_train, protocol.y_train, batch, seed=seed), loss=ce_loss)
    policy = augment.light_policy(seed=seed)
    view = augment.light_policy(seed=seed + 7)  # the hybrid's second view

    def hybrid():
        return SupConHybrid(protocol.build_model(seed)(), view, seed=seed, **SUPCON)

    copies = augment.oversample_with_augmented_copies(
        protocol.x_train, protocol.y_train, policy, epochs=protocol.settings.epochs, seed=seed, batch_size=batch)
    out["oversampling + augmented copies + supervised contrastive"] = protocol.train(
        "ros_aug_copies_supcon", copies, loss=ce_loss, steps_per_epoch=protocol.full_batches,
        build_model=hybrid)
    effective_weights = sampling.class_weights(protocol.y_train, "effective", beta=0.999)
    out["class weights: effective"] = protocol.train(
        "cw_effective", protocol.train_dataset(), loss=ce_loss, class_weight=effective_weights)
    out["logit-adjusted loss (tau=1)"] = protocol.train(
        "la_loss_tau1", protocol.train_dataset(), loss=losses.LogitAdjustedLoss(protocol.priors, 1.0, sparse=True))
    augmented = protocol.train("aug", protocol.train_dataset(augment=policy), loss=ce_loss)
    for name, model in (("post-hoc adjustment", base), ("augmentation + post-hoc adjustment", augmented)):
        val_logits = metrics.predict_logits(model.fit.model, protocol.x_val)
        tau, _ = losses.choose_tau(val_logits, protocol.y_val, protocol.priors)
        logits = losses.posthoc_logit_adjustment(model.logits, protocol.priors, tau)
        out[f"{name} (tau on validation)"] = MethodResult(name, protocol.evaluate_logits(logits), model.fit, 0.0)
    first_stage = {
        "ce": base, "aug": augmented, "ros_aug": out["oversampling + augmented copies"], "oracle": out["oracle"]
    }
    first_stage = {key: result.fit.model for key, result in first_stage.items()}
    first_stage["ros_aug_supcon"] = out["oversampling + augmented copies + supervised contrastive"].fit.model.network
    out.update(two_stage(protocol, first_stage, effective_weights))
    out.update(low_learning_rate_phase(protocol, first_stage, (x_oracle, y_oracle)))
    out.update(context_rich_recipe(protocol))
    return {name: result.summary for name, result in out.items()}


def run_core(protocol):
    """Only what the bar is judged on: the two baselines, the two best recipes and the controls."""
    out = baselines(protocol)
    first_stage = {key: out[name].fit.model for key, name in (("ce", "cross-entropy"), ("oracle", "oracle"))}
    out.update(low_learning_rate_phase(protocol, first_stage, protocol.oracle_data()))
    out.update(context_rich_recipe(protocol))
    return {name: result.summary for name, result in out.items()}


def run_recipe(protocol, **changes):
    """:func:`cvhelpers.training.long_tail_recipe` under the protocol; ``changes`` shorten or vary it.

    The first stage gets the protocol's model, epochs and optimizer, so it is
    the same cached training as :meth:`LongTailProtocol.train` would run.
    """
    settings, batch = protocol.settings, protocol.settings.batch_size
    arguments = dict(
        build_model=protocol.build_model(settings.seed), num_classes=protocol.num_classes, epochs=settings.epochs,
        batch_size=batch, learning_rate=settings.learning_rate, cmo_probability=CMO_PROBABILITY,
        low_rate_epochs=LOW_LR_EPOCHS, crt_epochs=CRT_EPOCHS, seed=settings.seed, cache=True,
        optimizer=protocol.optimizer(settings.epochs, protocol.full_batches))
    return training.long_tail_recipe(protocol.x_train, protocol.y_train, protocol.x_val, protocol.y_val,
                                     **{**arguments, **changes})


def context_rich_recipe(protocol):
    """Context-rich minority oversampling on the oversampling + augmented copies batches, then the recipe.

    :func:`cvhelpers.augment.context_rich_oversampling` pastes, into half of
    the batches, a box of a class-balanced, lightly augmented batch; labels
    are mixed by area. Then cRT alone, and the low-rate phase followed by cRT
    (the whole of :func:`cvhelpers.training.long_tail_recipe`; its first stage
    comes from the cache the second time).
    """
    name = "context-rich oversampling on augmented copies"
    crt_only = run_recipe(protocol, low_rate_epochs=0, progress=name)
    full = run_recipe(protocol, progress=name)
    first = crt_only.steps[recipe.CMO]
    return {
        name: protocol.evaluate_fit(name, first, seconds=crt_only.seconds[recipe.CMO]),
        f"{name}, then cRT": protocol.evaluate_fit(name, crt_only.steps[recipe.CRT]),
        f"{name}, low-lr phase": protocol.evaluate_fit(name, full.steps[recipe.LOW_RATE]),
        f"{name}, low-lr phase, then cRT": protocol.evaluate_fit(name, full.steps[recipe.CRT]),
    }


def low_learning_rate_phase(protocol, first_stage, oracle_data):
    """The best recipe found, and the controls that show how much of it is the learning rate.

    Oversampling with augmented copies (from the cache: the baseline), then
    ``LOW_LR_EPOCHS`` more epochs of fresh augmented copies at a tenth of the
    learning rate (the whole network), then cRT: the recipe without CMO. The
    protocol trains at a constant learning rate, so part of what the low-rate
    phase adds would help any model: the controls continue cross-entropy
    (``first_stage["ce"]``) and the oracle the same way, each on its own data.
    """
    seed, settings = protocol.settings.seed, protocol.settings
    batch, x, y = settings.batch_size, protocol.x_train, protocol.y_train
    low_rate = dict(epochs=LOW_LR_EPOCHS, num_classes=protocol.num_classes, learning_rate=settings.learning_rate / 10,
                    seed=seed, progress=False)
    validation = protocol.validation_dataset()
    fitted = run_recipe(protocol, context_rich=False, progress=False).steps
    out = {}
    for step, name in ((recipe.LOW_RATE, "oversampling + augmented copies, low-lr phase"),
                       (recipe.CRT, "oversampling + augmented copies, low-lr phase, then cRT")):
        out[name] = protocol.evaluate_fit(name, fitted[step])
    continued = {"cross-entropy": ("ce", x, y), "oracle": ("oracle", *oracle_data)}
    for label, (base, x_base, y_base) in continued.items():
        data = pipeline.make_dataset(x_base, y_base, batch, seed=seed + 1000)
        tuned = training.fine_tune(first_stage[base], data, validation, steps_per_epoch=protocol.steps_per_epoch,
                                cache=True, **low_rate)
        name = f"{label}, continued at lr/10"
        out[name] = protocol.evaluate_fit(name, tuned)
    return out


def two_stage(protocol, first_stage, drw_weights):
    """Notebook 05's second stages on top of the (cached) first-stage models.

    ``first_stage`` maps "ce", "aug", "ros_aug" and "ros_aug_supcon" to trained
    models (plus "oracle", unused here). cRT runs on each; balanced fine-tuning and DRW (with ``drw_weights``) on the
    cross-entropy model, as in notebook 05.
    """
    seed, settings = protocol.settings.seed, protocol.settings
    out = {}
    ce_model = first_stage["ce"]
    for base, label in (("ce", "cross-entropy"), ("aug", "augmentation"),
                        ("ros_aug", "oversampling + augmented copies"),
                        ("ros_aug_supcon", "supervised contrastive hybrid")):
        name = f"cRT on the {label} model"
        fitted = training.retrain_classifier(
            first_stage[base], protocol.x_train, protocol.y_train, protocol.x_val, protocol.y_val, epochs=CRT_EPOCHS,
            sampling="balanced", seed=seed, progress=name, cache=True)
        out[name] = protocol.evaluate_fit(name, fitted)
    stage2 = dict(epochs=STAGE2_EPOCHS, num_classes=protocol.num_classes, steps_per_epoch=protocol.steps_per_epoch,
                  learning_rate=settings.learning_rate / 10, seed=seed)
    validation = protocol.validation_dataset()
    balanced = pipeline.balanced_dataset(protocol.x_train, protocol.y_train, settings.batch_size, seed=seed)
    fitted = training.fine_tune(ce_model, balanced, validation, progress="fine-tune, balanced",
                             cache=True, **stage2)
    out["fine-tune on balanced batches"] = protocol.evaluate_fit("ft_balanced", fitted)
    fitted = training.deferred_reweighting(ce_model, protocol.train_dataset(), validation, drw_weights, progress="DRW",
                                        cache=True, **stage2)
    out["DRW (effective-number weights)"] = protocol.evaluate_fit("drw", fitted)
    return out


def summarize(per_seed, seeds, name):
    """One method's row: mean ± std over seeds, and the gap it closes per seed.

    ``gap_closed_*`` is against the protocol's cross-entropy and oracle;
    ``gap_closed_vs_continued_mean`` against the same two continued for
    ``LOW_LR_EPOCHS`` at a tenth of the learning rate (the :data:`CONTROLS`).
    """
    def balanced(seed, method):
        return per_seed[seed][method]["balanced_accuracy"]

    accuracy = np.array([balanced(s, name) for s in seeds])
    gaps = [
        metrics.gap_closed(balanced(s, name), balanced(s, "cross-entropy"), balanced(s, "oracle")) for s in seeds
    ]
    continued = [
        metrics.gap_closed(balanced(s, name), *(balanced(s, control) for control in CONTROLS)) for s in seeds
    ]
    return {
        "balanced_accuracy_mean": float(accuracy.mean()),
        "balanced_accuracy_std": float(accuracy.std(ddof=1)) if len(accuracy) > 1 else 0.0,
        "gap_closed_per_seed": gaps, "gap_closed_mean": float(np.mean(gaps)),
        "gain_over_ce_mean": float(np.mean([balanced(s, name) - balanced(s, "cross-entropy") for s in seeds])),
        "gap_closed_vs_continued_per_seed": continued, "gap_closed_vs_continued_mean": float(np.mean(continued)),
        "tail_recall_mean": float(np.mean([per_seed[s][name]["tail_recall"] for s in seeds])),
        "worst_recall_mean": float(np.mean([per_seed[s][name]["worst_recall"] for s in seeds])),
    }


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--profile", default="full", choices=sorted(PROFILE_SETTINGS))
    parser.add_argument("--seeds", type=int, nargs="+", default=[0, 1, 2])
    parser.add_argument("--core", action="store_true",
                        help="only the baselines, the two best recipes and the controls (writes lt_methods_core.json)")
    args = parser.parse_args(argv)
    base = LongTailProtocol.fashion_mnist_lt()
    per_seed = {}
    for seed in args.seeds:
        settings = PROFILE_SETTINGS[args.profile]
        protocol = base.with_settings(**{**settings.__dict__, "seed": seed})
        per_seed[seed] = (run_core if args.core else run_seed)(protocol)
        print(f"seed {seed} done", flush=True)
    methods = list(per_seed[args.seeds[0]])
    table = {name: summarize(per_seed, args.seeds, name) for name in methods}
    candidates = {k: v for k, v in table.items() if k not in ("oracle", "cross-entropy", *CONTROLS)}
    best = max(candidates, key=lambda k: candidates[k]["gap_closed_mean"])
    report = {
        "name": "lt_methods", "profile": args.profile, "seeds": args.seeds,
        "epochs": PROFILE_SETTINGS[args.profile].epochs,
        "methods": table, "best": best,
        "bar_met": candidates[best]["gap_closed_mean"] >= 0.8 and candidates[best]["gain_over_ce_mean"] >= 0.04,
        "per_seed": {str(s): v for s, v in per_seed.items()},
    }
    output = OUTPUT.with_name("lt_methods_core.json") if args.core else OUTPUT
    save_report(output, report)
    print(f"{'method':56s} {'bal. acc.':>13s} {'gap closed':>11s} {'per seed':>18s}  vs continued baselines")
    for name, row in table.items():
        print(f"{name:56s} {row['balanced_accuracy_mean']:.3f} ± {row['balanced_accuracy_std']:.3f} "
              f"{row['gap_closed_mean']:9.2f}  {str([round(g, 2) for g in row['gap_closed_per_seed']]):>18s}  "
              f"{row['gap_closed_vs_continued_mean']:.2f}")
    print(f"best: {best}; bar (>= 80 % of the gap and >= 4 points) met: {report['bar_met']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
