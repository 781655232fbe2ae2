"""read_image: every input kind, every mode, EXIF orientation, and every bad input's error."""
import io

import numpy as np
import pytest
from PIL import Image

from fer_core import ImageError, read_image
from fer_core.limits import MAX_IMAGE_PIXELS
from support import astronaut, encode


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


@pytest.mark.parametrize("fmt", ["JPEG", "WEBP", "BMP", "GIF", "TIFF"])
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
