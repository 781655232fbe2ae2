"""Temperature scaling: make a model's probabilities honest, without changing which emotion it picks.

A single number T divides the log-probabilities before the softmax: T > 1 softens an over-confident model,
T < 1 sharpens a timid one. T is fitted on PublicTest by minimising the Brier score (or the NLL: the recipe's
``calibrate_by``) of a target (:data:`CALIBRATION_TARGETS`), and then baked into the graph (see
:func:`with_temperature`), so the served model keeps the contract. Fitted to the people's majority, "80% sure"
means that the emotion shown is the one most of ten people chose on 80% of such faces; fitted to their vote
distributions, that about 80% of people would choose it. The two differ: a face that 6 of 10 call happy is, for
the majority, surely happy.

Both are proper scores, so where one temperature can make a model honest they find the same one; where it
can't, they settle the misfit differently, and PublicTest tells which suits a model. Fitted to the people's
majority there, the shipped Accurate's calibration error against them was 0.037 by the NLL's T (0.60) and 0.025
by the Brier score's (0.67), so it fits by the Brier score; Fast's was 0.026 by the NLL's (0.61) and 0.029 by
the Brier score's (0.64), so it fits by the NLL.
"""
from __future__ import annotations

import sys

import numpy as np

from fer_core.labels import EMOTIONS

EPS = 1e-7
BINS = 15  # equal-width confidence bins of the reliability table and ECE
MOVE_STEPS = (1, 2, 4, 8)  # how many steps one move of the lean to the people may take, shortest first
# What the temperature is fitted to; without FER+'s votes, every target falls back to the original labels.
CALIBRATION_TARGETS = {"majority": "the people's majority", "votes": "the people's votes",
                       "labels": "the original labels"}
# What a fitted temperature minimises, in the model card's words.
OBJECTIVES = {"brier": "Brier score", "nll": "negative log-likelihood"}


def soften(probs: np.ndarray, temperature: float, bias: np.ndarray | None = None) -> np.ndarray:
    """softmax((log(probs) + bias) / temperature), row by row (``bias``: see :func:`fit_class_bias`)."""
    logits = (np.log(np.clip(probs, EPS, 1.0)) + (0.0 if bias is None else bias)) / temperature
    logits -= logits.max(axis=1, keepdims=True)
    exp = np.exp(logits)
    return exp / exp.sum(axis=1, keepdims=True)


def nll(probs: np.ndarray, labels: np.ndarray) -> float:
    """Mean negative log-likelihood of the true labels: int (N,), or (N, 7) distributions (the cross-entropy)."""
    if labels.ndim == 2:
        return float(-(labels * np.log(np.clip(probs, EPS, 1.0))).sum(1).mean())
    return float(-np.log(np.clip(probs[np.arange(len(labels)), labels], EPS, 1.0)).mean())


def brier(probs: np.ndarray, labels: np.ndarray) -> float:
    """Mean squared distance between the probabilities and the true labels, as :func:`nll` takes them (one-hot
    for int labels); 0 is perfect, 2 is sure and wrong."""
    target = labels if labels.ndim == 2 else np.eye(probs.shape[1])[labels]
    return float(((probs - target) ** 2).sum(1).mean())


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


def fit_temperature(probs: np.ndarray, labels: np.ndarray, low: float = 0.25, high: float = 8.0,
                    objective: str = "nll") -> float:
    """The temperature in [low, high] with the lowest ``objective`` (a key of :data:`OBJECTIVES`) of ``labels``
    (as :func:`nll` takes them; golden-section search on log T: both are unimodal in it)."""
    loss = {"brier": brier, "nll": nll}[objective]
    a, b = np.log(low), np.log(high)
    ratio = (np.sqrt(5) - 1) / 2
    c, d = b - ratio * (b - a), a + ratio * (b - a)
    for _ in range(60):
        if loss(soften(probs, np.exp(c)), labels) < loss(soften(probs, np.exp(d)), labels):
            b, d = d, c
            c = b - ratio * (b - a)
        else:
            a, c = c, d
            d = a + ratio * (b - a)
    return float(np.exp((a + b) / 2))


