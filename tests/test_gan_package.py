"""Tests for the layout of cvhelpers.methods.gan: re-exports, Keras registration, and the cache key's modules."""

import keras
import numpy as np
import pytest

from cvhelpers import cache
from cvhelpers.cache import fingerprint
from cvhelpers.methods import gan

PUBLIC = [
    "build_generator",
    "build_discriminator",
    "diff_augment",
    "ConditionalGAN",
    "SampleGrid",
    "FrechetCurve",
    "GANResult",
    "train_conditional_gan",
    "load_generator",
    "generate",
    "class_grid",
    "plot_class_grid",
    "gaussian_frechet_distance",
    "frechet_distance",
    "precision_recall",
    "label_faithfulness",
    "diversity",
    "per_class_quality",
    "top_up_with_synthetic",
    "GeneratorMeasures",
    "judge_features",
    "judge_predictions",
    "split_in_halves",
    "frechet_per_class",
    "measure_generator",
    "with_reference_columns",
]

def test_package_re_exports_every_public_name():
    assert gan.__all__ == PUBLIC
    for name in PUBLIC + ["DIFF_AUGMENT_POLICIES"]:
        assert getattr(gan, name) is not None, name
    assert gan.DIFF_AUGMENT_POLICIES == ("translation", "cutout")


def test_conditional_gan_keeps_its_keras_registration(tmp_path):
    assert keras.saving.get_registered_name(gan.ConditionalGAN) == "cvhelpers>ConditionalGAN"
    assert keras.saving.get_registered_object("cvhelpers>ConditionalGAN") is gan.ConditionalGAN
    generator = gan.build_generator(latent_dim=4, num_classes=2, width=4, embed_dim=2, seed=0)
    model = gan.ConditionalGAN(generator, gan.build_discriminator(num_classes=2, width=4, seed=0), latent_dim=4)
    noise, labels = np.zeros((2, 4), np.float32), np.array([0, 1])
    model([noise, labels])
    model.save(tmp_path / "gan.keras")
    loaded = keras.saving.load_model(tmp_path / "gan.keras", compile=False)
    assert isinstance(loaded, gan.ConditionalGAN)
    np.testing.assert_allclose(
        keras.ops.convert_to_numpy(loaded([noise, labels])),
        keras.ops.convert_to_numpy(model([noise, labels])),
        atol=1e-6,
    )


@pytest.mark.parametrize(
    "edited, retrains",
    [
        ("cvhelpers.methods.gan.networks", True),
        ("cvhelpers.methods.gan.model", True),
        ("cvhelpers.methods.gan.diffaugment", True),
        ("cvhelpers.methods.gan.training", True),
        ("cvhelpers.data.pipeline", True),  # the GAN's batches come from it
        ("cvhelpers.methods.gan.judge", False),  # measures a trained generator, does not decide it
        ("cvhelpers.eda.pixels", False),
        ("cvhelpers.cache.store", False),
    ],
)
def test_the_gan_key_follows_the_modules_that_decide_the_gan(monkeypatch, edited, retrains):
    import cvhelpers.eda  # noqa: F401  (so the unrelated module is loaded)

    before = cache.source_fingerprint(gan.train_conditional_gan)
    getsource = fingerprint.inspect.getsource

    def edited_source(module):
        text = getsource(module)
        return text + "\n# edited\n" if module.__name__ == edited else text

    monkeypatch.setattr(fingerprint.inspect, "getsource", edited_source)
    assert (cache.source_fingerprint(gan.train_conditional_gan) != before) is retrains


def test_integer_arguments_are_checked_by_the_shared_validation_module():
    import importlib.util

    assert importlib.util.find_spec("cvhelpers._checks") is None
    assert not hasattr(gan, "_check_positive_int")
    with pytest.raises(ValueError, match="steps must be an int >= 1"):
        gan.train_conditional_gan(np.zeros((2, 28, 28), np.uint8), [0, 1], steps=2.0, cache=False)
