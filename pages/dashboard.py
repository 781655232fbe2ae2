import streamlit as st

from ui import dashboard
from ui.models import MODEL_WORDS, shipped_artifacts
from ui.navigation import require_entrypoint
from ui.settings import current_settings

require_entrypoint()

artifacts = shipped_artifacts(current_settings().model)
st.title(f"Model dashboard: {MODEL_WORDS.get(artifacts.folder.name, artifacts.folder.name)}")
if artifacts.metrics is None:
    st.error(f"No metrics.json in {artifacts.folder}: evaluate the model with `python -m fer_core.training.evaluate`.")
    st.stop()
st.caption("Choose the model in the sidebar. Every figure is measured on FER2013's PrivateTest (3,589 faces), "
           "which no training or model choice ever saw.")

dashboard.headline(artifacts.metrics)
dashboard.by_emotion(artifacts.metrics)
dashboard.members_and_runs(artifacts.metrics)
dashboard.curves(artifacts)
dashboard.errors_by_class(artifacts)
dashboard.honesty(artifacts.metrics)
dashboard.people_examples(current_settings())
if artifacts.model_card:
    with st.expander("Model card"):
        st.markdown(artifacts.model_card)
