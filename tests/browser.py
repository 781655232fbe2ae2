"""A real Streamlit server and Debian's Chromium driven by Playwright, with a fake camera of real faces."""
from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import cv2
import numpy as np
import skimage.data
from support import REPO, YUNET_MODEL, astronaut, free_port

CHROMIUM = "/usr/bin/chromium"
SCREENSHOTS = REPO / "test-output"


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
def open_page(browser, timeout_ms: int = 60_000):
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


def tree_rss_mb(pid: int) -> float:
    """Resident memory of process ``pid`` (all its threads) and of every descendant, in MB."""
    children: dict[int, list[int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        children.setdefault(int(fields[1]), []).append(int(stat.parent.name))
    total, todo = 0, [pid]
    while todo:
        current = todo.pop()
        todo += children.get(current, [])
        try:
            status = Path(f"/proc/{current}/status").read_text()
        except OSError:
            continue
        total += next((int(line.split()[1]) for line in status.splitlines() if line.startswith("VmRSS")), 0)
    return total / 1024


class MemorySampler:
    """Samples a process tree's resident memory every ``interval`` seconds, in a thread, while in a ``with``."""

    def __init__(self, pid: int, interval: float = 0.1):
        self.pid, self.interval = pid, interval
        self.samples: list[float] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self):
        while not self._stop.is_set():
            self.samples.append(tree_rss_mb(self.pid))
            self._stop.wait(self.interval)

    @property
    def peak(self) -> float:
        return max(self.samples, default=0.0)

    def __enter__(self):
        self._thread.start()
        return self

    def __exit__(self, *exc):
        self._stop.set()
        self._thread.join()
