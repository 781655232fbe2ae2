"""Read FER2013 in the three forms it is published in, into the same arrays.

* ``fer2013.csv``: columns ``emotion`` (0-6), ``pixels`` (2304 space-separated ints), ``Usage``.
* the image-folder release: ``train/<class>/*.jpg`` and ``test/<class>/*.jpg``, file names
  prefixed ``Training_``, ``PublicTest_`` or ``PrivateTest_``.
* the project's ``fer2013.npz`` (arrays ``x``, ``y``, ``usage``).

FER+'s ten votes per face come along where the data has them: ``ferplus_votes`` in the .npz, or FER+'s
``fer2013new.csv`` beside ``fer2013.csv`` (see fer_core.ferplus).

Every reader returns a :class:`Fer2013` with ``x`` uint8 (N, 48, 48), ``y`` uint8 (N,) and
``usage`` (N,) holding one of :data:`SPLITS`.
"""
from __future__ import annotations

import csv
import os
import zipfile
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError

from fer_core import ferplus
from fer_core.faces import FACE_SIZE
from fer_core.labels import EMOTIONS, SPLITS

DEFAULT_DATA_CANDIDATES = ("../shared/data/fer2013.npz",)


class DatasetError(ValueError):
    """The dataset path or its content is not FER2013 in a form we read."""


@dataclass(frozen=True)
class Fer2013:
    x: np.ndarray  # uint8 (N, 48, 48)
    y: np.ndarray  # uint8 (N,)
    usage: np.ndarray  # str (N,)
    skipped: int = 0  # unreadable images left out (image-folder release only)
    votes: np.ndarray | None = None  # uint8 (N, 10) FER+ votes in ferplus.COLUMNS' order; zeros where none

    def split_votes(self, name: str) -> np.ndarray | None:
        """The FER+ votes of a split's faces, in the order of :meth:`split`; None if the data has no votes."""
        return None if self.votes is None else self.votes[self.usage == name]

    def split(self, name: str) -> tuple[np.ndarray, np.ndarray]:
        if name not in SPLITS:
            raise DatasetError(f"unknown split {name!r}; expected one of {', '.join(SPLITS)}")
        keep = self.usage == name
        return self.x[keep], self.y[keep]

    def class_counts(self) -> dict[str, dict[str, int]]:
        """Per split, per class: how many images."""
        counts = {}
        for split in SPLITS:
            per_class = np.bincount(self.y[self.usage == split], minlength=len(EMOTIONS))
            counts[split] = {name: int(n) for name, n in zip(EMOTIONS, per_class)}
        return counts


def load_fer2013(path: str | os.PathLike) -> Fer2013:
    """Load FER2013 from a .npz, a .csv or the image-folder release, chosen by what ``path`` is."""
    path = Path(path)
    if not path.exists():
        raise DatasetError(f"no dataset at {path}: give the path of fer2013.csv, fer2013.npz or the "
                           "folder holding train/ and test/")
    if path.is_dir():
        return _load_folders(path)
    if path.suffix == ".npz":
        return _load_npz(path)
    if path.suffix == ".csv":
        return _load_csv(path)
    raise DatasetError(f"{path} is neither a .csv, a .npz nor a folder")


def find_default_data() -> Path | None:
    """The dataset named by ``FER_DATA``, else the shared copy beside the checkout, if either exists."""
    root = Path(__file__).resolve().parents[1]  # the checkout
    candidates = [os.environ.get("FER_DATA")] + [root / c for c in DEFAULT_DATA_CANDIDATES]
    for candidate in candidates:
        if candidate and Path(candidate).exists():
            return Path(candidate)
    return None


def _checked(x: np.ndarray, y: np.ndarray, usage: np.ndarray, skipped: int = 0,
             votes: np.ndarray | None = None) -> Fer2013:
    if len(x) == 0:
        raise DatasetError("the dataset holds no images")
    if y.max(initial=0) >= len(EMOTIONS):
        raise DatasetError(f"labels must be 0-{len(EMOTIONS) - 1}; found {int(y.max())}")
    unknown = set(np.unique(usage)) - set(SPLITS)
    if unknown:
        raise DatasetError(f"unknown usage values {sorted(unknown)}; expected {', '.join(SPLITS)}")
    return Fer2013(x=x, y=y, usage=usage, skipped=skipped, votes=votes)


