"""Bad-input rows: cvhelpers.methods (metric losses, SimCLR, SupCon, the GAN, Siamese networks)."""

import functools

import numpy as np

from bad_input_table import Correct, Refused

ML = "cvhelpers.methods.metric_losses."
SELFSUP = "cvhelpers.methods.selfsup."
SUPCON = "cvhelpers.methods.supcon."
GAN = "cvhelpers.methods.gan."
SIAMESE = "cvhelpers.methods.siamese."

NAN = float("nan")


def _eye(n=4):
    return np.eye(n, dtype="float32")


@functools.cache
def _generator():
    """A tiny conditional generator of 4x4 images in 2 classes, built once."""
    from cvhelpers.methods.gan import build_generator

    return build_generator(latent_dim=2, num_classes=2, width=4, embed_dim=2, image_shape=(4, 4, 1), seed=0)


def _episodes():
    from cvhelpers.methods.siamese import sample_episodes

    y = np.repeat(np.arange(3), 2)
    return sample_episodes(y, 2, episodes=3, seed=0)


def _query_out_of_range(f):
    support, query, query_class = _episodes()
    return f(np.eye(6), support, query + 6, query_class)


def _tiny_faces():
    return np.zeros((8, 8, 8), np.uint8), np.repeat(np.arange(4), 2)


METRIC_LOSSES = [
    Refused(ML + "triplet_semihard_loss", "NaN margin", lambda f: f([0, 0, 1, 1], _eye(), margin=NAN), ValueError,
            "margin"),
    Refused(ML + "triplet_semihard_loss", "1 label for 4 embeddings", lambda f: f([0], _eye()), ValueError, "y_true"),
    Refused(ML + "triplet_hard_loss", "1 label for 4 embeddings", lambda f: f([0], _eye()), ValueError, "y_true"),
    Refused(ML + "triplet_hard_loss", "an empty batch", lambda f: f(np.zeros(0, int), np.zeros((0, 3), "float32")),
            ValueError, "y_pred"),
    Refused(ML + "triplet_batch_all_loss", "1 label for 4 embeddings", lambda f: f([0], _eye()), ValueError,
            "y_true"),
    Refused(ML + "contrastive_loss", "1 label for 3 pairs", lambda f: f([1], [0.5, 0.2, 0.3]), ValueError, "y_true"),
    Refused(ML + "contrastive_loss", "inf margin", lambda f: f([1, 0], [0.5, 0.2], margin=float("inf")), ValueError,
            "margin"),
    Refused(ML + "pairwise_distance", "a vector", lambda f: f(np.ones(3, "float32")), ValueError, "feature"),
    Refused(ML + "angular_distance", "a vector", lambda f: f(np.ones(3, "float32")), ValueError, "feature"),
    Refused(ML + "TripletSemiHardLoss", "NaN margin", lambda f: f(margin=NAN), ValueError, "margin"),
    Refused(ML + "TripletHardLoss", "inf margin", lambda f: f(margin=float("inf")), ValueError, "margin"),
    Refused(ML + "TripletBatchAllLoss", "negative margin", lambda f: f(margin=-1.0), ValueError, "margin"),
    Refused(ML + "ContrastiveLoss", "NaN margin", lambda f: f(margin=NAN), ValueError, "margin"),
]

SELF_SUPERVISED = [
    Refused(SELFSUP + "nt_xent", "NaN temperature", lambda f: f(_eye(), _eye(), NAN), ValueError, "temperature"),
    Refused(SELFSUP + "nt_xent", "one image", lambda f: f(_eye(1), _eye(1)), ValueError, "z1 and z2"),
    Refused(SELFSUP + "two_views", "no augmentation", lambda f: f(None, np.zeros((2, 4, 4, 1), "float32")), TypeError,
            "augment"),
    Refused(SELFSUP + "projection_head", "zero hidden units", lambda f: f(8, hidden_dim=0), ValueError, "hidden_dim"),
    Refused(SELFSUP + "SimCLR", "a string for the encoder", lambda f: f("encoder"), TypeError, "encoder"),
    Refused(SELFSUP + "PretrainResult", "history as a list", lambda f: f(None, [], 1.0, 10.0, 4), TypeError,
            "history"),
    Refused(SELFSUP + "pretrain_simclr", "NaN learning rate",
            lambda f: f(np.zeros((4, 8, 8), np.uint8), batch_size=2, learning_rate=NAN, cache=False), ValueError,
            "learning_rate"),
    Refused(SELFSUP + "classifier_from_encoder", "no encoder", lambda f: f(None, 10), TypeError, "encoder"),
    Refused(SUPCON + "supervised_contrastive_loss", "inf temperature",
            lambda f: f([0, 0, 1], np.ones((3, 2), "float32"), float("inf")), ValueError, "temperature"),
    Refused(SUPCON + "supervised_contrastive_loss", "3 labels for 4 embeddings",
            lambda f: f([0, 0, 1], np.ones((4, 2), "float32")), ValueError, "labels"),
    Refused(SUPCON + "SupConHybrid", "a string for the network", lambda f: f("cnn", lambda x: x), TypeError,
            "network"),
]

