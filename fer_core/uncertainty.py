"""When to say "not sure": a threshold of focus per model, chosen on PublicTest, and how to word it.

A face is *uncertain* when its reading's :func:`focus` falls below the model's threshold: 1 when one emotion
holds all the probability, 0 when all seven hold the same. Sureness counts the whole spread, not only the top
emotion: on PublicTest, at the same 15% "not sure" where people agree, Accurate said "not sure" on 58.5% of the
faces where people split by focus, and on 51.9% by its top probability alone. Where FER+'s ten votes per face are
known, the threshold follows the people (:func:`threshold_for_agreed_faces`): the highest one that still gives a
plain answer on all but ``MAX_NOT_SURE_WHERE_PEOPLE_AGREE`` of the PublicTest faces that 8 or more of 10 people
agree on, so "not sure" falls on the faces where people split. Without votes it is the lowest threshold at which
the faces above it are right at least ``TARGET_ACCURACY`` of the time on PublicTest.
"""
from __future__ import annotations

import numpy as np

from fer_core.labels import EMOTIONS

TARGET_ACCURACY = 0.85
MAX_NOT_SURE_WHERE_PEOPLE_AGREE = 0.15
CURVE_THRESHOLDS = np.round(np.arange(0.0, 1.0, 0.01), 2)  # where the accuracy-coverage curve is sampled


def focus(probs) -> np.ndarray:
    """How focused a reading is on one emotion: 1 - entropy / log 7 of each row of ``probs`` (or of one reading),
    1 when one emotion holds all the probability, 0 when all seven hold the same."""
    p = np.clip(np.asarray(probs, dtype=np.float64), 1e-12, 1.0)
    return 1.0 + (p * np.log(p)).sum(axis=-1) / np.log(len(EMOTIONS))


def accuracy_coverage(score: np.ndarray, correct: np.ndarray, threshold: float) -> tuple[float, float]:
    """Accuracy of the faces at or above ``threshold`` and their share of all faces (0 accuracy if none)."""
    kept = score >= threshold
    coverage = float(kept.mean()) if len(kept) else 0.0
    return (float(correct[kept].mean()) if kept.any() else 0.0), coverage


def choose_threshold(score: np.ndarray, correct: np.ndarray, target: float = TARGET_ACCURACY) -> float:
    """The lowest threshold (one of the observed scores) whose kept faces reach ``target`` accuracy.

    1.0 (every face uncertain) if no threshold reaches it.
    """
    order = np.argsort(-score, kind="stable")
    ordered, right = score[order], correct[order].astype(float)
    running = np.cumsum(right) / np.arange(1, len(right) + 1)  # accuracy of the k surest faces
    # A threshold keeps every face tied at it, so only the last face of each run of equal scores counts.
    last_of_tie = np.r_[ordered[1:] != ordered[:-1], True]
    good = np.flatnonzero((running >= target) & last_of_tie)
    return float(ordered[good[-1]]) if len(good) else 1.0


def threshold_for_agreed_faces(score: np.ndarray, max_not_sure: float = MAX_NOT_SURE_WHERE_PEOPLE_AGREE) -> float:
    """The highest threshold (one of the observed scores) that leaves at most ``max_not_sure`` of these
    faces, the ones people agree on, below it: unanswered."""
    ordered = np.sort(score)
    return float(ordered[int(max_not_sure * len(ordered))]) if len(ordered) else 0.0


def not_sure_when(threshold: float) -> str:
    """When a face reads "not sure", in words: "its probabilities are too spread out: their focus on one emotion
    is below 0.47 (1 with all of it on one emotion, 0 with the same on all seven)"."""
    return (f"its probabilities are too spread out: their focus on one emotion is below {threshold:.2f} (1 with "
            "all of it on one emotion, 0 with the same on all seven)")


def threshold_rule(report: dict) -> str:
    """How a model's threshold was chosen, in words, from its metrics.json ``uncertainty`` report: "the
    highest that still answers 85% of the faces most people agree on", or "the lowest that keeps ..."."""
    if "max_not_sure_where_people_agree" in report:
        return (f"the highest that still gives a plain answer on {1 - report['max_not_sure_where_people_agree']:.0%} "
                f"of the faces that 8 or more of 10 people agree on ({report['agreed_faces']:,} there), so that it "
                "says “not sure” where people split")
    return f"the lowest that keeps the answers it is sure of right {report['target_accuracy']:.0%} of the time"


def when_sure_words(split: dict, places: int = 0) -> str:
    """How right its sure readings are, from one split of a metrics.json ``uncertainty`` report: "right about 80%
    of those by FER2013's labels, and the ten people's majority chose the same on 84%"."""
    words = f"right about {split['accuracy_when_sure']:.{places}%} of those by FER2013's labels"
    if "agreement_when_sure" in split:
        words += f", and the ten people's majority chose the same on {split['agreement_when_sure']:.{places}%}"
    return words


def curve(score: np.ndarray, correct: np.ndarray) -> list[dict]:
    """The accuracy-coverage curve at CURVE_THRESHOLDS that keep a face, for the model card and the dashboard."""
    points = []
    for t in CURVE_THRESHOLDS:
        accuracy, coverage = accuracy_coverage(score, correct, float(t))
        if not coverage:  # no face that sure: no accuracy to draw
            break
        points.append({"threshold": float(t), "accuracy": round(accuracy, 4), "coverage": round(coverage, 4)})
    return points


def verdict(probs, uncertain: bool) -> str:
    """What a person reads for one face: "happy", or "not sure: happy or neutral?"."""
    first, second = np.argsort(probs)[::-1][:2]
    if uncertain:
        return f"not sure: {EMOTIONS[first]} or {EMOTIONS[second]}?"
    return EMOTIONS[first]
