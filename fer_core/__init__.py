"""fer_core: facial emotion recognition shared by the app, the CLI and outside scripts.

    engine = fer_core.Engine.load()          # shipped model, YuNet if found else Haar
    for face in engine.analyze("photo.jpg"):
        print(face.box, face.label, face.confidence)

It never imports Streamlit, and never TensorFlow outside training and evaluation.
"""
from fer_core.annotate import annotate
from fer_core.engine import Engine
from fer_core.faces import DetectorError
from fer_core.imageio import ImageError, read_image
from fer_core.labels import EMOTIONS
from fer_core.models import ModelError
from fer_core.results import FaceResult

__all__ = ["EMOTIONS", "DetectorError", "Engine", "FaceResult", "ImageError", "ModelError", "annotate",
           "read_image"]
