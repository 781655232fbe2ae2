"""read_image: every input kind, every mode, EXIF orientation, and every bad input's error."""
import io
import os
import subprocess
import sys

import numpy as np
import pytest
from PIL import ExifTags, Image
from support import REPO, astronaut, encode, phone_photo

from fer_core import ImageError, read_image
from fer_core.imageio import load_photo
from fer_core.limits import ANALYSIS_MAX_SIDE, MAX_IMAGE_PIXELS


@pytest.fixture(scope="module")
def photo():
    return astronaut()


def test_every_input_kind_gives_the_same_rgb(photo, tmp_path):
    png = encode(photo)
    path = tmp_path / "a.png"
    path.write_bytes(png)
    for src in (png, bytearray(png), memoryview(png), str(path), path, io.BytesIO(png), Image.open(io.BytesIO(png)),
                photo):
        out = read_image(src)
        assert out.dtype == np.uint8 and out.shape == photo.shape
        np.testing.assert_array_equal(out, photo)


@pytest.mark.parametrize("fmt", ["JPEG", "WEBP", "BMP", "GIF", "TIFF", "HEIF", "AVIF"])
def test_formats(photo, fmt):
    out = read_image(encode(photo, fmt))
    assert out.shape == photo.shape
    assert np.abs(out.astype(int) - photo).mean() < 30  # lossy formats stay close


@pytest.mark.parametrize("orientation, turn", [(3, Image.Transpose.ROTATE_180), (6, Image.Transpose.ROTATE_90),
                                               (8, Image.Transpose.ROTATE_270)])
def test_exif_orientation_is_applied(photo, orientation, turn):
    # A camera stores the sensor's pixels turned and says in EXIF how to turn them back.
    stored = Image.fromarray(photo[:, :400]).transpose(turn)
    exif = Image.Exif()
    exif[0x0112] = orientation
    out = read_image(encode(stored, "JPEG", exif=exif, quality=95))
    assert out.shape == (512, 400, 3)
    assert np.abs(out.astype(int) - photo[:, :400]).mean() < 8


def test_modes(photo):
    gray = Image.fromarray(photo).convert("L")
    assert read_image(encode(gray)).shape == (512, 512, 3)
    sixteen = (np.asarray(gray, np.uint16) * 257)
    out = read_image(encode(Image.fromarray(sixteen)))  # 16-bit PNG
    np.testing.assert_allclose(out[..., 0], np.asarray(gray), atol=1)
    palette = Image.fromarray(photo).convert("P", palette=Image.Palette.ADAPTIVE)
    assert np.abs(read_image(encode(palette)).astype(int) - photo).mean() < 15
    cmyk = Image.fromarray(photo).convert("CMYK")
    assert np.abs(read_image(encode(cmyk, "JPEG", quality=95)).astype(int) - photo).mean() < 15
    rgba = np.dstack([photo, np.zeros(photo.shape[:2], np.uint8)])  # fully transparent -> white
    assert (read_image(encode(rgba)) == 255).all()
    assert (read_image(rgba) == 255).all()


def test_arrays_of_other_types(photo):
    np.testing.assert_array_equal(read_image(photo[..., 0]), np.repeat(photo[..., :1], 3, 2))
    np.testing.assert_allclose(read_image(photo / 255.0), photo, atol=1)
    np.testing.assert_allclose(read_image(photo.astype(np.uint16) * 257), photo, atol=1)
    assert read_image(np.ones((4, 4), bool)).max() == 255


def test_animated_gif_gives_first_frame(photo):
    frames = [Image.fromarray(photo), Image.fromarray(255 - photo)]
    buffer = io.BytesIO()
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:])
    assert np.abs(read_image(buffer.getvalue()).astype(int) - photo).mean() < 30