def class_floors(recall_floors: dict[str, float] | None) -> dict[int, float]:
    """``--recall-floor``'s emotion names as the class indices :func:`fit_class_bias` takes."""
    return {EMOTIONS.index(name): floor for name, floor in (recall_floors or {}).items()}


def fit_class_bias(probs: np.ndarray, labels: np.ndarray, floors: dict[int, float], step: float = 0.05,
                   limit: float = 2.0, start: np.ndarray | None = None) -> np.ndarray:
    """Offsets to the log-probabilities, one a class: ``start`` (zero unless given), except for each class in
    ``floors`` whose recall of ``labels`` falls below its floor, which gets the smallest multiple of ``step`` more
    (up to ``limit``) that lifts it there. Why: the people rarely choose fear, so a model that learned from their
    votes says fear too seldom for the faces people pull on purpose; a fear offset gives that back where the labels
    demand it."""
    bias = np.zeros(probs.shape[1]) if start is None else np.asarray(start, float).copy()

    def recall(cls: int) -> float:
        return float((soften(probs, 1.0, bias)[labels == cls].argmax(1) == cls).mean())

    while True:  # until every floor holds: lifting one class takes faces from another
        low = [cls for cls, floor in floors.items() if recall(cls) < floor and bias[cls] < limit - 1e-9]
        if not low:
            return bias
        bias[low[0]] = round(bias[low[0]] + step, 4)


def lean_to_people(probs: np.ndarray, labels: np.ndarray, majority: np.ndarray, bias: np.ndarray,
                   floors: dict[int, float], labels_floor: float, step: float = 0.05, limit: float = 2.0) -> np.ndarray:
    """``bias`` with further offsets that put accuracy on ``labels`` at ``labels_floor`` and agreement with the
    people's ``majority`` (-1: no majority of ours) as high as that allows, one move on one class at a time (one
    ``step``, or a few where every single step loses); each class in ``floors`` keeps its recall and no offset
    passes ``limit``. Where accuracy starts below the floor (a model that learned mostly from the people), each
    move is the one that wins the labels the most per point of agreement lost, until the floor holds; then, while
    it holds, the move that most raises agreement. A move that takes a floored class below its floor lifts that
    class's offset back (:func:`fit_class_bias`) before it is judged: otherwise a floor met with nothing to spare
    (fear, most often) blocks every move towards calm. Why: the two label sets disagree on a third of the faces
    (calm faces labelled sad, fear or angry), so some of the labels' accuracy can buy agreement with people; the
    floor says how much."""
    def figures(offsets: np.ndarray) -> tuple[bool, float, float]:
        """Whether the recall floors hold, the accuracy on the labels and the agreement with the people."""
        read = soften(probs, 1.0, offsets).argmax(1)
        held = all((read[labels == c] == c).mean() >= floor for c, floor in floors.items())
        return held, float((read == labels).mean()), float((read == majority)[majority >= 0].mean())

    def steps(offsets: np.ndarray, length: float):
        """(offsets, accuracy, agreement) of each move of ``length`` on one class from ``offsets`` that keeps the
        recall floors."""
        for cls in range(probs.shape[1]):
            for sign in (1, -1):
                moved = offsets.copy()
                moved[cls] = round(moved[cls] + sign * length, 4)
                moved = fit_class_bias(probs, labels, floors, step, limit, start=moved)
                held, accuracy, agreement = figures(moved)
                if held and abs(moved[cls]) <= limit + 1e-9:
                    yield moved, accuracy, agreement

    def moves(offsets: np.ndarray, gains) -> list[tuple[np.ndarray, float, float]]:
        """The moves from ``offsets`` that ``gains(accuracy, agreement)`` accepts, of the shortest length in
        MOVE_STEPS that has any. Why: a handful of faces can make one step lose what a longer move wins (a Fast
        epoch stalled at 64.8% on the labels where moves of 0.2 and more on neutral and sad reached 67.0%)."""
        for length in MOVE_STEPS:
            found = [move for move in steps(offsets, length * step) if gains(*move[1:])]
            if found:
                return found
        return []

    bias = fit_class_bias(probs, labels, floors, step, limit, start=bias)
    _, accuracy, agreement = figures(bias)
    while accuracy < labels_floor:
        back = moves(bias, lambda acc, a: acc > accuracy)
        if not back:
            return bias
        bias, accuracy, agreement = max(back, key=lambda move: (move[2] - agreement) / (move[1] - accuracy))
    while True:
        ahead = moves(bias, lambda acc, a: acc >= labels_floor and a > agreement + 1e-9)
        if not ahead:
            return bias
        bias, _, agreement = max(ahead, key=lambda move: move[2])


