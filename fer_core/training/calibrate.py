"""Temperature scaling: make a model's probabilities honest, without changing which emotion it picks.

A single number T divides the log-probabilities before the softmax: T > 1 softens an over-confident model,
T < 1 sharpens a timid one. T is fitted on PublicTest by minimising the negative log-likelihood, and then
baked into the graph (see :func:`with_temperature`), so the served model keeps the contract.
"""
from __future__ import annotations

import numpy as np

EPS = 1e-7


def soften(probs: np.ndarray, temperature: float) -> np.ndarray:
    """softmax(log(probs) / temperature), row by row."""
    logits = np.log(np.clip(probs, EPS, 1.0)) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    exp = np.exp(logits)
    return exp / exp.sum(axis=1, keepdims=True)


def nll(probs: np.ndarray, labels: np.ndarray) -> float:
    """Mean negative log-likelihood of the true labels."""
    return float(-np.log(np.clip(probs[np.arange(len(labels)), labels], EPS, 1.0)).mean())


def ece(probs: np.ndarray, labels: np.ndarray, bins: int = 15) -> float:
    """Expected calibration error: the gap between confidence and accuracy, averaged over equal-width bins."""
    confidence, correct = probs.max(1), probs.argmax(1) == labels
    edges = np.linspace(0, 1, bins + 1)
    total = 0.0
    for low, high in zip(edges[:-1], edges[1:]):
        in_bin = (confidence > low) & (confidence <= high)
        if in_bin.any():
            total += in_bin.mean() * abs(correct[in_bin].mean() - confidence[in_bin].mean())
    return float(total)


def fit_temperature(probs: np.ndarray, labels: np.ndarray, low: float = 0.25, high: float = 8.0) -> float:
    """The temperature in [low, high] with the lowest NLL (golden-section search on log T: NLL is unimodal)."""
    a, b = np.log(low), np.log(high)
    ratio = (np.sqrt(5) - 1) / 2
    c, d = b - ratio * (b - a), a + ratio * (b - a)
    for _ in range(60):
        if nll(soften(probs, np.exp(c)), labels) < nll(soften(probs, np.exp(d)), labels):
            b, d = d, c
            c = b - ratio * (b - a)
        else:
            a, c = c, d
            d = a + ratio * (b - a)
    return float(np.exp((a + b) / 2))


def with_temperature(model, temperature: float):
    """A Keras model that returns ``model``'s probabilities softened by ``temperature`` (same input)."""
    import keras

    log_probs = keras.ops.log(keras.ops.clip(model.output, EPS, 1.0))
    outputs = keras.layers.Activation("softmax", name="calibrated")(log_probs / temperature)
    return keras.Model(model.input, outputs, name=f"{model.name}_t{temperature:.3f}".replace(".", "_"))
