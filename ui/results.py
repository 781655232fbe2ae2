"""The result view shared by Upload and Snapshot: annotated image, per-face charts, table, downloads."""
from __future__ import annotations

import io
import re

import pandas as pd
import streamlit as st
from PIL import Image

from fer_core import EMOTIONS, Engine, ImageError, annotate, read_image
from fer_core.annotate import annotate_photo
from fer_core.explain import explanation_image
from fer_core.gate import HEAVY_WORK
from fer_core.imageio import load_photo
from fer_core.limits import DISPLAY_MAX_SIDE, MAX_IMAGES_PER_UPLOAD, MAX_UPLOAD_MB
from fer_core.report import SUMMARY_FIELDS, face_records, mood_counts, mood_summary, summary_record, to_csv, to_json
from ui.charts import mood_bars, probability_bars
from ui.engine import Settings

_MARKDOWN_SPECIALS = re.compile(r"([\\`*_{}\[\]()#+\-.!|<>~$:])")


def escape_markdown(text: str) -> str:
    """User text (file names) shown literally: no markdown, links or HTML from it."""
    return _MARKDOWN_SPECIALS.sub(r"\\\1", text)


def safe_stem(name: str) -> str:
    """A download file name from a user's file name: letters, digits, '-' and '_' only."""
    stem = re.sub(r"[^A-Za-z0-9_-]+", "_", name.rsplit(".", 1)[0]).strip("_")
    return stem[:60] or "image"


def png_bytes(rgb) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(rgb).save(buffer, format="PNG", compress_level=1)  # fast: full-size photos are big
    return buffer.getvalue()


def _size(source) -> int:
    return source.size if hasattr(source, "size") else len(source)


def face_labels(faces) -> list[str]:
    return [f"{i + 1}: {f.reading}" for i, f in enumerate(faces)]


def show_analysis(items: list[tuple[str, object]], engine: Engine, settings: Settings, key: str) -> None:
    """Analyze each (name, bytes or file) and show it; a bad file gets a message and the others go on.

    Photos are decoded at analysis size and shown at display size; each one waits for a slot of the
    process-wide gate, so that many sessions at once queue instead of exhausting the server's memory.
    """
    if len(items) > MAX_IMAGES_PER_UPLOAD:
        st.warning(f"{len(items)} images were given; the first {MAX_IMAGES_PER_UPLOAD} are analysed.")
        items = items[:MAX_IMAGES_PER_UPLOAD]
    progress = st.progress(0.0, text="Analysing…") if len(items) > 1 else None
    all_records, summaries = [], []
    for i, (name, source) in enumerate(items):
        if progress:
            progress.progress(i / len(items), text=f"Analysing image {i + 1} of {len(items)}…")
        queue_notice = st.empty()
        if _size(source) > MAX_UPLOAD_MB * 2**20:  # the uploader says so too (its MB are MiB); this holds for any caller
            st.warning(f"**{escape_markdown(name)}** is larger than {MAX_UPLOAD_MB} MB, the limit for photos.",
                       icon="⚠️")
            continue
        try:
            with HEAVY_WORK.slot(lambda ahead: queue_notice.info(
                    f"Many people are analysing photos right now: queued, {ahead} ahead of you…", icon="⏳")):
                queue_notice.empty()
                photo = load_photo(source)
                faces = engine.analyze(photo, min_score=settings.min_score)
                crops = engine.crops(photo, faces)
                display = load_photo(photo, DISPLAY_MAX_SIDE)
                del photo  # the analysis copy is no longer needed
        except ImageError as err:
            st.warning(f"**{escape_markdown(name)}**: {escape_markdown(str(err))}", icon="⚠️")
            continue
        records = face_records(name, faces)
        all_records += records
        summaries.append(summary_record(name, faces))
        _show_image(name, source, display, faces, crops, records, engine, f"{key}-{i}")
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
        return png_bytes(annotate(read_image(source), faces, face_labels(faces)))


def describe(faces) -> str:
    """The annotated image in words, for screen readers and for copying."""
    return "Faces as numbered in the image: " + "; ".join(face_labels(faces)) + "."


def _face_heading(i: int, face) -> str:
    if face.uncertain:
        top = sorted(zip(face.probs, EMOTIONS), reverse=True)[:2]
        return f"**Face {i + 1}: {face.verdict}** ({', '.join(f'{name} {p:.0%}' for p, name in top)})"
    return f"**Face {i + 1}: {face.label}** ({face.confidence:.0%} sure)"


@st.fragment
def _why(engine: Engine, crop, face, key: str) -> None:
    """A per-face "Why?" switch; only this fragment reruns when it is flipped."""
    if st.toggle("Why?", key=f"{key}-why", help="Show which parts of the face the reading rests on"):
        with HEAVY_WORK.slot():
            heat = engine.explain(crop[None])[0]
        st.image(explanation_image(crop, heat), width=192)
        st.caption(f"The glowing parts of this face are what the model relied on most for “{face.label}”: "
                   "hiding them lowers its reading the most. Grey parts barely mattered.")


def _show_image(name: str, source, display, faces, crops, records: list[dict], engine: Engine, key: str) -> None:
    st.subheader(escape_markdown(name))
    if not faces:
        st.info("No face was found in this image. Try a brighter, more frontal photo, or lower the minimum "
                "face confidence in the sidebar.")
        st.image(display.rgb, width="stretch", output_format="JPEG")
        return
    if len(faces) > 1:
        mood, chart = st.columns([2, 3])
        mood.markdown(f"#### {mood_summary(faces)}")
        chart.plotly_chart(mood_bars(mood_counts(faces)), key=f"{key}-mood", config={"displayModeBar": False})
    picture, details = st.columns([3, 2])
    picture.image(annotate_photo(display, faces, face_labels(faces)), width="stretch", output_format="JPEG",
                  caption=describe(faces))
    picture.download_button("Annotated image (PNG)", lambda: _full_size_png(source, faces),
                            f"{safe_stem(name)}-annotated.png", "image/png", key=f"{key}-png", on_click="ignore")
    with details:
        for i, face in enumerate(faces):
            st.markdown(_face_heading(i, face))
            st.plotly_chart(probability_bars(face.probs, ""), key=f"{key}-chart-{i}",
                            config={"displayModeBar": False})
            _why(engine, crops[i], face, f"{key}-{i}")
    st.dataframe(pd.DataFrame(records), hide_index=True)
    _downloads(records, safe_stem(name), key)


def _downloads(records: list[dict], stem: str, key: str, summaries: list[dict] | None = None) -> None:
    left, right, *rest = st.columns(3 if summaries else 2)
    if summaries:
        rest[0].download_button("Summary per image (CSV)", to_csv(summaries, SUMMARY_FIELDS), f"{stem}-summary.csv",
                                "text/csv", key=f"{key}-summary", on_click="ignore")
    left.download_button("Results (CSV)", to_csv(records), f"{stem}-emotions.csv", "text/csv", key=f"{key}-csv",
                         on_click="ignore")
    right.download_button("Results (JSON)", to_json(records), f"{stem}-emotions.json", "application/json",
                          key=f"{key}-json", on_click="ignore")
