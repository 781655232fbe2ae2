"""The model folders: a typed metrics.json for every shipped model, and None for a broken or partial one."""
import json

import numpy as np
import pytest

from fer_core.models import MODELS_DIR, ModelMetrics, read_metrics, shipped_model_names


def test_every_shipped_models_metrics_read_typed():
    for name in shipped_model_names():
        metrics = read_metrics(MODELS_DIR / name)
        raw = json.loads((MODELS_DIR / name / "metrics.json").read_text())
        assert isinstance(metrics, ModelMetrics) and metrics.accuracy == raw["accuracy"]
        assert metrics.threshold == raw["uncertainty"]["threshold"] and metrics.runs == raw["runs"]
        assert metrics.latency_p50_ms == raw["latency_ms_per_face"]["p50"] and metrics.model_mb > 1


def test_a_missing_broken_or_partial_metrics_file_reads_as_none(tmp_path):
    assert read_metrics(tmp_path) is None
    (tmp_path / "metrics.json").write_text("{not json")
    assert read_metrics(tmp_path) is None
    (tmp_path / "metrics.json").write_text(json.dumps({"accuracy": 0.7}))  # no latency, no file sizes...
    assert read_metrics(tmp_path) is None


def test_the_dashboards_sentences_name_the_biggest_mix_up_and_the_hardest_emotion():
    m = read_metrics(MODELS_DIR / "accurate")
    counts = np.asarray(m.confusion_matrix["counts"], float)
    shares = counts / counts.sum(axis=1, keepdims=True)
    np.fill_diagonal(shares, 0)
    true, read = np.unravel_index(shares.argmax(), shares.shape)
    classes = m.confusion_matrix["classes"]
    assert m.confusion_words() == (f"Its most common mix-up: {shares[true, read]:.0%} of the faces labelled "
                                   f"{classes[true]} are read as {classes[read]}.")
    recall = {name: row["recall"] for name, row in m.per_class.items()}
    easiest, hardest = max(recall, key=recall.get), min(recall, key=recall.get)
    assert m.per_class_words == (f"It finds {recall[easiest]:.0%} of the {easiest} faces, and {recall[hardest]:.0%} "
                                 f"of the {hardest} ones, the hardest for it.")
    people = np.asarray(m.confusion("people")["counts"])  # the same matrix against the ten people's majority
    assert people.sum() == m.people["faces"] and people.trace() / people.sum() == pytest.approx(m.people["agreement"],
                                                                                                abs=5e-5)
    assert m.confusion_words("people").startswith("Its most common mix-up: ") and "faces most people call " in \
        m.confusion_words("people")


def test_the_dashboards_honesty_sentence_leads_with_the_gap_to_the_people():
    raw = json.loads((MODELS_DIR / "accurate" / "metrics.json").read_text())
    words = read_metrics(MODELS_DIR / "accurate").calibration_words
    assert f"**{raw['people']['ece']:.3f}** against the ten people's majority" in words
    assert f"is {raw['reliability']['ece']:.3f} against FER2013's labels" in words
    assert ("sharpened" if raw["calibration"]["temperature"] < 1 else "softened") in words
    assert f"the gap was {raw['calibration']['private_test']['people_ece_before']:.3f} against the people" in words
    del raw["people"], raw["calibration"]  # a model measured without the votes and never calibrated
    bare = ModelMetrics.from_json(raw).calibration_words
    assert bare == (f"The average gap (expected calibration error) is {raw['reliability']['ece']:.3f} against "
                    "FER2013's labels.")


def test_each_shipped_card_states_its_accuracy_on_the_clear_faces():
    # The clear faces (label and 8 or more of 10 people agree) guard the posed faces a demo sees.
    for name in shipped_model_names():
        people = read_metrics(MODELS_DIR / name).people
        assert 0 < people["clear_faces"] < people["faces"] and people["accuracy_on_clear_faces"] > 0.8, name
        assert f"it is right on {people['accuracy_on_clear_faces']:.1%}" in (MODELS_DIR / name / "model.md").read_text()


def test_the_readmes_figures_are_each_shipped_models_own():
    """The README's model table and its "not sure" paragraph copy figures from metrics.json by hand: they must
    move when a model is replaced (stop 32 left Accurate's threshold and its "not sure" shares stale)."""
    readme = (MODELS_DIR.parent / "README.md").read_text()
    not_sure = readme[readme.index('**"Not sure."**'):].split("\n\n")[0].replace("\n", " ")
    for name in shipped_model_names():
        metrics = read_metrics(MODELS_DIR / name)
        words = name.capitalize()
        row = next(line for line in readme.splitlines() if line.startswith(f"| **{words}** (`models/{name}`)"))
        people = metrics.people
        assert f"**{people['agreement']:.1%}** ({people['agreement_on_neutral']:.1%} on calm faces" in row
        assert f"{metrics.accuracy:.2%}" in row
        assert f"{metrics.threshold:.2f} for {words}" in not_sure
        shares = f"{people['not_sure_where_people_agree']:.1%}", f"{people['not_sure_where_people_split']:.1%}"
        said = not_sure[not_sure.index(f"PrivateTest {words}" if name == "accurate" else f"{words} on"):]
        assert all(share in said.split(";")[0] for share in shares), (name, shares, said)


@pytest.mark.parametrize("started, words", [
    (20, "Those were width 20, widened to 28: the new channels started at no effect on the output."),
    (28, None),
    (32, "Those were width 32, narrowed to 28: each layer kept the channels its batch norm scaled most."),
])
def test_a_card_says_how_a_run_was_resized_from_the_width_it_started_at(started, words):
    from fer_core.training.card import _init_sentence

    # A run that started from an unfolded LiteRT file has no earlier run's record, only the width it read there.
    sentence = _init_sentence({"init_weights": "unfolded/model.keras", "init_width": started, "width": 28})
    assert sentence.startswith("It started from the best weights of run `unfolded`")
    assert (words in sentence) if words else ("Those were width" not in sentence)
