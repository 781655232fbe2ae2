"""FER2013's own faces, read by a model beside how FER+'s ten people voted on them: for the Dashboard, where a
copy of FER2013 with the votes is at hand (``FER_DATA``, or the shared copy beside the checkout; the repository
ships no face of it). A few PrivateTest faces of each kind in :data:`KINDS` are drawn at random, not chosen for
how the model reads them, so that its "not sure" can be seen against the people's own doubt."""
from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from fer_core import ferplus
from fer_core.engine import Engine
from fer_core.fer2013 import Fer2013, load_fer2013
from fer_core.labels import EMOTIONS
from fer_core.results import FaceResult

# Which faces the Dashboard shows, and how it heads each row of them; no face is of two kinds.
KINDS = {
    "agreed": "Faces most people agree on (8 or more of 10), as FER2013's label does",
    "split": "Faces people split on (no emotion has half the votes)",
    "relabelled": "Faces where the people's majority differs from FER2013's label",
}
EXAMPLES_PER_KIND = 3
EXAMPLES_SPLIT = "PrivateTest"


@dataclass(frozen=True)
class PeopleExample:
    """One FER2013 face: the pixels, its original label, the ten people's votes and the model's reading."""
    kind: str  # one of KINDS
    face: np.ndarray  # uint8 (48, 48)
    label: str  # FER2013's original label
    votes: tuple[int, ...]  # the ten people's votes for each of EMOTIONS (the rest: contempt, unknown, not a face)
    reading: FaceResult  # the model's, on the whole 48x48 face

    @property
    def people_share(self) -> tuple[float, ...]:
        """The people's votes as shares of the ten, per emotion of EMOTIONS."""
        return tuple(v / ferplus.VOTERS for v in self.votes)

    @property
    def votes_words(self) -> str:
        """How the ten voted, most votes first: "6 neutral, 3 sad, 1 other"."""
        ranked = sorted(((v, name) for v, name in zip(self.votes, EMOTIONS) if v), key=lambda p: -p[0])
        other = ferplus.VOTERS - sum(self.votes)
        return ", ".join([f"{v} {name}" for v, name in ranked] + ([f"{other} other"] if other else []))

    @property
    def words(self) -> str:
        """The face in one line: "FER2013's label: sad. The ten people: 6 neutral, 3 sad, 1 other. The model:
        not sure: sad or neutral?"."""
        reading = self.reading.reading
        return (f"FER2013's label: {self.label}. The ten people: {self.votes_words}. The model: {reading}"
                + ("" if reading.endswith("?") else "."))


def kind_of_faces(votes: np.ndarray, labels: np.ndarray) -> dict[str, np.ndarray]:
    """For each of KINDS, which faces are of it (bool, one per face)."""
    crowd, split = ferplus.majority(votes), ferplus.people_split(votes)
    return {"agreed": ferplus.people_agree(votes) & (crowd == labels), "split": split,
            "relabelled": (crowd >= 0) & (crowd != labels) & ~split}


def draw_examples(data: Fer2013, engine: Engine, per_kind: int = EXAMPLES_PER_KIND, seed: int = 0
                  ) -> list[PeopleExample]:
    """``per_kind`` faces of each of KINDS from the split EXAMPLES_SPLIT, drawn at random (the same for the same
    ``seed``), read by ``engine``'s model. None of a kind where the split has none; [] without votes."""
    votes = data.split_votes(EXAMPLES_SPLIT)
    if votes is None:
        return []
    x, y = data.split(EXAMPLES_SPLIT)
    rng = np.random.default_rng(seed)
    chosen = [(kind, i) for kind, faces in kind_of_faces(votes, y).items()
              for i in rng.permutation(np.flatnonzero(faces))[:per_kind]]
    if not chosen:
        return []
    crops = np.stack([x[i] for _, i in chosen])
    whole_face = (0, 0, crops.shape[2], crops.shape[1])  # already a face: no detector, the whole crop
    readings = engine.read(crops, [whole_face] * len(crops), [1.0] * len(crops))
    ours = ferplus.our_votes(votes)
    return [PeopleExample(kind, face, EMOTIONS[int(y[i])], tuple(int(v) for v in ours[i]), reading)
            for (kind, i), face, reading in zip(chosen, crops, readings)]


def find_examples(engine: Engine, path: str | Path, per_kind: int = EXAMPLES_PER_KIND) -> list[PeopleExample]:
    """:func:`draw_examples` from the dataset at ``path`` (fer_core.fer2013.find_default_data finds one). Raises
    fer_core.fer2013.DatasetError for a dataset that cannot be read."""
    return draw_examples(load_fer2013(path), engine, per_kind)
