"""Plotly figures of the app. Pure functions of their data: no Streamlit here."""
from __future__ import annotations

import numpy as np
import pandas as pd
import plotly.graph_objects as go

from fer_core.annotate import EMOTION_COLORS, NOT_SURE_COLOR
from fer_core.labels import EMOTIONS, LABEL_SETS, SPLITS

COLORS = [f"rgb{EMOTION_COLORS[name]}" for name in EMOTIONS]
# Lines and areas on a white page: the boxes' pale yellow would vanish there, so happy darkens to gold.
LINE_COLORS = [f"rgb{(196, 160, 0) if name == 'happy' else EMOTION_COLORS[name]}" for name in EMOTIONS]
NOT_SURE_COLOR = f"rgb{NOT_SURE_COLOR}"


# A legend above the plot, left-aligned, so that on a phone it takes no width from the plot; room for three rows of
# it below the title.
LEGEND_ABOVE = dict(margin=dict(l=10, r=10, t=100, b=10), legend=dict(orientation="h", yanchor="bottom", y=1.02, x=0))


def _title(text: str) -> dict:
    """A chart's title, pinned to the top, above a legend that may grow upwards."""
    return dict(text=text, yref="container", y=1, yanchor="top", pad=dict(t=12))


def _layout(fig: go.Figure, title: str, height: int = 320, **extra) -> go.Figure:
    fig.update_layout(title=_title(title), height=height, **({"margin": dict(l=10, r=10, t=40, b=10)} | extra))
    return fig


def probability_bars(probs, title: str = "Emotion probabilities", height: int = 260) -> go.Figure:
    fig = go.Figure(go.Bar(x=list(probs), y=list(EMOTIONS), orientation="h", marker_color=COLORS,
                           marker_line=dict(color="rgb(90, 90, 90)", width=0.5),
                           text=[f"{p:.0%}" for p in probs], textposition="auto"))
    fig.update_xaxes(range=[0, 1], tickformat=".0%", showticklabels=height > 200)
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, title, height=height, **({"margin": dict(l=10, r=10, t=4, b=4)} if not title else {}))


MODEL_AND_PEOPLE_KEY = ("For each emotion, the upper, blue bar is the model's probability and the lower, orange "
                        "bar the share of the ten people who chose it.")


def model_and_people(probs, people) -> go.Figure:
    """One face: the model's probability of each emotion beside the share of the ten people who chose it. No
    legend: several stand side by side, and the page says once which bar is which (MODEL_AND_PEOPLE_KEY)."""
    fig = go.Figure([go.Bar(name="the model", y=list(EMOTIONS), x=list(probs), orientation="h",
                            marker_color="rgb(0, 104, 201)"),
                     go.Bar(name="the ten people", y=list(EMOTIONS), x=list(people), orientation="h",
                            marker_color="rgb(255, 171, 64)")])
    fig.update_xaxes(range=[0, 1], tickformat=".0%")
    fig.update_yaxes(autorange="reversed")
    return _layout(fig, "", height=240, barmode="group", margin=dict(l=10, r=10, t=10, b=10), showlegend=False)


def probability_timeline(history: pd.DataFrame) -> go.Figure:
    """``history``: a ``seconds`` column and one column per emotion. Live redraws it every second for each
    session, so it is built from plain values without plotly's checks (7 ms, against 25 ms checked)."""
    seconds = history["seconds"].round(2).tolist()
    data = [dict(type="scatter", x=seconds, y=history[name].round(3).tolist(), name=name, mode="lines",
                 line=dict(color=color)) for name, color in zip(EMOTIONS, LINE_COLORS)]
    layout = dict(title=_title("Emotions over the last seconds"), height=320,
                  yaxis=dict(range=[0, 1], tickformat=".0%"),
                  xaxis=dict(title=dict(text="seconds ago"), autorange="reversed"), **LEGEND_ABOVE)
    return go.Figure(data=data, layout=layout, _validate=False)


def mood_bars(counts: dict[str, int]) -> go.Figure:
    """How the faces of a group split: one bar per emotion (and "not sure"), most frequent first."""
    colors = [f"rgb{EMOTION_COLORS[name]}" if name in EMOTION_COLORS else NOT_SURE_COLOR for name in counts]
    fig = go.Figure(go.Bar(x=list(counts), y=list(counts.values()), marker_color=colors,
                           marker_line=dict(color="black", width=1), text=list(counts.values()), textposition="auto"))
    fig.update_yaxes(title="faces", dtick=1)
    return _layout(fig, "How the faces split", height=200)


