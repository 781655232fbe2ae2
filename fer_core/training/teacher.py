"""The teacher of a distillation: its probabilities for the training faces, in one or several views, kept
with the run so that a resume (here, or on a GPU machine without the teacher or LiteRT) needs it no more, and
the targets that blend them with the labels. See fer_core.training.distill for the method."""
from __future__ import annotations

import hashlib
import sys
import time
from pathlib import Path

import numpy as np

from fer_core.labels import EMOTIONS
from fer_core.training.run_state import write_atomically


def teacher_probabilities(teacher, faces: np.ndarray, batch: int = 512) -> np.ndarray:
    """The teacher model folder's probabilities for uint8 (N, 48, 48) ``faces``, float32 (N, 7)."""
    from fer_core.classifier import EmotionClassifier
    from fer_core.training.evaluate import predict_all

    return predict_all(EmotionClassifier(teacher), faces, batch)


def augmented_views(faces: np.ndarray, count: int, seed: int, batch: int = 1024) -> np.ndarray:
    """uint8 (count, N, 48, 48): the uint8 (N, 48, 48) ``faces`` themselves, then ``count - 1`` copies through
    the training augmentation (a new random change per face and copy), rounded back to pixels."""
    import keras

    from fer_core.training.networks import augmentation

    change = augmentation(seed)
    views = [faces]
    for _ in range(count - 1):
        copy = [keras.ops.convert_to_numpy(change(faces[i:i + batch, ..., None].astype(np.float32), training=True))
                for i in range(0, len(faces), batch)]
        views.append(np.clip(np.rint(np.concatenate(copy)[..., 0]), 0, 255).astype(np.uint8))
    return np.stack(views)


def blend_targets(targets: np.ndarray, teacher_probs: np.ndarray, weight: float) -> np.ndarray:
    """``(1 - weight) x targets + weight x teacher_probs``, for rows of 7 that sum to 1 (the label's targets, see
    fer_core.ferplus.label_targets, broadcast over the teacher's views)."""
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"the teacher's weight must lie in [0, 1]; got {weight}")
    return ((1.0 - weight) * targets + weight * teacher_probs).astype(np.float32)


def cached_teacher_targets(path: Path, teacher: str, faces: np.ndarray, views: int = 1, seed: int = 0):
    """The faces in ``views`` views (see fer_core.training.distill.augmented_views) and the teacher's
    probabilities for each, uint8 (views, N, 48, 48) and float32 (views, N, 7). They come from ``path`` when it
    holds them for these faces and seed and for this very teacher file (by SHA-256); a machine without the
    teacher (a GPU machine that got only the run) uses what ``path`` holds. A seed draws the same first views
    whatever their number, so a run with more views than ``path`` holds has the teacher read only the new ones."""
    from fer_core.models import ModelError, resolve_model_file

    try:
        digest = hashlib.sha256(resolve_model_file(teacher).read_bytes()).hexdigest()
    except ModelError:
        digest = None
    key = {"faces_sha256": hashlib.sha256(faces.tobytes()).hexdigest(), "seed": seed}
    kept_views, kept_probs = np.zeros((0, *faces.shape), np.uint8), np.zeros((0, len(faces), len(EMOTIONS)))
    if path.is_file():
        with np.load(path) as saved:
            if (all(k in saved and saved[k].item() == v for k, v in key.items())
                    and (digest is None or saved["teacher_sha256"].item() == digest)):
                kept_probs = saved["probs"]
                kept_views = saved["faces"] if len(kept_probs) > 1 else faces[None]
    if len(kept_probs) >= views:
        return kept_views[:views], kept_probs[:views]
    if digest is None:
        raise SystemExit(f"no teacher at {teacher}, and {path} holds no probabilities of it for these faces "
                         f"in {views} views")
    seen = augmented_views(faces, views, seed)
    if not np.array_equal(seen[:len(kept_views)], kept_views):
        raise SystemExit(f"{path} holds views that seed {seed} no longer draws (has the augmentation changed?); "
                         "remove it, and the teacher reads every view again")
    probs = list(kept_probs)
    for i in range(len(kept_probs), views):
        started = time.time()
        print(f"the teacher {teacher} reads view {i + 1} of {views} of the {len(faces):,} training faces…",
              file=sys.stderr, flush=True)
        probs.append(teacher_probabilities(teacher, seen[i]))
        print(f"  {time.time() - started:.0f} s", file=sys.stderr, flush=True)
    probs = np.stack(probs).astype(np.float32)
    kept = {"faces": seen} if views > 1 else {}  # one view is the faces themselves: no need to keep them
    write_atomically(path, lambda tmp: np.savez(tmp, teacher=teacher, teacher_sha256=digest, probs=probs,
                                                **key, **kept))
    return seen, probs