GANS = [
    Refused(GAN + "networks.build_generator", "h not divisible by 4", lambda f: f(image_shape=(30, 30, 1)), ValueError,
            "image_shape"),
    Refused(GAN + "networks.build_discriminator", "a float width", lambda f: f(width=8.0), ValueError, "width"),
    Refused(GAN + "diffaugment.diff_augment", "NaN translation",
            lambda f: f(np.zeros((1, 4, 4, 1), "float32"), translation=NAN), ValueError, "translation"),
    Refused(GAN + "model.ConditionalGAN", "strings for the networks", lambda f: f("g", "d"), TypeError, "generator"),
    Refused(GAN + "callbacks.SampleGrid", "every 0 epochs", lambda f: f(3, every=0), ValueError, "every"),
    Refused(GAN + "callbacks.FrechetCurve", "NaN features", lambda f: f(len, np.full((4, 2), NAN), [0, 0, 1, 1]),
            ValueError, "real_features"),
    Refused(GAN + "training.GANResult", "history as a list", lambda f: f(None, [], 1.0, 10, 10.0), TypeError,
            "history"),
    Refused(GAN + "training.train_conditional_gan", "NaN learning rate",
            lambda f: f(np.zeros((4, 8, 8), np.uint8), [0, 1, 0, 1], learning_rate=NAN, cache=False), ValueError,
            "learning_rate"),
    Refused(GAN + "training.train_conditional_gan", "a negative label",
            lambda f: f(np.zeros((4, 8, 8), np.uint8), [0, -1, 0, 1], cache=False), ValueError, "y"),
    Refused(GAN + "training.load_generator", "a missing file", lambda f: f("/nonexistent/generator.keras"),
            ValueError, "generator.keras"),
    Refused(GAN + "sampling.generate", "a label beyond the classes", lambda f: f(_generator(), [0, 2]), ValueError,
            "labels"),
    Refused(GAN + "sampling.generate", "fractional labels", lambda f: f(_generator(), [0, 1.5]), ValueError, "labels"),
    Refused(GAN + "sampling.class_grid", "no generator", lambda f: f(None, 3), TypeError, "generator"),
    Refused(GAN + "sampling.class_grid", "zero per class", lambda f: f(_generator(), 2, per_class=0), ValueError,
            "per_class"),
    Refused(GAN + "sampling.plot_class_grid", "a 3-D grid", lambda f: f(np.zeros((2, 4, 4), np.uint8)), ValueError,
            "grid"),
    Refused(GAN + "sampling.top_up_with_synthetic", "more labels than images",
            lambda f: f(np.zeros((2, 4, 4), np.uint8), [0, 1, 1], _generator(), target=2), ValueError, "y"),
    Refused(GAN + "judge.judge_features", "no encoder", lambda f: f(None, np.zeros((1, 2, 2), np.uint8)), TypeError,
            "encoder"),
    Refused(GAN + "judge.judge_predictions", "no classifier", lambda f: f(None, np.zeros((1, 2, 2), np.uint8)),
            TypeError, "classifier"),
    Refused(GAN + "judge.split_in_halves", "labels of another length", lambda f: f(np.zeros((4, 2)), [0, 1]),
            ValueError, "labels"),
    Refused(GAN + "judge.frechet_per_class", "NaN features",
            lambda f: f(np.full((4, 2), NAN), [0, 0, 1, 1], np.zeros((4, 2)), [0, 0, 1, 1]), ValueError,
            "features_a"),
    Refused(GAN + "judge.measure_generator", "zero per class",
            lambda f: f(None, None, None, np.zeros((4, 2)), [0, 0, 1, 1], 0, num_classes=2), ValueError, "per_class"),
    Refused(GAN + "judge.with_reference_columns", "a dict for the table", lambda f: f({"frechet": [1.0]}), TypeError,
            "table"),
]

