"""What the tests share: real faces (scikit-image's public-domain photos and its LFW subset), real files and
clips made from them, a tiny FER2013-shaped dataset, a runner for our command-line modules, Streamlit's AppTest,
and a real Streamlit server driven by Debian's Chromium with a fake camera of real faces."""
from __future__ import annotations

import csv
import io
import os
import re
import socket
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from fractions import Fraction
from pathlib import Path

import av
import cv2
import numpy as np
import skimage.data
from PIL import ExifTags, Image

from fer_core.labels import EMOTIONS, SPLITS

REPO = Path(__file__).resolve().parent.parent
YUNET_MODEL = REPO.parent / "shared" / "models" / "face_detection_yunet_2023mar.onnx"
FER_DATA = REPO.parent / "shared" / "data" / "fer2013.npz"
CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = REPO / "test-output"
TIMEOUT_MS = 60_000  # of a browser page's waits
APP_TIMEOUT = 120  # seconds, of an AppTest run
ASTRONAUT_FACE = (177, 67, 93, 93)  # the astronaut's face in astronaut(): x, y, w, h
LIVE_FACE = re.compile(r"Face #\d+: ")  # a face that leaves view and comes back gets a new number


# ---------------------------------------------------------------- real faces and files

def astronaut() -> np.ndarray:
    """Eileen Collins, smiling, one frontal face at about (177, 67, 93, 93); RGB 512x512."""
    return skimage.data.astronaut()


def no_face() -> np.ndarray:
    """A cup of coffee: no face."""
    return skimage.data.coffee()


def group_photo() -> np.ndarray:
    """640x480 RGB with six faces: the astronaut at three sizes, mirrored and darkened."""
    face = astronaut()[30:250, 120:330]
    canvas = np.full((480, 640, 3), 200, np.uint8)
    spots = [(10, 10, 1.0), (220, 10, 0.8), (430, 10, 1.0), (10, 250, 0.9), (220, 250, 0.6), (430, 250, 1.0)]
    for i, (x, y, brightness) in enumerate(spots):
        tile = cv2.resize(face, (200, 220))
        tile = tile[:, ::-1] if i % 2 else tile
        canvas[y:y + 220, x:x + 200] = (tile * brightness).astype(np.uint8)
    return canvas


def lfw_faces(n: int) -> np.ndarray:
    """``n`` real LFW faces as uint8 48x48 grayscale (the subset has 200, 25x25)."""
    faces = skimage.data.lfw_subset()[:n]
    return np.stack([cv2.resize((f * 255).astype(np.uint8), (48, 48), interpolation=cv2.INTER_CUBIC) for f in faces])


def encode(image: np.ndarray | Image.Image, fmt: str = "PNG", **save_args) -> bytes:
    im = Image.fromarray(image) if isinstance(image, np.ndarray) else image
    buffer = io.BytesIO()
    im.save(buffer, format=fmt, **save_args)
    return buffer.getvalue()


def phone_photo(fmt: str) -> bytes:
    """What a phone writes: the sensor's pixels turned a quarter, and EXIF orientation 6 to turn them upright
    (HEIC: pillow-heif stores it as the container's rotation, as iPhones do)."""
    stored = Image.fromarray(astronaut()[:, :400]).transpose(Image.Transpose.ROTATE_90)
    exif = Image.Exif()
    exif[ExifTags.Base.Orientation] = 6
    return encode(stored, fmt, quality=90, exif=exif.tobytes())


# ---------------------------------------------------------------- FER2013-shaped data

def tiny_fer2013(per_class: int = 6) -> dict[str, np.ndarray]:
    """A FER2013-shaped dataset of real LFW faces: per split, ``per_class`` faces of each class."""
    n = per_class * len(EMOTIONS)
    x = lfw_faces(n * len(SPLITS))
    y = np.tile(np.repeat(np.arange(len(EMOTIONS), dtype=np.uint8), per_class), len(SPLITS))
    usage = np.repeat(np.array(SPLITS), n)
    return {"x": x, "y": y, "usage": usage}


def write_csv(data, path):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["emotion", "pixels", "Usage"])
        for x, y, usage in zip(data["x"], data["y"], data["usage"]):
            writer.writerow([int(y), " ".join(map(str, x.ravel())), usage])
    return path


def write_folders(data, root, ext="png"):
    for i, (x, y, usage) in enumerate(zip(data["x"], data["y"], data["usage"])):
        folder = root / ("train" if usage == "Training" else "test") / EMOTIONS[y]
        folder.mkdir(parents=True, exist_ok=True)
        Image.fromarray(x).save(folder / f"{usage}_{i:05d}.{ext}")
    return root


