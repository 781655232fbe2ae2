"""The Dashboard's sections: the model card of one model folder, drawn from its metrics.json and files."""
from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st
from PIL import Image

from fer_core import Engine
from fer_core.examples import EXAMPLES_PER_KIND, EXAMPLES_SPLIT, KINDS, PeopleExample, find_examples
from fer_core.fer2013 import DatasetError, find_default_data
from fer_core.labels import LABEL_SETS
from fer_core.models import ModelArtifacts, ModelMetrics
from fer_core.uncertainty import not_sure_when, threshold_rule, when_sure_words
from ui.charts import (
    MODEL_AND_PEOPLE_KEY,
    accuracy_coverage,
    agreement_by_emotion,
    class_counts,
    confusion_heatmap,
    model_and_people,
    per_class_metrics,
    reliability_diagram,
    training_curves,
)
from ui.engine import get_engine
from ui.models import shipped_artifacts
from ui.settings import Settings

EXAMPLE_SIDE = 144  # px: a 48 px FER2013 face, enlarged three times


def headline(m: ModelMetrics) -> None:
    if m.agreement_words:
        people, neutral, accuracy, size, latency = st.columns(5)
        people.metric("Agrees with people", f"{m.people['agreement']:.1%}",
                      help="How often its reading is the one most of FER+'s ten people chose for the face")
        neutral.metric("On calm faces", f"{m.people['agreement_on_neutral']:.1%}",
                       help="The same, on the faces most of the ten people call neutral")
    else:
        accuracy, neutral, size, latency = st.columns(4)
        neutral.metric("Balanced score", f"{m.macro_f1:.3f}", help="Macro F1: each emotion counts alike, rare ones too")
    accuracy.metric("FER2013 labels", f"{m.accuracy:.1%}",
                    help=f"Accuracy on FER2013's original labels (PrivateTest, {m.test_images:,} faces), as papers "
                         f"report it; with the mirrored face averaged in: {m.accuracy_tta:.1%}")
    size.metric("Model size", f"{m.model_mb:.1f} MB", help=f"{m.parameters or 0:,} parameters")
    latency.metric("Time per face", f"{m.latency_p50_ms:.2f} ms",
                   help=f"Median time to classify one face on {m.machine}; 95th percentile {m.latency_p95_ms:.2f} ms")
    if m.agreement_words:
        st.markdown(f"{m.agreement_words} FER2013's own labels are noisier: the ten people's majority agrees with "
                    f"them on only 65% of faces, so both figures are shown. {m.clear_faces_words or ''}")


def by_emotion(m: ModelMetrics) -> None:
    """Agreement with the people per emotion, beside recall of the original labels."""
    if m.agreement_by_emotion_words:
        chart, words = st.columns([3, 2])
        chart.plotly_chart(agreement_by_emotion(m.people["agreement_by_emotion"], m.per_class))
        words.markdown(f"#### Which emotions it reads as people do\n{m.agreement_by_emotion_words} The pale "
                       "bars are the share of each emotion's faces by FER2013's labels that it finds, as papers "
                       "report it.")


def _agreement(member: str) -> float | None:
    """A member's own agreement with the people, from its folder's metrics.json (None where not measured)."""
    metrics = shipped_artifacts(member).metrics
    return (metrics.people or {}).get("agreement") if metrics else None


def members_and_runs(m: ModelMetrics) -> None:
    if m.ensemble and len(m.ensemble["members"]) > 1:  # one network's card needs no members table
        st.subheader("Members")
        st.markdown(f"{len(m.ensemble['members'])} networks trained apart, each reading the face"
                    f"{' and its mirror image' if m.ensemble['mirror'] else ''}; the app averages them, which is "
                    "more accurate than any one of them alone.")
        percent, agrees = st.column_config.NumberColumn(format="percent"), "agrees with people (PrivateTest)"
        table = pd.DataFrame([{"member": k["model"], "parameters": k.get("parameters"), agrees: _agreement(path),
                               "PublicTest accuracy": k.get("val_accuracy"), "PrivateTest accuracy": k.get("accuracy")}
                              for k, path in zip(m.ensemble["member_metrics"], m.ensemble["members"])])
        if table[agrees].isna().all():  # members measured before the votes, or not in this checkout
            table = table.drop(columns=agrees)
        st.dataframe(table, hide_index=True,
                     column_config={"parameters": st.column_config.NumberColumn(format="localized"),
                                    "PublicTest accuracy": percent, "PrivateTest accuracy": percent, agrees: percent})
    if m.runs:
        with st.expander("Training runs"):
            best = st.column_config.NumberColumn("best PublicTest", format="percent")
            st.dataframe(pd.DataFrame(m.runs), hide_index=True,
                         column_config={"public_test": best, "hours": st.column_config.NumberColumn(format="%.1f"),
                                        "in_ensemble": st.column_config.CheckboxColumn("in the ensemble")})


def curves(artifacts: ModelArtifacts) -> None:
    """The training curves: the model's own, or those of the member chosen here for an ensemble."""
    history, ensemble = artifacts.history, artifacts.metrics.ensemble
    if ensemble and history is None:
        member = st.selectbox("Training curves of", ensemble["members"],
                              format_func=lambda path: path.rsplit("/", 1)[-1])
        history = shipped_artifacts(member).history
    if history is not None:
        loss, acc = st.columns(2)
        loss.plotly_chart(training_curves(history, "loss"))
        acc.plotly_chart(training_curves(history, "accuracy"))
        taught_by_people = ("" if "val_agreement" not in history else
                            " The dashed line is how often it agreed with the ten people's majority: where a run "
                            "learns from their votes, it rises while the accuracy on FER2013's labels may not.")
        st.caption("How it learned, pass by pass over the training faces: the error falls and the accuracy rises. "
                   "Where the validation line stops following the training one, more passes would only memorize."
                   + taught_by_people)


