"""Result cards: one PNG to paste into slides or a chat. A photo's holds the annotated image, each face's
reading, the group's mood and the model that read them; a video's or a Live recording's, a strip per face of its
reading over time and the summary in words. Drawn with Pillow's own font, so they need nothing installed."""
from __future__ import annotations

import io
import textwrap

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from fer_core.annotate import EMOTION_COLORS, NOT_SURE_COLOR
from fer_core.report import NOT_SURE, READINGS, mood_summary, summary_sentence, video_summary
from fer_core.results import FaceResult

CARD_WIDTH = 1200
MARGIN = 32


def result_card(annotated: np.ndarray, faces: list[FaceResult], model: str) -> bytes:
    """PNG bytes: ``annotated`` (RGB) scaled to the card's width, then the group's mood, each face's numbered
    reading in two columns, and a footer naming ``model``."""
    image = Image.fromarray(annotated)
    inner = CARD_WIDTH - 2 * MARGIN
    image = image.resize((inner, max(1, round(image.height * inner / image.width))), Image.Resampling.LANCZOS)
    title, body, small = (ImageFont.load_default(size) for size in (40, 28, 20))
    lines = [face.numbered(i + 1) for i, face in enumerate(faces)] or ["No face was found."]
    rows = -(-len(lines) // 2)
    height = MARGIN + image.height + 24 + 56 + rows * 40 + 24 + 32 + MARGIN
    card = Image.new("RGB", (CARD_WIDTH, height), "white")
    card.paste(image, (MARGIN, MARGIN))
    draw = ImageDraw.Draw(card)
    y = MARGIN + image.height + 24
    draw.text((MARGIN, y), mood_summary(faces), fill="black", font=title)
    y += 56
    for i, line in enumerate(lines):
        column, row = divmod(i, rows)
        draw.text((MARGIN + column * inner // 2, y + row * 40), line, fill=(40, 40, 40), font=body)
    _footer(draw, height, model, small)
    return _png(card)


STRIP_HEIGHT = 34
LABEL_WIDTH = 120


def summary_card(title: str, records: list[dict], duration_s: float, model: str) -> bytes:
    """PNG bytes for a video's or a recording's ``records`` (as :func:`fer_core.report.video_records` makes
    them): ``title``, a strip per face coloured by its reading over ``duration_s``, a key, the summary
    sentences and a footer naming ``model``."""
    summary = video_summary(records)
    title_font, body, small = (ImageFont.load_default(size) for size in (40, 24, 20))
    sentences = [line for row in summary for line in textwrap.wrap(summary_sentence(row), 88)]
    sentences = sentences or ["No face was found."]
    height = MARGIN + 56 + len(summary) * (STRIP_HEIGHT + 12) + 40 + 40 + len(sentences) * 32 + 24 + 32 + MARGIN
    card = Image.new("RGB", (CARD_WIDTH, height), "white")
    draw = ImageDraw.Draw(card)
    draw.text((MARGIN, MARGIN), title, fill="black", font=title_font)
    y, left, right = MARGIN + 56, MARGIN + LABEL_WIDTH, CARD_WIDTH - MARGIN
    per_second = (right - left) / max(duration_s, 1e-6)
    for row in summary:
        draw.text((MARGIN, y + 4), f"Face #{row['face']}", fill=(40, 40, 40), font=body)
        draw.rectangle((left, y, right, y + STRIP_HEIGHT), fill=(240, 240, 240))
        rows = [r for r in records if r["face"] == row["face"]]
        for record, following in zip(rows, rows[1:] + [None]):
            end = following["time_s"] if following and following["time_s"] - record["time_s"] < 2 else \
                record["time_s"] + 0.5
            start = min(right, left + record["time_s"] * per_second)  # a moment rounded past the end: a sliver
            draw.rectangle((start, y, max(start, min(right, left + end * per_second)), y + STRIP_HEIGHT),
                           fill=_color(NOT_SURE if record["uncertain"] else record["label"]))
        y += STRIP_HEIGHT + 12
    end_label = f"{duration_s:.0f} s"
    draw.text((left, y), "0 s", fill=(110, 110, 110), font=small)
    draw.text((right - draw.textlength(end_label, font=small), y), end_label, fill=(110, 110, 110), font=small)
    y += 40
    x = MARGIN
    for name in READINGS:
        draw.rectangle((x, y + 4, x + 18, y + 22), fill=_color(name))
        draw.text((x + 24, y), name, fill=(40, 40, 40), font=small)
        x += 34 + int(draw.textlength(name, font=small))
    y += 40
    for line in sentences:
        draw.text((MARGIN, y), line, fill=(40, 40, 40), font=body)
        y += 32
    _footer(draw, height, model, small)
    return _png(card)


def _color(reading: str) -> tuple[int, int, int]:
    return NOT_SURE_COLOR if reading == NOT_SURE else EMOTION_COLORS[reading]


def _footer(draw: ImageDraw.ImageDraw, height: int, model: str, font) -> None:
    footer = f"Read by the {model} model of Emotion reader: expressions, not feelings."
    draw.text((MARGIN, height - MARGIN - 24), footer, fill=(110, 110, 110), font=font)


def _png(card: Image.Image) -> bytes:
    buffer = io.BytesIO()
    card.save(buffer, format="PNG")
    return buffer.getvalue()