# ---------------------------------------------------------------- video clips, in memory

FACE = cv2.resize(astronaut()[20:260, 110:340], (160, 170))  # one frontal face, 160 x 170


def encode_clip(frames, fps: float = 15, codec: str = "libx264", fmt: str = "mp4", rotation: int = 0,
                times: list[float] | None = None) -> bytes:
    """RGB frames -> a video file's bytes. ``times`` (seconds) gives each frame's timestamp: a variable rate."""
    buffer = io.BytesIO()
    with av.open(buffer, "w", format=fmt) as container:
        stream = container.add_stream(codec, rate=Fraction(fps).limit_denominator(1000))
        first = frames[0]
        stream.width, stream.height, stream.pix_fmt = first.shape[1], first.shape[0], "yuv420p"
        if times is not None:
            stream.codec_context.time_base = Fraction(1, 1000)
        if rotation:
            stream.set_display_rotation(rotation)
        for i, rgb in enumerate(frames):
            frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
            if times is not None:
                frame.pts, frame.time_base = round(times[i] * 1000), Fraction(1, 1000)
            for packet in stream.encode(frame):
                container.mux(packet)
        for packet in stream.encode():
            container.mux(packet)
    return buffer.getvalue()


def two_faces_frames(count: int = 60, enter: int = 20, leave: int = 40) -> list[np.ndarray]:
    """640x480: face A drifts left to right the whole time; face B is in view from ``enter`` to ``leave``."""
    frames = []
    for i in range(count):
        frame = np.full((480, 640, 3), 180, np.uint8)
        x = 30 + 3 * i
        frame[40:210, x:x + 160] = FACE
        if enter <= i < leave:
            frame[280:450, 440:600] = FACE[:, ::-1]
        frames.append(frame)
    return frames


def portrait_frames(count: int = 15) -> list[np.ndarray]:
    """What a phone held upright stores: 640x360 frames with the face turned a quarter clockwise (the
    container's display rotation of 90 degrees counter-clockwise turns it upright, 360x640)."""
    upright = np.full((640, 360, 3), 180, np.uint8)
    upright[200:370, 100:260] = FACE
    return [np.ascontiguousarray(np.rot90(upright, -1)) for _ in range(count)]


# ---------------------------------------------------------------- our command-line modules

def start_module(*args, env: dict | None = None, **popen_args) -> subprocess.Popen:
    """``python -m ARGS`` from the repo root, in the background (``env`` adds to the environment)."""
    env = {**os.environ, "PYTHONPATH": str(REPO), "TF_CPP_MIN_LOG_LEVEL": "3", **(env or {})}
    return subprocess.Popen([sys.executable, "-m", *map(str, args)], cwd=REPO, env=env, text=True, **popen_args)


