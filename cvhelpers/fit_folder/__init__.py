"""The course's long-tail methods on a user's own folder of images, in one call.

:func:`fit_folder` loads a folder with one subfolder per class
(:meth:`cvhelpers.experiment.LongTailProtocol.from_folder`: stratified,
seeded split kept in ``split_manifest.json``; classes with fewer than 3
images left out), summarises it (:mod:`cvhelpers.eda`), trains a
cross-entropy baseline, the course's best long-tail recipe
(:func:`cvhelpers.training.long_tail_recipe`) and post-hoc logit adjustment
(:mod:`cvhelpers.training.losses`), and writes a self-contained HTML report
(:mod:`cvhelpers.fit_folder.report`), the best model by validation balanced
accuracy and the numbers. Command line: ``python -m cvhelpers.fit_folder DATA_DIR``.
"""

from __future__ import annotations

import json
import os
import time
from pathlib import Path

import numpy as np

from cvhelpers.validation import check_bool, check_positive_int, check_seed

__all__ = ["BACKBONES", "METHODS", "fit_folder", "check_out_dir"]

#: The methods compared, in the order they run.
CE, RECIPE, POSTHOC = "cross-entropy", "long-tail recipe", "post-hoc logit adjustment"
METHODS = (CE, RECIPE, POSTHOC)
#: Model builders ``fit_folder(backbone=...)`` accepts (:data:`cvhelpers.training.backbones.BACKBONES`).
BACKBONES = ("small_cnn", "mobilenet_v3_small", "efficientnet_b0")
_STAGES = ("load and split", "data summary", CE, RECIPE, POSTHOC, "report")


def check_out_dir(data_dir, out=None) -> Path:
    """The output folder of :func:`fit_folder`, refused when it would write into ``data_dir``.

    Parameters
    ----------
    data_dir : path-like
        An existing folder of class subfolders.
    out : path-like, optional
        Default ``build/fit_folder/<folder name>`` of the checkout (or the
        working folder).

    Returns
    -------
    Path

    Raises
    ------
    TypeError
        When ``data_dir`` or ``out`` is not a path.
    FileNotFoundError, NotADirectoryError
        When ``data_dir`` is missing or not a folder (naming ``data_dir``).
    ValueError
        When ``out`` is ``data_dir`` or inside it, or an existing file (naming ``out``).
    """
    from cvhelpers.paths import build_dir

    if not isinstance(data_dir, (str, os.PathLike)):
        raise TypeError(f"data_dir must be a folder path, got {type(data_dir).__name__}")
    if out is not None and not isinstance(out, (str, os.PathLike)):
        raise TypeError(f"out must be a folder path or None, got {type(out).__name__}")
    data = Path(data_dir).expanduser()
    if not data.exists():
        raise FileNotFoundError(f"data_dir {str(data)!r} does not exist")
    if not data.is_dir():
        raise NotADirectoryError(f"data_dir {str(data)!r} is not a folder of class subfolders")
    folder = Path(out).expanduser() if out is not None else build_dir() / "fit_folder" / data.resolve().name
    resolved, root = folder.resolve(), data.resolve()
    if resolved == root or root in resolved.parents:
        raise ValueError(f"out {str(folder)!r} is inside data_dir {str(data)!r}; nothing is written into the "
                         "data folder, choose another out")
    if folder.exists() and not folder.is_dir():
        raise ValueError(f"out {str(folder)!r} is a file, not a folder")
    return folder


def fit_folder(data_dir, out=None, *, epochs: int = 8, image_size: int = 64, seed: int = 0, progress: bool = True,
               backbone: str = "small_cnn", cache: bool = True) -> dict:
    """Compare the course's long-tail methods on a folder of images and write a report.

    Parameters
    ----------
    data_dir : path-like
        One subfolder per class; only read.
    out : path-like, optional
        Where ``report.html``, ``model.keras``, ``class_names.json``,
        ``split_manifest.json`` and ``results.json`` go; default
        ``build/fit_folder/<folder name>``. Never inside ``data_dir``. An
        existing ``split_manifest.json`` there is reused (same split, even
        under another ``seed``, which then only changes the training).
    epochs : int, default=8
        Of the cross-entropy baseline and the recipe's first stage.
    image_size : int, default=64
        Images are letterboxed to (image_size, image_size, 3).
    seed : int, default=0
        Of the split and every training.
    progress : bool, default=True
        One bar over the stages (and Keras's per training).
    backbone : {"small_cnn", "mobilenet_v3_small", "efficientnet_b0"}, default="small_cnn"
        The network (:func:`cvhelpers.training.backbone_classifier`).
        ``"small_cnn"`` is the course's CNN, trained from scratch. A Keras
        application starts from its ImageNet weights when they download (else
        from random initialisation, with one line that says so); its
        cross-entropy baseline trains the classifier on the frozen encoder
        for half the epochs, then fine-tunes all of it
        (:func:`cvhelpers.training.fit_backbone`), and the recipe starts
        from the same weights.
    cache : bool, default=True
        Reuse models trained earlier on the same data (:mod:`cvhelpers.cache`).

    Returns
    -------
    dict
        ``out`` (Path), ``protocol``, ``results`` (method to
        ``MethodResult``), ``validation`` (method to validation balanced
        accuracy), ``best`` (method name), ``model`` (the best
        ``keras.Model``, (b, h, w, c) images in [0, 1] to (b, C) logits),
        ``summary`` (the EDA tables), ``report`` (the ``results.json`` dict).

    Raises
    ------
    TypeError, ValueError, FileNotFoundError, NotADirectoryError
        Naming the argument, before anything is trained.
    """
    from cvhelpers.progress import progress_bar

    folder = check_out_dir(data_dir, out)
    epochs = check_positive_int(epochs, "epochs")
    if backbone not in BACKBONES:
        raise ValueError(f"backbone must be one of {BACKBONES}, got {backbone!r}")
    # the small CNN's two pooling blocks need 16 pixels a side; the Keras applications upscale small images
    image_size = check_positive_int(image_size, "image_size", smallest=_smallest_image(backbone))
    seed = check_seed(seed)
    check_bool(progress, "progress")
    check_bool(cache, "cache")
    bar = progress_bar(total=len(_STAGES), desc="fit_folder", unit="stage", disable=not progress)
    try:
        return _run(Path(data_dir), folder, epochs, image_size, seed, progress, backbone, cache, bar)
    finally:
        bar.close()


