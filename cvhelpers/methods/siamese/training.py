"""Training: an embedding network with a triplet loss on P×K batches, or a pair model on pairs.

:func:`fit_triplet` (optionally with a warm-up loss), :func:`fit_pairs` and
the optimizer both use, :func:`cosine_adam`.
"""

from __future__ import annotations

import keras

from cvhelpers.methods.siamese.batches import PairBatches, PKBatches
from cvhelpers.validation import check_number, check_positive_int, check_seed

__all__ = ["cosine_adam", "fit_pairs", "fit_triplet"]


def cosine_adam(learning_rate: float, steps: int):
    """Adam whose learning rate decays along a cosine to 5% over ``steps`` steps.

    Pass the same optimizer to several :func:`fit_triplet` calls to continue
    one schedule across them.
    """
    learning_rate = check_number(learning_rate, "learning_rate", low=0.0, low_open=True)
    steps = check_positive_int(steps, "steps")
    schedule = keras.optimizers.schedules.CosineDecay(learning_rate, steps, alpha=0.05)
    return keras.optimizers.Adam(schedule)


def _check_steps(steps, log_every) -> tuple[int, int]:
    steps = check_positive_int(steps, "steps")
    log_every = check_positive_int(log_every, "log_every")
    if steps < log_every:
        raise ValueError(f"steps must be >= log_every >= 1, got steps={steps}, log_every={log_every}")
    return steps, log_every


def fit_triplet(
    model,
    x,
    y,
    loss,
    steps: int,
    p: int = 32,
    k: int = 4,
    learning_rate: float = 2e-3,
    warmup=None,
    log_every: int = 25,
    seed: int = 0,
    optimizer=None,
    shuffle: bool = True,
) -> dict:
    """Train an embedding network on P×K batches with a triplet loss.

    Adam with a cosine-decayed learning rate over all steps. With ``warmup``,
    the first steps use another loss (semi-hard before batch-hard avoids the
    collapse that batch-hard mining from scratch can fall into).

    Parameters
    ----------
    model : keras.Model
        (batch, h, w, 1) -> (batch, dim) embeddings.
    x : ndarray of shape (n, h, w) or (n, h, w, 1)
    y : ndarray of shape (n,), int
    loss : keras.losses.Loss
        E.g. ``TripletSemiHardLoss(margin=0.5)``.
    steps : int
        Training steps (batches), warm-up included.
    p, k : int, default=32, 4
    learning_rate : float, default=2e-3
    warmup : tuple (keras.losses.Loss, int), optional
        A loss and its number of steps, run first.
    log_every : int, default=25
        The loss is averaged over blocks of this many steps.
    seed : int, default=0
    optimizer : keras.optimizers.Optimizer, optional
        Default ``cosine_adam(learning_rate, steps)``; pass one to continue
        its schedule from an earlier call.
    shuffle : bool, default=True
        Passed to ``model.fit``: Keras then reorders the batches of each
        block with Python's unseeded ``random``, so two runs with the same
        ``seed`` differ. ``False`` keeps the order and makes training
        reproducible on CPU (the batches are random samples already).

    Returns
    -------
    dict
        ``step`` (list of int, the end of each block), ``loss`` (list of
        float, its mean loss), ``seconds`` (float, training time).
    """
    import time

    steps, log_every = _check_steps(steps, log_every)
    seed = check_seed(seed)
    phases = [(loss, steps)]
    if warmup is not None:
        if not isinstance(warmup, (tuple, list)) or len(warmup) != 2:
            raise ValueError(f"warmup must be a tuple (loss, steps), got {warmup!r}")
        warmup_loss, warmup_steps = warmup
        if not 0 < check_positive_int(warmup_steps, "warmup steps") < steps:
            raise ValueError(f"warmup steps must be in (0, steps={steps}), got {warmup_steps}")
        phases = [(warmup_loss, warmup_steps), (loss, steps - warmup_steps)]
    optimizer = optimizer or cosine_adam(learning_rate, steps)
    history = {"step": [], "loss": [], "seconds": 0.0}
    start, done = time.perf_counter(), 0
    for phase, (phase_loss, phase_steps) in enumerate(phases):
        model.compile(optimizer=optimizer, loss=phase_loss)
        blocks = max(1, phase_steps // log_every)
        batches = PKBatches(x, y, p=p, k=k, steps=log_every, seed=seed * 1000 + phase)
        result = model.fit(batches, epochs=blocks, verbose=0, shuffle=shuffle)
        history["loss"].extend(float(v) for v in result.history["loss"])
        history["step"].extend(done + log_every * (i + 1) for i in range(blocks))
        done += blocks * log_every
    history["seconds"] = time.perf_counter() - start
    return history


def fit_pairs(pair_model, x, y, loss, steps: int, batch_size: int = 128, learning_rate: float = 2e-3,
              log_every: int = 25, seed: int = 0) -> dict:
    """Train a :func:`siamese_pair_model` on balanced pairs, e.g. with ``ContrastiveLoss``.

    Parameters and return value as :func:`fit_triplet`, with ``batch_size``
    pairs per step.
    """
    import time

    steps, log_every = _check_steps(steps, log_every)
    batch_size = check_positive_int(batch_size, "batch_size", smallest=2)
    seed = check_seed(seed)
    pair_model.compile(optimizer=cosine_adam(learning_rate, steps), loss=loss)
    start = time.perf_counter()
    blocks = steps // log_every
    result = pair_model.fit(PairBatches(x, y, batch_size, log_every, seed), epochs=blocks, verbose=0)
    return {
        "step": [log_every * (i + 1) for i in range(blocks)],
        "loss": [float(v) for v in result.history["loss"]],
        "seconds": time.perf_counter() - start,
    }
