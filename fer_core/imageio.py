"""Turn whatever a user hands us into an RGB uint8 array, or a readable :class:`ImageError`.

Analysis never needs a phone photo's full 12-48 megapixels: :func:`load_photo` decodes at most
``ANALYSIS_MAX_SIDE`` pixels across (JPEG's draft mode decodes at 1/2, 1/4 or 1/8 scale without ever
holding the full image) and remembers the full size, so that boxes can be given in the photo's own pixels.
"""
from __future__ import annotations

import io
import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pillow_heif
from PIL import ExifTags, Image, ImageOps, UnidentifiedImageError

from fer_core.limits import ANALYSIS_MAX_SIDE, MAX_IMAGE_PIXELS

pillow_heif.register_heif_opener()  # HEIC/HEIF, the iPhone's default; Pillow reads AVIF itself
FORMATS = "JPEG, PNG, HEIC, AVIF, WebP, BMP, GIF or TIFF"
UPLOAD_TYPES = ["jpg", "jpeg", "png", "heic", "heif", "avif", "webp", "bmp", "gif", "tif", "tiff"]

# Pillow's own bomb guard only warns below 2x its limit; ours refuses above MAX_IMAGE_PIXELS itself.
Image.MAX_IMAGE_PIXELS = None


class ImageError(ValueError):
    """An input that cannot be used as a photo. ``str(err)`` is meant for a non-technical reader."""


@dataclass(frozen=True)
class Photo:
    """A photo decoded at the size analysis needs, with the size of the whole photo."""
    rgb: np.ndarray  # RGB uint8 (h, w, 3), at most the max_side it was loaded with
    full_size: tuple[int, int]  # (width, height) of the whole photo, after EXIF orientation

    @property
    def scale(self) -> tuple[float, float]:
        """Full-size pixels per pixel of ``rgb``, across and down."""
        return self.full_size[0] / self.rgb.shape[1], self.full_size[1] / self.rgb.shape[0]


def read_image(src) -> np.ndarray:
    """Read bytes, a path, a binary file object, a PIL image or an RGB numpy array as RGB uint8 (H, W, 3),
    at full size.

    EXIF orientation is applied; grayscale, 16-bit, palette, CMYK and transparent images are converted;
    transparency is composited on white. Raises :class:`ImageError` for anything else.
    """
    return load_photo(src, max_side=None).rgb


def load_photo(src, max_side: int | None = ANALYSIS_MAX_SIDE) -> Photo:
    """Like :func:`read_image`, but decoded (or shrunk) to at most ``max_side`` pixels across."""
    if isinstance(src, Photo):
        return _shrunk(src.rgb, max_side, src.full_size)
    if isinstance(src, np.ndarray):
        rgb = _from_array(src)
        return _shrunk(rgb, max_side, (rgb.shape[1], rgb.shape[0]))
    if isinstance(src, Image.Image):
        return _from_pil(src, max_side)
    if isinstance(src, (str, os.PathLike)):
        path = Path(src)
        if not path.is_file():
            raise ImageError(f"No file named '{path.name}' was found.")
        src = path.read_bytes()
    if isinstance(src, (bytes, bytearray, memoryview)):
        src = io.BytesIO(src)
    elif hasattr(src, "read") and not hasattr(src, "seek"):
        src = io.BytesIO(src.read())
    elif not hasattr(src, "read"):
        raise ImageError(f"Cannot read an image from a {type(src).__name__}.")
    # A seekable file (an upload) is decoded in place, not copied.
    src.seek(0, io.SEEK_END)
    if src.tell() == 0:
        raise ImageError("The file is empty.")
    src.seek(0)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(src) as im:
                return _from_pil(im, max_side)
    except ImageError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        src.seek(0)
        if _is_image_container(src.read(16)):  # e.g. a HEIC cut short: its header is fine, the rest is not
            raise ImageError("This image is damaged or incomplete and cannot be read.") from err
        raise ImageError(f"This file is not an image we can read ({FORMATS}).") from err
    except (OSError, ValueError, SyntaxError, EOFError, IndexError, TypeError, KeyError, MemoryError) as err:
        # Pillow reports truncated and corrupt data through any of these.
        raise ImageError("This image is damaged or incomplete and cannot be read.") from err


_HEIF_BRANDS = (b"heic", b"heix", b"hevc", b"heim", b"heis", b"mif1", b"msf1", b"avif", b"avis")