def _smallest_image(backbone: str) -> int:
    """The smallest ``image_size`` a backbone takes: 16 for the small CNN, 8 for a Keras application."""
    return 16 if backbone == "small_cnn" else 8


def _stage(bar, name):
    bar.set_postfix_str(name)


def _run(data_dir, folder, epochs, image_size, seed, progress, backbone, cache, bar) -> dict:
    from cvhelpers.course.results import atomic_write_text, save_report
    from cvhelpers.experiment import LongTailProtocol, Settings
    from cvhelpers.fit_folder import report as html

    timings, started = {}, time.perf_counter()
    _stage(bar, _STAGES[0])
    manifest = folder / "split_manifest.json"
    protocol = LongTailProtocol.from_folder(data_dir, image_size, Settings(epochs=epochs, seed=seed), seed=seed,
                                            manifest=manifest if manifest.is_file() else None, progress=progress)
    batch = int(min(128, len(protocol.y_train)))
    protocol = protocol.with_settings(batch_size=max(batch, protocol.num_classes))
    folder.mkdir(parents=True, exist_ok=True)
    atomic_write_text(manifest, protocol.split.to_json())
    atomic_write_text(folder / "class_names.json", json.dumps(protocol.class_names, indent=1) + "\n")
    timings["load and split"] = time.perf_counter() - started
    bar.update()

    _stage(bar, _STAGES[1])
    summary = html.data_summary(protocol)
    bar.update()
    results, models, seconds, tau, val_logits = _train_methods(protocol, backbone, seed, progress, cache, bar)
    timings.update(seconds)
    validation = {name: _balanced_accuracy(protocol.y_val, logits) for name, logits in val_logits.items()}
    best = max(METHODS, key=lambda name: (validation[name], -METHODS.index(name)))

    _stage(bar, _STAGES[-1])
    _save_model(models[best], folder / "model.keras")
    record = _record(protocol, results, validation, best, timings, epochs, image_size, seed, backbone)
    record["methods"][POSTHOC]["tau"] = tau
    save_report(folder / "results.json", record)
    html.write_report(folder / "report.html", protocol, results, record, summary)
    bar.update()
    return {"out": folder, "protocol": protocol, "results": results, "validation": validation, "best": best,
            "model": models[best], "summary": summary, "report": record}


def _save_model(model, path: Path) -> None:
    """Save ``model`` as a ``.keras`` file atomically (saved aside, then written in one rename)."""
    import tempfile

    from cvhelpers.course.results import atomic_write_bytes

    with tempfile.TemporaryDirectory(prefix="cvlab-fit-folder-") as aside:
        saved = Path(aside) / "model.keras"
        model.save(saved)
        atomic_write_bytes(path, saved.read_bytes())


def _model_builder(protocol, backbone: str, seed: int):
    """A function returning a fresh, uncompiled model with ``"encoder"`` and ``"classifier"`` layers.

    For a Keras application the ImageNet weights are looked up once here, so a
    missing download is said once, not at every build.
    """
    from cvhelpers import training

    if backbone == "small_cnn":
        return protocol.build_model(seed)
    if backbone not in BACKBONES:
        raise ValueError(f"backbone must be one of {BACKBONES}, got {backbone!r}")
    weights = "imagenet" if training.backbones.imagenet_weights(backbone) is not None else None
    return lambda: training.backbone_classifier(backbone, protocol.input_shape, protocol.num_classes,
                                                weights=weights, seed=seed)


