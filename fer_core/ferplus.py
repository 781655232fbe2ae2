"""FER+'s relabelling of FER2013: ten annotators' votes per face (Barsoum et al. 2016), as the people's reading
of each face. Votes come from the project's ``fer2013.npz`` or from FER+'s own release, ``fer2013new.csv``
beside ``fer2013.csv`` (columns Usage, Image name, then the ten vote columns; rows aligned with fer2013.csv).

Our seven classes keep their order: contempt, unknown and not-a-face votes never become classes. A face's
*people distribution* is its votes over our seven emotions, normalised; a face has usable votes when at least
one of them falls on our seven."""
from __future__ import annotations

import csv
from pathlib import Path

import numpy as np

from fer_core.labels import EMOTIONS

COLUMNS = ("neutral", "happiness", "surprise", "sadness", "anger", "disgust", "fear", "contempt", "unknown", "NF")
OURS = {"angry": "anger", "disgust": "disgust", "fear": "fear", "happy": "happiness", "sad": "sadness",
        "surprise": "surprise", "neutral": "neutral"}  # our class -> its FER+ column
_TO_OURS = [COLUMNS.index(OURS[name]) for name in EMOTIONS]
# What an option that needs the votes says when the data has none.
WHERE_VOTES_COME_FROM = "fer2013.npz with ferplus_votes, or fer2013new.csv beside fer2013.csv"


def read_release(csv_path: Path, usage: np.ndarray) -> np.ndarray:
    """uint8 (N, 10) votes from ``fer2013new.csv`` beside fer2013.csv, whose ``usage`` (N,) it must match row
    for row; rows without an image name (faces FER+ left out) get no votes. Raises ValueError if misaligned."""
    with open(csv_path, newline="") as f:
        rows = list(csv.DictReader(f))
    missing = [c for c in ("Usage", "Image name", *COLUMNS) if rows and c not in rows[0]]
    if not rows or missing:
        raise ValueError(f"{csv_path}: expected FER+'s columns Usage, Image name, {', '.join(COLUMNS)}; "
                         f"missing {', '.join(missing) or 'every row'}")
    if len(rows) != len(usage) or any(r["Usage"] != u for r, u in zip(rows, usage)):
        raise ValueError(f"{csv_path} does not line up with fer2013.csv ({len(rows):,} rows against {len(usage):,}, "
                         "or another Usage on some row): use the fer2013new.csv made for this fer2013.csv")
    votes = np.array([[int(r[c] or 0) for c in COLUMNS] for r in rows], np.uint8)
    votes[[not r["Image name"].strip() for r in rows]] = 0
    return votes


VOTERS = 10  # FER+'s annotators per face
AGREE_VOTES = 8  # the people agree on a face where this many of the ten chose one of our emotions ...
SPLIT_VOTES = 5  # ... and split on it where no emotion has this many: half of them


def our_votes(votes: np.ndarray) -> np.ndarray:
    """(N, 7) the votes for each of our emotions, in our order (the rest went to contempt, unknown, not-a-face)."""
    return votes[:, _TO_OURS]


def people_agree(votes: np.ndarray) -> np.ndarray:
    """bool (N,): AGREE_VOTES or more of the ten chose the same emotion, one of ours."""
    return (majority(votes) >= 0) & (votes.max(1) >= AGREE_VOTES)


def people_split(votes: np.ndarray) -> np.ndarray:
    """bool (N,): the majority is one of our emotions, but no emotion has SPLIT_VOTES of the ten."""
    return (majority(votes) >= 0) & (votes.max(1) < SPLIT_VOTES)


def people_distribution(votes: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """float32 (N, 7) share of each of our emotions among the votes that chose one of them, and bool (N,) which
    faces have such votes (the rows of the others are zero)."""
    ours = our_votes(votes).astype(np.float32)
    total = ours.sum(1, keepdims=True)
    usable = total[:, 0] > 0
    return np.divide(ours, total, out=np.zeros_like(ours), where=total > 0), usable


def majority(votes: np.ndarray) -> np.ndarray:
    """int (N,): the emotion most of the ten chose, in our order; -1 where the most votes went to contempt,
    unknown or not-a-face alone, or there are no votes. A tie between our emotions goes to the first in our
    order (so 3,518 of PrivateTest's faces count, 1,172 of them neutral)."""
    top = our_votes(votes) == votes.max(1, keepdims=True)
    valid = top.any(1) & (votes.sum(1) > 0)
    return np.where(valid, top.argmax(1), -1)


def one_person_agreement(votes: np.ndarray) -> float:
    """How often one of the ten people, drawn at random, chose the emotion that the other nine's majority
    chose (as :func:`majority` decides it), over the faces whose ten-person majority is one of our emotions:
    the agreement a single person reaches, to set a model's beside."""
    faces = votes[majority(votes) >= 0].astype(np.int64)
    hits = np.zeros(len(faces))
    for column in range(votes.shape[1]):
        held = faces[:, column] > 0
        if column not in _TO_OURS or not held.any():
            continue  # a vote for contempt, unknown or not-a-face never names our majority
        others = faces[held].copy()
        others[:, column] -= 1
        agrees = majority(others) == _TO_OURS.index(column)
        hits[held] += agrees * faces[held, column] / faces[held].sum(1)
    return float(hits.mean()) if len(faces) else 0.0


def label_targets(labels: np.ndarray, votes: np.ndarray | None, weight: float,
                  kept: tuple[int, ...] = ()) -> np.ndarray:
    """float32 (N, 7) training targets: ``(1 - weight) x one_hot(label) + weight x the people's distribution``
    where a face has usable votes, its one-hot label where it has none (or ``weight`` is 0), or where its label
    is one of the classes ``kept``."""
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"the votes' weight must lie in [0, 1]; got {weight}")
    targets = np.eye(len(EMOTIONS), dtype=np.float32)[labels.astype(int)]
    if weight and votes is not None:
        people, usable = people_distribution(votes)
        usable &= ~np.isin(labels, kept)
        targets[usable] = (1 - weight) * targets[usable] + weight * people[usable]
    return targets
