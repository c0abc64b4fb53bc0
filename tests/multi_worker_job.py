"""One process of the two-worker training in ``test_multi_worker.py``.

``python tests/multi_worker_job.py OUTDIR`` trains the course CNN through
:func:`cvhelpers.training.fit` under ``MultiWorkerMirroredStrategy`` (the
cluster and this worker's index come from ``TF_CONFIG``);
``python tests/multi_worker_job.py OUTDIR --single`` trains the same model on
the same global batches in one process, as the reference. Each process writes
its final weights to ``OUTDIR/weights-<name>.npz``; only the chief (or the
single process) writes ``OUTDIR/result-<name>.json``.
"""

import json
import os
import sys
from pathlib import Path

import numpy as np

NUM_CLASSES = 10
GLOBAL_BATCH = 128
EPOCHS = 5
STEPS_PER_EPOCH = 10  # 50 steps of 128 images, 64 per worker


def squares(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """Noisy 28x28 uint8 images; class ``k`` has a faint square at the ``k``-th of ten places."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, NUM_CLASSES, n)
    x = rng.integers(0, 120, (n, 28, 28)).astype(np.uint8)
    for label in range(NUM_CLASSES):
        row, col = divmod(label, 5)
        x[y == label, 4 + 12 * row:12 + 12 * row, 1 + 5 * col:6 + 5 * col] += 120
    return x, y


def train(single: bool):
    """Train on the fixed data; return the :class:`~cvhelpers.training.FitResult` and the strategy."""
    import keras
    import tensorflow as tf

    from cvhelpers import training
    from cvhelpers.data import pipeline
    from cvhelpers.training.models import small_cnn

    strategy = tf.distribute.get_strategy() if single else tf.distribute.MultiWorkerMirroredStrategy()
    x, y = squares(2560 + 512, seed=0)
    train_data = pipeline.make_dataset(x[:2560], y[:2560], GLOBAL_BATCH, seed=0, repeat=True)
    validation_data = pipeline.make_dataset(x[2560:], y[2560:], GLOBAL_BATCH, shuffle=False)
    result = training.fit(
        lambda: small_cnn((28, 28, 1), NUM_CLASSES, width=8, feature_dim=16, seed=0), train_data, validation_data,
        epochs=EPOCHS, steps_per_epoch=STEPS_PER_EPOCH, num_classes=NUM_CLASSES, strategy=strategy,
        loss=keras.losses.SparseCategoricalCrossentropy(from_logits=True), cache=False, progress=False,
    )
    return result, strategy


def main(argv: list[str]) -> None:
    """Train, then write this process's weights and, on the chief, the result."""
    outdir, single = Path(argv[0]), "--single" in argv[1:]
    result, strategy = train(single)
    index = 0 if single else json.loads(os.environ["TF_CONFIG"])["task"]["index"]
    name = "single" if single else f"worker{index}"
    np.savez(outdir / f"weights-{name}.npz", *result.model.get_weights())
    if index == 0:
        summary = {
            "replicas": int(strategy.num_replicas_in_sync),
            "best_epoch": result.best_epoch,
            "val_balanced_accuracy": max(result.history["val_balanced_accuracy"]),
            "seconds": result.seconds,
        }
        (outdir / f"result-{name}.json").write_text(json.dumps(summary))


if __name__ == "__main__":
    main(sys.argv[1:])
