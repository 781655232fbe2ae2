"""Labels on images: on a crowded photo of real faces, no two labels overlap and none leaves the image."""
import cv2
import numpy as np
from support import astronaut

from fer_core.annotate import _overlap, annotate, label_size, label_style, place_labels
from fer_core.results import FaceResult

UNSURE = (0.05, 0.0, 0.3, 0.05, 0.41, 0.09, 0.1)  # "not sure: sad or fear?"


def crowded_row(faces: int = 6, size: int = 110) -> np.ndarray:
    """A row of real faces side by side, touching, at the top edge of a wide photo: no room above them."""
    face = cv2.resize(astronaut()[30:250, 120:330], (size, size))
    canvas = np.full((size + 60, faces * size, 3), 200, np.uint8)
    for i in range(faces):
        canvas[:size, i * size:(i + 1) * size] = face[:, ::-1] if i % 2 else face
    return canvas


def assert_apart_and_inside(spots, bounds):
    width, height = bounds
    for i, (x0, y0, x1, y1) in enumerate(spots):
        assert 0 <= x0 < x1 <= width and 0 <= y0 < y1 <= height, (i, spots[i], bounds)
        assert not any(_overlap(spots[i], other) for other in spots[i + 1:]), (i, spots)


def test_labels_on_a_crowded_row_of_real_faces_never_overlap_or_leave_it(yunet_engine):
    image = crowded_row()
    found = yunet_engine.analyze(image)
    assert len(found) == 6
    faces = [FaceResult(f.box, f.score, UNSURE if i % 2 else f.probs, threshold=0.5) for i, f in enumerate(found)]
    thickness, scale = label_style(image.shape)
    texts = [face.marker(i + 1) for i, face in enumerate(faces)]
    spots = place_labels([f.box for f in faces], [label_size(t, thickness, scale) for t in texts],
                         (image.shape[1], image.shape[0]))
    assert_apart_and_inside(spots, (image.shape[1], image.shape[0]))
    drawn = annotate(image, faces, texts)
    assert drawn.shape == image.shape and not np.array_equal(drawn, image)


def test_labels_of_faces_at_every_edge_and_on_top_of_each_other_stay_inside():
    rng = np.random.default_rng(0)
    for _ in range(200):
        width, height = rng.integers(120, 900, 2)
        boxes = []
        for _ in range(rng.integers(1, 9)):
            w = int(rng.integers(20, max(21, min(width, height) // 2)))
            boxes.append((int(rng.integers(-10, width - w + 10)), int(rng.integers(-10, height - w + 10)), w, w))
        sizes = [(int(rng.integers(30, 200)), int(rng.integers(12, 30))) for _ in boxes]
        spots = place_labels(boxes, sizes, (int(width), int(height)))
        for (x0, y0, x1, y1), (tw, th) in zip(spots, sizes):
            assert 0 <= x0 and x1 <= width and 0 <= y0 and y1 <= height
            assert (x1 - x0, y1 - y0) == (min(tw, width), min(th, height))
        if len(boxes) * max(h for _, h in sizes) * 2 < height:  # room to stack them all: then they stay apart
            assert_apart_and_inside(spots, (width, height))
