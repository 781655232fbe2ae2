"""Distil a teacher (the Accurate ensemble) into one small network: the Fast model.

    python -m fer_core.training.distill --data ../shared/data/fer2013.npz --teacher models/accurate \\
        --out models/fast --width 16

The student trains like any network (it takes every option of ``python -m fer_core.training.train``,
``--resume`` included), but it learns from blended targets: ``(1 - w) x the one-hot label + w x the
teacher's calibrated probabilities``. Cross-entropy against that blend is the classic distillation loss
(hard-label cross-entropy plus w x the KL divergence to the teacher, up to a constant), so nothing else
in the training loop changes (fer_core.training.teacher makes the targets). The teacher reads each training
face once, through the same LiteRT file the app serves; it sees the face and its mirror image, so its targets
hold for flipped faces too. At the end the
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
