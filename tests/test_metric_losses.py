"""Tests for cvhelpers.methods.metric_losses: TFA-compatible metric-learning losses."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

keras = pytest.importorskip("keras")

from cvhelpers.methods import metric_losses as ml  # noqa: E402


def _np(value):
    return np.asarray(keras.ops.convert_to_numpy(value))


def _np_distances(x, metric):
    x = np.asarray(x, dtype=np.float64)
    diff = x[:, None, :] - x[None, :, :]
    if metric == "L2":
        return np.sqrt((diff**2).sum(-1))
    if metric == "squared-L2":
        return (diff**2).sum(-1)
    unit = x / np.linalg.norm(x, axis=1, keepdims=True)
    return np.maximum(1.0 - unit @ unit.T, 1e-16)


def _np_semihard(labels, x, margin, metric):
    """Brute-force reference: loops over every (anchor, positive) pair."""
    d = _np_distances(x, metric)
    n = len(labels)
    losses = []
    for a in range(n):
        negatives = [k for k in range(n) if labels[k] != labels[a]]
        for p in range(n):
            if p == a or labels[p] != labels[a]:
                continue
            farther = [d[a, k] for k in negatives if d[a, k] > d[a, p]]
            if farther:
                d_an = min(farther)
            elif negatives:
                d_an = max(d[a, k] for k in negatives)
            else:
                d_an = d[a].min()
            losses.append(max(d[a, p] - d_an + margin, 0.0))
    return float(np.mean(losses)) if losses else 0.0


def _np_hard(labels, x, margin, metric, soft=False):
    d = _np_distances(x, metric)
    n = len(labels)
    values = []
    for a in range(n):
        positives = [d[a, k] for k in range(n) if labels[k] == labels[a] and k != a]
        negatives = [d[a, k] for k in range(n) if labels[k] != labels[a]]
        hp = max(positives) if positives else d[a].min()
        hn = min(negatives) if negatives else d[a].max()
        values.append(np.log1p(np.exp(hp - hn)) if soft else max(hp - hn + margin, 0.0))
    return float(np.mean(values))


@pytest.fixture
def batch():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(12, 5)).astype("float32")
    x /= np.linalg.norm(x, axis=1, keepdims=True)
    labels = np.array([0, 0, 0, 1, 1, 1, 2, 2, 2, 3, 3, 3])
    return labels, x


def test_hand_worked_values_from_the_issue():
    labels = np.array([0, 0])
    x = np.array([[0.0, 1.0], [1.0, 0.0]], dtype="float32")
    # No negatives: semi-hard falls back to d(a, a) = 0, so 1 + sqrt(2).
    assert_allclose(_np(ml.triplet_semihard_loss(labels, x, margin=1.0)), 2.4142137, rtol=1e-6)
    # Hard: hardest positive sqrt(2), "hardest negative" = row max sqrt(2), so 1.
    assert_allclose(_np(ml.triplet_hard_loss(labels, x, margin=1.0)), 1.0, rtol=1e-6)


def test_hand_worked_two_classes():
    # a=(0,1), p=(0.6,0.8) [d=sqrt(0.4)], n=(1,0) [d=sqrt(2)], label order a,p,n.
    x = np.array([[0.0, 1.0], [0.6, 0.8], [1.0, 0.0]], dtype="float32")
    labels = np.array([0, 0, 1])
    d_ap, d_an, d_pn = np.sqrt(0.4), np.sqrt(2.0), np.sqrt(0.8)
    expected_semihard = (max(d_ap - d_an + 1, 0) + max(d_ap - d_pn + 1, 0)) / 2
    assert_allclose(_np(ml.triplet_semihard_loss(labels, x)), expected_semihard, rtol=1e-6)
    # Anchor n has no positive: TFA uses d(n, n)=0 and its closest negative d_pn.
    expected_hard = (max(d_ap - d_an + 1, 0) + max(d_ap - d_pn + 1, 0) + max(0 - d_pn + 1, 0)) / 3
    assert_allclose(_np(ml.triplet_hard_loss(labels, x)), expected_hard, rtol=1e-6)


@pytest.mark.parametrize("metric", ["L2", "squared-L2", "angular"])
def test_distance_metrics_match_numpy(batch, metric):
    _, x = batch
    if metric == "angular":
        got = _np(ml.angular_distance(x))
    else:
        got = _np(ml.pairwise_distance(x, squared=metric == "squared-L2"))
    expected = _np_distances(x, metric)
    assert_allclose(got, expected, atol=2e-6)
    if metric != "angular":
        assert (np.diag(got) == 0).all()


@pytest.mark.parametrize("metric", ["L2", "squared-L2", "angular"])
@pytest.mark.parametrize("margin", [0.2, 1.0])
def test_semihard_matches_brute_force(batch, metric, margin):
    labels, x = batch
    got = _np(ml.triplet_semihard_loss(labels, x, margin=margin, distance_metric=metric))
    assert_allclose(got, _np_semihard(labels, x, margin, metric), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("metric", ["L2", "squared-L2", "angular"])
@pytest.mark.parametrize("soft", [False, True])
def test_hard_matches_brute_force(batch, metric, soft):
    labels, x = batch
    got = _np(ml.triplet_hard_loss(labels, x, margin=0.5, soft=soft, distance_metric=metric))
    assert_allclose(got, _np_hard(labels, x, 0.5, metric, soft), rtol=1e-5, atol=1e-6)


def test_custom_distance_callable(batch):
    labels, x = batch
    got = _np(ml.triplet_semihard_loss(labels, x, distance_metric=lambda e: ml.pairwise_distance(e)))
    assert_allclose(got, _np(ml.triplet_semihard_loss(labels, x)), rtol=1e-6)


def test_no_positive_pair_gives_zero_not_nan():
    x = np.eye(3, dtype="float32")
    labels = np.array([0, 1, 2])
    assert _np(ml.triplet_semihard_loss(labels, x)) == 0.0
    # The hard loss is finite in TFA too: d(a,a)=0 minus the closest negative sqrt(2).
    assert_allclose(_np(ml.triplet_hard_loss(labels, x)), max(1 - np.sqrt(2), 0), atol=1e-7)


def test_soft_hard_loss_stays_finite_for_huge_distances():
    x = np.array([[0.0, 0.0], [1e3, 0.0], [1e-3, 0.0], [1e3, 1e-3]], dtype="float32")
    labels = np.array([0, 0, 1, 1])
    value = _np(ml.triplet_hard_loss(labels, x, soft=True))
    assert np.isfinite(value) and value > 500


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_16_bit_input_returns_input_dtype(batch, dtype):
    labels, x = batch
    x16 = keras.ops.cast(x, dtype)
    reference = _np(ml.triplet_semihard_loss(labels, keras.ops.cast(x16, "float32")))
    for fn in (ml.triplet_semihard_loss, ml.triplet_hard_loss):
        value = fn(labels, x16)
        assert keras.backend.standardize_dtype(value.dtype) == dtype
    got = _np(keras.ops.cast(ml.triplet_semihard_loss(labels, x16), "float32"))
    assert_allclose(got, reference, rtol=1e-2)


def test_contrastive_loss_values():
    got = _np(ml.contrastive_loss([1, 0, 0], [0.5, 0.25, 2.0], margin=1.0))
    assert_allclose(got, [0.25, 0.5625, 0.0], rtol=1e-7)
    got = _np(ml.contrastive_loss(np.array([1.0, 0.0]), np.array([0.5, 0.5], "float16"), margin=2.0))
    assert got.dtype == np.float16
    assert_allclose(got.astype("float32"), [0.25, 2.25], rtol=1e-3)


def test_loss_classes_reduce_and_round_trip(batch):
    labels, x = batch
    loss = ml.TripletSemiHardLoss(margin=0.3, distance_metric="angular")
    assert_allclose(_np(loss(labels, x)), _np(ml.triplet_semihard_loss(labels, x, 0.3, "angular")), rtol=1e-6)
    clone = ml.TripletSemiHardLoss.from_config(loss.get_config())
    assert clone.margin == 0.3 and clone.distance_metric == "angular"
    hard = ml.TripletHardLoss(margin=0.2, soft=True)
    assert ml.TripletHardLoss.from_config(hard.get_config()).soft is True
    contrastive = ml.ContrastiveLoss(margin=2.0)
    assert_allclose(_np(contrastive([1, 0], [0.5, 0.5])), (0.25 + 2.25) / 2, rtol=1e-6)
    assert ml.ContrastiveLoss.from_config(contrastive.get_config()).margin == 2.0
    assert keras.losses.deserialize(keras.losses.serialize(contrastive)).margin == 2.0


def test_bad_arguments_raise():
    with pytest.raises(ValueError, match="distance_metric"):
        ml.triplet_semihard_loss([0, 0], np.eye(2, dtype="float32"), distance_metric="L_2")
    with pytest.raises(ValueError, match="y_pred"):
        ml.triplet_hard_loss([0, 0], np.ones(2, "float32"))
    with pytest.raises(TypeError, match="margin"):
        ml.TripletHardLoss(margin="1")
    with pytest.raises(TypeError, match="soft"):
        ml.TripletHardLoss(soft=1)


def test_trains_in_a_model():
    rng = np.random.default_rng(1)
    keras.utils.set_random_seed(1)
    x = rng.normal(size=(64, 8)).astype("float32")
    y = np.repeat(np.arange(8), 8)
    x += np.eye(8, dtype="float32")[y] * 2
    model = keras.Sequential([keras.Input((8,)), keras.layers.Dense(4), keras.layers.UnitNormalization()])
    model.compile(optimizer=keras.optimizers.Adam(0.05), loss=ml.TripletSemiHardLoss(margin=0.5))
    history = model.fit(x, y, batch_size=64, epochs=30, verbose=0)
    assert history.history["loss"][-1] < history.history["loss"][0]


# --- TripletBatchAllLoss / triplet_batch_all_loss -----------------------------


def _np_batch_all(labels, x, margin, metric, remove_easy):
    """Brute-force batch-all reference: loops over every valid (a, p, n) triplet.

    Each contributes max(d(a, p) - d(a, n) + margin, 0); the sum is divided by
    the number of positive terms (remove_easy) or of all valid triplets; 0 when
    that count is 0.
    """
    d = _np_distances(x, metric)
    n = len(labels)
    hinges = []
    for a in range(n):
        for p in range(n):
            if p == a or labels[p] != labels[a]:
                continue
            for k in range(n):
                if labels[k] == labels[a]:
                    continue
                hinges.append(max(d[a, p] - d[a, k] + margin, 0.0))
    hinges = np.asarray(hinges)
    count = int((hinges > 0).sum()) if remove_easy else len(hinges)
    return float(hinges.sum() / count) if count else 0.0


@pytest.mark.parametrize("metric", ["L2", "squared-L2", "angular"])
@pytest.mark.parametrize("margin", [0.2, 1.0])
@pytest.mark.parametrize("remove_easy", [True, False])
def test_batch_all_matches_brute_force(batch, metric, margin, remove_easy):
    labels, x = batch
    expected = _np_batch_all(labels, x, margin, metric, remove_easy)
    got = _np(ml.triplet_batch_all_loss(labels, x, margin=margin, distance_metric=metric, remove_easy=remove_easy))
    assert_allclose(got, expected, rtol=1e-5, atol=1e-6)


def test_batch_all_hand_worked_remove_easy():
    # a=(0,1), p=(0.6,0.8), n=(1,0): d_ap=sqrt(0.4), d_an=sqrt(2), d_pn=sqrt(0.8).
    x = np.array([[0.0, 1.0], [0.6, 0.8], [1.0, 0.0]], dtype="float32")
    labels = np.array([0, 0, 1])
    d_ap, d_pn = np.sqrt(0.4), np.sqrt(0.8)
    # Two valid triplets, (0, 1, 2) and (1, 0, 2). With margin 0.5 the first is
    # easy (0.632 - 1.414 + 0.5 < 0), the second is not (0.632 - 0.894 + 0.5 = 0.238).
    hard = d_ap - d_pn + 0.5
    assert_allclose(_np(ml.triplet_batch_all_loss(labels, x, margin=0.5, remove_easy=True)), hard, rtol=1e-5)
    assert_allclose(_np(ml.triplet_batch_all_loss(labels, x, margin=0.5, remove_easy=False)), hard / 2, rtol=1e-5)
    # The default is remove_easy=True, margin=1.0, "L2": both triplets positive then.
    both = (d_ap - np.sqrt(2.0) + 1.0 + hard + 0.5) / 2
    assert_allclose(_np(ml.triplet_batch_all_loss(labels, x)), both, rtol=1e-5)


@pytest.mark.parametrize("remove_easy", [True, False])
def test_batch_all_is_zero_without_valid_or_hard_triplets(remove_easy):
    # No positive pair, then no negative: no valid triplet at all.
    assert _np(ml.triplet_batch_all_loss([0, 1, 2], np.eye(3, dtype="float32"), remove_easy=remove_easy)) == 0.0
    assert _np(ml.triplet_batch_all_loss([4, 4, 4], np.eye(3, dtype="float32"), remove_easy=remove_easy)) == 0.0
    # Valid triplets, all easy (d_ap = 0, d_an = sqrt(2) > margin): 0, not 0/0.
    x = np.array([[1.0, 0.0], [1.0, 0.0], [0.0, 1.0], [0.0, 1.0]], dtype="float32")
    value = _np(ml.triplet_batch_all_loss([0, 0, 1, 1], x, margin=0.5, remove_easy=remove_easy))
    assert value == 0.0


@pytest.mark.parametrize("dtype", ["float16", "bfloat16"])
def test_batch_all_16_bit_input_returns_input_dtype(batch, dtype):
    labels, x = batch
    x16 = keras.ops.cast(x, dtype)
    value = ml.triplet_batch_all_loss(labels, x16)
    assert keras.backend.standardize_dtype(value.dtype) == dtype
    reference = _np(ml.triplet_batch_all_loss(labels, keras.ops.cast(x16, "float32")))
    assert_allclose(_np(keras.ops.cast(value, "float32")), reference, rtol=1e-2)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"margin": 0.3},
        {"margin": 0.3, "distance_metric": "squared-L2"},
        {"margin": 2.0, "distance_metric": "angular", "remove_easy": False},
        {"distance_metric": "L2", "remove_easy": False},
    ],
)
def test_batch_all_class_matches_function(batch, kwargs):
    labels, x = batch
    loss = ml.TripletBatchAllLoss(**kwargs)
    expected = _np(ml.triplet_batch_all_loss(labels, x, **kwargs))
    assert_allclose(_np(loss(labels, x)), expected, rtol=1e-6)
    assert_allclose(_np(loss(labels, x)), _np_batch_all(labels, x, kwargs.get("margin", 1.0),
                                                        kwargs.get("distance_metric", "L2"),
                                                        kwargs.get("remove_easy", True)), rtol=1e-5, atol=1e-6)


def test_batch_all_class_defaults_and_callable_metric(batch):
    labels, x = batch
    loss = ml.TripletBatchAllLoss()
    assert loss.name == "triplet_batch_all_loss"
    assert (loss.margin, loss.distance_metric, loss.remove_easy) == (1.0, "L2", True)
    squared = ml.TripletBatchAllLoss(distance_metric=lambda e: ml.pairwise_distance(e, squared=True))
    assert_allclose(_np(squared(labels, x)), _np_batch_all(labels, x, 1.0, "squared-L2", True), rtol=1e-5)


def test_batch_all_class_config_round_trips(batch):
    labels, x = batch
    loss = ml.TripletBatchAllLoss(margin=0.3, distance_metric="squared-L2", remove_easy=False, name="ba")
    config = loss.get_config()
    assert config == {"name": "ba", "margin": 0.3, "distance_metric": "squared-L2", "remove_easy": False}
    expected = _np(loss(labels, x))
    # The settings must change the value, or the round trip below would prove nothing.
    assert not np.isclose(expected, _np(ml.TripletBatchAllLoss()(labels, x)))
    for clone in (ml.TripletBatchAllLoss.from_config(config),
                  keras.losses.deserialize(keras.losses.serialize(loss))):
        assert type(clone) is ml.TripletBatchAllLoss
        assert (clone.name, clone.margin, clone.distance_metric, clone.remove_easy) == ("ba", 0.3, "squared-L2", False)
        assert_allclose(_np(clone(labels, x)), expected, rtol=1e-6)


def test_batch_all_bad_arguments_raise():
    x = np.eye(2, dtype="float32")
    with pytest.raises(ValueError, match="distance_metric"):
        ml.TripletBatchAllLoss(distance_metric="L_2")
    with pytest.raises(ValueError, match="distance_metric"):
        ml.triplet_batch_all_loss([0, 0], x, distance_metric="cosine")
    with pytest.raises(TypeError, match="margin"):
        ml.TripletBatchAllLoss(margin="1")
    with pytest.raises(TypeError, match="margin"):
        ml.TripletBatchAllLoss(margin=True)
    with pytest.raises(ValueError, match="y_pred"):
        ml.triplet_batch_all_loss([0, 0], np.ones(2, "float32"))


TRIPLET_LOSSES = [ml.triplet_semihard_loss, ml.triplet_hard_loss, ml.triplet_batch_all_loss]
LOSS_CLASSES = [ml.TripletSemiHardLoss, ml.TripletHardLoss, ml.TripletBatchAllLoss, ml.ContrastiveLoss]


@pytest.mark.parametrize("margin", [float("nan"), float("inf"), -0.5])
def test_a_margin_that_is_not_a_finite_number_at_least_zero_is_refused(margin):
    x = np.eye(4, dtype="float32")
    for loss in TRIPLET_LOSSES:
        with pytest.raises(ValueError, match="margin"):
            loss([0, 0, 1, 1], x, margin=margin)
    with pytest.raises(ValueError, match="margin"):
        ml.contrastive_loss([1, 0], [0.5, 0.25], margin=margin)
    for cls in LOSS_CLASSES:
        with pytest.raises(ValueError, match="margin"):
            cls(margin=margin)


def test_a_zero_margin_is_accepted():
    assert _np(ml.triplet_hard_loss([0, 0], [[0.0, 1.0], [1.0, 0.0]], margin=0.0)) == 0.0


@pytest.mark.parametrize("loss", TRIPLET_LOSSES)
def test_triplet_losses_refuse_labels_of_the_wrong_length(loss):
    with pytest.raises(ValueError, match=r"y_true has 1 labels but y_pred is a batch of 4"):
        loss([0], np.eye(4, dtype="float32"))
    with pytest.raises(ValueError, match="y_true has 6 labels"):
        loss(np.zeros((3, 2), int), np.eye(4, dtype="float32"))  # (3, 2) labels flatten to 6


def test_contrastive_loss_refuses_labels_of_another_shape():
    with pytest.raises(ValueError, match=r"y_true has shape \(1,\) but y_pred has shape \(3,\)"):
        ml.contrastive_loss([1], [0.5, 0.2, 0.3])
    with pytest.raises(ValueError, match="y_true has shape"):
        ml.contrastive_loss([[1], [0]], [0.5, 0.2])  # (2, 1) against (2,) would broadcast to (2, 2)
    with pytest.raises(ValueError, match="y_true has shape"):
        ml.ContrastiveLoss()([1], [0.5, 0.2, 0.3])


def test_labels_of_the_wrong_length_are_refused_when_the_graph_runs():
    tf = pytest.importorskip("tensorflow")
    if keras.backend.backend() != "tensorflow":
        pytest.skip("the runtime check is TensorFlow's")
    embeddings = tf.TensorSpec([None, 4], tf.float32)
    triplet = tf.function(ml.triplet_hard_loss, input_signature=[tf.TensorSpec([None], tf.int32), embeddings])
    assert np.isfinite(_np(triplet(np.array([0, 0, 1, 1], np.int32), np.eye(4, dtype="float32"))))
    with pytest.raises(tf.errors.InvalidArgumentError, match="one label per embedding"):
        triplet(np.array([0], np.int32), np.eye(4, dtype="float32"))
    pairs = tf.function(ml.contrastive_loss, input_signature=[tf.TensorSpec([None], tf.float32)] * 2)
    with pytest.raises(tf.errors.InvalidArgumentError, match="one label per pair distance"):
        pairs(np.ones(1, np.float32), np.ones(3, np.float32))


@pytest.mark.parametrize("loss", TRIPLET_LOSSES)
def test_triplet_losses_refuse_an_empty_batch(loss):
    with pytest.raises(ValueError, match="y_pred is an empty batch"):
        loss(np.zeros(0, int), np.zeros((0, 3), "float32"))


@pytest.mark.parametrize("distance", [ml.pairwise_distance, ml.angular_distance])
def test_distances_refuse_a_vector(distance):
    with pytest.raises(ValueError, match="feature must be 2-D"):
        distance(np.ones(3, "float32"))
