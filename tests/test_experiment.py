"""Tests for cvhelpers.experiment: evaluating models trained outside the protocol."""

from dataclasses import replace

import numpy as np
import pytest
from sklearn.metrics import balanced_accuracy_score

keras = pytest.importorskip("keras")

from cvhelpers import metrics, training  # noqa: E402
from cvhelpers.experiment import LongTailProtocol, Settings  # noqa: E402
from cvhelpers.training import models  # noqa: E402


def _tiny_protocol(num_classes=6, per_class=4, seed=0):
    rng = np.random.default_rng(seed)
    y = np.repeat(np.arange(num_classes), per_class).astype(np.int64)
    x = rng.integers(0, 256, (len(y), 28, 28), dtype=np.uint8)
    counts = {c: per_class for c in range(num_classes)}
    names = [f"class {c}" for c in range(num_classes)]
    return LongTailProtocol(x, y, x, y, x, y, counts, names, Settings(width=4, feature_dim=8), x[:0], y[:0])


def test_evaluate_fit_reports_the_model_on_the_test_set():
    protocol = _tiny_protocol()
    model = models.small_cnn((28, 28, 1), 6, width=4, feature_dim=8, seed=0)
    fitted = training.FitResult(model, {}, seconds=2.5, best_epoch=1)
    result = protocol.evaluate_fit("second stage", fitted)
    expected = metrics.predict_logits(model, protocol.x_test)
    np.testing.assert_allclose(result.logits, expected, rtol=1e-5)
    assert result.name == "second stage" and result.fit is fitted and result.seconds == 2.5
    assert result.summary["balanced_accuracy"] == pytest.approx(
        balanced_accuracy_score(protocol.y_test, expected.argmax(axis=1)))
    assert protocol.evaluate_fit("timed", fitted, seconds=7.0).seconds == 7.0


def test_train_takes_another_model_builder():
    from cvhelpers.augment import light_policy
    from cvhelpers.methods.supcon import SupConHybrid

    protocol = _tiny_protocol().with_settings(epochs=1)
    built = []

    def hybrid():
        built.append(SupConHybrid(protocol.build_model()(), light_policy(seed=0), seed=0))
        return built[-1]

    result = protocol.train("supcon", protocol.train_dataset(), loss=protocol.ce_loss(), build_model=hybrid)
    assert len(built) == 1 and result.fit.model is built[0]
    assert "supervised_contrastive" in result.fit.history
    assert result.logits.shape == (len(protocol.y_test), protocol.num_classes)


