"""Face detection (Haar and YuNet) and FER2013-style cropping, on real photos."""
import cv2
import numpy as np
import pytest
from support import ASTRONAUT_FACE, astronaut, group_photo, no_face

from fer_core.faces import DetectorError, HaarDetector, YuNetDetector, crop_faces, find_yunet_model, iou, make_detector


@pytest.fixture(params=["haar", "yunet"])
def detector(request):
    """Each detector; the YuNet half skips where its file is missing, the Haar half always runs."""
    return HaarDetector() if request.param == "haar" else YuNetDetector(request.getfixturevalue("yunet_model"))


def test_one_face(detector):
    found = detector.detect(astronaut())
    assert len(found) == 1
    assert iou(found[0].box, ASTRONAUT_FACE) > 0.5
    assert 0.5 < found[0].score <= 1


def test_no_face(detector):
    assert detector.detect(no_face()) == []


def test_several_faces(detector):
    assert len(detector.detect(group_photo())) == 6


def test_boxes_come_back_in_input_pixels_of_a_large_image(detector):
    big = cv2.resize(astronaut(), (2048, 2048))  # 4x the photo: detection runs on a 640 px copy
    (face,) = detector.detect(big)
    assert iou(face.box, tuple(4 * v for v in ASTRONAUT_FACE)) > 0.5


def test_tiny_images_after_a_photo_give_no_face(detector):
    # YuNet answered a 1x1 upload, after a photo, with boxes of 10^7 px or of infinite size at score 0.9995.
    # Clipping to the image hides most such boxes, not the infinite ones, so the raw detections are checked.
    for height, width in [(1, 1), (2, 7), (16, 16), (32, 200), (200, 32)]:
        assert len(detector.detect(astronaut())) == 1
        tiny = np.zeros((height, width, 3), np.uint8)
        assert detector._detect(tiny) == [] and detector.detect(tiny) == [], (height, width)


def test_a_small_face_is_found_in_a_small_image(yunet_model):
    x, y, w, h = ASTRONAUT_FACE
    face = cv2.resize(astronaut()[y - 30:y + h + 30, x - 30:x + w + 30], (48, 48), interpolation=cv2.INTER_AREA)
    (found,) = YuNetDetector(yunet_model).detect(face)
    assert found.box[0] + found.box[2] <= 48 and found.box[1] + found.box[3] <= 48


def test_crops_are_square_grayscale_48(detector):
    rgb = astronaut()
    gray = cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY)
    (face,) = detector.detect(rgb)
    crops = crop_faces(gray, [face.box, (0, 0, 10, 30), (500, 500, 40, 40)])  # the last two leave the image
    assert crops.shape == (3, 48, 48) and crops.dtype == np.uint8
    x, y, w, h = face.box
    side = max(w, h)
    inner = cv2.resize(gray[y + h // 2 - side // 2:][:side, x + w // 2 - side // 2:][:, :side], (40, 40))
    assert np.corrcoef(crops[0][4:44, 4:44].ravel(), inner.ravel())[0, 1] > 0.9


def test_auto_picks_yunet_when_found_and_haar_otherwise(yunet_model, monkeypatch, tmp_path):
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))  # an empty cache
    monkeypatch.delenv("FER_YUNET_MODEL", raising=False)
    detector, note = make_detector("auto", yunet_model)
    assert isinstance(detector, YuNetDetector) and note is None
    detector, note = make_detector("auto")
    assert isinstance(detector, HaarDetector) and "YuNet is unavailable" in note
    monkeypatch.setenv("FER_YUNET_MODEL", str(yunet_model))
    assert isinstance(make_detector("auto")[0], YuNetDetector)
    with pytest.raises(DetectorError, match="Unknown detector"):
        make_detector("mtcnn")


def test_missing_or_corrupt_yunet_file(tmp_path):
    with pytest.raises(DetectorError, match="No YuNet model file"):
        find_yunet_model(tmp_path / "nope.onnx")
    broken = tmp_path / "broken.onnx"
    broken.write_bytes(b"not an onnx model")
    with pytest.raises(DetectorError, match="missing or damaged"):
        make_detector("yunet", broken)
    detector, note = make_detector("auto", broken)
    assert isinstance(detector, HaarDetector) and "damaged" in note


class FakeResponse:
    """What urllib returns, serving bytes from memory: the download path runs with no network."""

    def __init__(self, payload: bytes):
        self.payload = payload

    def read(self, limit: int) -> bytes:
        return self.payload[:limit]

    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


