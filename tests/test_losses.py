import keras
import numpy as np
import pytest

from cvhelpers.training import losses

RNG = np.random.default_rng(0)
LOGITS = RNG.normal(size=(6, 4)).astype(np.float32) * 2
LABELS = np.array([0, 1, 2, 3, 1, 0])
ONE_HOT = np.eye(4, dtype=np.float32)[LABELS]


def _softmax(z):
    e = np.exp(z - z.max(1, keepdims=True))
    return e / e.sum(1, keepdims=True)


def _ce(z, y):
    return -np.log(_softmax(z)[np.arange(len(y)), y])


def test_focal_loss_matches_formula_scalar_and_per_class_alpha():
    p_t = _softmax(LOGITS.astype(np.float64))[np.arange(6), LABELS]
    for gamma in (0.0, 1.0, 2.0, 5.0):
        expected = np.mean(0.25 * (1 - p_t) ** gamma * -np.log(p_t))
        got = float(losses.focal_loss(gamma, 0.25)(ONE_HOT, LOGITS))
        assert got == pytest.approx(expected, rel=1e-4)
    alpha = np.array([0.1, 0.2, 0.3, 0.4])
    expected = np.mean(alpha[LABELS] * (1 - p_t) ** 2 * -np.log(p_t))
    assert float(losses.focal_loss(2.0, alpha, num_classes=4)(ONE_HOT, LOGITS)) == pytest.approx(expected, rel=1e-4)


def test_focal_with_gamma_zero_alpha_one_is_cross_entropy():
    ce = float(keras.losses.CategoricalCrossentropy(from_logits=True)(ONE_HOT, LOGITS))
    assert float(losses.focal_loss(0.0, 1.0)(ONE_HOT, LOGITS)) == pytest.approx(ce, rel=1e-5)


def test_focal_rejects_bad_alpha_and_gamma():
    with pytest.raises(ValueError, match="3 values but there are 4 classes"):
        losses.focal_loss(2.0, [0.1, 0.2, 0.3], num_classes=4)
    with pytest.raises(ValueError, match="num_classes"):
        losses.focal_loss(2.0, [0.1, 0.2])
    with pytest.raises(ValueError, match="gamma"):
        losses.focal_loss(-1.0)


def test_logit_adjusted_loss_matches_formula():
    priors = np.array([0.6, 0.25, 0.1, 0.05])
    for tau in (0.5, 1.0, 2.0):
        expected = np.mean(_ce(LOGITS + tau * np.log(priors), LABELS))
        got = float(losses.LogitAdjustedLoss(priors, tau)(ONE_HOT, LOGITS))
        assert got == pytest.approx(expected, rel=1e-5)
        sparse = float(losses.LogitAdjustedLoss(priors, tau, sparse=True)(LABELS, LOGITS))
        assert sparse == pytest.approx(expected, rel=1e-5)


def test_logit_adjusted_with_tau_zero_is_cross_entropy():
    got = float(losses.LogitAdjustedLoss([0.9, 0.05, 0.03, 0.02], tau=0.0)(ONE_HOT, LOGITS))
    assert got == pytest.approx(np.mean(_ce(LOGITS, LABELS)), rel=1e-5)


def test_logit_adjusted_loss_round_trips_config():
    loss = losses.LogitAdjustedLoss([0.5, 0.5], tau=0.7, sparse=True)
    clone = losses.LogitAdjustedLoss.from_config(loss.get_config())
    assert clone.priors == loss.priors and clone.tau == 0.7 and clone.sparse


def test_posthoc_adjustment_subtracts_log_prior():
    priors = np.array([0.6, 0.25, 0.1, 0.05])
    adjusted = losses.posthoc_logit_adjustment(LOGITS, priors, 1.0)
    np.testing.assert_allclose(adjusted, LOGITS - np.log(priors), rtol=1e-6)
    np.testing.assert_allclose(losses.posthoc_logit_adjustment(LOGITS, priors, 0.0), LOGITS)
    with pytest.raises(ValueError, match="NaN"):
        losses.posthoc_logit_adjustment(np.full((2, 4), np.nan), priors)
    with pytest.raises(ValueError, match="shape"):
        losses.posthoc_logit_adjustment(LOGITS[:, :3], priors)


def test_class_priors_checks_classes():
    np.testing.assert_allclose(losses.class_priors({0: 3, 1: 1}), [0.75, 0.25])
    with pytest.raises(ValueError, match=r"missing \[1\]"):
        losses.class_priors({0: 3, 2: 1}, num_classes=3)


