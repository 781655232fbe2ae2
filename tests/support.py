"""Test material: real face photos (scikit-image's public-domain images and LFW subset), a tiny
FER2013-shaped dataset made of them, and a runner for our command-line modules."""
from __future__ import annotations

import io
import os
import socket
import subprocess
import sys
from pathlib import Path

import cv2
import numpy as np
import skimage.data
from PIL import Image

from fer_core.labels import EMOTIONS, SPLITS

REPO = Path(__file__).resolve().parent.parent
YUNET_MODEL = REPO.parent / "shared" / "models" / "face_detection_yunet_2023mar.onnx"
FER_DATA = REPO.parent / "shared" / "data" / "fer2013.npz"


def astronaut() -> np.ndarray:
    """Eileen Collins, smiling, one frontal face at about (177, 67, 93, 93); RGB 512x512."""
    return skimage.data.astronaut()


def no_face() -> np.ndarray:
    """A cup of coffee: no face."""
    return skimage.data.coffee()


def group_photo() -> np.ndarray:
    """640x480 RGB with six faces: the astronaut at three sizes, mirrored and darkened."""
    face = astronaut()[30:250, 120:330]
    canvas = np.full((480, 640, 3), 200, np.uint8)
    spots = [(10, 10, 1.0), (220, 10, 0.8), (430, 10, 1.0), (10, 250, 0.9), (220, 250, 0.6), (430, 250, 1.0)]
    for i, (x, y, brightness) in enumerate(spots):
        tile = cv2.resize(face, (200, 220))
        tile = tile[:, ::-1] if i % 2 else tile
        canvas[y:y + 220, x:x + 200] = (tile * brightness).astype(np.uint8)
    return canvas


def lfw_faces(n: int) -> np.ndarray:
    """``n`` real LFW faces as uint8 48x48 grayscale (the subset has 200, 25x25)."""
    faces = skimage.data.lfw_subset()[:n]
    return np.stack([cv2.resize((f * 255).astype(np.uint8), (48, 48), interpolation=cv2.INTER_CUBIC) for f in faces])


def encode(image: np.ndarray | Image.Image, fmt: str = "PNG", **save_args) -> bytes:
    im = Image.fromarray(image) if isinstance(image, np.ndarray) else image
    buffer = io.BytesIO()
    im.save(buffer, format=fmt, **save_args)
    return buffer.getvalue()


def tiny_fer2013(per_class: int = 6) -> dict[str, np.ndarray]:
    """A FER2013-shaped dataset of real LFW faces: per split, ``per_class`` faces of each class."""
    n = per_class * len(EMOTIONS)
    x = lfw_faces(n * len(SPLITS))
    y = np.tile(np.repeat(np.arange(len(EMOTIONS), dtype=np.uint8), per_class), len(SPLITS))
    usage = np.repeat(np.array(SPLITS), n)
    return {"x": x, "y": y, "usage": usage}


def start_module(*args, env: dict | None = None, **popen_args) -> subprocess.Popen:
    """``python -m ARGS`` from the repo root, in the background (``env`` adds to the environment)."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})}
    return subprocess.Popen([sys.executable, "-m", *map(str, args)], cwd=REPO, env=env, text=True, **popen_args)


def run_module(*args, timeout=600, env: dict | None = None) -> subprocess.CompletedProcess:
    """``python -m ARGS`` from the repo root, output captured."""
    process = start_module(*args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]
