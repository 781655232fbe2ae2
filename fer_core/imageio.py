"""Turn whatever a user hands us into an RGB uint8 array, or a readable :class:`ImageError`."""
from __future__ import annotations

import io
import os
import warnings
from pathlib import Path

import numpy as np
from PIL import Image, ImageOps, UnidentifiedImageError

from fer_core.limits import MAX_IMAGE_PIXELS

# Pillow's own bomb guard only warns below 2x its limit; ours refuses above MAX_IMAGE_PIXELS itself.
Image.MAX_IMAGE_PIXELS = None


class ImageError(ValueError):
    """An input that cannot be used as a photo. ``str(err)`` is meant for a non-technical reader."""


def read_image(src) -> np.ndarray:
    """Read bytes, a path, a binary file object, a PIL image or an RGB numpy array as RGB uint8 (H, W, 3).

    EXIF orientation is applied; grayscale, 16-bit, palette, CMYK and transparent images are converted;
    transparency is composited on white. Raises :class:`ImageError` for anything else.
    """
    if isinstance(src, np.ndarray):
        return _from_array(src)
    if isinstance(src, Image.Image):
        return _from_pil(src)
    if isinstance(src, (str, os.PathLike)):
        path = Path(src)
        if not path.is_file():
            raise ImageError(f"No file named '{path.name}' was found.")
        src = path.read_bytes()
    elif hasattr(src, "read"):
        src = src.read()
    if not isinstance(src, (bytes, bytearray, memoryview)):
        raise ImageError(f"Cannot read an image from a {type(src).__name__}.")
    if len(src) == 0:
        raise ImageError("The file is empty.")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            with Image.open(io.BytesIO(src)) as im:
                return _from_pil(im)
    except ImageError:
        raise
    except (UnidentifiedImageError, Image.DecompressionBombError, Image.DecompressionBombWarning) as err:
        raise ImageError("This file is not an image we can read (JPEG, PNG, WebP, BMP, GIF or TIFF).") from err
    except (OSError, ValueError, SyntaxError, EOFError, IndexError, TypeError, KeyError, MemoryError) as err:
        # Pillow reports truncated and corrupt data through any of these.
        raise ImageError("This image is damaged or incomplete and cannot be read.") from err


def _check_size(width: int, height: int) -> None:
    if width < 1 or height < 1:
        raise ImageError("This image has no pixels.")
    if width * height > MAX_IMAGE_PIXELS:
        raise ImageError(f"This image is too large ({width}x{height} pixels); the limit is "
                         f"{MAX_IMAGE_PIXELS / 1e6:.0f} megapixels.")


def _from_pil(im: Image.Image) -> np.ndarray:
    _check_size(*im.size)  # from the header, before any pixel is decoded
    im.seek(0)  # first frame of an animation
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
