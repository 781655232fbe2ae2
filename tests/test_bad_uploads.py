"""Bad input through the Upload page: each bad file gets a clear message, the session goes on, and
the good photos of the same upload still get their results."""
import io

import numpy as np
import pytest
from PIL import Image
from support import app_page, astronaut, encode, phone_photo

from fer_core.limits import MAX_IMAGES_PER_UPLOAD
from ui.results import escape_markdown


def animated_gif() -> bytes:
    buffer = io.BytesIO()
    frames = [Image.fromarray(astronaut()), Image.fromarray(astronaut()[:, ::-1])]
    frames[0].save(buffer, "GIF", save_all=True, append_images=frames[1:], duration=100, loop=0)
    return buffer.getvalue()


def crowd() -> bytes:
    face = np.pad(astronaut()[40:240, 130:320], ((20, 20), (20, 20), (0, 0)), constant_values=200)
    return encode(np.tile(face, (5, 10, 1)), "JPEG")  # 50 faces


JPEG, PNG = encode(astronaut(), "JPEG"), encode(astronaut())
# name -> (bytes, what the page says: a warning's words, or the number of faces found)
INPUTS = {
    "empty.jpg": (b"", "empty"),
    "truncated.jpg": (JPEG[: len(JPEG) // 2], "damaged"),
    "truncated.png": (PNG[: len(PNG) // 2], "damaged"),
    "corrupt.png": (PNG[:100] + bytes(len(PNG) - 100), "damaged"),
    "notes.jpg": (b"meeting notes, not a photo\n" * 20, "not an image"),
    "bomb.png": (encode(Image.new("1", (12000, 12000))), "too large"),
    "animated.gif": (animated_gif(), 1),
    "sixteen-bit.png": (encode(Image.fromarray(np.asarray(Image.fromarray(astronaut()).convert("L"), np.uint16) * 257)), 1),
    "cmyk.jpg": (encode(Image.fromarray(astronaut()).convert("CMYK"), "JPEG"), 1),
    "palette.png": (encode(Image.fromarray(astronaut()).convert("P")), 1),
    "one-pixel.png": (encode(np.zeros((1, 1, 3), np.uint8)), 0),
    "huge.jpg": (encode(np.kron(astronaut(), np.ones((12, 12, 1), np.uint8)), "JPEG", quality=50), 1),  # 37 MP
    "fifty-faces.jpg": (crowd(), 50),
    "iphone.heic": (phone_photo("HEIF"), 1),
    "phone.avif": (phone_photo("AVIF"), 1),
    "truncated.heic": (phone_photo("HEIF")[:20_000], "damaged"),
    "astronaut.jpg": (JPEG, 1),
}


@pytest.fixture(scope="module")
def page(yunet_model):
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("FER_YUNET_MODEL", str(yunet_model))  # YuNet finds the fifty faces
        app = app_page("upload")
        app.file_uploader[0].set_value([(name, data, "application/octet-stream")
                                        for name, (data, _) in INPUTS.items()])
        app.run()
    assert not app.exception, app.exception
    return app


def test_every_bad_file_gets_a_clear_message(page):
    warnings = [w.value for w in page.warning]
    for name, (_, outcome) in INPUTS.items():
        said = [w for w in warnings if w.startswith(f"**{escape_markdown(name)}**")]
        if isinstance(outcome, str):
            assert len(said) == 1 and outcome in said[0], (name, said)
        else:
            assert not said, (name, said)


def test_good_files_of_the_same_upload_get_their_results(page):
    shown = [s.value.replace("\\", "") for s in page.subheader]
    good = [name for name, (_, outcome) in INPUTS.items() if not isinstance(outcome, str)]
    assert shown == good + ["All faces"]
    table = page.dataframe[-1].value
    for name, (_, outcome) in INPUTS.items():
        if not isinstance(outcome, str):
            assert (table["image"] == name).sum() == outcome, name
    assert any("No face was found" in i.value for i in page.info)  # the 1x1 image


def test_too_many_images_are_capped():
    app = app_page("upload")
    small = encode(astronaut()[::2, ::2])
    app.file_uploader[0].set_value([(f"p{i}.png", small, "image/png") for i in range(MAX_IMAGES_PER_UPLOAD + 1)])
    app.run()
    assert any(f"the first {MAX_IMAGES_PER_UPLOAD} are analyzed" in w.value for w in app.warning)
    assert len(app.subheader) == MAX_IMAGES_PER_UPLOAD + 1  # 20 images and "All faces"


def test_a_photo_over_the_size_limit_is_refused_by_the_server_too():
    from fer_core.limits import MAX_UPLOAD_MB

    app = app_page("upload")
    oversized = JPEG + bytes(MAX_UPLOAD_MB * 2**20)  # a real photo padded past the limit
    app.file_uploader[0].set_value([("big.jpg", oversized, "image/jpeg"), ("astronaut.jpg", JPEG, "image/jpeg")])
    app.run()
    assert any("big\\.jpg" in w.value and f"larger than {MAX_UPLOAD_MB} MB" in w.value for w in app.warning)
    assert [s.value for s in app.subheader] == ["astronaut\\.jpg", "All faces"]  # the other photo still gets read
