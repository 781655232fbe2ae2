"""A training run's folder and its state: what ``--resume`` continues from, what the model card's runs table
reports, and the atomic writes that let a run be killed at any moment. (Plain Python: no TensorFlow.)

A run folder holds ``checkpoint.keras`` (the last epoch's weights and optimizer slots), ``best.weights.npz``
(the best epoch's weights by the PublicTest figure the recipe's ``select_by`` names), ``history.csv`` and
``train_state.json``: the recipe, the epochs done, the best epoch, and each stretch of training (machine,
precision, epochs, seconds).
"""
from __future__ import annotations

import hashlib
import json
import os
import time
from pathlib import Path

from fer_core.models import MODELS_DIR
from fer_core.training.recipe import Recipe

REPOSITORY = MODELS_DIR.parent

CHECKPOINT = "checkpoint.keras"
BEST = "best.weights.npz"
STATE = "train_state.json"
HISTORY = "history.csv"
TEACHER_TARGETS = "teacher_probs.npz"  # the teacher's views and probabilities, read once per run


def write_atomically(path: Path, write) -> None:
    """``write(tmp_path)``, then rename over ``path``: a kill mid-write leaves the old file whole."""
    tmp = path.with_name("tmp-" + path.name)  # the same suffix: Keras checks it
    write(tmp)
    os.replace(tmp, path)


def load_state(out: Path) -> dict | None:
    path = out / STATE
    return json.loads(path.read_text()) if path.is_file() else None


def save_state(out: Path, state: dict) -> None:
    write_atomically(out / STATE, lambda p: p.write_text(json.dumps(state, indent=2)))


def new_state(recipe: Recipe, out: Path) -> dict:
    """The state of a run before its first epoch, with what the card will say of where it started: the
    teacher file its targets came from, and the weights it started from with that run's own state."""
    state = {"epochs_done": 0, "best_val_accuracy": 0.0, "best_epoch": 0, "train_seconds": 0.0,
             "args": recipe.record(), "stretches": []}
    if recipe.teacher:
        import numpy as np

        with np.load(out / TEACHER_TARGETS) as saved:
            state["teacher_sha256"] = str(saved["teacher_sha256"])
    if recipe.init_weights:
        init = Path(recipe.init_weights)
        state["init_sha256"] = hashlib.sha256(init.read_bytes()).hexdigest()
        if (init.parent / STATE).is_file():
            state["init_state"] = json.loads((init.parent / STATE).read_text())
    return state


def begin_stretch(state: dict, machine: str, precision: str) -> None:
    state["stretches"].append({"machine": machine, "precision": precision,
                               "started": time.strftime("%Y-%m-%d %H:%M"), "epochs": 0, "seconds": 0.0})


def end_epoch(state: dict, epoch: int, seconds: float, val_accuracy: float, score: float | None = None) -> bool:
    """Count a finished epoch (from 0) into the state; True when it is the best so far by ``score`` (the figure
    the recipe's ``select_by`` names; by default its PublicTest accuracy)."""
    score = val_accuracy if score is None else score
    best = not state["best_epoch"] or score > state.get("best_score", state["best_val_accuracy"])
    if best:
        state.update(best_val_accuracy=float(val_accuracy), best_score=float(score), best_epoch=epoch + 1)
    stretch = state["stretches"][-1]
    stretch["epochs"] += 1
    stretch["seconds"] = round(stretch["seconds"] + seconds, 1)
    state["epochs_done"] = epoch + 1
    state["train_seconds"] += seconds
    return best


def trim_history(path: Path, epochs: int) -> None:
    """Keep the header and the first ``epochs`` rows: rows of an epoch whose checkpoint was lost go."""
    if path.is_file():
        lines = path.read_text().splitlines(keepends=True)
        path.write_text("".join(lines[:1 + epochs]))


def training_record(state: dict) -> dict:
    """What metrics.json keeps of a run: its recipe, epochs, time, best PublicTest accuracy and stretches, and
    the same of the run it started from."""
    return {"epochs": state["epochs_done"], "seconds": round(state["train_seconds"]),
            "best_val_accuracy": state["best_val_accuracy"], "best_epoch": state.get("best_epoch"),
            "stretches": state.get("stretches", []),
            "precision": state["stretches"][-1]["precision"] if state.get("stretches") else None,
            **{k: state[k] for k in ("teacher_sha256", "init_sha256", "init_width") if state.get(k)},
            **({"init_run": training_record(state["init_state"])} if state.get("init_state") else {}),
            **_shown_paths(Recipe.from_record(state["args"]).record())}


def _shown_paths(record: dict) -> dict:
    """The record with its teacher and starting weights named as :func:`shown_path` names them."""
    shown = dict(record)
    for key in ("teacher", "init_weights"):
        if shown.get(key):
            shown[key] = shown_path(shown[key], with_run=key == "init_weights")
    return shown


def shown_path(path: str, with_run: bool = False) -> str:
    """A model folder or file named as a reader elsewhere can follow it: relative to the repository where it lies
    in it, else by its own name (``with_run``: with its run's folder), never as a path on the training machine."""
    resolved = Path(path).resolve()
    if resolved.is_relative_to(REPOSITORY):
        return str(resolved.relative_to(REPOSITORY))
    return str(Path(resolved.parent.name) / resolved.name) if with_run else resolved.name
