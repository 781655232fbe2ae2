"""Bad input through fer_core: random bytes and random images never raise anything but ImageError."""
import io

import numpy as np
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image
from support import astronaut, encode

from fer_core import ImageError, read_image
from fer_core.limits import MAX_FACES_PER_IMAGE

MODES = ["1", "L", "LA", "P", "RGB", "RGBA", "CMYK", "I", "I;16", "F", "YCbCr"]
FORMATS = {"PNG": ["1", "L", "LA", "P", "RGB", "RGBA", "I;16"], "JPEG": ["L", "RGB", "CMYK"],
           "WEBP": ["RGB", "RGBA"], "BMP": ["1", "L", "P", "RGB"], "GIF": ["L", "P"], "TIFF": MODES}


@st.composite
def encoded_images(draw):
    fmt = draw(st.sampled_from(sorted(FORMATS)))
    mode = draw(st.sampled_from(FORMATS[fmt]))
    width, height = draw(st.integers(1, 300)), draw(st.integers(1, 300))
    seed = draw(st.integers(0, 2**32 - 1))
    pixels = np.random.default_rng(seed).integers(0, 256, (height, width, 3), dtype=np.uint8)
    image = Image.fromarray(pixels).convert(mode)
    buffer = io.BytesIO()
    image.save(buffer, format=fmt)
    data = buffer.getvalue()
    cut = draw(st.one_of(st.none(), st.integers(0, len(data))))  # sometimes truncated
    return data if cut is None else data[:cut], (width, height)


def use_or_refuse(call):
    """Run ``call``; ImageError is the one allowed failure. Returns the result or None."""
    try:
        return call()
    except ImageError as err:
        assert str(err) and "\n" not in str(err)
        return None


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4096))
def test_random_bytes(data):
    use_or_refuse(lambda: read_image(data))


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(min_size=1, max_size=2000), st.sampled_from(["PNG", "JPEG", "GIF", "WEBP"]))
def test_real_headers_with_random_bodies(body, fmt):
    header = encode(astronaut()[:8, :8], fmt)[:64]
    use_or_refuse(lambda: read_image(header + body))


@settings(max_examples=120, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(encoded_images())
def test_random_images_of_every_mode(haar_engine, sample):
    data, (width, height) = sample
    rgb = use_or_refuse(lambda: read_image(data))
    if rgb is not None:
        assert rgb.dtype == np.uint8 and rgb.shape == (height, width, 3)
    faces = use_or_refuse(lambda: haar_engine.analyze(data))
    assert faces is None or all(abs(sum(f.probs) - 1) < 1e-4 for f in faces)


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 400), st.integers(1, 400), st.sampled_from([1, 3, 4]),
       st.sampled_from([np.uint8, np.uint16, np.float32, np.float64, np.int32, bool]))
def test_random_arrays(haar_engine, height, width, channels, dtype):
    array = np.random.default_rng(height * width).random((height, width, channels)) * 300
    array = array.astype(dtype)
    rgb = read_image(array)
    assert rgb.shape == (height, width, 3)
    assert haar_engine.analyze(array) == haar_engine.analyze(rgb)


def test_a_crowd_is_found_and_capped(yunet_engine):
    face = np.pad(astronaut()[40:240, 130:320], ((20, 20), (20, 20), (0, 0)), constant_values=200)
    crowd = np.tile(face, (7, 8, 1))  # 56 faces; two side by side make 112
    assert len(yunet_engine.analyze(crowd)) == 56
    faces = yunet_engine.analyze(np.hstack([crowd, crowd]))
    assert len(faces) == MAX_FACES_PER_IMAGE
    assert min(f.score for f in faces) >= max(f.score for f in yunet_engine.detector.detect(np.hstack([crowd, crowd]))[
        MAX_FACES_PER_IMAGE:])  # the most confident were kept
