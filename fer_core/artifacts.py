"""What a model folder under models/ holds, read for the dashboard: no dataset needed."""
from __future__ import annotations

import json
import os
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

from fer_core.classifier import default_model_dir


@dataclass(frozen=True)
class ModelArtifacts:
    folder: Path
    metrics: dict | None
    history: pd.DataFrame | None
    class_counts: dict | None
    model_card: str | None


def load_artifacts(folder: str | os.PathLike | None = None) -> ModelArtifacts:
    folder = default_model_dir() if folder is None else Path(folder)

    def read(name, parse):
        try:
            return parse(folder / name)
        except (OSError, ValueError):
            return None

    return ModelArtifacts(folder, read("metrics.json", lambda p: json.loads(p.read_text())),
                          read("history.csv", pd.read_csv),
                          read("class_counts.json", lambda p: json.loads(p.read_text())),
                          read("model.md", Path.read_text))
