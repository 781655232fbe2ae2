"""The result card: one PNG to paste into slides or a chat, with the annotated image, each face's reading, the
group's mood and the model that read them. Drawn with Pillow's own font, so it needs nothing installed."""
from __future__ import annotations

import io

import numpy as np
from PIL import Image, ImageDraw, ImageFont

from fer_core.report import mood_summary
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
    footer = f"Read by the {model} model of Emotion reader: expressions, not feelings."
    draw.text((MARGIN, height - MARGIN - 24), footer,
              fill=(110, 110, 110), font=small)
    buffer = io.BytesIO()
    card.save(buffer, format="PNG")
    return buffer.getvalue()
