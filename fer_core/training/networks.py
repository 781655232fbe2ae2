"""The Keras network we train on FER2013 (imports TensorFlow: training and evaluation only).

Contract of every saved model: raw 48x48 grayscale pixels, 0-255, float32, shape (N, 48, 48, 1) in;
7 probabilities in the order of :data:`fer_core.labels.EMOTIONS` out. Scaling lives inside the model.
"""
from __future__ import annotations

import keras
import numpy as np
from keras import layers

from fer_core.faces import FACE_SIZE
from fer_core.labels import EMOTIONS
from fer_core.training.recipe import Recipe


def augmentation(seed: int | None = None, erasing: bool = False, flip_only: bool = False) -> keras.Sequential:
    """Random changes a face can undergo without changing its expression (in the training graph; float32
    even under mixed precision, so pixels keep their 256 levels). ``flip_only``: the mirror alone.

    Random erasing is off by default: with it, fer_cnn ended at 73% train accuracy, still rising (under-fit).
    """
    kinds = [(layers.RandomFlip, {"mode": "horizontal"})]
    if not flip_only:
        kinds += [
            (layers.RandomRotation, {"factor": 0.04, "fill_mode": "reflect"}),  # about ±15 degrees
            (layers.RandomZoom, {"height_factor": (-0.15, 0.15), "fill_mode": "reflect"}),
            (layers.RandomTranslation, {"height_factor": 0.1, "width_factor": 0.1, "fill_mode": "reflect"}),
            (layers.RandomContrast, {"factor": 0.3}),
        ]
    if erasing:
        kinds.append((layers.RandomErasing, {"factor": 0.5, "scale": (0.02, 0.12), "value_range": (0, 255)}))
    # A seed of its own for each layer, else they all draw the same numbers (flips would follow rotations).
    changes = [kind(**options, seed=None if seed is None else seed + i, dtype="float32")
               for i, (kind, options) in enumerate(kinds)]
    return allow_xla(keras.Sequential(changes, name="augmentation"))


def allow_xla(model: keras.Model) -> keras.Model:
    """Keras marks its affine augmentation layers unfit for XLA because TensorFlow's kernel is; JAX's
    compiles, and without XLA each JAX training step runs op by op, about 100x slower. (Call it again on
    a model loaded from a file: loading resets the mark.)"""
    if keras.backend.backend() == "jax":
        for layer in _nested_layers(model):
            layer.supports_jit = True
        if model.compiled:  # loaded with its optimizer: compile settled jit_compile before the mark changed
            model.jit_compile = True
    return model


def _nested_layers(model: keras.Model):
    for layer in model.layers:
        yield layer
        if isinstance(layer, keras.Model):
            yield from _nested_layers(layer)


def build_cnn(width: int = Recipe.width, spatial_dropout: float = Recipe.spatial_dropout,
              dropout: float = 0.4) -> keras.Model:
    """A VGG-style CNN: four stages of two 3x3 conv + batch norm, widths width..8*width.

    At width 32 it has about 1.2M parameters and costs about 120M multiply-adds a face: the most
    accuracy per CPU-hour among the sizes we measured on two cores (see models/*/model.md).
    """
    inputs = keras.Input((FACE_SIZE, FACE_SIZE, 1), name="pixels")
    x = layers.Rescaling(1.0 / 255.0, name="scale")(inputs)
    for stage, filters in enumerate((width, 2 * width, 4 * width, 8 * width)):
        for conv in range(2):
            x = layers.Conv2D(filters, 3, padding="same", use_bias=False, name=f"conv{stage}_{conv}")(x)
            x = layers.BatchNormalization(name=f"bn{stage}_{conv}")(x)
            x = layers.ReLU(name=f"relu{stage}_{conv}")(x)
        x = layers.MaxPooling2D(name=f"pool{stage}")(x)
        if spatial_dropout:
            x = layers.SpatialDropout2D(spatial_dropout, name=f"drop{stage}")(x)
    x = layers.Flatten(name="flatten")(x)
    x = layers.Dense(8 * width, use_bias=False, name="fc")(x)
    x = layers.BatchNormalization(name="bn_fc")(x)
    x = layers.ReLU(name="relu_fc")(x)
    x = layers.Dropout(dropout, name="drop_fc")(x)
    x = layers.Dense(len(EMOTIONS), name="logits")(x)
    # float32 softmax keeps probabilities exact under mixed precision.
    outputs = layers.Activation("softmax", dtype="float32", name="probs")(x)
    return keras.Model(inputs, outputs, name=f"fer_cnn_w{width}")