def accuracy_coverage(points: list[dict], threshold: float) -> go.Figure:
    """PrivateTest accuracy of the faces the model is sure of, against their share, for each threshold of focus
    (fer_core.uncertainty.focus)."""
    fig = go.Figure(go.Scatter(x=[p["coverage"] for p in points], y=[p["accuracy"] for p in points], mode="lines",
                               name="all thresholds", customdata=[p["threshold"] for p in points],
                               hovertemplate="focus %{customdata:.2f} or more: %{y:.1%} right on %{x:.1%} of "
                                             "faces"))
    chosen = min(points, key=lambda p: abs(p["threshold"] - threshold))
    fig.add_trace(go.Scatter(x=[chosen["coverage"]], y=[chosen["accuracy"]], mode="markers+text",
                             marker=dict(size=12, symbol="diamond"), name="the app's threshold",
                             text=[f"focus {threshold:.2f}"], textposition="bottom left"))
    fig.update_xaxes(title="share of faces the model is sure of (coverage)", tickformat=".0%", range=[0, 1.02])
    fig.update_yaxes(title="accuracy on those faces", tickformat=".0%")
    return _layout(fig, "When the model says it is sure (PrivateTest)", height=400, **LEGEND_ABOVE)


def emotion_timeline(frame: pd.DataFrame, title: str, duration: float | None = None) -> go.Figure:
    """``frame``: a ``time_s`` column, one column per emotion and ``uncertain``; time runs left to right in
    seconds, from 0 to ``duration`` (the same axis for every face of a video). A grey band along the top marks
    the moments the face read "not sure"."""
    fig = go.Figure([go.Scatter(x=frame["time_s"], y=frame[name], name=name, mode="lines", line=dict(color=color))
                     for name, color in zip(EMOTIONS, LINE_COLORS)])
    if frame["uncertain"].any():
        fig.add_trace(go.Scatter(x=frame["time_s"], y=frame["uncertain"].map({True: 1.0, False: None}),
                                 name="not sure", mode="lines", line=dict(color=NOT_SURE_COLOR, width=8),
                                 connectgaps=False, hoverinfo="skip"))
    fig.update_yaxes(range=[0, 1.04], tickformat=".0%")
    fig.update_xaxes(title="seconds", range=[0, duration] if duration else None)
    return _layout(fig, title, height=320, **LEGEND_ABOVE)


def room_timeline(counts: list[dict], readings: list[str], duration: float | None = None) -> go.Figure:
    """``counts``: per moment, ``time_s`` and the number of faces in view reading each of ``readings``
    (fer_core.report.room_counts), stacked: the height is the faces in view."""
    colors = dict(zip(EMOTIONS, LINE_COLORS)) | {"not sure": NOT_SURE_COLOR}
    times = [row["time_s"] for row in counts]
    fig = go.Figure([go.Scatter(x=times, y=[row[name] for row in counts], name=name, mode="lines", stackgroup="faces",
                                line=dict(color=colors[name], width=0.5))
                     for name in readings if any(row[name] for row in counts)])
    fig.update_yaxes(title="faces in view", dtick=1, rangemode="tozero")
    fig.update_xaxes(title="seconds", range=[0, duration] if duration else None)
    return _layout(fig, "Everyone: what the faces in view read", height=320, **LEGEND_ABOVE)


def training_curves(history: pd.DataFrame, metric: str) -> go.Figure:
    """``metric``: loss or accuracy; with accuracy, a run that logged PublicTest's agreement with the people
    (``val_agreement``) draws it too: a run taught by the votes shows its progress there, not in the labels."""
    epochs = history["epoch"] + 1
    validation = "PublicTest, " + LABEL_SETS["labels"]["name"] if metric == "accuracy" else "validation (PublicTest)"
    traces = [go.Scatter(x=epochs, y=history[metric], name="training", mode="lines"),
              go.Scatter(x=epochs, y=history[f"val_{metric}"], name=validation, mode="lines")]
    if metric == "accuracy" and "val_agreement" in history:
        traces.append(go.Scatter(x=epochs, y=history["val_agreement"], mode="lines", line=dict(dash="dash"),
                                 name="PublicTest, " + LABEL_SETS["people"]["name"]))
    fig = go.Figure(traces)
    fig.update_xaxes(title="epoch")
    # The legend under the plot (beside it, its long names would squeeze a half-width chart), in a margin of one
    # size, so that the loss and accuracy charts side by side keep plots of one height whatever their legends.
    return _layout(fig, metric.capitalize() + " per epoch", height=380, margin=dict(l=50, r=10, t=40, b=130),
                   margin_autoexpand=False, legend=dict(orientation="h", yanchor="top", y=-0.28, x=0))


