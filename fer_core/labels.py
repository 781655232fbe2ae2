"""The seven FER2013 classes, in the dataset's label order, used everywhere, and the two label sets they are
scored against."""

EMOTIONS: tuple[str, ...] = ("angry", "disgust", "fear", "happy", "sad", "surprise", "neutral")
SPLITS: tuple[str, ...] = ("Training", "PublicTest", "PrivateTest")

# The two answers a face's emotion can be scored against, worded once: FER2013's original label, and the emotion
# most of FER+'s ten annotators chose. "rows": a confusion matrix's row axis, "row": a row in words, "faces": how
# the faces of a row are named.
LABEL_SETS: dict[str, dict[str, str]] = {
    "labels": {"name": "FER2013's labels", "rows": "FER2013's label", "row": "the emotion FER2013's label gives",
               "faces": "labelled"},
    "people": {"name": "the ten people's majority", "rows": "the people's majority",
               "row": "the emotion most of the ten people chose (on the faces where that is one of the seven)",
               "faces": "most people call"},
}