def _load_npz(path: Path) -> Fer2013:
    try:
        archive = np.load(path)  # never pickles: allow_pickle stays off
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as err:  # not an .npz at all, or cut short
        raise DatasetError(f"{path} is not a readable .npz file ({err})") from err
    if not hasattr(archive, "files"):  # one bare array saved by np.save
        raise DatasetError(f"{path} holds one array, not the arrays x, y and usage")
    with archive as data:
        missing = {"x", "y", "usage"} - set(data.files)
        if missing:
            raise DatasetError(f"{path} lacks the arrays {sorted(missing)}")
        x, y, usage = data["x"], data["y"], data["usage"]
        votes = None
        if "ferplus_votes" in data.files:
            votes = data["ferplus_votes"].astype(np.uint8)
            if "has_ferplus" in data.files:
                votes[~data["has_ferplus"].astype(bool)] = 0
    if x.shape[1:] != (FACE_SIZE, FACE_SIZE):
        raise DatasetError(f"{path}: images must be {FACE_SIZE}x{FACE_SIZE}, found {x.shape[1:]}")
    return _checked(x.astype(np.uint8), y.astype(np.uint8), usage.astype(str), votes=votes)


def _load_csv(path: Path) -> Fer2013:
    with open(path, newline="") as f:
        reader = csv.DictReader(f)
        needed = {"emotion", "pixels", "Usage"}
        if not reader.fieldnames or not needed <= set(reader.fieldnames):
            raise DatasetError(f"{path}: expected the columns emotion, pixels, Usage; found "
                               f"{', '.join(reader.fieldnames or []) or 'none'}")
        rows = list(reader)
    x = np.empty((len(rows), FACE_SIZE, FACE_SIZE), np.uint8)
    for i, row in enumerate(rows):
        pixels = np.array(row["pixels"].split(), dtype=np.int64)
        if pixels.size != FACE_SIZE * FACE_SIZE:
            raise DatasetError(f"{path}, row {i + 2}: {pixels.size} pixels, expected {FACE_SIZE * FACE_SIZE}")
        x[i] = pixels.reshape(FACE_SIZE, FACE_SIZE)
    y = np.array([int(r["emotion"]) for r in rows], np.uint8)
    usage = np.array([r["Usage"] for r in rows])
    release = path.with_name("fer2013new.csv")
    try:
        votes = ferplus.read_release(release, usage) if release.is_file() else None
    except ValueError as err:
        raise DatasetError(str(err)) from err
    return _checked(x, y, usage, votes=votes)


def _load_folders(root: Path) -> Fer2013:
    if not (root / "train").is_dir() and not (root / "test").is_dir():
        raise DatasetError(f"{root} holds neither train/ nor test/ (the image-folder release)")
    images, labels, usages, skipped = [], [], [], 0
    for part in ("train", "test"):
        part_dir = root / part
        if not part_dir.is_dir():
            continue
        for class_dir in sorted(p for p in part_dir.iterdir() if p.is_dir()):
            if class_dir.name not in EMOTIONS:
                raise DatasetError(f"unknown class folder {class_dir}; expected {', '.join(EMOTIONS)}")
            label = EMOTIONS.index(class_dir.name)
            for file in sorted(class_dir.iterdir()):
                usage = next((s for s in SPLITS if file.name.startswith(s + "_")), None)
                if usage is None:  # foreign files (e.g. .DS_Store) are no part of the dataset
                    continue
                try:
                    with Image.open(file) as im:
                        face = np.asarray(im.convert("L").resize((FACE_SIZE, FACE_SIZE)), np.uint8)
                except (UnidentifiedImageError, OSError, ValueError):
                    skipped += 1
                    continue
                images.append(face)
                labels.append(label)
                usages.append(usage)
    if not images:
        raise DatasetError(f"{root}: no readable images under train/<class>/ or test/<class>/")
    return _checked(np.stack(images), np.array(labels, np.uint8), np.array(usages), skipped)
