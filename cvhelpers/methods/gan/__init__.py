"""A conditional DCGAN for minority-class synthesis, and honest quality measures.

Used in notebook 06. Every public name is re-exported here, so
``from cvhelpers import gan; gan.train_conditional_gan(...)`` works.

Modules
-------
networks
    :func:`build_generator` and the projection discriminator
    :func:`build_discriminator` (spectral norm, optional AC-GAN class head).
diffaugment
    :func:`diff_augment`: differentiable translation and cutout (DiffAugment).
model
    :class:`ConditionalGAN`: a ``keras.Model`` whose ``train_step`` trains both
    networks.
callbacks
    :class:`SampleGrid` and :class:`FrechetCurve` for ``fit``.
training
    :func:`train_conditional_gan` (cached), :class:`GANResult`,
    :func:`load_generator`.
sampling
    :func:`generate`, :func:`class_grid`, :func:`plot_class_grid`,
    :func:`top_up_with_synthetic`.
judge
    Measuring a generator through a classifier trained on real data:
    :func:`judge_features`, :func:`judge_predictions`,
    :func:`split_in_halves`, :func:`frechet_per_class`,
    :func:`measure_generator` (:class:`GeneratorMeasures`),
    :func:`with_reference_columns`.
metrics
    Generic measures on feature vectors, independent of the GAN:
    :func:`gaussian_frechet_distance`, :func:`frechet_distance`,
    :func:`precision_recall`, :func:`label_faithfulness`, :func:`diversity`,
    :func:`per_class_quality`.
"""

from cvhelpers.methods.gan.callbacks import FrechetCurve, SampleGrid
from cvhelpers.methods.gan.diffaugment import DIFF_AUGMENT_POLICIES as DIFF_AUGMENT_POLICIES
from cvhelpers.methods.gan.diffaugment import diff_augment
from cvhelpers.methods.gan.judge import (
    GeneratorMeasures,
    frechet_per_class,
    judge_features,
    judge_predictions,
    measure_generator,
    split_in_halves,
    with_reference_columns,
)
from cvhelpers.methods.gan.model import ConditionalGAN
from cvhelpers.methods.gan.networks import build_discriminator, build_generator
from cvhelpers.methods.gan.sampling import class_grid, generate, plot_class_grid, top_up_with_synthetic
from cvhelpers.methods.gan.training import GANResult, load_generator, train_conditional_gan
from cvhelpers.metrics.generative import (
    diversity,
    frechet_distance,
    gaussian_frechet_distance,
    label_faithfulness,
    per_class_quality,
    precision_recall,
)

__all__ = [
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
