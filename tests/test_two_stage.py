"""Two-stage training: the balanced sampler, cRT, fine-tuning and DRW."""

import keras
import numpy as np
import pytest
from numpy.testing import assert_array_equal

from cvhelpers import training
from cvhelpers.data import pipeline
from cvhelpers.training import models, two_stage
from cvhelpers.training.models import encoder_of


@pytest.fixture(scope="module")
def long_tail(fashion):
    """A small long-tailed 4-class problem from real Fashion-MNIST (200/60/20/8)."""
    rng = np.random.default_rng(0)
    sizes = {0: 200, 1: 60, 7: 20, 9: 8}  # T-shirt, trouser, sneaker, ankle boot

    def take(x, y, per_class):
        chosen = np.concatenate([rng.choice(np.flatnonzero(y == c), n, replace=False) for c, n in per_class.items()])
        labels = np.searchsorted(sorted(per_class), y[chosen])
        return x[chosen], labels.astype(np.int64)

    x_train, y_train = take(fashion.x_train, fashion.y_train, sizes)
    x_val, y_val = take(fashion.x_test, fashion.y_test, {c: 40 for c in sizes})
    return x_train, y_train, x_val, y_val


@pytest.fixture(scope="module")
def ce_model(long_tail):
    x_train, y_train, x_val, y_val = long_tail
    result = training.fit(
        lambda: models.small_cnn(num_classes=4, width=4, feature_dim=16, seed=0),
        pipeline.make_dataset(x_train, y_train, 32, seed=0),
        pipeline.make_dataset(x_val, y_val, 64, shuffle=False),
        epochs=2, loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), num_classes=4, progress=False,
    )
    return result.model


@pytest.mark.parametrize("batch_size", [40, 43, 128])
def test_balanced_batches_are_balanced(batch_size):
    y = np.repeat(np.arange(4), [500, 100, 20, 3])
    batches = training.balanced_batch_indices(y, batch_size, steps=30, seed=0)
    assert batches.shape == (30, batch_size) and batches.dtype == np.int64
    for batch in batches:
        counts = np.bincount(y[batch], minlength=4)
        assert counts.max() - counts.min() <= 1, counts
        assert counts.sum() == batch_size
    total = np.bincount(y[batches.ravel()], minlength=4)
    assert total.max() - total.min() <= 1 * 30


def test_balanced_batches_walk_through_each_class_before_repeating():
    y = np.repeat(np.arange(2), [100, 10])
    batches = training.balanced_batch_indices(y, 10, steps=2, seed=1)  # 10 draws of class 1: each image once
    drawn = batches.ravel()[y[batches.ravel()] == 1]
    assert sorted(drawn.tolist()) == list(range(100, 110))
    assert_array_equal(batches, training.balanced_batch_indices(y, 10, steps=2, seed=1))


def test_balanced_batches_check_arguments():
    y = np.repeat(np.arange(4), 5)
    with pytest.raises(ValueError, match="batch_size"):
        training.balanced_batch_indices(y, 3, 1)
    with pytest.raises(ValueError, match="steps"):
        training.balanced_batch_indices(y, 8, 0)
    with pytest.raises(ValueError, match="y must"):
        training.balanced_batch_indices(np.zeros((2, 2)), 8, 1)


def test_crt_changes_only_the_classifier(long_tail, ce_model):
    x_train, y_train, x_val, y_val = long_tail
    before = [w.copy() for w in encoder_of(ce_model).get_weights()]
    classifier_before = [w.copy() for w in ce_model.get_layer("classifier").get_weights()]
    result = training.retrain_classifier(
        ce_model, x_train, y_train, x_val, y_val, epochs=3, batch_size=32, progress=False)
    for old, new in zip(before, encoder_of(result.model).get_weights(), strict=True):
        assert_array_equal(old, new)  # bit-identical
    for old, new in zip(before, encoder_of(ce_model).get_weights(), strict=True):
        assert_array_equal(old, new)  # and the input model is untouched
    classifier_after = result.model.get_layer("classifier").get_weights()
    changed = [not np.array_equal(a, b) for a, b in zip(classifier_before, classifier_after, strict=True)]
    assert all(changed)
    assert len(result.history["val_balanced_accuracy"]) == 3 and 1 <= result.best_epoch <= 3


