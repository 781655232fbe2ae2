import pandas as pd
import streamlit as st

from ui.charts import (accuracy_coverage, class_counts, confusion_heatmap, per_class_metrics, reliability_diagram,
                       training_curves)
from ui.engine import current_settings, shipped_artifacts
from ui.navigation import require_entrypoint

require_entrypoint()

artifacts = shipped_artifacts(current_settings().model)
st.title(f"Model dashboard: {artifacts.folder.name}")
if artifacts.metrics is None:
    st.error(f"No metrics.json in {artifacts.folder}: evaluate the model with `python -m fer_core.training.evaluate`.")
    st.stop()
metrics = artifacts.metrics
st.caption("Choose the model in the sidebar. Every figure is measured on FER2013's PrivateTest (3,589 faces), "
           "which no training or model choice ever saw.")

accuracy, tta, f1, size, latency = st.columns(5)
accuracy.metric("Test accuracy", f"{metrics['accuracy']:.1%}", help="FER2013 PrivateTest, 3,589 faces")
tta.metric("With mirrored face", f"{metrics['accuracy_tta']:.1%}", help="Test-time augmentation")
f1.metric("Macro F1", f"{metrics['macro_f1']:.3f}")
size.metric("Model size", f"{metrics['file_bytes'].get('model.tflite', 0) / 1e6:.1f} MB",
            help=f"{metrics['parameters']:,} parameters")
latency.metric("Time per face", f"{metrics['latency_ms_per_face']['p50']:.2f} ms",
               help=f"Median time to classify one face on {metrics['machine']}; "
                    f"95th percentile {metrics['latency_ms_per_face']['p95']:.2f} ms")

ensemble = metrics.get("ensemble")
if ensemble:
    st.subheader("Members")
    st.markdown(f"{len(ensemble['members'])} networks trained apart, each reading the face"
                f"{' and its mirror image' if ensemble['mirror'] else ''}; the app averages them.")
    st.dataframe(pd.DataFrame([{"member": m["model"], "parameters": m.get("parameters"),
                                "PublicTest accuracy": m.get("val_accuracy"), "PrivateTest accuracy": m.get("accuracy")}
                               for m in ensemble["member_metrics"]]),
                 hide_index=True, column_config={"parameters": st.column_config.NumberColumn(format="localized"),
                                                 **{c: st.column_config.NumberColumn(format="percent")
                                                    for c in ("PublicTest accuracy", "PrivateTest accuracy")}})
if metrics.get("runs"):
    st.subheader("Training runs")
    st.dataframe(pd.DataFrame(metrics["runs"]), hide_index=True,
                 column_config={"public_test": st.column_config.NumberColumn("best PublicTest", format="percent"),
                                "hours": st.column_config.NumberColumn(format="%.1f"),
                                "in_ensemble": st.column_config.CheckboxColumn("in the ensemble")})

history = artifacts.history
if ensemble and history is None:
    member = st.selectbox("Training curves of", ensemble["members"], format_func=lambda path: path.rsplit("/", 1)[-1])
    history = shipped_artifacts(member).history
if history is not None:
    loss, acc = st.columns(2)
    loss.plotly_chart(training_curves(history, "loss"))
    acc.plotly_chart(training_curves(history, "accuracy"))

matrix, classes = st.columns(2)
with matrix:
    normalized = st.toggle("Show shares instead of counts", value=True)
    cm = metrics["confusion_matrix"]
    st.plotly_chart(confusion_heatmap(cm["counts"], cm["classes"], normalized))
with classes:
    st.plotly_chart(per_class_metrics(metrics["per_class"]))
    if artifacts.class_counts:
        st.plotly_chart(class_counts(artifacts.class_counts))

reliability, calibration = metrics.get("reliability"), metrics.get("calibration")
if reliability:
    diagram, words = st.columns([3, 2])
    diagram.plotly_chart(reliability_diagram(reliability["rows"]))
    text = (f"#### Are its probabilities honest?\nWhen the model says “80% happy”, it should be right about 80% "
            f"of the time. The bars show how often it is right at each level of confidence; the dashed line is "
            f"perfect honesty. The average gap (expected calibration error) is **{reliability['ece']:.3f}**.")
    if calibration:
        after = calibration["private_test"]
        text += (f"\n\nIts raw probabilities were softened by a temperature of {calibration['temperature']:.2f}, "
                 f"chosen on a separate validation set; that moved the gap from {after['ece_before']:.3f} to "
                 f"{after['ece_after']:.3f}.")
    chance = reliability.get("ece_by_chance")
    if chance:
        text += (f"\n\nEven a perfectly honest model would show a gap of about {chance['mean']:.3f} on "
                 f"{metrics['test_images']:,} faces, by chance alone.")
    words.markdown(text)

uncertainty = metrics.get("uncertainty")
if uncertainty:
    curve, words = st.columns([3, 2])
    curve.plotly_chart(accuracy_coverage(uncertainty["curve"], uncertainty["threshold"]))
    private = uncertainty["private_test"]
    words.markdown(
        f"#### When does it say “not sure”?\n"
        f"When its top emotion has less than **{uncertainty['threshold']:.0%}** probability, the app says "
        f"“not sure: A or B?” instead of a label. On FER2013's test set it is sure of "
        f"**{private['coverage']:.0%}** of faces and right about **{private['accuracy_when_sure']:.0%}** of "
        f"those, against {metrics['accuracy']:.0%} over all faces. The threshold was chosen on a separate "
        f"validation set as the lowest that keeps the answers it is sure of right "
        f"{uncertainty['target_accuracy']:.0%} of the time.")

if artifacts.model_card:
    with st.expander("Model card"):
        st.markdown(artifacts.model_card)