def fit_offsets(probs: np.ndarray, labels: np.ndarray, majority: np.ndarray | None,
                recall_floors: dict[str, float] | None, labels_floor: float | None) -> np.ndarray:
    """The class offsets a model ships with (zero where none are asked for): those that hold ``recall_floors``
    (:func:`fit_class_bias`), then, given the people's ``majority``, leaned towards it while ``labels_floor``
    holds (:func:`lean_to_people`)."""
    floors = class_floors(recall_floors)
    bias = fit_class_bias(probs, labels, floors)
    if labels_floor is not None and majority is not None:
        bias = lean_to_people(probs, labels, majority, bias, floors, labels_floor)
    return bias


def with_temperature(model, temperature: float, bias: np.ndarray | None = None):
    """A Keras model that returns ``model``'s probabilities, offset by ``bias`` and softened by ``temperature``
    (same input): what :func:`soften` computes, inside the graph."""
    import keras

    log_probs = keras.ops.log(keras.ops.clip(model.output, EPS, 1.0))
    if bias is not None:
        log_probs = log_probs + keras.ops.convert_to_tensor(np.asarray(bias, np.float32))
    outputs = keras.layers.Activation("softmax", name="calibrated")(log_probs / temperature)
    return keras.Model(model.input, outputs, name=f"{model.name}_t{temperature:.3f}".replace(".", "_"))


