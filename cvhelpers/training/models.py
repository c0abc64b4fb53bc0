"""Small Keras 3 models for the course.

Every classifier is an *encoder* (images to features) followed by a linear
*classifier* layer named ``"classifier"`` that outputs logits, so two-stage
methods (classifier re-training, notebook 05) can freeze one and re-train the
other. Losses in the course take ``from_logits=True``.

Used in notebooks 02-08.
"""

from __future__ import annotations

import keras
from keras import layers

from cvhelpers.validation import check_number, check_positive_int, check_seed

__all__ = ["small_cnn", "small_encoder", "classifier_head", "encoder_of"]


def small_encoder(
    input_shape=(28, 28, 1),
    width: int = 32,
    feature_dim: int = 128,
    padding: str = "valid",
    seed: int | None = None,
    name: str = "encoder",
) -> keras.Model:
    """A 4-convolution encoder: two blocks of two 3x3 convs, then a dense layer.

    'valid' padding and no BatchNorm keep it fast on a CPU ('same' padding
    trained about 2.4x slower on a 2-core CPU) and make every method see the
    same, simple representation learner.

    Parameters
    ----------
    input_shape : tuple, default=(28, 28, 1)
        (h, w, c) of float32 images in [0, 1].
    width : int, default=32
        Filters in the first block; the second has twice as many.
    feature_dim : int, default=128
        Size of the feature vector.
    padding : {"valid", "same"}
    seed : int, optional
        Seeds the initializers, so the same seed builds the same weights.

    Returns
    -------
    keras.Model
        Maps (b, h, w, c) to (b, feature_dim) ReLU features.

    Raises
    ------
    ValueError
        Naming the argument: an unknown ``padding``, ``width`` or
        ``feature_dim`` that is not a positive int, a negative or non-int
        ``seed``, or an ``input_shape`` that is not (h, w, c) with images
        large enough for the two pooling blocks (16 pixels a side with
        'valid' padding, 4 with 'same').
    """
    _check_encoder_arguments(input_shape, width, feature_dim, padding, seed)

    def init(offset):
        return keras.initializers.GlorotUniform(seed=None if seed is None else seed + offset)

    inputs = keras.Input(shape=input_shape, name="images")
    x = inputs
    for block, filters in enumerate((width, 2 * width)):
        for conv in range(2):
            x = layers.Conv2D(
                filters, 3, padding=padding, activation="relu", kernel_initializer=init(2 * block + conv),
                name=f"conv{block + 1}_{conv + 1}",
            )(x)
        x = layers.MaxPooling2D(name=f"pool{block + 1}")(x)
    x = layers.Flatten(name="flatten")(x)
    features = layers.Dense(feature_dim, activation="relu", kernel_initializer=init(10), name="features")(x)
    return keras.Model(inputs, features, name=name)


def _check_encoder_arguments(input_shape, width, feature_dim, padding, seed):
    if padding not in ("valid", "same"):
        raise ValueError(f"padding must be 'valid' or 'same', got {padding!r}")
    check_positive_int(width, "width")
    check_positive_int(feature_dim, "feature_dim")
    if seed is not None:
        check_seed(seed)
    smallest = 16 if padding == "valid" else 4
    if not isinstance(input_shape, (tuple, list)) or len(input_shape) != 3:
        raise ValueError(f"input_shape must be (height, width, channels), got {input_shape!r}")
    for side, name in zip(input_shape, ("height", "width", "channels"), strict=True):
        check_positive_int(side, f"input_shape's {name}", smallest=1 if name == "channels" else smallest)


def classifier_head(num_classes: int, seed: int | None = None, name: str = "classifier") -> layers.Dense:
    """The linear layer from features to ``num_classes`` logits.

    Raises
    ------
    ValueError
        When ``num_classes`` is not an int >= 2 or ``seed`` is negative or not an int.
    """
    check_positive_int(num_classes, "num_classes", smallest=2)
    if seed is not None:
        check_seed(seed)
    return layers.Dense(
        num_classes,
        kernel_initializer=keras.initializers.GlorotUniform(seed=None if seed is None else seed + 20),
        name=name,
    )


def small_cnn(
    input_shape=(28, 28, 1),
    num_classes: int = 10,
    width: int = 32,
    feature_dim: int = 128,
    dropout: float = 0.0,
    padding: str = "valid",
    seed: int | None = None,
    name: str = "small_cnn",
) -> keras.Model:
    """The course classifier: :func:`small_encoder` + dropout + linear logits.

    Parameters
    ----------
    input_shape : tuple, default=(28, 28, 1)
    num_classes : int, default=10
    width, feature_dim, padding, seed
        As in :func:`small_encoder`.
    dropout : float, default=0.0
        Dropout before the classifier.

    Returns
    -------
    keras.Model
        (b, h, w, c) float32 images to (b, num_classes) logits. Its layer
        ``"encoder"`` is the feature extractor and ``"classifier"`` the head.

    Examples
    --------
    >>> model = small_cnn(seed=0)
    >>> model.output_shape
    (None, 10)

    Raises
    ------
    TypeError, ValueError
        Naming the argument: ``num_classes`` that is not an int >= 2,
        ``dropout`` outside [0, 1), or any of :func:`small_encoder`'s.
    """
    check_positive_int(num_classes, "num_classes", smallest=2)
    if check_number(dropout, "dropout", low=0.0) >= 1.0:
        raise ValueError(f"dropout must be in [0, 1), got {dropout}")
    _check_encoder_arguments(input_shape, width, feature_dim, padding, seed)
    encoder = small_encoder(input_shape, width, feature_dim, padding, seed)
    inputs = keras.Input(shape=input_shape, name="images")
    features = encoder(inputs)
    if dropout:
        features = layers.Dropout(dropout, seed=seed, name="dropout")(features)
    logits = classifier_head(num_classes, seed)(features)
    return keras.Model(inputs, logits, name=name)


def encoder_of(model: keras.Model) -> keras.Model:
    """The ``"encoder"`` sub-model of a :func:`small_cnn`-style classifier.

    Raises
    ------
    TypeError
        When ``model`` is not a ``keras.Model``.
    ValueError
        When it has no layer named ``"encoder"``.
    """
    if not isinstance(model, keras.Model):
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")
    try:
        return model.get_layer("encoder")
    except ValueError as error:
        raise ValueError(f"model {model.name!r} has no layer named 'encoder'") from error
