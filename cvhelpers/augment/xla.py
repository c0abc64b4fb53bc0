"""XLA compilation under TensorFlow: the gather warp kernel and :func:`xla_compiled`.

:func:`_xla_warp` is the projective warp of :mod:`cvhelpers.augment.warp`
written as gathers and XLA-compiled (about 3x less CPU time than
TensorFlow's ``ImageProjectiveTransformV3`` kernel, same results);
:func:`xla_compiled` compiles a whole augmentation policy one layer at a time.
"""

from __future__ import annotations

import keras

_XLA_WARPS: dict = {}


def _xla_warp(interpolation: str, fill_mode: str):
    """An XLA-compiled warp ``(images, matrix, fill_value) -> images`` (TensorFlow).

    TensorFlow's ``ImageProjectiveTransformV3`` CPU kernel recomputes the
    projection and the fill mode for every channel of every pixel and cannot
    be XLA-compiled. Written as gathers, XLA fuses the coordinate arithmetic,
    the four taps and the blend into one loop: about 3x less CPU time per
    224x224 RGB image, with the same results as the kernel (to float
    round-off) for the "constant", "reflect" and "nearest" fill modes ("wrap"
    keeps the kernel, whose wrap period differs).
    """
    key = (interpolation, fill_mode)
    if key not in _XLA_WARPS:
        import tensorflow as tf

        def warp(images, matrix, fill_value):
            return _gather_warp(tf, images, matrix, fill_value, interpolation, fill_mode)

        _XLA_WARPS[key] = tf.function(warp, jit_compile=True, reduce_retracing=True)
    return _XLA_WARPS[key]


def _gather_warp(tf, images, matrix, fill_value, interpolation, fill_mode, out_dtype=None):
    """Projective warp by gathers; ``matrix`` (b, 8) maps output to input pixels.

    ``images`` may be uint8: the taps are gathered as uint8 (a quarter of the
    memory traffic) and blended in ``out_dtype`` (default: the input dtype).
    """
    shape = tf.shape(images)
    b, h, w, c = shape[0], shape[1], shape[2], shape[3]
    out_dtype = out_dtype or images.dtype
    hf, wf = tf.cast(h, tf.float32), tf.cast(w, tf.float32)
    ys, xs = tf.meshgrid(tf.range(h, dtype=tf.float32), tf.range(w, dtype=tf.float32), indexing="ij")
    m = tf.cast(matrix, tf.float32)[:, :, None, None]
    k = m[:, 6] * xs + m[:, 7] * ys + 1.0
    sx = (m[:, 0] * xs + m[:, 1] * ys + m[:, 2]) / k
    sy = (m[:, 3] * xs + m[:, 4] * ys + m[:, 5]) / k
    flat = tf.reshape(images, (-1, c))
    base = tf.reshape(tf.range(b) * h * w, (-1, 1, 1))

    def fix(index, size, sizef):
        """Map integer coordinates (float) into range by the fill mode; also a validity mask."""
        if fill_mode == "reflect":  # (d c b a | a b c d | d c b a)
            period = 2.0 * sizef
            index = tf.math.floormod(index, period)
            index = tf.where(index >= sizef, period - 1.0 - index, index)
        valid = (index >= 0.0) & (index <= sizef - 1.0)
        return tf.cast(tf.clip_by_value(index, 0.0, sizef - 1.0), tf.int32), valid

    def tap(yy, xx):
        xi, valid_x = fix(xx, w, wf)
        yi, valid_y = fix(yy, h, hf)
        values = tf.cast(tf.gather(flat, base + yi * w + xi), out_dtype)
        if fill_mode == "constant":
            values = tf.where((valid_x & valid_y)[..., None], values, tf.cast(fill_value, out_dtype))
        return values

    if interpolation == "nearest":
        out = tap(tf.round(sy), tf.round(sx))
    else:
        x0, y0 = tf.floor(sx), tf.floor(sy)
        fx, fy = (sx - x0)[..., None], (sy - y0)[..., None]
        top = tap(y0, x0) * (1.0 - fx) + tap(y0, x0 + 1.0) * fx
        bottom = tap(y0 + 1.0, x0) * (1.0 - fx) + tap(y0 + 1.0, x0 + 1.0) * fx
        out = top * (1.0 - fy) + bottom * fy
    return _barrier(tf.reshape(out, shape))


def _barrier(tensor):
    """Stop XLA from fusing (and so recomputing) the gathers into later steps.

    Without it, a following reduction (``RandomContrast``'s mean) and the
    element-wise steps each re-run the four gathers.
    """
    try:
        from tensorflow.compiler.tf2xla.python import xla
    except ImportError:  # pragma: no cover - TF without tf2xla
        return tensor
    return xla.optimization_barrier(tensor)[0]


def xla_compiled(augment):
    """An ``images -> images`` function running ``augment`` XLA-compiled.

    XLA fuses each step's arithmetic into a few loops; on a CPU this cuts the
    time per 224×224 RGB image several-fold (see
    ``benchmarks/augment_throughput.py``). A ``keras.Sequential`` policy is
    compiled **one layer at a time**: compiled as one program, XLA re-ran the
    warp's gathers inside the later steps (random erasing above all), and
    the standard policy took about 1.5 ms of CPU per 224×224 RGB image
    instead of about 1.05 ms. Pass the result as ``augment`` to
    :func:`cvhelpers.data.pipeline.make_dataset`. Random draws differ from the
    uncompiled layer's (XLA picks its own random-number algorithm) but are
    still reproducible from the seeds. Not for the label-mixing layers
    (``MixUp``, ``CutMix``).

    Parameters
    ----------
    augment : keras layer (e.g. a policy) or callable
        Called with ``training=True`` if it is a layer.

    Returns
    -------
    callable
        (b, h, w, c) float images -> same shape, float32; a ``tf.function``.
    """
    import tensorflow as tf

    if not callable(augment):
        raise TypeError(f"augment must be a Keras layer or a callable, got {augment!r}")

    def steps(step):
        if isinstance(step, keras.Sequential):
            return [inner for layer in step.layers for inner in steps(layer)]
        if getattr(step, "takes_labels", False) or type(step).__name__ in ("MixUp", "CutMix"):
            raise TypeError(f"xla_compiled takes image-only augmentations, not {type(step).__name__}")
        return [step]

    def compile_step(step):
        kwargs = {"training": True} if isinstance(step, keras.layers.Layer) else {}
        return tf.function(lambda images: step(images, **kwargs), jit_compile=True, reduce_retracing=True)

    compiled = [compile_step(step) for step in steps(augment)]

    def run(images):
        for step in compiled:
            images = step(images)
        return images

    return tf.function(run, reduce_retracing=True)