def widen(narrow: keras.Model, wide: keras.Model) -> keras.Model:
    """``wide`` (a :func:`build_cnn` of a larger width) set to compute exactly what ``narrow`` computes.

    Each layer keeps ``narrow``'s weights in its first channels. The new channels keep ``wide``'s random
    weights, but their connections into the old channels are zero, so they change no output until training
    grows them (Net2Net's aim, Chen et al. 2016, reached by zeros rather than copies). A student can then
    grow wider without losing what an earlier run taught it."""
    for layer in wide.layers:
        if not layer.weights:
            continue
        positions = _positions(narrow) if layer.name == "fc" else 1
        old_weights = narrow.get_layer(layer.name).get_weights()
        layer.set_weights([_embedded(new, old, positions) for new, old in zip(layer.get_weights(), old_weights)])
    return wide


def narrow(wide: keras.Model, narrower: keras.Model) -> keras.Model:
    """``narrower`` (a :func:`build_cnn` of a smaller width) set to ``wide``'s strongest channels: in each layer
    the ones whose batch norm scales their output most (its ``|gamma|``, the output's spread before the ReLU;
    network slimming's measure, Liu et al. 2017), with their weights from the channels kept before them.
    It reads faces less well than ``wide`` until a fine-tune, usually a distillation, wins back what the
    lost channels carried; it starts far closer than random weights."""
    norms = {layer.name: layer for layer in wide.layers if isinstance(layer, layers.BatchNormalization)}

    def strongest(name: str, count: int) -> np.ndarray | None:
        norm = norms.get(name.replace("conv", "bn") if name.startswith("conv") else f"bn_{name}")  # conv2_1: bn2_1
        return None if norm is None else np.sort(np.argsort(-np.abs(norm.get_weights()[0]), kind="stable")[:count])

    return with_channels(wide, narrower, strongest)


def with_channels(source: keras.Model, target: keras.Model, choose) -> keras.Model:
    """``target`` (a :func:`build_cnn`) set to ``source``'s weights, each layer keeping the output channels of
    ``source``'s that ``choose(layer name, target's count)`` gives, in that order (None: the first ones), and
    taking its inputs from the channels the layer before kept; its batch norm follows it."""
    kept = None  # the channels kept in the layer before, by index into source's
    for layer in target.layers:
        if not layer.weights:
            continue
        old = source.get_layer(layer.name).get_weights()
        if isinstance(layer, layers.BatchNormalization):
            layer.set_weights([w[kept] for w in old])
            continue
        kernel = old[0]
        if kept is not None and layer.name == "fc":
            kernel = kernel.reshape(_positions(source), -1, kernel.shape[-1])[:, kept].reshape(-1, kernel.shape[-1])
        elif kept is not None:
            kernel = kernel[..., kept, :]
        outputs = layer.get_weights()[0].shape[-1]
        kept = choose(layer.name, outputs)
        kept = np.arange(outputs) if kept is None else kept
        layer.set_weights([kernel[..., kept], *(w[kept] for w in old[1:])])
    return target


def _positions(model: keras.Model) -> int:
    """fc's inputs are the last stage's feature map flattened: a group of channels for each of its positions."""
    return int(np.prod(model.get_layer("flatten").input.shape[1:3]))


def _embedded(new: np.ndarray, old: np.ndarray, positions: int = 1) -> np.ndarray:
    """``old`` in the leading corner of ``new``. For a kernel (..., inputs, outputs), the new inputs' weights
    into the old outputs are zero; vectors (batch norm, biases) keep ``new``'s values past ``old``'s length.
    A dense kernel's inputs are taken as ``positions`` groups of channels, each widened alike."""
    shape = new.shape
    if new.ndim == 2:
        new, old = (kernel.reshape(positions, -1, kernel.shape[-1]) for kernel in (new, old))
    out = new.copy()
    if out.ndim >= 2:
        out[..., : old.shape[-1]] = 0.0
    out[tuple(slice(0, n) for n in old.shape)] = old
    return out.reshape(shape)