def test_bad_inputs_raise_a_readable_error(photo, tmp_path):
    jpeg, png = encode(photo, "JPEG"), encode(photo)
    corrupt_png = png[:200] + bytes(len(png) - 200)
    cases = [(b"", "empty"), (b"just some text, not a photo", "not an image"),
             (jpeg[: len(jpeg) // 2], "damaged"), (png[: len(png) // 2], "damaged"),
             (corrupt_png, "damaged"), (str(tmp_path / "missing.jpg"), "No file"),
             (np.zeros((2, 2, 5), np.uint8), "image array"), (np.zeros((0, 5), np.uint8), "no pixels"),
             (12345, "Cannot read")]
    for src, words in cases:
        with pytest.raises(ImageError, match=words):
            read_image(src)


def test_decompression_bomb_is_refused_before_decoding():
    side = int(MAX_IMAGE_PIXELS ** 0.5) + 100
    bomb = encode(Image.new("L", (side, side)), optimize=True)  # a few kB on disk, 50+ MP decoded
    assert len(bomb) < 200_000
    with pytest.raises(ImageError, match="too large"):
        read_image(bomb)


def test_one_pixel_image_is_read():
    assert read_image(encode(np.zeros((1, 1, 3), np.uint8))).shape == (1, 1, 3)


def big_photo_jpeg(size=(8100, 6050), orientation=None) -> bytes:
    """A phone-sized JPEG (49 MP by default) of the six-face group photo, optionally with EXIF orientation."""
    import cv2
    from support import group_photo

    image = Image.fromarray(cv2.resize(group_photo(), size, interpolation=cv2.INTER_LINEAR))
    exif = Image.Exif()
    if orientation:
        exif[ExifTags.Base.Orientation] = orientation
    return encode(image, "JPEG", quality=90, exif=exif)


MEMORY_PROBE = """
import sys
from fer_core.imageio import load_photo
data = open(sys.argv[1], "rb").read()
def peak_mb():
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmHWM")) / 1024
before = peak_mb()
photo = load_photo(data)
print(peak_mb() - before, photo.rgb.shape[1], photo.rgb.shape[0], *photo.full_size)
"""


def test_a_49_megapixel_jpeg_is_decoded_at_analysis_size_within_its_memory_budget(tmp_path):
    # Decoded in full it would take 147 MB as RGB and about 380 MB at the peak of the old analysis.
    path = tmp_path / "49mp.jpg"
    path.write_bytes(big_photo_jpeg())
    result = subprocess.run([sys.executable, "-c", MEMORY_PROBE, str(path)], cwd=REPO, capture_output=True,
                            text=True, timeout=120, env={**os.environ, "PYTHONPATH": str(REPO)})
    assert result.returncode == 0, result.stderr[-2000:]
    extra_mb, width, height, full_width, full_height = map(float, result.stdout.split())
    assert (full_width, full_height) == (8100, 6050)
    assert max(width, height) <= ANALYSIS_MAX_SIDE and width / height == pytest.approx(8100 / 6050, rel=0.01)
    assert extra_mb < 95, f"decoding took {extra_mb:.0f} MB more"


@pytest.mark.parametrize("orientation", [None, 6])
def test_boxes_from_the_reduced_decode_match_the_full_decode(orientation, yunet_model):
    from fer_core import Engine

    data = big_photo_jpeg((4000, 3000), orientation)
    engine = Engine.load(detector="yunet", yunet_model=yunet_model)
    reduced = sorted(engine.analyze(data), key=lambda f: f.box)
    full = sorted(engine.analyze(load_photo(data, max_side=None)), key=lambda f: f.box)
    assert load_photo(data).full_size == ((3000, 4000) if orientation else (4000, 3000))
    assert len(reduced) == len(full) == 6
    for a, b in zip(reduced, full):
        assert np.abs(np.array(a.box) - np.array(b.box)).max() <= 6, (a.box, b.box)  # of 4000 pixels
        assert np.abs(np.array(a.probs) - np.array(b.probs)).max() < 0.15  # crops a few pixels apart
        # What a person reads is the same: the label where the model is sure; the two candidates where not.
        if a.uncertain == b.uncertain:
            if not a.uncertain:
                assert a.label == b.label
            else:  # the same first candidate; the second may swap with the third where they lie close
                first, second, third = np.argsort(a.probs)[::-1][:3]
                b_first, b_second = np.argsort(b.probs)[::-1][:2]
                close = a.probs[second] - a.probs[third] < 0.1
                assert b_first == first and (b_second == second or (b_second == third and close)), (a.probs, b.probs)
        else:  # the two crops straddle the "not sure" threshold: both lie close to it, on the same emotion
            assert all(abs(face.focus - face.threshold) < 0.05 for face in (a, b)), (a, b)
            assert a.label == b.label


def test_small_images_and_frames_are_not_resized(photo):
    out = load_photo(encode(photo))
    assert out.full_size == (512, 512) and out.scale == (1.0, 1.0)
    np.testing.assert_array_equal(out.rgb, photo)
    frame = np.zeros((3000, 100, 3), np.uint8)
    assert load_photo(frame).rgb.shape == (ANALYSIS_MAX_SIDE, 68, 3) and load_photo(frame).full_size == (100, 3000)


@pytest.mark.parametrize("fmt", ["HEIF", "AVIF"])
def test_iphone_formats_come_out_upright(fmt):
    upright = astronaut()[:, :400]
    out = read_image(phone_photo(fmt))
    assert out.shape == upright.shape
    assert np.abs(out.astype(int) - upright).mean() < 12
    assert load_photo(phone_photo(fmt)).full_size == (400, 512)


@pytest.mark.parametrize("fmt", ["HEIF", "AVIF"])
def test_truncated_iphone_formats_are_called_damaged(fmt):
    data = phone_photo(fmt)
    with pytest.raises(ImageError, match="damaged or incomplete"):
        read_image(data[: len(data) // 2])