def test_download_is_checked_by_sha256(yunet_model, monkeypatch, tmp_path):
    import urllib.request

    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path))
    monkeypatch.delenv("FER_YUNET_MODEL", raising=False)
    requested = []
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: requested.append(url) or
                        FakeResponse(b"tampered" + yunet_model.read_bytes()))
    with pytest.raises(DetectorError, match="SHA-256"):
        find_yunet_model(download=True)
    assert not (tmp_path / "fer_core").exists() or not any((tmp_path / "fer_core").iterdir())
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: FakeResponse(yunet_model.read_bytes()))
    path = find_yunet_model(download=True)
    assert path == tmp_path / "fer_core" / "face_detection_yunet_2023mar.onnx"
    assert YuNetDetector(path).detect(astronaut())
    assert requested == ["https://github.com/opencv/opencv_zoo/raw/main/models/face_detection_yunet/"
                         "face_detection_yunet_2023mar.onnx"]
    monkeypatch.setattr(urllib.request, "urlopen", lambda url, timeout: (_ for _ in ()).throw(OSError("offline")))
    assert find_yunet_model(download=True) == path  # cached: no second download


def test_faces_are_numbered_in_reading_order():
    from fer_core.faces import reading_order

    # Two rows of three, the lower row a little uneven, given in the detector's order (by confidence).
    boxes = [(400, 210, 90, 90), (20, 10, 100, 100), (420, 0, 100, 100), (200, 190, 95, 95), (210, 20, 90, 90),
             (10, 200, 100, 100)]
    assert reading_order(boxes) == [1, 4, 2, 5, 3, 0]
    assert reading_order([]) == []


def test_the_six_faces_sample_reads_row_by_row(yunet_engine):
    from support import REPO

    faces = yunet_engine.analyze(REPO / "assets" / "six-faces.jpg")  # three faces above, three below
    boxes = [face.box for face in faces]
    assert len(boxes) == 6 and max(b[1] for b in boxes[:3]) < min(b[1] for b in boxes[3:])
    assert [b[0] for b in boxes[:3]] == sorted(b[0] for b in boxes[:3])
    assert [b[0] for b in boxes[3:]] == sorted(b[0] for b in boxes[3:])


def test_offline_haar_finds_both_people_in_a_photo_that_yunet_reads(haar_engine, yunet_engine):
    from skimage import data

    photo = np.hstack([data.astronaut(), np.dstack([data.camera()] * 3)])  # 1024x512: one face front-on, one turned
    assert len(haar_engine.analyze(photo, stream=True)) < 2  # Live's cheap search misses the cameraman
    haar, yunet = haar_engine.analyze(photo), yunet_engine.analyze(photo)
    assert len(haar) == len(yunet) == 2
    for found, truth in zip(haar, yunet):  # both in reading order: the same person first
        x, y, w, h = truth.box
        fx, fy, fw, fh = found.box
        assert fx <= x + w / 2 <= fx + fw and fy <= y + h / 2 <= fy + fh


def test_offline_haar_finds_40_px_faces_in_a_2048_px_photo(haar_engine, yunet_engine):
    """From the back of a room: twelve real faces (the astronaut, mirrored and lit differently) 40-60 px wide
    in a 2048x1536 photo."""
    from support import astronaut

    head = np.ascontiguousarray(astronaut()[20:260, 110:340])
    ((hx, hy, hw, hh),) = [f.box for f in yunet_engine.analyze(head)]  # where the face is in the crop
    rng = np.random.default_rng(3)
    photo, truth = np.full((1536, 2048, 3), 150, np.uint8), []
    for i in range(12):
        scale = int(rng.integers(40, 61)) / hw  # the face 40-60 px wide
        crop = cv2.resize(head, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        crop = crop[:, ::-1] if i % 2 else crop
        x, y = 100 + (i % 6) * 320 + int(rng.integers(0, 80)), 300 + (i // 6) * 600 + int(rng.integers(0, 80))
        photo[y:y + crop.shape[0], x:x + crop.shape[1]] = np.clip(crop * rng.uniform(0.8, 1.1), 0, 255)
        cx = hx + hw / 2 if i % 2 == 0 else head.shape[1] - hx - hw / 2
        truth.append((x + cx * scale, y + (hy + hh / 2) * scale))
    found = [f.box for f in haar_engine.analyze(photo)]
    hits = sum(any(fx <= cx <= fx + fw and fy <= cy <= fy + fh for fx, fy, fw, fh in found) for cx, cy in truth)
    assert hits >= 10 and len(found) <= 14, (hits, found)
