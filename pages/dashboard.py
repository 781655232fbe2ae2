import streamlit as st

from ui.charts import accuracy_coverage, class_counts, confusion_heatmap, per_class_metrics, training_curves
from ui.engine import shipped_artifacts
from ui.navigation import require_entrypoint

require_entrypoint()

st.title("Model dashboard")
artifacts = shipped_artifacts()
if artifacts.metrics is None:
    st.error(f"No metrics.json in {artifacts.folder}: evaluate the model with `python -m fer_core.training.evaluate`.")
    st.stop()
metrics = artifacts.metrics

accuracy, tta, f1, size, latency = st.columns(5)
accuracy.metric("Test accuracy", f"{metrics['accuracy']:.1%}", help="FER2013 PrivateTest, 3,589 faces")
tta.metric("With mirrored face", f"{metrics['accuracy_tta']:.1%}", help="Test-time augmentation")
f1.metric("Macro F1", f"{metrics['macro_f1']:.3f}")
size.metric("Model size", f"{metrics['file_bytes'].get('model.tflite', 0) / 1e6:.1f} MB",
            help=f"{metrics['parameters']:,} parameters")
latency.metric("Time per face", f"{metrics['latency_ms_per_face']['p50']:.2f} ms",
               help=f"Median time to classify one face on {metrics['machine']}; "
                    f"95th percentile {metrics['latency_ms_per_face']['p95']:.2f} ms")

if artifacts.history is not None:
    loss, acc = st.columns(2)
    loss.plotly_chart(training_curves(artifacts.history, "loss"))
    acc.plotly_chart(training_curves(artifacts.history, "accuracy"))

matrix, classes = st.columns(2)
with matrix:
    normalized = st.toggle("Show shares instead of counts", value=True)
    cm = metrics["confusion_matrix"]
    st.plotly_chart(confusion_heatmap(cm["counts"], cm["classes"], normalized))
with classes:
    st.plotly_chart(per_class_metrics(metrics["per_class"]))
    if artifacts.class_counts:
        st.plotly_chart(class_counts(artifacts.class_counts))

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