def test_each_baseline_is_the_training_a_notebook_would_write_out():
    from cvhelpers import augment
    from cvhelpers.data import pipeline

    protocol = _tiny_protocol().with_settings(epochs=1, batch_size=8)
    ce = protocol.baseline("ce")
    assert not ce.fit.from_cache
    # The same training spelled out hits the same cache entry: baseline() adds nothing to the key.
    assert protocol.train("ce", protocol.train_dataset(), loss=protocol.ce_loss()).fit.from_cache
    x_oracle, y_oracle = protocol.oracle_data()
    protocol.baseline("oracle")
    data = pipeline.make_dataset(x_oracle, y_oracle, 8, seed=0)
    assert protocol.train("oracle", data, loss=protocol.ce_loss()).fit.from_cache
    copies = protocol.baseline("ros_aug_copies")
    assert copies.fit.history and not copies.fit.from_cache
    spelled_out = augment.oversample_with_augmented_copies(
        protocol.x_train, protocol.y_train, augment.light_policy(seed=0), epochs=1, seed=0, batch_size=8)
    again = protocol.train("ros_aug_copies", spelled_out, loss=protocol.ce_loss(),
                           steps_per_epoch=len(protocol.y_train) // 8)
    assert again.fit.from_cache
    with pytest.raises(ValueError, match="name must be one of"):
        protocol.baseline("focal")


@pytest.mark.parametrize(
    "changes, error, match",
    [
        ({"epochs": 0}, ValueError, "epochs"),
        ({"batch_size": "128"}, ValueError, "batch_size"),
        ({"learning_rate": float("nan")}, ValueError, "learning_rate"),
        ({"learning_rate": 0.0}, ValueError, "learning_rate"),
        ({"val_fraction": 1.0}, ValueError, "val_fraction"),
        ({"seed": -1}, ValueError, "seed"),
        ({"schedule": "linear"}, ValueError, "schedule"),
        ({"warmup_epochs": -1}, ValueError, "warmup_epochs"),
        ({"warmup_epochs": 8}, ValueError, "warmup_epochs"),
    ],
)
def test_settings_name_a_bad_value(changes, error, match):
    with pytest.raises(error, match=match):
        Settings(**changes)
    with pytest.raises(error, match=match):
        _tiny_protocol().with_settings(**changes)


def test_constant_schedule_keeps_the_rate():
    protocol = _tiny_protocol().with_settings(learning_rate=3e-3)
    optimizer = protocol.optimizer()()
    assert isinstance(optimizer, keras.optimizers.Adam)
    assert float(optimizer.learning_rate) == pytest.approx(3e-3)
    assert protocol.optimizer()() is not optimizer  # a fresh optimizer every call


def _schedule_of(optimizer):
    return keras.optimizers.schedules.deserialize(optimizer.get_config()["learning_rate"])


def test_cosine_schedule_warms_up_then_decays_to_zero_at_the_last_step():
    protocol = _tiny_protocol().with_settings(epochs=4, learning_rate=2e-3, schedule="cosine", warmup_epochs=1)
    steps = protocol.steps_per_epoch
    schedule = _schedule_of(protocol.optimizer()())
    rate = [float(schedule(step)) for step in (0, steps // 2, steps, 2 * steps + steps // 2, 4 * steps)]
    assert rate[0] == pytest.approx(0.0)
    assert rate[1] == pytest.approx(2e-3 * (steps // 2) / steps, rel=1e-4)  # linear warm-up
    assert rate[2] == pytest.approx(2e-3)                                    # the peak after one epoch
    assert rate[2] > rate[3] > rate[4]                                       # then a cosine
    assert rate[4] == pytest.approx(0.0, abs=1e-9)
    longer = _schedule_of(protocol.optimizer(epochs=8, steps_per_epoch=steps)())
    assert float(longer(4 * steps)) > 1e-4  # the schedule spans the training it is asked for
    with pytest.raises(ValueError, match="epochs"):
        protocol.optimizer(epochs=0)


def test_protocol_refuses_splits_of_different_lengths_and_bad_labels():
    protocol = _tiny_protocol()
    with pytest.raises(ValueError, match="x_train and y_train must have the same length"):
        LongTailProtocol(protocol.x_train, protocol.y_train[:-1], protocol.x_val, protocol.y_val, protocol.x_test,
                         protocol.y_test, protocol.counts, protocol.class_names, protocol.settings,
                         protocol.x_pool, protocol.y_pool)
    with pytest.raises(ValueError, match="y_test must be < num_classes=6"):
        LongTailProtocol(protocol.x_train, protocol.y_train, protocol.x_val, protocol.y_val, protocol.x_test,
                         protocol.y_test + 1, protocol.counts, protocol.class_names, protocol.settings,
                         protocol.x_pool, protocol.y_pool)
    with pytest.raises(TypeError, match="settings"):
        LongTailProtocol.fashion_mnist_lt(settings={"epochs": 1})


def test_method_result_refuses_a_bad_report_or_time():
    from cvhelpers.experiment import MethodResult

    report = _tiny_protocol().evaluate_logits(np.eye(6)[np.repeat(np.arange(6), 4)])
    assert MethodResult("ce", report, None, 0.0).summary == report.summary
    with pytest.raises(TypeError, match="report"):
        MethodResult("ce", report.summary, None, 1.0)
    with pytest.raises(ValueError, match="seconds"):
        MethodResult("ce", report, None, float("nan"))


def _image_folder(root, sizes, image_size=(14, 10)):
    from PIL import Image

    rng = np.random.default_rng(0)
    for c, (name, n) in enumerate(sizes.items()):
        (root / name).mkdir(parents=True)
        for i in range(n):
            pixels = rng.integers(0, 256, (*image_size, 3), dtype=np.uint8)
            pixels[..., c % 3] = 255
            Image.fromarray(pixels).save(root / name / f"{i:02d}.png")
    (root / "a" / "notes.txt").write_text("not an image")
    return root


def test_from_folder_builds_the_protocol_on_a_users_folder(tmp_path):
    root = _image_folder(tmp_path / "shapes", {"a": 20, "b": 8, "c": 2})
    with pytest.warns(UserWarning, match="'c' \\(2\\)"):
        protocol = LongTailProtocol.from_folder(root, image_size=16, settings=Settings(width=4, feature_dim=8),
                                                progress=False)
    assert protocol.class_names == ["a", "b"] and protocol.refused == {"c": 2}
    assert protocol.settings.batch_size == 16  # 20 training images: the largest power of two that fits
    assert protocol.input_shape == (16, 16, 3) and protocol.x_test.shape[1:] == (16, 16, 3)
    assert protocol.counts == {0: 14, 1: 6}
    assert protocol.build_model()().input_shape == (None, 16, 16, 3)
    assert list(protocol.problems["reason"].str.contains("not an image")) == [True]
    assert set(protocol.dataset) == {"name", "manifest_sha256", "split_sha256", "source"}
    assert protocol.dataset["name"] == "shapes" and protocol.dataset["split_sha256"] == protocol.split.sha256
    assert not protocol.has_oracle and len(protocol.x_pool) == 0
    assert protocol.augment_fill_mode == "nearest" and _tiny_protocol().augment_fill_mode == "constant"
    with pytest.raises(ValueError, match="no oracle on a user's folder"):
        protocol.oracle_data()
    with pytest.raises(ValueError, match="no oracle on a user's folder"):
        protocol.baseline("oracle")
    again = LongTailProtocol.from_folder(root, image_size=(12, 20), mode="L", manifest=protocol.split.to_json(),
                                         progress=False)
    assert again.input_shape == (12, 20, 1) and again.split.files == protocol.split.files


def test_from_folder_refuses_a_folder_with_one_usable_class(tmp_path):
    root = _image_folder(tmp_path / "few", {"a": 5, "b": 2})
    with pytest.warns(UserWarning), pytest.raises(ValueError, match="few.*at least 2 classes"):
        LongTailProtocol.from_folder(root, image_size=16, progress=False)
    with pytest.raises(FileNotFoundError, match="missing"):
        LongTailProtocol.from_folder(tmp_path / "missing", progress=False)


def test_arrays_protocol_keeps_the_fashion_mnist_shape_and_its_oracle():
    protocol = _tiny_protocol()
    assert protocol.input_shape == (28, 28, 1) and protocol.has_oracle and protocol.dataset is None
    assert protocol.build_model()().input_shape == (None, 28, 28, 1)


def test_from_folder_trains_like_the_same_arrays_given_directly(tmp_path, fashion):
    """Fashion-MNIST written to PNGs (3 classes, 1200/200/40) and read back trains as the arrays do."""
    from PIL import Image

    root = tmp_path / "fashion"
    originals = {}
    for label, n in zip((0, 1, 8), (1200, 200, 40), strict=True):
        (root / fashion.class_names[label]).mkdir(parents=True)
        for i, index in enumerate(np.flatnonzero(fashion.y_train == label)[:n]):
            relative = f"{fashion.class_names[label]}/{i:04d}.png"
            Image.fromarray(fashion.x_train[index]).save(root / relative)
            originals[relative] = fashion.x_train[index]
    settings = Settings(epochs=8, width=16, feature_dim=64)
    folder = LongTailProtocol.from_folder(root, image_size=28, settings=settings, mode="L", progress=False)
    assert folder.input_shape == (28, 28, 1)
    order = {split: [row["path"] for row in folder.manifest[folder.manifest["split"] == split].to_dict("records")]
             for split in ("train", "val", "test")}
    relative = {split: [p.split("/fashion/", 1)[1] for p in paths] for split, paths in order.items()}
    arrays = {split: np.stack([originals[p] for p in paths]) for split, paths in relative.items()}
    np.testing.assert_array_equal(arrays["test"], folder.x_test[..., 0])  # PNG round trip, no resampling
    direct = LongTailProtocol(arrays["train"], folder.y_train, arrays["val"], folder.y_val, arrays["test"],
                              folder.y_test, folder.counts, folder.class_names, settings, arrays["train"][:0],
                              folder.y_train[:0])
    scores = [protocol.train("ce", protocol.train_dataset(), loss=protocol.ce_loss(), cache=False)
              .summary["balanced_accuracy"] for protocol in (folder, direct)]
    assert abs(scores[0] - scores[1]) <= 0.02, scores


def test_train_without_progress_draws_no_bar_and_a_folder_test_split_is_not_balanced(capsys):
    protocol = _tiny_protocol().with_settings(epochs=1)
    assert protocol.test_is_balanced
    protocol.train("quiet-method", protocol.train_dataset(), loss=protocol.ce_loss(), cache=False, progress=False)
    assert "quiet-method" not in capsys.readouterr().err
    with pytest.raises(TypeError, match="progress"):
        protocol.train("ce", protocol.train_dataset(), loss=protocol.ce_loss(), cache=False, progress="yes")
    skewed = replace(protocol, y_test=np.r_[protocol.y_test[:-1], 0])
    assert not skewed.test_is_balanced


def test_with_fewer_than_six_classes_head_and_tail_are_a_class_each_side():
    protocol = _tiny_protocol(num_classes=3)
    protocol = replace(protocol, counts={0: 9, 1: 4, 2: 1})
    assert protocol.head_tail == ([0], [2])
    logits = np.eye(3)[protocol.y_test] * 5.0
    summary = protocol.evaluate_logits(logits).summary
    assert summary["tail_recall"] == 1.0 and summary["head_recall"] == 1.0
    assert _tiny_protocol(num_classes=10).head_tail == ([0, 1, 2], [7, 8, 9])
