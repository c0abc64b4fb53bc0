"""cvhelpers: the tested helper package behind the cvlab course notebooks.

One subpackage per concern; import what you need, e.g.
``from cvhelpers.data import load_fashion_mnist_lt`` or ``from cvhelpers import metrics``.
Importing the package has no side effects: no seeding, no downloads, no prints.

data
    Datasets (Fashion-MNIST, Fashion-MNIST-LT, your image folder, glyph
    alphabets, faces), their offline sources, ``tf.data`` pipelines, sampling.
augment
    Augmentation layers and policies, resampling with augmented copies.
eda
    Image statistics and plots for exploring a dataset.
training
    The one ``fit``, second stages (cRT, fine-tuning, DRW), models, losses.
methods
    Self-supervised (SimCLR), SupCon, GAN synthesis, Siamese one-shot.
metrics
    Classification reports, generative quality, few-shot verification.
cache
    The model cache: keys derived from what is trained, atomic entries.
experiment
    The shared protocol that notebooks 03-06 and 08 compare methods by.
plots, progress, paths
    Figures, progress bars, the checkout's folders.
course
    Course tooling apart from the library: notebook parameters, records,
    the runner, the lab.
"""

__version__ = "0.1.0"
