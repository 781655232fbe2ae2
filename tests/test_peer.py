"""fer's model in our contract: a network that takes 64x64 faces in [-1, 1] (as fer's does), saved as legacy HDF5
(as fer ships it), is wrapped to take raw 48x48 pixels and gives what fer's own preprocessing would give."""
import subprocess
import sys

import numpy as np
import pytest
from support import REPO, lfw_faces, run_module

from fer_core.classifier import EmotionClassifier

pytestmark = pytest.mark.slow

STAND_IN = """
import sys
import cv2, keras, numpy as np
inputs = keras.Input((64, 64, 1))
x = keras.layers.Conv2D(8, 3, activation="relu")(inputs)
x = keras.layers.Conv2D(8, 3, strides=2, activation="relu")(x)
outputs = keras.layers.Dense(7, activation="softmax", kernel_initializer=keras.initializers.RandomNormal(stddev=0.1))(
    keras.layers.Flatten()(x))  # weights large enough that the inputs matter
network = keras.Model(inputs, outputs)
network.save(sys.argv[1])
faces = np.load(sys.argv[2])
resized = np.stack([cv2.resize(f, (64, 64), interpolation=cv2.INTER_LINEAR) for f in faces]).astype("float32")
np.save(sys.argv[3], network.predict((resized / 255.0 - 0.5)[..., None] * 2.0, verbose=0))  # fer's preprocess_input
"""


def test_peer_model_is_wrapped_with_fers_own_preprocessing(tmp_path):
    faces = lfw_faces(12)
    np.save(tmp_path / "faces.npy", faces)
    made = subprocess.run([sys.executable, "-c", STAND_IN, str(tmp_path / "emotion_model.hdf5"),
                           str(tmp_path / "faces.npy"), str(tmp_path / "expected.npy")],
                          cwd=REPO, capture_output=True, text=True, timeout=300)
    assert made.returncode == 0, made.stderr[-3000:]
    result = run_module("fer_core.training.peer", tmp_path / "emotion_model.hdf5", "--out", tmp_path / "peer")
    assert result.returncode == 0, result.stderr[-3000:]
    wrapped = EmotionClassifier(tmp_path / "peer").predict(faces)  # checks our contract as it loads
    np.testing.assert_allclose(wrapped, np.load(tmp_path / "expected.npy"), atol=0.01)