def _is_image_container(head: bytes) -> bool:
    """Whether the first bytes say HEIF/HEIC or AVIF (an ISO 'ftyp' box), formats that open only whole."""
    return head[4:8] == b"ftyp" and head[8:12] in _HEIF_BRANDS


def _check_size(width: int, height: int) -> None:
    if width < 1 or height < 1:
        raise ImageError("This image has no pixels.")
    if width * height > MAX_IMAGE_PIXELS:
        raise ImageError(f"This image is too large ({width}x{height} pixels); the limit is "
                         f"{MAX_IMAGE_PIXELS / 1e6:.0f} megapixels.")


def _shrunk(rgb: np.ndarray, max_side: int | None, full_size: tuple[int, int]) -> Photo:
    height, width = rgb.shape[:2]
    if max_side and max(height, width) > max_side:
        factor = max_side / max(height, width)
        size = (max(1, round(width * factor)), max(1, round(height * factor)))
        rgb = cv2.resize(rgb, size, interpolation=cv2.INTER_AREA)
    return Photo(rgb, full_size)


def _from_pil(im: Image.Image, max_side: int | None = None) -> Photo:
    _check_size(*im.size)  # from the header, before any pixel is decoded
    im.seek(0)  # first frame of an animation
    width, height = im.size
    if im.getexif().get(ExifTags.Base.Orientation) in (5, 6, 7, 8):  # turned a quarter: sides swap
        width, height = height, width
    if max_side and max(width, height) > max_side:
        # JPEG decodes at the smallest of 1/2, 1/4, 1/8 that keeps half of max_side (then shrinks to
        # max_side); other formats ignore draft().
        factor = max(width, height) / (max_side / 2)
        im.draft(None, (int(im.size[0] / factor), int(im.size[1] / factor)))
    return _shrunk(_pil_to_rgb(im), max_side, (width, height))


def _pil_to_rgb(im: Image.Image) -> np.ndarray:
    im = ImageOps.exif_transpose(im)
    if im.mode in ("I", "I;16", "I;16L", "I;16B", "I;16N", "F"):
        return _from_array(np.asarray(im))
    if im.mode == "P":
        im = im.convert("RGBA")
    if im.mode in ("RGBA", "LA", "PA", "RGBa", "La"):
        im = im.convert("RGBA")
        white = Image.new("RGBA", im.size, (255, 255, 255, 255))
        im = Image.alpha_composite(white, im)
    return np.asarray(im.convert("RGB"), dtype=np.uint8).copy()


def _from_array(arr: np.ndarray) -> np.ndarray:
    if arr.ndim == 3 and arr.shape[2] == 1:
        arr = arr[..., 0]
    if arr.ndim not in (2, 3) or (arr.ndim == 3 and arr.shape[2] not in (3, 4)):
        raise ImageError(f"An image array must be HxW, HxWx3 (RGB) or HxWx4 (RGBA); got shape {arr.shape}.")
    _check_size(arr.shape[1], arr.shape[0])
    arr = _to_uint8(arr)
    if arr.ndim == 2:
        arr = np.repeat(arr[..., None], 3, axis=2)
    elif arr.shape[2] == 4:
        alpha = arr[..., 3:].astype(np.float32) / 255.0
        arr = (arr[..., :3] * alpha + 255.0 * (1.0 - alpha)).round().astype(np.uint8)
    return np.ascontiguousarray(arr)


def _to_uint8(arr: np.ndarray) -> np.ndarray:
    if arr.dtype == np.uint8:
        return arr
    if arr.dtype == np.bool_:
        return arr.astype(np.uint8) * 255
    if np.issubdtype(arr.dtype, np.integer):
        # 16-bit data (the usual case beyond 8 bits) maps 0-65535 onto 0-255.
        scale = 257.0 if arr.max(initial=0) > 255 else 1.0
        return np.clip(arr / scale, 0, 255).round().astype(np.uint8)
    if np.issubdtype(arr.dtype, np.floating):
        arr = np.nan_to_num(arr.astype(np.float64), nan=0.0, posinf=255.0, neginf=0.0)
        scale = 255.0 if arr.max(initial=0) <= 1.0 else 1.0  # floats in 0-1 are common
        return np.clip(arr * scale, 0, 255).round().astype(np.uint8)
    raise ImageError(f"Image arrays of type {arr.dtype} are not supported.")
