import queue
import time
from collections import deque

import av
import pandas as pd
import streamlit as st
from streamlit_webrtc import WebRtcMode, webrtc_streamer

from fer_core import EMOTIONS
from fer_core.live import LiveAnalyzer
from fer_core.report import mood_summary
from ui.charts import probability_timeline
from ui.engine import current_settings, get_engine
from ui.navigation import require_entrypoint
from ui.webrtc import rtc_configuration

require_entrypoint()

HISTORY_SECONDS = 10
CONNECT_SECONDS = 15

st.title("Live")
settings = current_settings()
engine = get_engine(settings)

# One analyzer and one readout queue per session, kept across reruns; new ones when the settings change.
if st.session_state.get("live_settings") != settings:
    st.session_state.live_settings = settings
    st.session_state.live_analyzer = LiveAnalyzer(engine, min_score=settings.min_score)
    st.session_state.live_readouts = queue.Queue(maxsize=1)
analyzer: LiveAnalyzer = st.session_state.live_analyzer
readouts: queue.Queue = st.session_state.live_readouts


def video_frame_callback(frame: av.VideoFrame) -> av.VideoFrame:
    """Runs in streamlit-webrtc's worker thread: no Streamlit calls here, only the queue."""
    annotated, readout = analyzer.process(frame.to_ndarray(format="rgb24"))
    try:
        readouts.get_nowait()  # keep only the newest readout
    except queue.Empty:
        pass
    readouts.put_nowait(readout)
    return av.VideoFrame.from_ndarray(annotated, format="rgb24")


video, side = st.columns([3, 2])
with video:
    context = webrtc_streamer(
        key="live", mode=WebRtcMode.SENDRECV, rtc_configuration=rtc_configuration(),
        video_frame_callback=video_frame_callback, async_processing=True,
        media_stream_constraints={"video": {"width": 640, "height": 480}, "audio": False})
    with st.expander("Video does not start?"):
        st.markdown(
            "- Allow camera access for this site (the camera icon in the address bar).\n"
            "- Close other apps that use the camera.\n"
            "- On a company network or a cloud deployment the video needs a TURN server: the app's owner sets "
            "`TWILIO_ACCOUNT_SID` and `TWILIO_AUTH_TOKEN` in its secrets (see the README).\n"
            "- Or use the Snapshot page, which needs no video connection.")

with side:
    status = st.empty()
    timeline = st.empty()
    if context.state.signalling and not context.state.playing:
        status.info("Connecting the video…")
        time.sleep(CONNECT_SECONDS)  # a successful connection reruns the page before this ends
        status.error("The video connection could not be made. The network between your browser and this app "
                     "may need a TURN server (see “Video does not start?”). Meanwhile, the Snapshot page works "
                     "without one.")
    elif not context.state.playing:
        status.info("Press START to read emotions live from your camera.")

history: deque = deque()
last_drawn = 0.0
while context.state.playing:
    try:
        readout = readouts.get(timeout=1.0)
    except queue.Empty:
        status.warning("Waiting for video…")
        continue
    now = time.time()
    lines = [f"**{readout.fps:.1f} frames per second**"]
    if readout.error:
        lines.append(f"This frame could not be read: {readout.error}")
    if len(readout.faces) > 1:
        lines.append(f"**In view: {mood_summary([face for _, face in readout.faces])}**")
    lines += [f"Face #{i}: **{face.verdict}**" + ("" if face.uncertain else f" ({face.confidence:.0%})")
              for i, face in readout.faces] or ["No face in view."]
    status.markdown("  \n".join(lines))
    if readout.faces:
        history.append((now, readout.faces[0][1].probs))
    while history and history[0][0] < now - HISTORY_SECONDS:
        history.popleft()
    if history and now - last_drawn > 0.5:  # redraw twice a second: plotly is heavier than the video
        frame = pd.DataFrame([dict(zip(EMOTIONS, p), seconds=now - t) for t, p in history])
        timeline.plotly_chart(probability_timeline(frame), key=f"timeline-{now}", config={"displayModeBar": False})
        last_drawn = now
