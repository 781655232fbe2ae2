"""Run a saved emotion model through LiteRT: no TensorFlow in the serving process.

TensorFlow loaded before aiortc (which streamlit-webrtc loads) kills the process, and a Keras
``predict`` call costs ~60 ms; a LiteRT interpreter call on our CNN costs about a millisecond.
"""
from __future__ import annotations

import os
import queue
from pathlib import Path

import numpy as np

from fer_core.faces import FACE_SIZE
from fer_core.labels import EMOTIONS
from fer_core.models import ModelError, read_metrics, resolve_model_file


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
        metrics = read_metrics(self.path.parent)
        self.threshold = metrics.threshold if metrics else 0.0  # the "not sure" threshold stored with the model
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
