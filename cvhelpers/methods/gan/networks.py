"""The conditional generator and the projection discriminator.

Both networks get the class as a learned embedding:

* the generator (:func:`build_generator`) concatenates the noise with the
  class embedding and adds a 7x7 class map to its first feature map;
* the discriminator (:func:`build_discriminator`) is a *projection*
  discriminator (Miyato & Koyama 2018): its logit is
  ``w . h(x) + embed(y) . h(x)``, plus an optional auxiliary classifier head
  (AC-GAN, Odena et al. 2017) that pushes the generator to make images of the
  *conditioned* class.

**Spectral normalisation** of the discriminator's convolutions and dense
layers (``keras.layers.SpectralNormalization``) is a Lipschitz bound that
costs one power iteration per step. A gradient penalty would need a second
backward pass, about doubling the cost of a CPU step, so we left it out.

Only built-in layers, so both save to ``.keras`` and load with
``safe_mode=True``.
"""

from __future__ import annotations

import keras
from keras import layers

from cvhelpers.validation import check_positive_int, check_seed

__all__ = ["build_generator", "build_discriminator"]


def _check_image_shape(image_shape, multiple: int = 1) -> tuple:
    """``image_shape`` as a tuple (h, w, c) of positive ints, h and w divisible by ``multiple``."""
    if isinstance(image_shape, (str, bytes)) or not hasattr(image_shape, "__len__") or len(image_shape) != 3:
        raise ValueError(f"image_shape must be (h, w, c), got {image_shape!r}")
    shape = tuple(check_positive_int(side, "image_shape") for side in image_shape)
    if shape[0] % multiple or shape[1] % multiple:
        raise ValueError(f"image_shape must be (h, w, c) with h and w divisible by {multiple}, got {image_shape}")
    return shape


def _init(seed, offset):
    return keras.initializers.GlorotUniform(seed=None if seed is None else seed + offset)


