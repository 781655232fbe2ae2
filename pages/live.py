import streamlit as st
from streamlit_webrtc import WebRtcMode, webrtc_streamer

from ui.engine import get_engine
from ui.live import HELP, follow, frame_callback, record_switch, show_recording
from ui.navigation import require_entrypoint
from ui.results import model_name
from ui.settings import current_settings
from ui.webrtc import rtc_configuration

require_entrypoint()

st.title("Live")
settings = current_settings()
engine = get_engine(settings)
on_frames, readouts = frame_callback(engine, settings)

video, side = st.columns([3, 2])
with video:
    context = webrtc_streamer(
        key="live", mode=WebRtcMode.SENDRECV, rtc_configuration=rtc_configuration(),
        queued_video_frames_callback=on_frames, async_processing=True,
        media_stream_constraints={"video": {"width": 640, "height": 480}, "audio": False})
    finished = record_switch(context.state.playing, engine.classifier.threshold)
    with st.expander("Video does not start?"):
        st.markdown(HELP)
if finished is not None:
    show_recording(finished, model_name(engine))
with side:
    follow(context, readouts)