def run_module(*args, timeout=600, env: dict | None = None) -> subprocess.CompletedProcess:
    """``python -m ARGS`` from the repo root, output captured."""
    process = start_module(*args, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    try:
        stdout, stderr = process.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        process.kill()
        raise
    return subprocess.CompletedProcess(process.args, process.returncode, stdout, stderr)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# ---------------------------------------------------------------- each page in this process, through AppTest

def app_page(page: str):
    """``page`` (home, upload, ...) run as the app runs it: the entry point first, then a switch to it."""
    from streamlit.testing.v1 import AppTest

    app = AppTest.from_file(str(REPO / "streamlit_app.py"), default_timeout=APP_TIMEOUT)
    app.run()
    if page != "home":
        app.switch_page(f"pages/{page}.py").run()
    assert not app.exception, app.exception
    return app


# ---------------------------------------------------------------- a real server and a real browser

def app_env() -> dict:
    return {**os.environ, "FER_YUNET_DOWNLOAD": "0", "FER_YUNET_MODEL": str(YUNET_MODEL),
            "FER_ICE_SERVERS": "[]", "PYTHONUNBUFFERED": "1"}


@contextmanager
def streamlit_server(log_path: Path, env: dict | None = None, extra_args: tuple[str, ...] = ()):
    """``streamlit run streamlit_app.py`` on a free port; yields (url, process, start time)."""
    port = free_port()
    started = time.perf_counter()
    with open(log_path, "w") as log:
        process = subprocess.Popen(
            [sys.executable, "-m", "streamlit", "run", "streamlit_app.py", "--server.port", str(port),
             "--server.headless", "true", "--server.fileWatcherType", "none", *extra_args],
            cwd=REPO, env=env or app_env(), stdout=log, stderr=subprocess.STDOUT)
        url = f"http://127.0.0.1:{port}"
        try:
            deadline = time.time() + 60
            while True:
                try:
                    urllib.request.urlopen(url + "/_stcore/health", timeout=2)
                    break
                except OSError:
                    if process.poll() is not None or time.time() > deadline:
                        raise RuntimeError("streamlit did not start: " + log_path.read_text()[-2000:])
                    time.sleep(0.3)
            yield url, process, started
        finally:
            process.terminate()
            try:
                process.wait(10)
            except subprocess.TimeoutExpired:
                process.kill()


def unsure_face() -> np.ndarray:
    """The cameraman (scikit-image's public-domain photo), whom the model reads as "not sure: sad or angry?"."""
    return cv2.cvtColor(cv2.resize(skimage.data.camera()[40:240, 180:380], (240, 240)), cv2.COLOR_GRAY2RGB)


def write_face_video(path: Path, face: np.ndarray | None = None, seconds: float = 4, fps: int = 15) -> Path:
    """A .y4m clip (640x480, I420) of a real face (the astronaut unless given; at most 240 px tall) drifting
    slowly, for Chromium's fake camera."""
    face = cv2.resize(astronaut()[20:260, 110:340], (230, 240)) if face is None else face
    height, width = face.shape[:2]
    top = (480 - height) // 2
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W640 H480 F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for i in range(int(seconds * fps)):
            frame = np.full((480, 640, 3), 170, np.uint8)
            x = 200 + int(40 * np.sin(i / 10))
            frame[top:top + height, x:x + width] = face
            f.write(b"FRAME\n" + cv2.cvtColor(frame, cv2.COLOR_RGB2YUV_I420).tobytes())
    return path


@contextmanager
def camera_browser(playwright, video_path: Path, face: np.ndarray | None = None):
    """Headless Chromium whose camera shows ``face`` (the astronaut unless given), closed afterwards."""
    chromium = launch_chromium(playwright, write_face_video(video_path, face))
    try:
        yield chromium
    finally:
        chromium.close()


@contextmanager
def browser_page(browser, timeout_ms: int = TIMEOUT_MS):
    """A page in a fresh browser context (its own cookies: a new app session), closed afterwards."""
    context = browser.new_context(viewport={"width": 1400, "height": 1000})
    page = context.new_page()
    page.set_default_timeout(timeout_ms)
    try:
        yield page
    finally:
        context.close()


def launch_chromium(playwright, video: Path | None):
    """Headless Chromium whose camera shows ``video``; with None, a camera that the user refuses."""
    camera = (["--use-fake-ui-for-media-stream", f"--use-file-for-fake-video-capture={video}"] if video else [])
    return playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True,
        args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--use-fake-device-for-media-stream", *camera])


def shot(page, name):
    page.screenshot(path=SCREENSHOTS / f"{name}.png", full_page=True)


def upload_photo(page, url):
    page.goto(url + "/upload")
    page.get_by_text("Face detector").wait_for()  # the app's sidebar, even on a deep link to a fresh server
    page.locator("input[type=file]").set_input_files(str(REPO / "assets" / "astronaut.jpg"))
    page.get_by_text("Face 1: happy").wait_for()
    page.locator(".js-plotly-plot").first.wait_for()


def snapshot_photo(page, url):
    page.goto(url + "/snapshot")
    page.locator("[data-testid=stCameraInput] video").wait_for()  # the camera is streaming
    take = page.get_by_role("button", name="Take Photo")
    take.wait_for()
    time.sleep(1)  # let the fake camera deliver frames before the shutter
    take.click()
    page.get_by_text("Face 1:").wait_for()  # the camera folds away after the shot


def click_start(page, url):
    page.goto(url + "/live")
    component = page.frame_locator("iframe[title*=webrtc]")
    component.get_by_role("button", name="START").wait_for()
    time.sleep(1)  # the component wires its handlers after drawing the button
    component.get_by_role("button", name="START").click()
    component.get_by_role("button", name="STOP").wait_for()


def start_live(page, url) -> float:
    """START the stream; returns the frames per second the page reports after a few seconds."""
    click_start(page, url)
    page.get_by_text(LIVE_FACE).first.wait_for()
    time.sleep(4)
    readout = page.get_by_text("frames per second").inner_text()
    return float(readout.split()[0])


def stop_live(page):
    page.frame_locator("iframe[title*=webrtc]").get_by_role("button", name="STOP").click()


