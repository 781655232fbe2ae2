"""The Video page's analysis and result view: progress with cancel, the annotated clip, a timeline per face,
a summary per face, the everyone view and downloads (the readings' views are Live's recording's too). The video
stays in memory from upload to download."""
from __future__ import annotations

import io

import pandas as pd
import streamlit as st

from fer_core import Engine
from fer_core.gate import HEAVY_WORK
from fer_core.report import (
    READINGS,
    VIDEO_FIELDS,
    room_counts,
    summary_sentence,
    to_csv,
    to_json,
    video_records,
    video_summary,
)
from fer_core.share import summary_card
from fer_core.video import AnnotatedWriter, VideoClip, VideoError
from ui.charts import emotion_timeline, room_timeline
from ui.results import escape_markdown, safe_stem
from ui.settings import Settings


def analyze(upload, engine: Engine, settings: Settings, every: float) -> dict | None:
    """Runs the analysis with a progress bar and a Cancel button; the result is kept in the session, so that
    reruns (a download, a widget) do not analyze again. None when cancelled or when the file is unusable."""
    key = ("video", upload.file_id, every, settings)
    if st.session_state.get("video_result", {}).get("key") == key:
        return st.session_state.video_result
    cancel = st.empty()
    if cancel.button("Cancel", key=f"cancel-{upload.file_id}", help="Stop the analysis of this video"):
        st.info("The analysis was cancelled. Upload the video again, or change a setting, to start over.")
        return None
    try:
        with VideoClip(upload) as clip:
            info, out = clip.info, io.BytesIO()
            writer = AnnotatedWriter(out, info.fps)
            progress = st.progress(0.0, text="Analyzing the video…")
            records = []
            with HEAVY_WORK.slot(lambda ahead: progress.progress(0.0, text=f"Queued, {ahead} ahead of you…")):
                try:
                    for time_s, frame, faces in clip.analyze(engine, every, settings.min_score, writer):
                        records += video_records(time_s, frame, faces)
                        done = min(1.0, time_s / info.duration) if info.duration else 0.0
                        progress.progress(done, text=f"Analyzing the video… {time_s:.0f} of {info.duration:.0f} s")
                finally:
                    writer.close()
        progress.empty()
    except VideoError as err:
        st.warning(f"**{escape_markdown(upload.name)}**: {escape_markdown(str(err))}", icon="⚠️")
        return None
    finally:
        cancel.empty()  # nothing left to cancel, whether it ended well or not
    result = {"key": key, "records": records, "video": out.getvalue(), "mime": writer.mime, "info": info}
    st.session_state.video_result = result
    return result


def show(name: str, result: dict, model: str) -> None:
    records, info = result["records"], result["info"]
    stem = safe_stem(name)
    player, summary_column = st.columns([3, 2])
    player.video(result["video"], format=result["mime"])
    player.download_button("Annotated video", result["video"], f"{stem}-annotated.{result['mime'].split('/')[1]}",
                           result["mime"], on_click="ignore")
    player.caption(f"{info.width}x{info.height}, {info.fps:.0f} frames per second, {info.duration:.1f} s.")
    if not records:
        summary_column.info("No face was found in this video. Try a brighter clip with faces turned to the camera, "
                            "or lower the minimum face confidence in the sidebar.")
        return
    with summary_column:
        summary_in_words(records)
    readings_over_time(records, info.duration, "video")
    downloads(records, stem, name, info.duration, model)


def summary_in_words(records: list[dict]) -> None:
    """How many faces, a sentence each, and the table in an expander."""
    summary = video_summary(records)
    st.markdown(f"#### {len(summary)} face{'s' * (len(summary) != 1)}")
    for row in summary:
        st.markdown(summary_sentence(row))
    with st.expander("The table"):
        st.dataframe(pd.DataFrame(summary), hide_index=True)


def readings_over_time(records: list[dict], duration_s: float, key: str) -> None:
    """The room's counts over time when several faces were seen, then a timeline per face, on one time axis."""
    frame = pd.DataFrame(records)
    if frame["face"].nunique() > 1:
        st.plotly_chart(room_timeline(room_counts(records), list(READINGS), duration_s), key=f"{key}-everyone")
    for face_id, rows in frame.groupby("face"):
        st.plotly_chart(emotion_timeline(rows, f"Face #{face_id}", duration_s),
                        key=f"{key}-face-{face_id}")


def downloads(records: list[dict], stem: str, title: str, duration_s: float, model: str) -> None:
    """CSV, JSON and the summary's result card."""
    row = st.container(horizontal=True)  # side by side, wrapping on a phone
    row.download_button("Results (CSV)", to_csv(records, VIDEO_FIELDS), f"{stem}-faces.csv", "text/csv",
                        on_click="ignore")
    row.download_button("Results (JSON)", to_json(records), f"{stem}-faces.json", "application/json",
                        on_click="ignore")
    # Drawn now (tens of ms), not on the click: the Live page reruns as its stream settles after STOP, and a
    # deferred card from an earlier run would never arrive.
    row.download_button("Result card (PNG)", summary_card(title, records, duration_s, model),
                        f"{stem}-card.png", "image/png", on_click="ignore",
                        help="One picture of the summary, for slides or a chat")