def test_crt_raises_tail_recall_on_the_training_classes(long_tail, ce_model):
    x_train, y_train, x_val, y_val = long_tail
    result = training.retrain_classifier(
        ce_model, x_train, y_train, x_val, y_val, epochs=8, batch_size=32, progress=False)
    predicted_before = np.argmax(ce_model.predict(x_val[..., None] / 255.0, verbose=0), axis=1)
    predicted_after = np.argmax(result.model.predict(x_val[..., None] / 255.0, verbose=0), axis=1)
    rarest = y_val == 3
    assert np.mean(predicted_after[rarest] == 3) >= np.mean(predicted_before[rarest] == 3)


@pytest.mark.parametrize("reinitialize", [True, False])
def test_crt_folds_the_standardisation_into_the_classifier(long_tail, ce_model, reinitialize):
    x_train, y_train, x_val, y_val = long_tail
    result = training.retrain_classifier(
        ce_model, x_train, y_train, x_val, y_val, epochs=1, batch_size=32, reinitialize=reinitialize, progress=False
    )
    features = two_stage._features(encoder_of(ce_model), x_val)
    mean = two_stage._features(encoder_of(ce_model), x_train).mean(axis=0)
    logits = result.model.predict(x_val[..., None] / 255.0, verbose=0)
    kernel, bias = result.model.get_layer("classifier").get_weights()
    np.testing.assert_allclose(logits, features @ kernel + bias, rtol=1e-4, atol=1e-4)
    assert np.all(np.isfinite(kernel)) and mean.shape == (16,)


def test_retrain_classifier_checks_arguments(long_tail, ce_model):
    x_train, y_train, x_val, y_val = long_tail
    with pytest.raises(ValueError, match="sampling"):
        training.retrain_classifier(ce_model, x_train, y_train, x_val, y_val, sampling="uniform")
    with pytest.raises(ValueError, match="y_train has 287 entries but there are 288 of the images in x_train"):
        training.retrain_classifier(ce_model, x_train, y_train[:-1], x_val, y_val)


@pytest.mark.parametrize("change, error, word", [
    ({"learning_rate": float("nan")}, ValueError, "learning_rate"),
    ({"learning_rate": 0.0}, ValueError, "learning_rate"),
    ({"epochs": 0}, ValueError, "epochs"),
    ({"batch_size": 2.5}, ValueError, "batch_size"),
    ({"seed": -1}, ValueError, "seed"),
    ({"y_val": "labels out of range"}, ValueError, "y_val must be < num_classes=4"),
    ({"y_train": "fractional labels"}, ValueError, "y_train must be whole numbers"),
    ({"model": "not a model"}, TypeError, "model"),
])
def test_retrain_classifier_refuses_bad_input_before_any_work(long_tail, ce_model, change, error, word, monkeypatch):
    x_train, y_train, x_val, y_val = long_tail
    arguments = dict(model=ce_model, x_train=x_train, y_train=y_train, x_val=x_val, y_val=y_val, progress=False)
    replacements = {"labels out of range": y_val + 1, "fractional labels": y_train + 0.5, "not a model": "ce"}
    arguments.update({key: replacements.get(value, value) for key, value in change.items()})
    monkeypatch.setattr(two_stage, "_features", _no_call)
    with pytest.raises(error, match=word):
        training.retrain_classifier(**arguments)


def _no_call(*args, **kwargs):
    raise AssertionError("the checks must come before the encoder runs")


