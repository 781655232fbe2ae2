import streamlit as st

from fer_core import EMOTIONS
from ui.home import example_image, mode_buttons, models_in_words
from ui.navigation import require_entrypoint

require_entrypoint()

st.title("What does this face feel?")
picture, words = st.columns([3, 2], vertical_alignment="center")
picture.image(example_image(), width="stretch",
              caption="Six faces read by the Accurate model: each box says its reading and how sure it is.")
with words:
    st.markdown("#### Show it a photo, a video or your camera, and it reads the emotion on every face.")
    st.markdown("It tells how likely each of seven emotions is: " + ", ".join(EMOTIONS) + ".")
    mode_buttons()
st.subheader("The models")
st.markdown(models_in_words())
st.subheader("Your privacy")
st.markdown(
    "Images are processed in memory and never stored: nothing you upload, snap or stream is written to disk "
    "or logged, and nothing leaves the server this app runs on.")
