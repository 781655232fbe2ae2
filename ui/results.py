"""The result view shared by Upload and Snapshot: annotated image, per-face charts, table, downloads."""
from __future__ import annotations

import io
import re

import pandas as pd
import streamlit as st
from PIL import Image

from fer_core import Engine, ImageError, annotate, read_image
from fer_core.explain import explanation_image, explanation_words
from fer_core.gate import HEAVY_WORK
from fer_core.labels import EMOTIONS
from fer_core.photo import PhotoAnalysis, analyze_photo, numbered_markers, numbered_readings, within_upload_limit
from fer_core.report import SUMMARY_FIELDS, face_records, mood_counts, mood_summary, summary_record, to_csv, to_json
from fer_core.share import result_card
from ui.charts import mood_bars, probability_bars
from ui.models import MODEL_WORDS
from ui.settings import Settings

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def escape_markdown(text: str) -> str:
    """User text (file names) shown literally: no markdown, links or HTML from it."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", text)


def safe_stem(name: str) -> str:
    """A download file name from a user's file name: letters, digits, '-' and '_' only."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", name.rsplit(".", 1)[0]).strip("_")
    return stem[:60] or "image"


def png_bytes(rgb, fmt: str = "PNG") -> bytes:
    """``rgb`` encoded: a fast PNG (full-size photos are big), or ``fmt="JPEG"`` at quality 90."""
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format=fmt, **({"compress_level": 1} if fmt == "PNG" else {"quality": 90}))
    return buffer.getvalue()


def sample_buttons(samples: list, files) -> None:
    """A button per sample photo. A press remembers the sample and the uploads it was pressed over, so that
    whichever came last is shown (see :func:`photos_to_show`)."""
    st.caption("Or try a sample:")
    for column, sample in zip(st.columns(len(samples) + 2), samples):
        if column.button(sample.stem.replace("-", " ").capitalize(), key=f"sample-{sample.name}"):
            st.session_state.sample = (sample.name, _upload_ids(files))


def photos_to_show(samples: list, files) -> tuple[list[tuple[str, object]], str] | None:
    """The photos the person chose last, with their key: the sample pressed after the uploads there are now,
    else the uploads, else nothing."""
    name, over = st.session_state.get("sample", (None, None))
    if name is not None and over == _upload_ids(files):
        sample = next(s for s in samples if s.name == name)
        return [(sample.name, sample.read_bytes())], "sample"
    return ([(f.name, f) for f in files], "upload") if files else None


def _upload_ids(files) -> tuple:
    return tuple(f.file_id for f in files or [])


def show_analysis(items: list[tuple[str, object]], engine: Engine, settings: Settings, key: str) -> None:
    """Analyze each (name, bytes or file) and show it; a bad file gets a message and the others go on.

    Photos are decoded at analysis size and shown at display size; each one waits for a slot of the
    process-wide gate, so that many sessions at once queue instead of exhausting the server's memory.
    """
    items, note = within_upload_limit(items)
    if note:
        st.warning(note)
    progress = st.progress(0.0, text="Analyzing…") if len(items) > 1 else None
    all_records, summaries = [], []
    for i, (name, source) in enumerate(items):
        if progress:
            progress.progress(i / len(items), text=f"Analyzing image {i + 1} of {len(items)}…")
        queue_notice = st.empty()
        try:
            with HEAVY_WORK.slot(lambda ahead: queue_notice.info(
                    f"Many people are analyzing photos right now: queued, {ahead} ahead of you…", icon="⏳")):
                queue_notice.empty()
                analysis = analyze_photo(engine, source, min_score=settings.min_score)
        except ImageError as err:
            st.warning(f"**{escape_markdown(name)}**: {escape_markdown(str(err))}", icon="⚠️")
            continue
        faces = analysis.faces
        records = face_records(name, faces)
        all_records += records
        summaries.append(summary_record(name, faces))
        _show_image(name, source, analysis, records, engine, f"{key}-{i}", title=key == "upload")
    if progress:
        progress.empty()
    if len(items) > 1 and all_records:
        st.subheader("All faces")
        st.dataframe(pd.DataFrame(summaries), hide_index=True)
        st.dataframe(pd.DataFrame(all_records), hide_index=True)
        _downloads(all_records, "all-faces", f"{key}-all", summaries)


def _full_size_png(source, faces) -> bytes:
    """The annotated photo at full resolution, made only when its download is asked for."""
    with HEAVY_WORK.slot():
        return png_bytes(annotate(read_image(source), faces, numbered_markers(faces)))


