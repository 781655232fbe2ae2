"""Accessibility: emotion colours stay apart for the common colour-vision deficiencies, and every reading is
also written out, so that no label depends on colour alone."""
import itertools

import numpy as np
import pytest

from fer_core.annotate import EMOTION_COLORS
from fer_core.results import FaceResult
from ui.results import describe

# Machado, Oliveira & Fernandes (2009), full-severity dichromacy, applied to linear RGB.
SIMULATIONS = {
    "protanopia": [[0.152286, 1.052583, -0.204868], [0.114503, 0.786281, 0.099216], [-0.003882, -0.048116, 1.051998]],
    "deuteranopia": [[0.367322, 0.860646, -0.227968], [0.280085, 0.672501, 0.047413], [-0.011820, 0.042940, 0.968881]],
    "tritanopia": [[1.255528, -0.076749, -0.178779], [-0.078411, 0.930809, 0.147602], [0.004733, 0.691367, 0.303900]],
}
MIN_DELTA_E = 12  # CIE76; about 2.3 is just noticeable, over 10 is clearly another colour side by side


def to_lab(rgb) -> np.ndarray:
    linear = np.asarray(rgb, float)
    xyz = linear @ np.array([[0.4124, 0.3576, 0.1805], [0.2126, 0.7152, 0.0722], [0.0193, 0.1192, 0.9505]]).T
    xyz /= np.array([0.95047, 1.0, 1.08883])
    f = np.where(xyz > 0.008856, np.cbrt(xyz), 7.787 * xyz + 16 / 116)
    return np.array([116 * f[1] - 16, 500 * (f[0] - f[1]), 200 * (f[1] - f[2])])


def linear_rgb(color) -> np.ndarray:
    c = np.asarray(color, float) / 255
    return np.where(c <= 0.04045, c / 12.92, ((c + 0.055) / 1.055) ** 2.4)


@pytest.mark.parametrize("deficiency", SIMULATIONS)
def test_emotion_colours_stay_apart(deficiency):
    seen = {name: to_lab(np.clip(np.array(SIMULATIONS[deficiency]) @ linear_rgb(color), 0, 1))
            for name, color in EMOTION_COLORS.items()}
    closest = min((np.linalg.norm(seen[a] - seen[b]), a, b) for a, b in itertools.combinations(seen, 2))
    assert closest[0] >= MIN_DELTA_E, closest


def test_every_reading_is_written_not_only_coloured():
    faces = [FaceResult((10, 10, 80, 80), 0.9, (0, 0, 0, 0.9, 0.05, 0, 0.05), 0.6),
             FaceResult((120, 10, 80, 80), 0.9, (0.3, 0, 0, 0.1, 0.35, 0, 0.25), 0.6)]
    assert describe(faces) == "Faces as numbered in the image: 1: happy 90%; 2: not sure: sad or angry?"
    assert describe(faces[::-1]).endswith("2: happy 90%.")
