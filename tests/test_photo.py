"""The app's photo path: one decode, the faces, the very crops the model read, a display copy, the limits."""
import io

import cv2
import numpy as np
import pytest
from support import REPO, astronaut, encode, group_photo

from fer_core import ImageError
from fer_core.limits import DISPLAY_MAX_SIDE, MAX_IMAGES_PER_UPLOAD, MAX_UPLOAD_MB
from fer_core.photo import analyze_photo, numbered_readings, within_upload_limit


def test_the_crops_are_what_the_model_read_even_above_analysis_size(haar_engine):
    big = encode(cv2.resize(astronaut(), (3000, 3000)), "JPEG", quality=92)  # decoded below 2048 px for analysis
    analysis = analyze_photo(haar_engine, big)
    (face,) = analysis.faces
    assert analysis.crops.shape == (1, 48, 48) and analysis.crops.dtype == np.uint8
    np.testing.assert_allclose(haar_engine.classify(analysis.crops)[0], face.probs, atol=1e-6)
    assert face.box[2] > 400  # in the whole photo's pixels
    assert max(analysis.display.rgb.shape[:2]) == DISPLAY_MAX_SIDE and analysis.display.full_size == (3000, 3000)


def test_the_display_copy_is_annotated_with_numbered_readings(haar_engine):
    analysis = analyze_photo(haar_engine, encode(group_photo()))
    assert len(analysis.faces) == len(analysis.crops) == 6
    assert numbered_readings(analysis.faces)[0] == f"1: {analysis.faces[0].reading}"
    assert not np.array_equal(analysis.annotated(), analysis.display.rgb)


def test_the_upload_limits_live_in_fer_core(haar_engine):
    with pytest.raises(ImageError, match=f"larger than {MAX_UPLOAD_MB} MB"):
        analyze_photo(haar_engine, b"\xff" * (MAX_UPLOAD_MB * 2**20 + 1))
    items = list(range(MAX_IMAGES_PER_UPLOAD + 3))
    kept, note = within_upload_limit(items)
    assert kept == items[:MAX_IMAGES_PER_UPLOAD] and f"{len(items)} images were given" in note
    assert within_upload_limit(items[:2]) == (items[:2], None)


def test_a_result_card_holds_the_image_the_readings_and_the_model(yunet_engine):
    from PIL import Image

    from fer_core.share import CARD_WIDTH, MARGIN, result_card

    analysis = analyze_photo(yunet_engine, (REPO / "assets" / "six-faces.jpg").read_bytes())
    png = result_card(analysis.annotated(), analysis.faces, "Accurate")
    with Image.open(io.BytesIO(png)) as card:
        rgb = np.asarray(card.convert("RGB"))
    annotated_height = round(analysis.display.rgb.shape[0] * (CARD_WIDTH - 2 * MARGIN) / analysis.display.rgb.shape[1])
    assert rgb.shape[1] == CARD_WIDTH and rgb.shape[0] > annotated_height + 200
    words = rgb[MARGIN + annotated_height + 10:]  # below the picture: the mood, six readings and the footer
    dark_rows = (words.min(axis=(1, 2)) < 100).sum()
    assert dark_rows > 80  # lines of text were drawn, not an empty strip
    empty = result_card(analysis.display.rgb, [], "Fast")
    assert empty.startswith(b"\x89PNG")
