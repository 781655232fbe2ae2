"""Temperature scaling: make a model's probabilities honest, without changing which emotion it picks.

A single number T divides the log-probabilities before the softmax: T > 1 softens an over-confident model,
T < 1 sharpens a timid one. T is fitted on PublicTest by minimising the negative log-likelihood, and then
baked into the graph (see :func:`with_temperature`), so the served model keeps the contract.
"""
from __future__ import annotations

import numpy as np

EPS = 1e-7
BINS = 15  # equal-width confidence bins of the reliability table and ECE


def soften(probs: np.ndarray, temperature: float) -> np.ndarray:
    """softmax(log(probs) / temperature), row by row."""
    logits = np.log(np.clip(probs, EPS, 1.0)) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    exp = np.exp(logits)
    return exp / exp.sum(axis=1, keepdims=True)


def nll(probs: np.ndarray, labels: np.ndarray) -> float:
    """Mean negative log-likelihood of the true labels."""
    return float(-np.log(np.clip(probs[np.arange(len(labels)), labels], EPS, 1.0)).mean())


def reliability(probs: np.ndarray, labels: np.ndarray, bins: int = BINS) -> list[dict]:
    """Per equal-width confidence bin that holds faces: its range, how many faces, their mean confidence and
    how often they are right (the points of a reliability diagram)."""
    return _reliability_rows(probs.max(1), probs.argmax(1) == labels, bins)


def _reliability_rows(confidence: np.ndarray, correct: np.ndarray, bins: int) -> list[dict]:
    edges = np.linspace(0, 1, bins + 1)
    rows = []
    for low, high in zip(edges[:-1], edges[1:]):
        in_bin = (confidence > low) & (confidence <= high)
        if in_bin.any():
            rows.append({"low": round(float(low), 4), "high": round(float(high), 4), "count": int(in_bin.sum()),
                         "confidence": float(confidence[in_bin].mean()), "accuracy": float(correct[in_bin].mean())})
    return rows


def ece(probs: np.ndarray, labels: np.ndarray, bins: int = BINS) -> float:
    """Expected calibration error: the gap between confidence and accuracy, averaged over equal-width bins."""
    return ece_of(reliability(probs, labels, bins))


def ece_of(rows: list[dict]) -> float:
    """The expected calibration error of a :func:`reliability` table (every face lies in one of its rows)."""
    gaps = sum(r["count"] * abs(r["accuracy"] - r["confidence"]) for r in rows)
    return float(gaps / max(1, sum(r["count"] for r in rows)))


def chance_ece(probs: np.ndarray, bins: int = BINS, draws: int = 200, seed: int = 0) -> dict:
    """The ECE that a perfectly honest model with these confidences would still measure on this many faces,
    from chance alone: each face is right with exactly its confidence, drawn ``draws`` times. The mean and the
    95th percentile; a measured ECE inside that range cannot be told from perfect calibration."""
    confidence = probs.max(1)
    rng = np.random.default_rng(seed)
    draws_ece = [ece_of(_reliability_rows(confidence, rng.random(len(confidence)) < confidence, bins))
                 for _ in range(draws)]
    return {"mean": float(np.mean(draws_ece)), "p95": float(np.percentile(draws_ece, 95)), "draws": draws}


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


def calibrate_on_public_test(model, data, bins: int = BINS):
    """``model`` with a temperature fitted on PublicTest baked in, and what it did: the temperature and the
    PrivateTest NLL and ECE before and after (for metrics.json)."""
    x_val, y_val = data.split("PublicTest")
    x_test, y_test = data.split("PrivateTest")
    val = model.predict(x_val[..., None].astype("float32"), batch_size=256, verbose=0)
    temperature = fit_temperature(val, y_val)
    test = model.predict(x_test[..., None].astype("float32"), batch_size=256, verbose=0)
    after = soften(test, temperature)
    calibration = {"temperature": round(temperature, 4), "fitted_on": "PublicTest", "bins": bins,
                   "private_test": {"nll_before": nll(test, y_test), "nll_after": nll(after, y_test),
                                    "ece_before": ece(test, y_test, bins), "ece_after": ece(after, y_test, bins)}}
    return with_temperature(model, temperature), calibration