def _train_methods(protocol, backbone, seed, progress, cache, bar):
    """Cross-entropy, the recipe and post-hoc adjustment: ``(results, models, seconds, tau, val_logits)``.

    ``results``, ``models``, ``seconds`` and ``val_logits`` (the validation split's logits, each predicted
    once) by method; ``tau`` is the post-hoc adjustment's strength, chosen on the validation split.
    """
    from cvhelpers import metrics, training
    from cvhelpers.experiment import MethodResult
    from cvhelpers.training import losses

    settings, build = protocol.settings, _model_builder(protocol, backbone, seed)
    results, models, seconds = {}, {}, {}
    _stage(bar, CE)
    started = time.perf_counter()
    if backbone == "small_cnn":
        results[CE] = protocol.train(CE, protocol.train_dataset(), loss=protocol.ce_loss(), cache=cache,
                                     build_model=build, progress=progress)
    else:
        frozen = max(1, settings.epochs // 2)
        fitted = training.fit_backbone(
            build, protocol.train_dataset(), protocol.validation_dataset(), num_classes=protocol.num_classes,
            frozen_epochs=frozen, fine_tune_epochs=settings.epochs - frozen, learning_rate=settings.learning_rate,
            seed=seed, cache=cache, progress=progress and CE)
        results[CE] = protocol.evaluate_fit(CE, fitted.best, fitted.seconds)
    models[CE] = results[CE].fit.model
    seconds[CE] = time.perf_counter() - started
    bar.update()

    _stage(bar, RECIPE)
    started = time.perf_counter()
    recipe = training.long_tail_recipe(
        protocol.x_train, protocol.y_train, protocol.x_val, protocol.y_val, build_model=build,
        num_classes=protocol.num_classes, epochs=settings.epochs, batch_size=settings.batch_size,
        learning_rate=settings.learning_rate, low_rate_epochs=min(3, settings.epochs),
        crt_epochs=min(10, settings.epochs + 2), seed=seed, cache=cache, progress=progress and RECIPE,
        optimizer=protocol.optimizer(settings.epochs, protocol.full_batches), fill_mode=protocol.augment_fill_mode)
    models[RECIPE] = recipe.model
    seconds[RECIPE] = time.perf_counter() - started
    logits = metrics.predict_logits(recipe.model, protocol.x_test)
    results[RECIPE] = MethodResult(RECIPE, protocol.evaluate_logits(logits), None, seconds[RECIPE], logits)
    bar.update()

    _stage(bar, POSTHOC)
    started = time.perf_counter()
    val_logits = {name: metrics.predict_logits(models[name], protocol.x_val) for name in (CE, RECIPE)}
    tau, _ = losses.choose_tau(val_logits[CE], protocol.y_val, protocol.priors)
    val_logits[POSTHOC] = losses.posthoc_logit_adjustment(val_logits[CE], protocol.priors, tau)
    models[POSTHOC] = _adjusted_model(models[CE], protocol.priors, tau)
    logits = losses.posthoc_logit_adjustment(results[CE].logits, protocol.priors, tau)
    seconds[POSTHOC] = time.perf_counter() - started
    results[POSTHOC] = MethodResult(POSTHOC, protocol.evaluate_logits(logits), results[CE].fit, seconds[POSTHOC],
                                    logits)
    bar.update()
    return results, models, seconds, tau, val_logits


def _adjusted_model(model, priors, tau: float):
    """A copy of ``model`` whose classifier bias carries :func:`~cvhelpers.training.losses.posthoc_logit_adjustment`.

    The adjustment adds the same vector to every row of logits, so it folds into the bias.
    """
    from cvhelpers import training
    from cvhelpers.training import losses

    copy = training.clone_with_weights(model)
    layer = copy.get_layer("classifier")
    kernel, bias = layer.get_weights()
    shift = losses.posthoc_logit_adjustment(np.zeros((1, len(bias))), priors, tau)[0]
    layer.set_weights([kernel, (bias + shift).astype(bias.dtype)])
    return copy


def _balanced_accuracy(labels, logits) -> float:
    from sklearn.metrics import balanced_accuracy_score

    return float(balanced_accuracy_score(labels, np.asarray(logits).argmax(1)))


def _record(protocol, results, validation, best, timings, epochs, image_size, seed, backbone) -> dict:
    """The ``results.json`` dict: settings, data identity, and per method its test numbers."""
    ce = results[CE].summary
    methods = {}
    for name, result in results.items():
        summary = result.summary
        methods[name] = {
            "test": dict(summary),
            "validation_balanced_accuracy": validation[name],
            "balanced_accuracy_change_vs_ce": summary["balanced_accuracy"] - ce["balanced_accuracy"],
            "worst_recall_change_vs_ce": summary["worst_recall"] - ce["worst_recall"],
            "seconds": timings.get(name),
            "per_class": result.report.per_class.reset_index(names="class").to_dict(orient="records"),
        }
    split_counts = protocol.split.counts()
    return {
        "dataset": protocol.dataset,
        "settings": {"epochs": epochs, "image_size": image_size, "seed": seed, "backbone": backbone,
                     "batch_size": protocol.settings.batch_size},
        "class_names": protocol.class_names,
        "refused_classes": protocol.refused,
        "split_counts": split_counts,
        "files_skipped": int(len(protocol.problems)),
        "best": best,
        "methods": methods,
        "seconds": timings,
    }