def errors_by_class(artifacts: ModelArtifacts) -> None:
    m = artifacts.metrics
    matrix, classes = st.columns(2)
    with matrix:
        sets = [name for name in LABEL_SETS if m.confusion(name)]
        against = st.segmented_control("Against", sets, default=sets[0], format_func=lambda k: LABEL_SETS[k]["name"],
                                       required=True) if len(sets) > 1 else sets[0]
        normalized = st.toggle("Show shares instead of counts", value=True)
        cm, words = m.confusion(against), LABEL_SETS[against]
        st.plotly_chart(confusion_heatmap(cm["counts"], cm["classes"], normalized, words["rows"]))
        st.caption(f"Each row is {words['row']}, each column what the model read; the diagonal is where they "
                   f"agree. {m.confusion_words(against)}")
    with classes:
        st.plotly_chart(per_class_metrics(m.per_class))
        st.caption("Recall: the share of an emotion's faces the model finds. Precision: the share of its readings "
                   f"of that emotion that are right. F1 weighs both. {m.per_class_words}")
        if artifacts.class_counts:
            st.plotly_chart(class_counts(artifacts.class_counts))
            training = artifacts.class_counts.get("Training", {})
            if training:
                fewest = min(training, key=training.get)
                st.caption(f"The faces it learned from, by emotion: {fewest} has only {training[fewest]:,} of the "
                           f"{sum(training.values()):,}.")


def honesty(m: ModelMetrics) -> None:
    """The reliability diagram and what it means, then when the model says "not sure"."""
    if m.reliability:
        diagram, words = st.columns([3, 2])
        diagram.plotly_chart(reliability_diagram(m.reliability["rows"]))
        text = (f"#### Are its probabilities honest?\nWhen the model says “80% happy”, it should be right about 80% "
                f"of the time. The bars show how often FER2013's label agrees at each level of confidence; the dashed "
                f"line is perfect honesty. {m.calibration_words}")
        chance = m.reliability.get("ece_by_chance")
        if chance:
            text += (f"\n\nEven a perfectly honest model would show a gap of about {chance['mean']:.3f} on "
                     f"{m.test_images:,} faces, by chance alone.")
        words.markdown(text)
    if m.uncertainty:
        curve, words = st.columns([3, 2])
        curve.plotly_chart(accuracy_coverage(m.uncertainty["curve"], m.threshold))
        private = m.uncertainty["private_test"]
        words.markdown(
            f"#### When does it say “not sure”?\n"
            f"When {not_sure_when(m.threshold)}, the app says “not sure: A or B?” instead of a label. On "
            f"FER2013's test set it is sure of **{private['coverage']:.0%}** of faces, {when_sure_words(private)} "
            f"(over all faces: {m.accuracy:.0%} by the labels). The threshold was chosen on a separate "
            f"validation set, as {threshold_rule(m.uncertainty)}.")


@st.cache_data(show_spinner="Reading faces from FER2013…", max_entries=4)
def _examples(_engine: Engine, model_file: str, data_path: str) -> list[PeopleExample]:
    return find_examples(_engine, data_path)


def people_examples(settings: Settings) -> None:
    """FER2013's own faces, read by the model beside how the ten people voted, where a copy of FER2013 with
    FER+'s votes is at hand: the repository ships none of its faces."""
    st.markdown("#### The model beside ten people, face by face")
    data_path = find_default_data()
    if data_path is None:
        st.caption("Set FER_DATA to a copy of FER2013 with FER+'s votes (fer2013.npz, or fer2013.csv with FER+'s "
                   "fer2013new.csv beside it) to see some of its faces here, each read by the model beside how "
                   "ten people voted.")
        return
    engine = get_engine(settings)
    try:
        examples = _examples(engine, str(engine.classifier.path), str(data_path))
    except DatasetError as err:
        st.warning(f"The copy of FER2013 could not be read, so no faces are shown here: {err}")
        return
    if not examples:
        st.caption(f"The copy of FER2013 at {data_path} has no FER+ votes, so there is no one to compare with.")
        return
    st.caption(f"{EXAMPLES_PER_KIND} faces of each kind, drawn at random from {EXAMPLES_SPLIT} (from FER_DATA or "
               f"the copy beside the app), not picked for how the model reads them. {MODEL_AND_PEOPLE_KEY}")
    for kind, heading in KINDS.items():
        st.markdown(f"**{heading}**")
        for n, (column, example) in enumerate(zip(st.columns(EXAMPLES_PER_KIND),
                                                   [e for e in examples if e.kind == kind])):
            column.image(np.asarray(Image.fromarray(example.face).resize((EXAMPLE_SIDE, EXAMPLE_SIDE),
                                                                         Image.BICUBIC)))
            column.caption(example.words)
            column.plotly_chart(model_and_people(example.reading.probs, example.people_share),
                                key=f"people-{kind}-{n}", config={"displayModeBar": False})