def model_name(engine: Engine) -> str:
    """The model's name in words, as the sidebar says it: "Accurate", "Fast", or its folder's name."""
    folder = engine.classifier.path.parent.name
    return MODEL_WORDS.get(folder, folder)


def describe(faces) -> str:
    """The annotated image in words, for screen readers and for copying."""
    readings = "; ".join(numbered_readings(faces))
    return f"Faces as numbered in the image: {readings}" + ("" if readings.endswith("?") else ".")  # no "?."


@st.fragment
def _why(engine: Engine, crop, face, key: str) -> None:
    """A per-face "Why?" switch; only this fragment reruns when it is flipped."""
    if st.toggle("Why?", key=f"{key}-why", help="Show which parts of the face the reading rests on"):
        with st.spinner("Finding what the reading rests on…"), HEAVY_WORK.slot():
            heat = engine.explain(crop[None])[0]
        st.image(explanation_image(crop, heat), width=192)
        st.caption(explanation_words(face))


def _show_image(name: str, source, analysis: PhotoAnalysis, records: list[dict], engine: Engine, key: str,
                title: bool) -> None:
    """One photo: the group's mood in a line, the annotated image large, a card per face beside it (its crop,
    its reading, its probabilities), the figures in an expander, the downloads."""
    faces = analysis.faces
    if title:
        st.subheader(escape_markdown(name))
    if not faces:
        st.info("No face was found in this image. Try a brighter, more frontal photo, or lower the minimum "
                "face confidence in the sidebar.")
        st.image(analysis.display.rgb, width="stretch", output_format="JPEG")
        return
    if len(faces) > 1:
        st.markdown(f"#### {mood_summary(faces)}")
    picture, cards = st.columns([3, 2])
    annotated = analysis.annotated()
    picture.image(annotated, width="stretch", output_format="JPEG", caption=describe(faces))
    buttons = picture.container(horizontal=True)  # side by side, wrapping on a phone
    buttons.download_button("Annotated image (PNG)", lambda: _full_size_png(source, faces),
                            f"{safe_stem(name)}-annotated.png", "image/png", key=f"{key}-png", on_click="ignore")
    shown = png_bytes(annotated, "JPEG")  # what the card's click needs, kept small: sessions hold it until then
    buttons.download_button("Result card (PNG)", lambda: result_card(read_image(shown), faces, model_name(engine)),
                            f"{safe_stem(name)}-card.png", "image/png", key=f"{key}-card", on_click="ignore",
                            help="The image, each face's reading and the group's mood in one picture, for slides")
    counts = mood_counts(faces)
    if len(counts) > 1:  # a chart says something only when the faces differ
        picture.plotly_chart(mood_bars(counts), key=f"{key}-mood", config={"displayModeBar": False})
    with cards:
        for i, face in enumerate(faces):
            with st.container(border=True):
                crop, words = st.columns([1, 4], vertical_alignment="center")
                # A thumbnail: stretched, the 48 px crop filled a phone's width once the columns stacked
                crop.image(analysis.crops[i], width=64, clamp=True)
                words.markdown(face.heading(f"Face {i + 1}"))
                st.plotly_chart(probability_bars(face.probs, "", height=170), key=f"{key}-chart-{i}",
                                config={"displayModeBar": False})
                _why(engine, analysis.crops[i], face, f"{key}-{i}")
    with st.expander("All figures"):
        st.dataframe(pd.DataFrame(readable_rows(faces)), hide_index=True,
                     column_config={name: st.column_config.NumberColumn(format="percent") for name in EMOTIONS})
    _downloads(records, safe_stem(name), key)


def readable_rows(faces) -> list[dict]:
    """The table under a photo: each face's number, its reading worded as in its heading, where it is, and its
    probabilities."""
    return [{"face": i + 1, "reading": face.verdict, "sure": not face.uncertain,
             "where (x, y, width, height)": ", ".join(map(str, face.box)),
             **dict(zip(EMOTIONS, face.probs))} for i, face in enumerate(faces)]


def _downloads(records: list[dict], stem: str, key: str, summaries: list[dict] | None = None) -> None:
    row = st.container(horizontal=True)
    row.download_button("Results (CSV)", to_csv(records), f"{stem}-emotions.csv", "text/csv", key=f"{key}-csv",
                        on_click="ignore")
    row.download_button("Results (JSON)", to_json(records), f"{stem}-emotions.json", "application/json",
                        key=f"{key}-json", on_click="ignore")
    if summaries:
        row.download_button("Summary per image (CSV)", to_csv(summaries, SUMMARY_FIELDS), f"{stem}-summary.csv",
                            "text/csv", key=f"{key}-summary", on_click="ignore")