SIAMESE_ROWS = [
    Refused(SIAMESE + "networks.embedding_network", "zero dimensions", lambda f: f(embedding_dim=0), ValueError,
            "embedding_dim"),
    Refused(SIAMESE + "networks.siamese_pair_model", "a function for the embedding", lambda f: f(lambda x: x),
            TypeError, "embedding"),
    Refused(SIAMESE + "batches.PKBatches", "k of 1", lambda f: f(np.zeros((4, 4, 4), np.uint8), [0, 0, 1, 1], p=2, k=1),
            ValueError, "k"),
    Refused(SIAMESE + "batches.PairBatches", "labels of another length",
            lambda f: f(np.zeros((4, 4, 4), np.uint8), [0, 1]), ValueError, "x and y"),
    Refused(SIAMESE + "batches.make_pairs", "NaN positive fraction", lambda f: f([0, 0, 1, 1], 4, NAN), ValueError,
            "positive_fraction"),
    Refused(SIAMESE + "training.cosine_adam", "NaN learning rate", lambda f: f(NAN, 10), ValueError, "learning_rate"),
    Refused(SIAMESE + "training.fit_triplet", "a negative seed",
            lambda f: f(None, np.zeros((4, 4, 4), np.uint8), [0, 0, 1, 1], None, steps=1, log_every=1, seed=-1),
            ValueError, "seed"),
    Refused(SIAMESE + "training.fit_pairs", "fewer steps than log_every",
            lambda f: f(None, np.zeros((4, 4, 4), np.uint8), [0, 0, 1, 1], None, steps=1), ValueError, "steps"),
    Refused(SIAMESE + "features.embed", "no model", lambda f: f(None, np.zeros((1, 4, 4), np.uint8)), TypeError,
            "model"),
    Refused(SIAMESE + "features.pixel_features", "no images", lambda f: f(np.zeros((0, 4, 4), np.uint8)), ValueError,
            "x"),
    Refused(SIAMESE + "collapse.embedding_spread", "NaN embeddings", lambda f: f(np.full((2, 3), NAN)), ValueError,
            "features"),
    Refused(SIAMESE + "collapse.compare_mining", "no runs",
            lambda f: f({}, np.zeros((4, 4, 4)), [0, 0, 1, 1], probe=np.zeros((2, 4, 4)), steps=1), ValueError, "runs"),
    Refused(SIAMESE + "roc.verification_roc", "NaN distances", lambda f: f([NAN, 0.5], [1, 0]), ValueError,
            "distances"),
    Refused(SIAMESE + "roc.plot_verification", "one bin edge", lambda f: f({"a": [0.1, 0.9]}, [1, 0], bins=1),
            ValueError, "bins"),
    Refused(SIAMESE + "episodes.sample_episodes", "1-way", lambda f: f([0, 0, 1, 1], 1), ValueError, "n_way"),
    Refused(SIAMESE + "episodes.episode_accuracy", "query indices beyond the features", _query_out_of_range,
            ValueError, "query"),
    Refused(SIAMESE + "episodes.mean_ci", "a NaN accuracy", lambda f: f([0.5, NAN, 1.0]), ValueError, "values"),
    Correct(SIAMESE + "episodes.mean_ci", "two equal values", lambda f: f([0.5, 0.5]), lambda r: r == (0.5, 0.0)),
    Refused(SIAMESE + "experiment.one_shot_experiment", "labels of another length",
            lambda f: f(_tiny_faces()[0], _tiny_faces()[1][:7], n_test_classes=2), ValueError, "labels"),
    Refused(SIAMESE + "experiment.one_shot_experiment", "a float class count",
            lambda f: f(*_tiny_faces(), n_test_classes=2.0), ValueError, "n_test_classes"),
]

ROWS = METRIC_LOSSES + SELF_SUPERVISED + GANS + SIAMESE_ROWS

EXEMPT = {
    GAN + "judge.GeneratorMeasures": "a NamedTuple that holds what measure_generator returns; it takes the four "
                                     "results as given, has no logic of its own, and measure_generator checks them",
}
