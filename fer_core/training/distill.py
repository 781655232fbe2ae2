"""Distil a teacher (the Accurate ensemble) into one small network: the Fast model.

    python -m fer_core.training.distill --data ../shared/data/fer2013.npz --teacher models/accurate \\
        --out models/fast --width 16

The student trains like any network (it takes every option of ``python -m fer_core.training.train``,
``--resume`` included), but it learns from blended targets: ``(1 - w) x the one-hot label + w x the
teacher's calibrated probabilities``. Cross-entropy against that blend is the classic distillation loss
(hard-label cross-entropy plus w x the KL divergence to the teacher, up to a constant), so nothing else
in the training loop changes. The teacher reads each training face once, through the same LiteRT file the
app serves; it sees the face and its mirror image, so its targets hold for flipped faces too. At the end the
student gets its own temperature, fitted on PublicTest, like every shipped model.

With ``--teacher-views K`` the teacher also reads K - 1 augmented copies of each face (rotated, zoomed,
shifted, contrast changed), made once with the training augmentation. Each epoch the student sees every face
as one of its K views, picked at random and mirrored at random, with the teacher's probabilities for *that*
view: the targets stay consistent with what the student sees (a fixed target for an augmented face is not),
which is what keeps a student from over-fitting on a long distillation (Beyer et al. 2022, "a good teacher is
patient and consistent"). The teacher's time grows K-fold; it runs once per run, and a run that
starts with a copy of an earlier run's ``teacher_probs.npz`` (same seed) has it read only the views that
one lacks.
"""
from __future__ import annotations

import sys

import numpy as np

from fer_core.labels import EMOTIONS

DEFAULT_TEACHER_WEIGHT = 0.7


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


def blend_targets(labels: np.ndarray, teacher_probs: np.ndarray, weight: float) -> np.ndarray:
    """``(1 - weight) x one_hot(labels) + weight x teacher_probs``: rows that sum to 1."""
    if not 0.0 <= weight <= 1.0:
        raise ValueError(f"the teacher's weight must lie in [0, 1]; got {weight}")
    one_hot = np.eye(len(EMOTIONS), dtype=np.float32)[labels.astype(int)]
    return ((1.0 - weight) * one_hot + weight * teacher_probs).astype(np.float32)


def main(argv=None) -> int:
    from fer_core.training import train

    argv = list(sys.argv[1:] if argv is None else argv)
    if "--teacher" not in argv and not any(a.startswith("--teacher=") for a in argv):
        print("distill needs --teacher MODEL_FOLDER (e.g. models/accurate); see --help of "
              "python -m fer_core.training.train for the other options", file=sys.stderr)
        return 2
    return train.main(argv)


if __name__ == "__main__":
    sys.exit(main())
