"""What a model folder under models/ holds, read for the dashboard: no dataset needed."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from fer_core.classifier import model_dir


@dataclass(frozen=True)
class ModelArtifacts:
    folder: Path
    metrics: dict | None
    history: pd.DataFrame | None
    class_counts: dict | None
    model_card: str | None


def _read(path: Path, parse):
    try:
        return parse(path)
    except (OSError, ValueError):
        return None


def _read_json(path: Path):
    return json.loads(path.read_text())


def read_metrics(folder: str | os.PathLike) -> dict | None:
    """A model folder's metrics.json, or None if it has none (or a broken one)."""
    return _read(Path(folder) / "metrics.json", _read_json)


def load_artifacts(model: str | os.PathLike | None = None) -> ModelArtifacts:
    """What the model folder of ``model`` (a name such as "fast", a folder, or None for the default) holds."""
    folder = model_dir(model)
    return ModelArtifacts(folder, read_metrics(folder), _read(folder / "history.csv", pd.read_csv),
                          _read(folder / "class_counts.json", _read_json), _read(folder / "model.md", Path.read_text))