def test_second_stages_refuse_bad_input_before_training(long_tail, ce_model):
    x_train, y_train, x_val, y_val = long_tail
    data = pipeline.make_dataset(x_val, y_val, 64, shuffle=False)
    with pytest.raises(ValueError, match="learning_rate"):
        training.fine_tune(ce_model, data, data, epochs=1, num_classes=4, learning_rate=float("nan"))
    with pytest.raises(ValueError, match="epochs"):
        training.fine_tune(ce_model, data, data, epochs=-1, num_classes=4)
    with pytest.raises(ValueError, match=r"class_weight .*extra \[4\]"):
        training.deferred_reweighting(ce_model, data, data, {c: 1.0 for c in range(5)}, epochs=1, num_classes=4)
    with pytest.raises(ValueError, match="outputs 4 values but num_classes is 3"):
        training.fine_tune(ce_model, data, data, epochs=1, num_classes=3)
    with pytest.raises(TypeError, match="model"):
        training.clone_with_weights(ce_model.get_weights())
    with pytest.raises(ValueError, match="seed"):
        training.balanced_batch_indices(y_train, 8, 1, seed=-1)


def test_copy_model_copies_weights_and_can_freeze_the_encoder(ce_model):
    frozen = training.copy_model(ce_model, train_encoder=False)
    assert frozen is not ce_model and len(frozen.trainable_weights) == 2
    for a, b in zip(frozen.get_weights(), ce_model.get_weights(), strict=True):
        assert_array_equal(a, b)
    with pytest.raises(TypeError, match="train_encoder"):
        training.copy_model(ce_model, train_encoder="no")


def test_fine_tune_and_drw_leave_the_first_stage_untouched(long_tail, ce_model):
    x_train, y_train, x_val, y_val = long_tail
    weights = [w.copy() for w in ce_model.get_weights()]
    validation = pipeline.make_dataset(x_val, y_val, 64, shuffle=False)
    tuned = training.fine_tune(
        ce_model, pipeline.balanced_dataset(x_train, y_train, 32, seed=0), validation,
        epochs=1, steps_per_epoch=5, num_classes=4, progress=False,
    )
    drw = training.deferred_reweighting(
        ce_model, pipeline.make_dataset(x_train, y_train, 32, seed=0), validation,
        {0: 0.1, 1: 0.3, 2: 1.0, 3: 2.0}, epochs=1, num_classes=4, progress=False,
    )
    for result in (tuned, drw):
        assert any(not np.array_equal(a, b) for a, b in zip(weights, result.model.get_weights(), strict=True))
    for a, b in zip(weights, ce_model.get_weights(), strict=True):
        assert_array_equal(a, b)
    with pytest.raises(TypeError, match="class_weight"):
        training.deferred_reweighting(ce_model, validation, validation, [1, 2], epochs=1, num_classes=4)


def test_second_stages_are_cached_by_the_weights_they_start_from(ce_model, long_tail):
    # The conftest points the model cache at a fresh folder for every test.
    x_train, y_train, x_val, y_val = long_tail
    other = training.clone_with_weights(ce_model)
    other.get_layer("classifier").set_weights([w + 1.0 for w in other.get_layer("classifier").get_weights()])
    encoder_changed = training.clone_with_weights(ce_model)
    kernel = encoder_changed.trainable_weights[0]
    kernel.assign(kernel * 1.01)

    def crt(model, reinitialize=True):
        return training.retrain_classifier(model, x_train, y_train, x_val, y_val, epochs=1, reinitialize=reinitialize,
                                        cache=True, progress=False)

    assert not crt(ce_model).from_cache
    assert crt(ce_model).from_cache  # same start, same features: reused
    assert crt(other).from_cache  # cRT starts from a fresh classifier: the old one does not matter
    assert not crt(other, reinitialize=False).from_cache  # ...unless it continues from it
    assert not crt(encoder_changed).from_cache  # other features: another model
