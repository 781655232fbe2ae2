"""Live for a room, in the real browser: through a real TURN server (coturn on loopback, relay only), and three
sessions at once for two minutes with the server's memory, each session's stream and its face's number watched
(tests/live_soak.py; run it for 30 minutes by hand)."""
import time

import pytest
from live_soak import relayed_allocations, soak, turn_server
from support import LIVE_FACE, TIMEOUT_MS, app_env, click_start, shot, streamlit_server

pytestmark = pytest.mark.browser
MEMORY_GROWTH_CEILING_MB = 50  # from the first minute to the last


def test_live_through_turn_relay_only(browser, tmp_path):
    with turn_server(tmp_path) as (servers, log):
        env = {**app_env(), "FER_ICE_SERVERS": servers, "FER_ICE_TRANSPORT_POLICY": "relay"}
        with streamlit_server(tmp_path / "streamlit.log", env) as (url, process, _):
            page = browser.new_context().new_page()
            page.set_default_timeout(TIMEOUT_MS)
            click_start(page, url)
            page.get_by_text(LIVE_FACE).first.wait_for()
            time.sleep(3)
            fps = float(page.get_by_text("frames per second").inner_text().split()[0])
            shot(page, "live-through-turn")
            page.context.close()
            assert fps > 1 and process.poll() is None
    assert relayed_allocations(log) >= 1  # the video went through coturn, the only way allowed


def test_three_sessions_for_two_minutes_keep_streaming_their_ids_and_the_servers_memory(playwright):
    result = soak(playwright, sessions=3, seconds=120, every=5)
    last = result.samples[-1]
    assert all(fps > 0 for fps in last["fps"]) and all(last["faces"]), last  # every stream still plays
    settled = [s for s in result.samples if s["seconds"] >= 30]
    assert all(len({s["faces"][i] for s in settled}) == 1 for i in range(3)), [s["faces"] for s in settled]
    assert result.growth_mb() < MEMORY_GROWTH_CEILING_MB
    assert result.allocations >= 3  # each session relayed
