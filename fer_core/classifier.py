"""Run a saved emotion model through LiteRT: no TensorFlow in the serving process.

TensorFlow loaded before aiortc (which streamlit-webrtc loads) kills the process, and a Keras
``predict`` call costs ~60 ms; a LiteRT interpreter call on our CNN costs about a millisecond.
"""
from __future__ import annotations

import json
import os
import queue
from pathlib import Path

import numpy as np

from fer_core.labels import EMOTIONS, FACE_SIZE

MODELS_DIR = Path(__file__).resolve().parent.parent / "models"
TFLITE_FILE = "model.tflite"


class ModelError(RuntimeError):
    """The emotion model is missing, damaged or breaks the contract; the message says which."""


def default_model_dir() -> Path:
    """The folder named in models/DEFAULT: the model the app runs when none is named."""
    marker = MODELS_DIR / "DEFAULT"
    if not marker.is_file():
        raise ModelError(f"{marker} is missing, so there is no default model.")
    return MODELS_DIR / marker.read_text().strip()


def shipped_model_names() -> list[str]:
    """The model folders under models/ that can be served ("accurate", "fast", ...), sorted."""
    return sorted(p.parent.name for p in MODELS_DIR.glob(f"*/{TFLITE_FILE}"))


def model_dir(model: str | os.PathLike | None) -> Path:
    """The folder of a model given by name ("accurate", "fast": a folder under models/), by path (relative
    paths that are not found here are tried from the repository, as an ensemble records its members), or None
    for the default; a path to a file is returned as it is."""
    if model is None:
        return default_model_dir()
    path = Path(model)
    if not path.exists() and not path.is_absolute():
        found = [base / path for base in (MODELS_DIR, MODELS_DIR.parent) if (base / path).exists()]
        return found[0] if found else path
    return path


def resolve_model_file(model: str | os.PathLike | None) -> Path:
    """A .tflite path from a model name, a model folder, a .tflite file, a .keras file with its .tflite beside
    it, or None (the default)."""
    path = model_dir(model)
    if path.is_dir():
        path = path / TFLITE_FILE
    elif path.suffix == ".keras":
        path = path.with_suffix(".tflite")
        if not path.is_file():
            raise ModelError(f"No {path.name} beside the Keras model; make one with "
                             f"`python -m fer_core.training.export {path.with_suffix('.keras')}`.")
    if not path.is_file():
        names = ", ".join(shipped_model_names()) or "none"
        raise ModelError(f"No model file at {path}. Shipped models: {names}; or give a model folder or .tflite.")
    return path


def uncertainty_threshold(model_file: Path) -> float:
    """The "not sure" threshold stored in the metrics.json beside ``model_file``; 0 (never unsure) if none."""
    try:
        return float(json.loads((model_file.parent / "metrics.json").read_text())["uncertainty"]["threshold"])
    except (OSError, ValueError, KeyError, TypeError):
        return 0.0


class _Runner:
    """One LiteRT interpreter and the batch size its tensors are allocated for."""

    def __init__(self, content: bytes, num_threads: int, path: Path):
        from ai_edge_litert.interpreter import Interpreter

        try:
            self.interpreter = Interpreter(model_content=content, num_threads=num_threads)
            self.interpreter.allocate_tensors()
        except (ValueError, RuntimeError) as err:
            raise ModelError(f"The model file {path} is damaged or not a LiteRT model.") from err
        self.input = self.interpreter.get_input_details()[0]
        self.output = self.interpreter.get_output_details()[0]
        self.batch = int(self.input["shape"][0])

    def run(self, faces: np.ndarray) -> np.ndarray:
        if self.batch != len(faces):
            self.interpreter.resize_tensor_input(self.input["index"], [len(faces), FACE_SIZE, FACE_SIZE, 1])
            self.interpreter.allocate_tensors()
            self.batch = len(faces)
        self.interpreter.set_tensor(self.input["index"], faces.astype(np.float32)[..., None])
        self.interpreter.invoke()
        return self.interpreter.get_tensor(self.output["index"]).copy()


class EmotionClassifier:
    """Thread-safe. A LiteRT interpreter holds per-call buffers, so each call borrows one from a pool, and
    the pool grows to the number of calls that ever ran at once (Streamlit runs each rerun in a new thread,
    so per-thread interpreters would be rebuilt on every rerun)."""

    def __init__(self, model: str | os.PathLike | None = None, num_threads: int | None = None):
        self.path = resolve_model_file(model)
        self.threshold = uncertainty_threshold(self.path)
        self._content = self.path.read_bytes()
        self._num_threads = num_threads or min(2, os.cpu_count() or 1)
        self._idle: queue.SimpleQueue[_Runner] = queue.SimpleQueue()
        runner = _Runner(self._content, self._num_threads, self.path)
        self._check_contract(runner)
        self._idle.put(runner)

    def _check_contract(self, runner: _Runner) -> None:
        inp, out = runner.input, runner.output
        if list(inp["shape"][1:]) != [FACE_SIZE, FACE_SIZE, 1] or inp["dtype"] != np.float32:
            raise ModelError(f"{self.path} takes {inp['shape'].tolist()} {inp['dtype'].__name__}; the contract "
                             f"is N x {FACE_SIZE} x {FACE_SIZE} x 1 float32.")
        if out["shape"][-1] != len(EMOTIONS):
            raise ModelError(f"{self.path} returns {out['shape'][-1]} classes; the contract is {len(EMOTIONS)}.")

    def predict(self, faces: np.ndarray) -> np.ndarray:
        """uint8 or float (N, 48, 48[, 1]) raw pixels 0-255 -> float32 (N, 7) probabilities."""
        faces = np.asarray(faces)
        if faces.ndim == 4 and faces.shape[-1] == 1:
            faces = faces[..., 0]
        if faces.ndim != 3 or faces.shape[1:] != (FACE_SIZE, FACE_SIZE):
            raise ValueError(f"faces must be N x {FACE_SIZE} x {FACE_SIZE}; got {faces.shape}")
        if len(faces) == 0:
            return np.zeros((0, len(EMOTIONS)), np.float32)
        try:
            runner = self._idle.get_nowait()
        except queue.Empty:
            runner = _Runner(self._content, self._num_threads, self.path)
        try:
            return runner.run(faces)
        finally:
            self._idle.put(runner)
