"""The app's photo path: one decode, the faces, the very crops the model read, a display copy, the limits."""
import cv2
import numpy as np
import pytest
from support import astronaut, encode, group_photo

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
