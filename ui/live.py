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
from fer_core.limits import RECORDING_EVERY_SECONDS, RECORDING_MAX_MINUTES
from fer_core.live import LiveAnalyzer, Readout
from fer_core.recording import Recording
from fer_core.report import mood_summary
from ui.charts import probability_timeline
from ui.settings import Settings
from ui.video import downloads, readings_over_time, summary_in_words

HISTORY_SECONDS = 10
CONNECT_SECONDS = 15
SILENT_SECONDS = 5  # no frame for this long while playing: the connection has likely dropped
# The page shows the newest readout 4 times a second and redraws the chart once a second: each update is drawn
# under Python's lock, which the video's own threads (WebRTC, the analysis) need, three sessions at once.
READOUT_EVERY_SECONDS = 0.25
CHART_EVERY_SECONDS = 1.0
HELP = ("- Allow camera access for this site (the camera icon in the address bar).\n"
        "- Close other apps that use the camera.\n"
        "- On a company network or a cloud deployment the video needs a TURN server: the app's owner sets "
        "`TWILIO_ACCOUNT_SID` and `TWILIO_AUTH_TOKEN` in its secrets (see the README).\n"
        "- Or use the Snapshot page, which needs no video connection.")


def frame_callback(engine: Engine, settings: Settings):
    """This session's frame callback (streamlit-webrtc's queued kind) and the queue it fills; both kept across
    reruns, new ones when the settings change."""
    if st.session_state.get("live_settings") != settings:
        st.session_state.live_settings = settings
        st.session_state.live_analyzer = LiveAnalyzer(engine, min_score=settings.min_score)
        st.session_state.live_readouts = queue.Queue(maxsize=1)
    analyzer: LiveAnalyzer = st.session_state.live_analyzer
    readouts: queue.Queue = st.session_state.live_readouts

    async def on_frames(frames: list[av.VideoFrame]) -> list[av.VideoFrame]:
        # Only the newest of the frames that came while the last one was analyzed: a session that falls behind
        # drops frames rather than lagging (and streamlit-webrtc does not warn of each drop in the log).
        annotated, readout = analyzer.process_frame(frames[-1])
        try:
            readouts.get_nowait()  # keep only the newest readout
        except queue.Empty:
            pass
        readouts.put_nowait(readout)
        return [annotated]

    return on_frames, readouts


def record_switch(playing: bool, threshold: float) -> Recording | None:
    """The Record switch. While it is on and the video plays, this session's analyzer fills a recording; turned
    off, or at STOP, the recording ends and is returned to be shown (until the next one starts)."""
    on = st.toggle("Record this session", key="live_record",
                   help=f"Keeps each face's readings ({1 / RECORDING_EVERY_SECONDS:.0f} a second, up to "
                        f"{RECORDING_MAX_MINUTES} minutes), never pictures, in this session's memory only. Turn it "
                        "off, or press STOP, for the timeline and the downloads.")
    analyzer: LiveAnalyzer = st.session_state.live_analyzer
    recording: Recording | None = st.session_state.get("live_recording")
    if on and playing:
        if recording is None or recording.stopped:
            recording = st.session_state.live_recording = Recording(threshold)
        analyzer.recording = recording
        return None
    analyzer.recording = None
    if recording is not None:
        recording.stop()
    return recording


def show_recording(recording: Recording, model: str) -> None:
    """A finished recording as a video file's result: the summary in words, the timelines, the downloads."""
    minutes, seconds = divmod(round(recording.seconds), 60)
    st.subheader(f"This session's recording: {minutes} min {seconds} s")
    if recording.full:
        st.info(f"The recording holds the first {RECORDING_MAX_MINUTES} minutes; it stopped keeping readings there.")
    records = recording.records()
    if not records:
        st.info("No face was in view while recording.")
        return
    summary_in_words(records)
    readings_over_time(records, recording.seconds, "recording")
    downloads(records, "live-session", f"Live session, {minutes} min {seconds} s", recording.seconds, model)


def readout_text(readout: Readout, recording_s: float | None = None) -> str:
    """The emotions first (each face's heading, as photos word it, and the room's mood), the frame rate last, in
    small print; while recording, a red mark and its length."""
    lines = []
    if readout.error:
        lines.append(f"This frame could not be read: {readout.error}")
    if len(readout.faces) > 1:
        lines.append(f"**In view: {mood_summary([t.face for t in readout.faces])}**")
    lines += [f"### {t.face.heading(t.name)}" if len(readout.faces) == 1 else t.face.heading(t.name)
              for t in readout.faces] or ["No face in view."]
    if recording_s is not None:
        lines.append(f":red[● Recording] {int(recording_s // 60)}:{int(recording_s % 60):02d}")
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
    elif not context.state.playing and st.session_state.pop("live_was_playing", False):
        status.warning("The video stopped. Press START to go on. If you did not press STOP, the connection "
                       "dropped (the network, the TURN server or the app), and START connects again.")
    elif not context.state.playing:
        status.info("Press START to read emotions live from your camera.")
    history: deque = deque()
    last_drawn = last_frame = 0.0
    while context.state.playing:
        st.session_state.live_was_playing = True
        try:
            readout = readouts.get(timeout=1.0)
        except queue.Empty:
            silent = time.time() - last_frame if last_frame else 0.0
            status.warning(f"No video has arrived for {silent:.0f} s. The connection may have dropped: press STOP, "
                           "then START, to connect again." if silent >= SILENT_SECONDS else "Waiting for video…")
            continue
        now = last_frame = time.time()
        recording = st.session_state.live_analyzer.recording
        status.markdown(readout_text(readout, recording.seconds if recording else None))
        if readout.faces:
            history.append((now, readout.faces[0].face.probs))
        while history and history[0][0] < now - HISTORY_SECONDS:
            history.popleft()
        if history and now - last_drawn >= CHART_EVERY_SECONDS:
            frame = pd.DataFrame([dict(zip(EMOTIONS, p), seconds=now - t) for t, p in history])
            timeline.plotly_chart(probability_timeline(frame), key=f"timeline-{now}", config={"displayModeBar": False})
            last_drawn = now
        time.sleep(max(0.0, now + READOUT_EVERY_SECONDS - time.time()))  # the queue keeps only the newest
