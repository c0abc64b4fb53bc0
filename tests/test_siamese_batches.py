"""Tests for cvhelpers.methods.siamese.batches: the P×K and pair samplers, make_pairs."""

import numpy as np
import pytest
from numpy.testing import assert_allclose

keras = pytest.importorskip("keras")

from cvhelpers.methods import siamese  # noqa: E402


def test_pk_batches_hold_p_classes_of_k_images(labelled):
    x, y = labelled
    batches = siamese.PKBatches(x, y, p=4, k=3, steps=5, seed=1)
    assert len(batches) == 5
    for index in range(len(batches)):
        xb, yb = batches[index]
        assert xb.shape == (12, 8, 8, 1) and xb.dtype == np.float32 and 0 <= xb.min() and xb.max() <= 1
        labels, counts = np.unique(yb, return_counts=True)
        assert len(labels) == 4 and (counts == 3).all()
        picks = batches.indices(index)
        assert len(np.unique(picks)) == 12  # K distinct images per class
        assert_allclose(xb[..., 0], x[picks] / 255.0, rtol=1e-6)
    again = siamese.PKBatches(x, y, p=4, k=3, steps=5, seed=1)
    assert (again.indices(2) == batches.indices(2)).all()
    batches.on_epoch_end()
    assert not (again.indices(2) == batches.indices(2)).all()


def test_pk_batches_reject_bad_arguments(labelled):
    x, y = labelled
    with pytest.raises(ValueError, match="p must be"):
        siamese.PKBatches(x, y, p=11, k=2)
    with pytest.raises(ValueError, match="k must be"):
        siamese.PKBatches(x, y, p=4, k=1)
    with pytest.raises(ValueError, match="p must be"):
        siamese.PKBatches(x, y, p=4, k=7)  # no class has 7 images


def test_make_pairs_and_pair_batches(labelled):
    x, y = labelled
    first, second, same = siamese.make_pairs(y, 200, positive_fraction=0.25, seed=0)
    assert same.sum() == 50
    assert (first != second).all()
    assert ((y[first] == y[second]) == same.astype(bool)).all()
    (x1, x2), target = siamese.PairBatches(x, y, batch_size=16, steps=2, seed=0)[0]
    assert x1.shape == x2.shape == (16, 8, 8, 1) and target.shape == (16,) and target.sum() == 8


def test_pair_batches_draw_the_pairs_make_pairs_draws(labelled):
    """The class index is built once per PairBatches; the pairs stay those of make_pairs with the same seeds."""
    x, y = labelled
    batches = siamese.PairBatches(x, y, batch_size=16, steps=3, seed=5)
    batches.on_epoch_end()
    (x1, x2), target = batches[2]
    first, second, same = siamese.make_pairs(y, 16, seed=[5, batches.epoch, 2])
    assert_allclose(x1[..., 0], x[first] / 255.0, rtol=1e-6)
    assert_allclose(x2[..., 0], x[second] / 255.0, rtol=1e-6)
    assert (target == same).all()


@pytest.mark.parametrize(
    "change, message",
    [
        (dict(p=4.0), "p must be an int >= 2"),
        (dict(k=True), "k must be an int >= 2"),
        (dict(steps=0), "steps must be an int >= 1"),
        (dict(seed=-1), "seed"),
        (dict(y=np.repeat(np.arange(10), 6) + 0.5), "y must be whole numbers"),
        (dict(y=np.arange(59)), "x and y must have the same length"),
    ],
)
def test_pk_batches_name_their_bad_arguments(labelled, change, message):
    x, y = labelled
    kwargs = {"x": x, "y": y, "p": 4, "k": 3, **change}
    with pytest.raises(ValueError, match=message):
        siamese.PKBatches(kwargs.pop("x"), kwargs.pop("y"), **kwargs)


def test_make_pairs_and_pair_batches_name_their_bad_arguments(labelled):
    x, y = labelled
    with pytest.raises(ValueError, match="positive_fraction"):
        siamese.make_pairs(y, 10, positive_fraction=float("nan"))
    with pytest.raises(ValueError, match="n_pairs"):
        siamese.make_pairs(y, 10.0)
    with pytest.raises(ValueError, match="seed"):
        siamese.make_pairs(y, 10, seed=-1)
    assert len(siamese.make_pairs(y, 10, seed=[1, 2, 3])[0]) == 10
    with pytest.raises(ValueError, match="batch_size"):
        siamese.PairBatches(x, y, batch_size=1)
    with pytest.raises(ValueError, match="two classes"):
        siamese.PairBatches(x, np.zeros(60, int))
    with pytest.raises(ValueError, match="x and y"):
        siamese.PairBatches(x, y[:10])
