"""The Live page's moving parts: one analyzer per session, the frame callback (no Streamlit in it: it runs in
streamlit-webrtc's worker thread and hands readouts to the page through a queue of one), and the page's loop
that shows the newest readout and a chart of the last seconds."""
from __future__ import annotations

import queue
import time
from collections import deque

import av
import pandas as pd
import streamlit as st

from fer_core import EMOTIONS, Engine
from fer_core.live import LiveAnalyzer, Readout
from fer_core.report import mood_summary
from ui.charts import probability_timeline
from ui.settings import Settings

HISTORY_SECONDS = 10
CONNECT_SECONDS = 15
HELP = ("- Allow camera access for this site (the camera icon in the address bar).\n"
        "- Close other apps that use the camera.\n"
        "- On a company network or a cloud deployment the video needs a TURN server: the app's owner sets "
        "`TWILIO_ACCOUNT_SID` and `TWILIO_AUTH_TOKEN` in its secrets (see the README).\n"
        "- Or use the Snapshot page, which needs no video connection.")


def frame_callback(engine: Engine, settings: Settings):
    """This session's frame callback and the queue it fills; both kept across reruns, new ones when the
    settings change."""
    if st.session_state.get("live_settings") != settings:
        st.session_state.live_settings = settings
        st.session_state.live_analyzer = LiveAnalyzer(engine, min_score=settings.min_score)
        st.session_state.live_readouts = queue.Queue(maxsize=1)
    analyzer: LiveAnalyzer = st.session_state.live_analyzer
    readouts: queue.Queue = st.session_state.live_readouts

    def on_frame(frame: av.VideoFrame) -> av.VideoFrame:
        annotated, readout = analyzer.process(frame.to_ndarray(format="rgb24"))
        try:
            readouts.get_nowait()  # keep only the newest readout
        except queue.Empty:
            pass
        readouts.put_nowait(readout)
        return av.VideoFrame.from_ndarray(annotated, format="rgb24")

    return on_frame, readouts


def readout_text(readout: Readout) -> str:
    """The emotions first (each face's heading, as photos word it, and the room's mood), the frame rate last, in
    small print."""
    lines = []
    if readout.error:
        lines.append(f"This frame could not be read: {readout.error}")
    if len(readout.faces) > 1:
        lines.append(f"**In view: {mood_summary([t.face for t in readout.faces])}**")
    lines += [f"### {t.face.heading(t.name)}" if len(readout.faces) == 1 else t.face.heading(t.name)
              for t in readout.faces] or ["No face in view."]
    lines.append(f":small[:gray[{readout.fps:.1f} frames per second]]")
    return "  \n".join(lines)


def follow(context, readouts: queue.Queue) -> None:
    """While the stream plays, the newest readout and the chart of the first face's last seconds; before, what
    the connection is doing."""
    status, timeline = st.empty(), st.empty()
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
        status.markdown(readout_text(readout))
        if readout.faces:
            history.append((now, readout.faces[0].face.probs))
        while history and history[0][0] < now - HISTORY_SECONDS:
            history.popleft()
        if history and now - last_drawn > 0.5:  # redraw twice a second: plotly is heavier than the video
            frame = pd.DataFrame([dict(zip(EMOTIONS, p), seconds=now - t) for t, p in history])
            timeline.plotly_chart(probability_timeline(frame), key=f"timeline-{now}", config={"displayModeBar": False})
            last_drawn = now