def calibrate_on_public_test(model, data, bins: int = BINS, recall_floors: dict[str, float] | None = None,
                             target: str = "majority", objective: str = "brier", labels_floor: float | None = None):
    """``model`` with a temperature fitted on PublicTest (minimising ``objective``, one of :data:`OBJECTIVES`)
    baked in, and what it did: the temperature and the PrivateTest NLL and ECE before and after (for
    metrics.json). ``target`` (one of :data:`CALIBRATION_TARGETS`) is what the temperature fits: with FER+'s
    votes, the people's majority or their vote distributions, on the faces that have them; the ECE is then also
    measured against their majority. ``recall_floors`` (emotion: PublicTest recall of the original labels) first
    fits class offsets (:func:`fit_class_bias`) that keep those emotions readable; ``labels_floor`` (with FER+'s
    votes) then leans them towards the people (:func:`lean_to_people`) as far as that PublicTest accuracy allows."""
    from fer_core import ferplus

    if target not in CALIBRATION_TARGETS:
        raise ValueError(f"no calibration target {target!r}; the targets: {', '.join(CALIBRATION_TARGETS)}")
    if objective not in OBJECTIVES:
        raise ValueError(f"no calibration objective {objective!r}; the objectives: {', '.join(OBJECTIVES)}")
    x_val, y_val = data.split("PublicTest")
    x_test, y_test = data.split("PrivateTest")
    val = model.predict(x_val[..., None].astype("float32"), batch_size=256, verbose=0)
    test = model.predict(x_test[..., None].astype("float32"), batch_size=256, verbose=0)
    floors = class_floors(recall_floors)
    floor_bias = fit_class_bias(val, y_val, floors) if floors else None
    bias, lean = floor_bias, None
    if labels_floor is not None and data.votes is not None:
        crowd_val = ferplus.majority(data.split_votes("PublicTest"))
        floored = np.zeros(val.shape[1]) if floor_bias is None else floor_bias
        leaned = lean_to_people(val, y_val, crowd_val, floored, floors, labels_floor)
        lean = {"labels_floor": labels_floor,
                "offsets": {EMOTIONS[c]: round(float(leaned[c] - floored[c]), 4)
                            for c in np.flatnonzero(np.abs(leaned - floored) > 1e-9)},
                "public_test": {f"{figure}_{when}": value for when, offsets in (("before", floored), ("after", leaned))
                                for figure, value in read_figures(val, y_val, crowd_val, offsets).items()}}
        if lean["public_test"]["labels_after"] < labels_floor:
            print(f"warning: no class offsets lift PublicTest's label accuracy above "
                  f"{lean['public_test']['labels_after']:.2%}, below --labels-floor {labels_floor:g}", file=sys.stderr)
        bias = leaned
    shifted = soften(val, 1.0, bias)
    if data.votes is None or target == "labels":
        target, fitted, usable = "labels", y_val, np.ones(len(y_val), bool)
    elif target == "votes":
        fitted, usable = ferplus.people_distribution(data.split_votes("PublicTest"))
    else:
        fitted = ferplus.majority(data.split_votes("PublicTest"))
        usable = fitted >= 0
    temperature = fit_temperature(shifted[usable], fitted[usable], objective=objective)
    fitted_on = f"PublicTest, {CALIBRATION_TARGETS[target]} ({int(usable.sum()):,} faces)"
    after = soften(test, temperature, bias)
    private = {"nll_before": nll(test, y_test), "nll_after": nll(after, y_test),
               "ece_before": ece(test, y_test, bins), "ece_after": ece(after, y_test, bins)}
    if data.votes is not None:
        crowd = ferplus.majority(data.split_votes("PrivateTest"))
        valid = crowd >= 0
        private |= {"people_ece_before": ece(test[valid], crowd[valid], bins),
                    "people_ece_after": ece(after[valid], crowd[valid], bins)}
    calibration = {"temperature": round(temperature, 4), "target": target, "objective": objective,
                   "fitted_on": fitted_on, "bins": bins, "private_test": private}
    if floors:
        top = shifted.argmax(1)
        calibration["class_bias"] = {EMOTIONS[c]: float(floor_bias[c]) for c in floors}
        calibration["recall_floors"] = {EMOTIONS[c]: {"floor": f, "public_test": float((top[y_val == c] == c).mean())}
                                        for c, f in floors.items()}
    if lean:
        calibration["people_lean"] = lean
    return with_temperature(model, temperature, bias), calibration


def graph_offsets(calibration: dict) -> np.ndarray | None:
    """The class offsets a model's graph adds to its log-probabilities, from the record
    :func:`calibrate_on_public_test` makes: the recall floors' (``class_bias``) plus the lean's
    (``people_lean.offsets``, relative to those); None where there are none."""
    parts = [calibration.get("class_bias") or {}, (calibration.get("people_lean") or {}).get("offsets") or {}]
    bias = np.array([sum(part.get(name, 0.0) for part in parts) for name in EMOTIONS], np.float32)
    return bias if bias.any() else None


def read_figures(probs: np.ndarray, labels: np.ndarray, majority: np.ndarray | None, bias: np.ndarray) -> dict:
    """Accuracy on the labels and agreement with the people's majority (None without it) of ``probs`` offset by
    ``bias``."""
    read = soften(probs, 1.0, bias).argmax(1)
    agreement = None if majority is None else float((read == majority)[majority >= 0].mean())
    return {"labels": float((read == labels).mean()), "agreement": agreement}
