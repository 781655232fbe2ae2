"""The seven FER2013 classes, in the dataset's label order, used everywhere."""

EMOTIONS: tuple[str, ...] = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
SPLITS: tuple[str, ...] = ("Training", "PublicTest", "PrivateTest")