def confusion_heatmap(counts, classes, normalized: bool, rows: str) -> go.Figure:
    """``rows``: what the row axis is, e.g. "FER2013's label"."""
    counts = np.asarray(counts, float)
    values = counts / np.maximum(counts.sum(1, keepdims=True), 1) if normalized else counts
    text = [[f"{v:.0%}" if normalized else f"{int(v)}" for v in row] for row in values]
    fig = go.Figure(go.Heatmap(z=values, x=list(classes), y=list(classes), text=text, texttemplate="%{text}",
                               colorscale="Blues", showscale=False))
    fig.update_xaxes(title="the model's reading")
    fig.update_yaxes(title=rows, autorange="reversed")
    return _layout(fig, "Confusion matrix (PrivateTest)" + (", share of each row" if normalized else ""),
                   height=460)


def per_class_metrics(per_class: dict) -> go.Figure:
    fig = go.Figure([go.Bar(name=metric, x=list(per_class), y=[c[metric] for c in per_class.values()])
                     for metric in ("precision", "recall", "f1")])
    fig.update_yaxes(range=[0, 1])
    return _layout(fig, "Precision, recall and F1 per class (PrivateTest)", barmode="group")


def agreement_by_emotion(agreement: dict, per_class: dict) -> go.Figure:
    """Per emotion: how often the model agrees with the people's majority on the faces they give that emotion,
    beside its recall of FER2013's labels (the papers' figure). ``agreement``: emotion to share, None where no
    face has that majority."""
    fig = go.Figure([go.Bar(name=LABEL_SETS["people"]["name"], x=list(agreement),
                            y=[agreement[name] for name in agreement], marker_color="rgb(0, 104, 201)",
                            text=[None if v is None else f"{v:.0%}" for v in agreement.values()], textangle=0,
                            textposition="inside", insidetextanchor="end"),
                     go.Bar(name=LABEL_SETS["labels"]["name"], x=list(agreement),
                            y=[per_class[name]["recall"] for name in agreement], marker_color="rgb(131, 201, 255)")])
    fig.update_yaxes(range=[0, 1], tickformat=".0%")
    # On a phone the bars are too narrow for a legible figure inside: hide it there (the axis still reads).
    return _layout(fig, "How often it agrees, by emotion (PrivateTest)", barmode="group",
                   uniformtext=dict(minsize=10, mode="hide"), **LEGEND_ABOVE)


def class_counts(counts: dict) -> go.Figure:
    fig = go.Figure([go.Bar(name=split, x=list(EMOTIONS), y=[counts[split][name] for name in EMOTIONS])
                     for split in SPLITS if split in counts])
    return _layout(fig, "FER2013 images per class and split", barmode="group", **LEGEND_ABOVE)


def reliability_diagram(rows: list[dict]) -> go.Figure:
    """Accuracy against confidence per confidence bin (PrivateTest): on the diagonal, the model's probabilities
    mean what they say; bars below it are over-confident. Marker size shows how many faces a bin holds."""
    centres = [(r["low"] + r["high"]) / 2 for r in rows]
    counts = [r["count"] for r in rows]
    sizes = [6 + 14 * np.sqrt(c / max(counts)) for c in counts]
    fig = go.Figure([
        go.Scatter(x=[0, 1], y=[0, 1], mode="lines", name="perfectly honest", line=dict(dash="dash", color="grey")),
        go.Bar(x=centres, y=[r["accuracy"] for r in rows], width=[r["high"] - r["low"] for r in rows],
               name="how often it is right", marker_color="rgb(70,130,180)", opacity=0.6, customdata=counts,
               hovertemplate="confidence %{x:.0%}: right %{y:.1%} of %{customdata} faces"),
        go.Scatter(x=[r["confidence"] for r in rows], y=[r["accuracy"] for r in rows], mode="markers",
                   name="mean confidence in the bin", marker=dict(color="black", size=sizes)),
    ])
    fig.update_xaxes(title="the model's confidence in its top emotion", tickformat=".0%", range=[0, 1])
    fig.update_yaxes(title="share of those faces it gets right", tickformat=".0%", range=[0, 1])
    return _layout(fig, "Is 80% sure right 80% of the time? (PrivateTest)", height=400, **LEGEND_ABOVE)
