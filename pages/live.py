import streamlit as st
from streamlit_webrtc import WebRtcMode, webrtc_streamer

from ui.engine import get_engine
from ui.live import HELP, follow, frame_callback
from ui.navigation import require_entrypoint
from ui.settings import current_settings
from ui.webrtc import rtc_configuration

require_entrypoint()

st.title("Live")
settings = current_settings()
on_frame, readouts = frame_callback(get_engine(settings), settings)

video, side = st.columns([3, 2])
with video:
    context = webrtc_streamer(
        key="live", mode=WebRtcMode.SENDRECV, rtc_configuration=rtc_configuration(),
        video_frame_callback=on_frame, async_processing=True,
        media_stream_constraints={"video": {"width": 640, "height": 480}, "audio": False})
    with st.expander("Video does not start?"):
        st.markdown(HELP)
with side:
    follow(context, readouts)