def test_sigmoid_focal_matches_tensorflow_addons_definition():
    y = (RNG.random((5, 3)) > 0.5).astype(np.float32)
    logits = RNG.normal(size=(5, 3)).astype(np.float32)
    p = 1 / (1 + np.exp(-logits.astype(np.float64)))
    bce = -(y * np.log(p) + (1 - y) * np.log(1 - p))
    p_t = y * p + (1 - y) * (1 - p)
    alpha_t = y * 0.25 + (1 - y) * 0.75
    expected = np.sum(alpha_t * (1 - p_t) ** 2 * bce, axis=-1)
    got = np.asarray(losses.sigmoid_focal_crossentropy(y, logits, from_logits=True))
    np.testing.assert_allclose(got, expected, rtol=1e-4)
    per_example = np.asarray(losses.SigmoidFocalCrossEntropy(from_logits=True)(y, logits))
    assert per_example.shape == (5,)  # TFA's default reduction is NONE
    np.testing.assert_allclose(per_example, expected, rtol=1e-4)
    from_probabilities = np.asarray(losses.sigmoid_focal_crossentropy(y, p.astype(np.float32)))
    np.testing.assert_allclose(from_probabilities, expected, rtol=1e-3)
    plain = np.asarray(losses.sigmoid_focal_crossentropy(y, logits, alpha=None, gamma=None, from_logits=True))
    np.testing.assert_allclose(plain, bce.sum(-1), rtol=1e-4)


def test_choose_tau_finds_the_prior_correction():
    # Scores that are true log-likelihoods plus the log prior: tau = 1 undoes the prior exactly.
    rng = np.random.default_rng(3)
    priors = np.array([0.7, 0.2, 0.1])
    y = np.repeat([0, 1, 2], 300)
    likelihood = np.eye(3)[y] * 1.2 + rng.normal(size=(900, 3))
    logits = likelihood + np.log(priors)
    best, scores = losses.choose_tau(logits, y, priors, taus=[0.0, 0.5, 1.0, 2.0])
    assert set(scores) == {0.0, 0.5, 1.0, 2.0}
    assert scores[1.0] > scores[0.0] + 0.05
    assert best in (0.5, 1.0)
    with pytest.raises(ValueError, match="taus"):
        losses.choose_tau(logits, y, priors, taus=[])


def test_logit_adjusted_loss_checks_the_number_of_priors_against_the_logits():
    loss = losses.LogitAdjustedLoss([0.5, 0.3, 0.2])  # three priors, four classes of logits
    with pytest.raises(ValueError, match="priors has 3 classes but y_pred has 4"):
        loss(ONE_HOT, LOGITS)


def test_logit_adjusted_loss_checks_the_number_of_priors_when_traced():
    import tensorflow as tf

    loss = losses.LogitAdjustedLoss([0.5, 0.3, 0.2], sparse=True)
    traced = tf.function(lambda y, logits: loss(y, logits))
    with pytest.raises(ValueError, match="priors has 3 classes"):
        traced.get_concrete_function(tf.TensorSpec([None], tf.int64), tf.TensorSpec([None, 4], tf.float32))
    assert traced(LABELS[:, None] % 3, LOGITS[:, :3]).shape == ()  # (b, 1) labels with sparse=True are fine


def test_logit_adjusted_loss_checks_the_label_format():
    priors = [0.4, 0.3, 0.2, 0.1]
    with pytest.raises(ValueError, match="sparse=True expects class indices"):
        losses.LogitAdjustedLoss(priors, sparse=True)(ONE_HOT, LOGITS)
    with pytest.raises(ValueError, match="pass sparse=True"):
        losses.LogitAdjustedLoss(priors)(LABELS, LOGITS)
    with pytest.raises(TypeError, match="sparse"):
        losses.LogitAdjustedLoss(priors, sparse="yes")


def test_loss_helpers_refuse_bad_input():
    with pytest.raises(ValueError, match="counts has 2 classes but num_classes is 3"):
        losses.class_priors([3, 1], num_classes=3)
    with pytest.raises(TypeError, match="counts"):
        losses.class_priors({"a": 3, "b": 1})
    with pytest.raises(ValueError, match="logits contain NaN or inf"):
        losses.posthoc_logit_adjustment(np.full((2, 4), np.inf), [0.4, 0.3, 0.2, 0.1])
    with pytest.raises(ValueError, match="y_val has 5 entries"):
        losses.choose_tau(LOGITS, LABELS[:5], [0.4, 0.3, 0.2, 0.1])
    with pytest.raises(ValueError, match="y_val must be < num_classes=4"):
        losses.choose_tau(LOGITS, LABELS + 1, [0.4, 0.3, 0.2, 0.1])
    with pytest.raises(ValueError, match="alpha"):
        losses.SigmoidFocalCrossEntropy(alpha=1.5)
    with pytest.raises(ValueError, match="gamma"):
        losses.SigmoidFocalCrossEntropy(gamma=float("nan"))
    with pytest.raises(ValueError, match="y_true and y_pred must have the same shape"):
        losses.sigmoid_focal_crossentropy(np.zeros((4, 1), np.float32), np.zeros((4, 4), np.float32))
    with pytest.raises(ValueError, match="num_classes"):
        losses.focal_loss(2.0, [0.5, 0.5], num_classes=1)
