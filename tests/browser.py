"""A real Streamlit server and Debian's Chromium driven by Playwright, with a fake camera of real faces."""
from __future__ import annotations

import os
import subprocess
import sys
import time
import urllib.request
from contextlib import contextmanager
from pathlib import Path

import cv2
import numpy as np

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


def write_face_video(path: Path, seconds: float = 4, fps: int = 15) -> Path:
    """A .y4m clip (640x480, I420) of a real face drifting slowly, for Chromium's fake camera."""
    face = cv2.resize(astronaut()[20:260, 110:340], (230, 240))
    with open(path, "wb") as f:
        f.write(f"YUV4MPEG2 W640 H480 F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for i in range(int(seconds * fps)):
            frame = np.full((480, 640, 3), 170, np.uint8)
            x = 200 + int(40 * np.sin(i / 10))
            frame[120:360, x:x + 230] = face
            f.write(b"FRAME\n" + cv2.cvtColor(frame, cv2.COLOR_RGB2YUV_I420).tobytes())
    return path


def launch_chromium(playwright, video: Path | None):
    """Headless Chromium whose camera shows ``video``; with None, a camera that the user refuses."""
    camera = (["--use-fake-ui-for-media-stream", f"--use-file-for-fake-video-capture={video}"] if video else [])
    return playwright.chromium.launch(
        executable_path=CHROMIUM, headless=True,
        args=["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking",
              "--disable-component-update", "--disable-sync", "--use-fake-device-for-media-stream", *camera])