def build_generator(
    latent_dim: int = 64,
    num_classes: int = 10,
    width: int = 64,
    embed_dim: int = 16,
    image_shape=(28, 28, 1),
    seed: int | None = None,
    name: str = "generator",
) -> keras.Model:
    """A small conditional DCGAN generator (about 0.3M parameters by default).

    (noise, label) -> Dense to 7x7x``width`` (+ a 7x7 class map) -> two
    stride-2 transposed convolutions with BatchNorm and ReLU -> a 3x3
    convolution with ``tanh``. Only built-in layers, so it saves to ``.keras``
    and loads with ``safe_mode=True``.

    Parameters
    ----------
    latent_dim : int, default=64
        Size of the noise vector.
    num_classes : int, default=10
    width : int, default=64
        Channels of the 7x7 map; the 14x14 and 28x28 maps have half and a
        quarter of it. The TensorFlow DCGAN tutorial's 256 channels train
        about 8x slower on a CPU.
    embed_dim : int, default=16
        Size of the class embedding.
    image_shape : tuple, default=(28, 28, 1)
        (h, w, c) with h and w divisible by 4.
    seed : int, optional
        Seeds the initializers.

    Returns
    -------
    keras.Model
        Inputs ``[noise (b, latent_dim) float32, labels (b,) int]``, output
        images (b, h, w, c) float32 in [-1, 1].
    """
    latent_dim = check_positive_int(latent_dim, "latent_dim")
    num_classes = check_positive_int(num_classes, "num_classes")
    width = check_positive_int(width, "width")
    embed_dim = check_positive_int(embed_dim, "embed_dim")
    image_shape = _check_image_shape(image_shape, 4)
    seed = check_seed(seed, optional=True)
    if width < 4:
        raise ValueError(f"width must be at least 4, got {width}")
    h0, w0 = image_shape[0] // 4, image_shape[1] // 4
    noise = keras.Input((latent_dim,), name="noise")
    labels = keras.Input((), dtype="int32", name="labels")
    embedding = layers.Embedding(
        num_classes,
        embed_dim,
        embeddings_initializer=keras.initializers.RandomNormal(seed=seed),
        name="class_embedding",
    )(labels)
    x = layers.Concatenate(name="noise_and_class")([noise, embedding])
    x = layers.Dense(h0 * w0 * width, use_bias=False, kernel_initializer=_init(seed, 1), name="project")(x)
    x = layers.BatchNormalization(name="project_bn")(x)
    x = layers.ReLU(name="project_relu")(x)
    x = layers.Reshape((h0, w0, width), name="to_map")(x)
    class_map = layers.Dense(h0 * w0, kernel_initializer=_init(seed, 2), name="class_map")(embedding)
    class_map = layers.Reshape((h0, w0, 1), name="class_map_2d")(class_map)
    x = layers.Concatenate(name="map_and_class")([x, class_map])
    for block, filters in enumerate((width // 2, width // 4)):
        x = layers.Conv2DTranspose(
            filters, 4, strides=2, padding="same", use_bias=False, kernel_initializer=_init(seed, 3 + block),
            name=f"up{block + 1}",
        )(x)
        x = layers.BatchNormalization(name=f"up{block + 1}_bn")(x)
        x = layers.ReLU(name=f"up{block + 1}_relu")(x)
    images = layers.Conv2D(
        image_shape[-1], 3, padding="same", activation="tanh", kernel_initializer=_init(seed, 6), name="to_image"
    )(x)
    return keras.Model([noise, labels], images, name=name)


def build_discriminator(
    num_classes: int = 10,
    width: int = 64,
    image_shape=(28, 28, 1),
    spectral_norm: bool = True,
    auxiliary_classifier: bool = True,
    seed: int | None = None,
    name: str = "discriminator",
) -> keras.Model:
    """A projection discriminator with optional spectral norm and class head.

    images -> Conv 4x4/2 (``width``) -> Conv 4x4/2 (``2 width``), each with
    LeakyReLU(0.2) -> flatten to features h (7x7x2 ``width``). The real/fake
    logit is ``Dense(1)(h) + sum(embed(y) * h)``; the optional class head is
    ``Dense(C)(h)``.

    Parameters
    ----------
    num_classes : int, default=10
    width : int, default=64
    image_shape : tuple, default=(28, 28, 1)
    spectral_norm : bool, default=True
        Wrap every convolution and dense layer in
        ``keras.layers.SpectralNormalization``.
    auxiliary_classifier : bool, default=True
        Add a second output: class logits (b, num_classes) from h.
    seed : int, optional

    Returns
    -------
    keras.Model
        Inputs ``[images (b, h, w, c) float32 in [-1, 1], labels (b,) int]``;
        outputs ``[logit (b, 1)]`` or ``[logit (b, 1), class_logits (b, C)]``.
    """
    num_classes = check_positive_int(num_classes, "num_classes")
    width = check_positive_int(width, "width")
    if width < 2:
        raise ValueError(f"width must be at least 2, got {width}")
    image_shape = _check_image_shape(image_shape)
    seed = check_seed(seed, optional=True)

    def wrap(layer):
        return layers.SpectralNormalization(layer, name=f"sn_{layer.name}") if spectral_norm else layer

    images = keras.Input(image_shape, name="images")
    labels = keras.Input((), dtype="int32", name="labels")
    x = images
    for index, filters in enumerate((width, 2 * width)):
        conv = layers.Conv2D(
            filters, 4, strides=2, padding="same", kernel_initializer=_init(seed, 10 + index), name=f"conv{index + 1}"
        )
        x = wrap(conv)(x)
        x = layers.LeakyReLU(0.2, name=f"conv{index + 1}_lrelu")(x)
    features = layers.Flatten(name="flatten")(x)
    logit = wrap(layers.Dense(1, kernel_initializer=_init(seed, 20), name="real_fake"))(features)
    embedded = layers.Embedding(
        num_classes, features.shape[-1], embeddings_initializer=keras.initializers.RandomNormal(stddev=0.02, seed=seed),
        name="projection",
    )(labels)
    projection = layers.Dot(axes=1, name="project")([embedded, features])
    logit = layers.Add(name="logit")([logit, projection])
    outputs = [logit]
    if auxiliary_classifier:
        # No spectral norm here: the class head must be free to grow confident logits.
        outputs.append(layers.Dense(num_classes, kernel_initializer=_init(seed, 21), name="class_logits")(features))
    return keras.Model([images, labels], outputs, name=name)
