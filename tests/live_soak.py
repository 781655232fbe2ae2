"""Live soak: several Chromium sessions with a fake camera (a real face, drifting) on one Streamlit server, for
minutes, each relayed through a real TURN server (Debian's coturn on loopback) unless --direct. Prints, every
--every seconds, the server's memory and each session's frame rate and face number, as the page shows them;
then the growth from the first minute to the last, and coturn's relayed allocations.

    python tests/live_soak.py [--sessions 3] [--minutes 30] [--every 30] [--direct]

tests/test_browser_live.py runs a short one and asserts its memory ceiling; the long one is for a person.
"""
from __future__ import annotations

import argparse
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere: fer_core too

from support import (  # noqa: E402
    LIVE_FACE,
    TIMEOUT_MS,
    app_env,
    click_start,
    free_port,
    launch_chromium,
    streamlit_server,
    write_face_video,
)

from fer_core.memory import tree_rss_mb  # noqa: E402

TURN_USER, TURN_PASSWORD = "fer", "soak"


@dataclass
class SoakResult:
    samples: list[dict] = field(default_factory=list)  # seconds, server MB, and per session (fps, face number)
    allocations: int = 0  # relayed allocations coturn logged

    def growth_mb(self) -> float:
        """The server's memory over the last minute against the first minute after the start-up (medians: the
        resident size swings by tens of MB as the allocator hands memory back). A run shorter than 4 minutes
        compares quarters instead of minutes."""
        end = self.samples[-1]["seconds"]
        window = min(60.0, end / 4)
        first = [s["mb"] for s in self.samples if window <= s["seconds"] < 2 * window]
        last = [s["mb"] for s in self.samples if s["seconds"] >= end - window]
        return statistics.median(last) - statistics.median(first or last)

    def median_fps(self) -> list[float]:
        return [statistics.median(s["fps"][i] for s in self.samples) for i in range(len(self.samples[0]["fps"]))]

    def face_numbers(self) -> list[set[str]]:
        return [{s["faces"][i] for s in self.samples} for i in range(len(self.samples[0]["faces"]))]


@contextmanager
def turn_server(folder: Path):
    """coturn on a free loopback port with one user; yields (ICE servers JSON, its log file)."""
    if not shutil.which("turnserver"):
        raise RuntimeError("coturn is not installed (apt-get install coturn)")
    port, log = free_port(), folder / "turnserver.log"
    process = subprocess.Popen(
        ["turnserver", "-n", "--listening-ip=127.0.0.1", f"--listening-port={port}", "--relay-ip=127.0.0.1",
         "--min-port=49160", "--max-port=49400", "--lt-cred-mech", f"--user={TURN_USER}:{TURN_PASSWORD}",
         "--realm=fer.local", "--no-tls", "--no-dtls", "--allow-loopback-peers", "--no-cli", "--simple-log",
         "--verbose", f"--userdb={folder / 'turndb'}", f"--log-file={log}", f"--pidfile={folder / 'turn.pid'}"],
        stdout=subprocess.DEVNULL, stderr=subprocess.STDOUT)
    time.sleep(1)
    try:
        servers = f'[{{"urls": ["turn:127.0.0.1:{port}?transport=udp"], "username": "{TURN_USER}", ' \
                  f'"credential": "{TURN_PASSWORD}"}}]'
        yield servers, log
    finally:
        process.terminate()
        process.wait(10)


def relayed_allocations(log: Path) -> int:
    """Successful TURN allocations in coturn's log."""
    text = log.read_text(errors="replace") if log.is_file() else ""
    return len(re.findall(r"ALLOCATE processed, success", text))


def read_page(page) -> tuple[float, str]:
    """The frame rate and the first face's number that a Live page shows (0 and "" when it shows none), read
    from one copy of the page's text: the readout is redrawn 4 times a second, so two reads could see two."""
    text = page.locator("[data-testid='stMain']").inner_text()
    fps, face = re.search(r"([\d.]+) frames per second", text), LIVE_FACE.search(text)
    return float(fps.group(1)) if fps else 0.0, face.group(0).split(":")[0] if face else ""


def soak(playwright, sessions: int, seconds: float, every: float, relay: bool = True, out=print) -> SoakResult:
    result = SoakResult()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        with (turn_server(folder) if relay else _nothing()) as turn:
            env = app_env()
            if turn:
                env |= {"FER_ICE_SERVERS": turn[0], "FER_ICE_TRANSPORT_POLICY": "relay"}
            with streamlit_server(folder / "streamlit.log", env) as (url, process, _):
                chromium = launch_chromium(playwright, write_face_video(folder / "face.y4m", seconds=4, fps=30))
                try:
                    pages = []
                    for _ in range(sessions):
                        page = chromium.new_context(viewport={"width": 1280, "height": 800}).new_page()
                        page.set_default_timeout(TIMEOUT_MS)
                        click_start(page, url)
                        pages.append(page)
                    for page in pages:
                        page.get_by_text(LIVE_FACE).first.wait_for()
                    start = time.time()
                    while True:
                        elapsed = time.time() - start
                        readings = [read_page(page) for page in pages]
                        sample = {"seconds": round(elapsed), "mb": tree_rss_mb(process.pid),
                                  "fps": [fps for fps, _ in readings], "faces": [face for _, face in readings]}
                        result.samples.append(sample)
                        out(f"{sample['seconds']:6d} s   server {sample['mb']:6.0f} MB   " +
                            "   ".join(f"session {i + 1}: {fps:5.1f} fps {face or '(no face)'}"
                                       for i, (fps, face) in enumerate(readings)))
                        if elapsed >= seconds or process.poll() is not None:
                            break
                        time.sleep(max(0.0, min(every, seconds - elapsed)))
                finally:
                    chromium.close()
            if turn:
                result.allocations = relayed_allocations(turn[1])
    out(f"memory growth from the first minute to the last: {result.growth_mb():+.0f} MB; median fps "
        f"{', '.join(f'{f:.1f}' for f in result.median_fps())}; face numbers seen "
        f"{[sorted(n) for n in result.face_numbers()]}; relayed TURN allocations {result.allocations}")
    return result


@contextmanager
def _nothing():
    yield None


def main(argv=None) -> int:
    from playwright.sync_api import sync_playwright

    p = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    p.add_argument("--sessions", type=int, default=3)
    p.add_argument("--minutes", type=float, default=30)
    p.add_argument("--every", type=float, default=30, help="seconds between two printed samples")
    p.add_argument("--direct", action="store_true", help="no TURN server: direct connections")
    args = p.parse_args(argv)
    with sync_playwright() as playwright:
        soak(playwright, args.sessions, args.minutes * 60, args.every, relay=not args.direct,
             out=lambda line: print(line, flush=True))
    return 0


if __name__ == "__main__":
    sys.exit(main())
