"""Each page's wiring through Streamlit's AppTest, in this process, with real photos."""
import pytest
from support import REPO, app_page, astronaut, encode, group_photo

from fer_core import Engine, fer2013
from fer_core.examples import KINDS, find_examples
from fer_core.fer2013 import find_default_data
from fer_core.labels import EMOTIONS
from fer_core.models import MODELS_DIR, default_model_dir, read_metrics, shipped_model_names


def texts(app) -> str:
    return "\n".join(m.value for m in app.markdown) + "\n".join(e.value for e in (*app.warning, *app.info))


def test_home_says_what_it_does_and_that_nothing_is_stored():
    app = app_page("home")
    assert "never stored" in texts(app)
    assert "seven" in texts(app) and all(name in texts(app) for name in EMOTIONS)
    assert app.sidebar.selectbox(key="detector").value == "auto"
    if {"accurate", "fast"} <= set(shipped_model_names()):
        accurate = read_metrics(MODELS_DIR / "accurate")
        assert "**Accurate**, for photos and video, combines two networks" in texts(app)
        assert f"{accurate.accuracy:.1%}" in texts(app) and (accurate.agreement_words or "") in texts(app)
    assert [n.type for n in app.main][3:5] == ["column", "image"]  # the example picture first
    assert [link.proto.label for link in app.get("page_link")][0] == "**Upload photos**"


def test_upload_real_photos_and_a_broken_one():
    app = app_page("upload")
    app.file_uploader[0].set_value([("astronaut.jpg", encode(astronaut(), "JPEG"), "image/jpeg"),
                                    ("broken.png", b"\x89PNG\r\n\x1a\n broken", "image/png"),
                                    ("group.png", encode(group_photo()), "image/png")])
    app.run()
    assert not app.exception, app.exception
    assert [s.value for s in app.subheader] == ["astronaut\\.jpg", "group\\.png", "All faces"]
    assert any("broken\\.png" in w.value and "not an image" in w.value for w in app.warning)
    faces = [m.value for m in app.markdown if m.value.startswith("**Face ")]
    assert len(faces) == 7  # 1 + 6, the broken file in between lost nothing
    table = app.dataframe[-1].value
    assert len(table) == 7 and set(table["label"]) <= set(EMOTIONS)
    labels = [b.label for b in app.get("download_button")]
    assert labels.count("Annotated image (PNG)") == 2 and "Results (CSV)" in labels
    summary = app.dataframe[-2].value  # one row per image, above the faces
    assert list(summary["image"]) == ["astronaut.jpg", "group.png"] and list(summary["faces"]) == [1, 6]
    assert summary["summary"][1].startswith("6 faces: ") and "Summary per image (CSV)" in labels
    assert any(m.value.startswith("#### 6 faces: ") for m in app.markdown)  # the group's mood above its faces


def test_upload_sample_button():
    app = app_page("upload")
    app.button(key="sample-astronaut.jpg").click().run()
    assert any(m.value.startswith("**Face 1:") for m in app.markdown)


def test_a_sample_pressed_after_an_upload_is_shown_and_a_new_upload_wins_again():
    from support import no_face

    app = app_page("upload")
    app.file_uploader[0].set_value(("coffee.png", encode(no_face()), "image/png")).run()
    assert any("No face was found" in i.value for i in app.info)
    app.button(key="sample-six-faces.jpg").click().run()
    assert any(m.value.startswith("#### 6 faces: ") for m in app.markdown)  # the sample, not the upload
    assert not any("No face was found" in i.value for i in app.info)
    app.file_uploader[0].set_value(("astronaut.png", encode(astronaut()), "image/png")).run()
    assert any(m.value.startswith("**Face 1:") for m in app.markdown)
    assert not any(m.value.startswith("#### 6 faces: ") for m in app.markdown)


def test_no_face_gets_a_friendly_message():
    from support import no_face

    app = app_page("upload")
    app.file_uploader[0].set_value(("coffee.png", encode(no_face()), "image/png"))
    app.run()
    assert any("No face was found" in i.value for i in app.info)


def test_snapshot():
    app = app_page("snapshot")
    app.camera_input[0].set_value(("snapshot.jpg", encode(astronaut(), "JPEG"), "image/jpeg"))
    app.run()
    assert not app.exception, app.exception
    assert any(m.value.startswith("**Face 1:") for m in app.markdown)


def test_dashboard_builds_its_figures_from_the_artifacts():
    app = app_page("dashboard")
    assert len(app.get("plotly_chart")) >= 5
    metrics = read_metrics(default_model_dir())
    first = ["Agrees with people", "On calm faces", "FER2013 labels"] if metrics.agreement_words else \
        ["FER2013 labels", "Balanced score", "Model size"]
    assert [m.label for m in app.metric][:3] == first
    app.toggle[0].set_value(False).run()
    assert not app.exception


def test_dashboard_shows_fer2013_faces_beside_the_people_where_a_copy_is_at_hand(monkeypatch, tmp_path):
    path = find_default_data()
    if path is None:
        pytest.skip("no FER2013 copy (FER_DATA, or ../shared/data/fer2013.npz)")
    app = app_page("dashboard")
    captions = [c.value for c in app.caption]
    for example in find_examples(Engine.load(), path):  # the default model's readings, as the page shows them
        assert example.words in captions
    assert sum(m.value.startswith("**Faces ") for m in app.markdown) == len(KINDS)
    (tmp_path / "fer2013.npz").write_bytes(b"not a dataset")  # a broken copy: said, and the rest of the page stays
    monkeypatch.setenv("FER_DATA", str(tmp_path / "fer2013.npz"))
    app = app_page("dashboard")
    assert any("could not be read, so no faces are shown here" in w.value for w in app.warning)
    assert len(app.get("plotly_chart")) >= 5 and not any(m.value.startswith("**Faces ") for m in app.markdown)
    monkeypatch.delenv("FER_DATA")
    monkeypatch.setattr(fer2013, "DEFAULT_DATA_CANDIDATES", ())  # no copy at all: where to put one
    app = app_page("dashboard")
    assert any(c.value.startswith("Set FER_DATA to a copy of FER2013") for c in app.caption)


@pytest.mark.parametrize("model", shipped_model_names())
def test_dashboard_shows_the_card_of_the_chosen_model(model):
    app = app_page("dashboard")
    app.session_state["model"] = model  # AppTest runs a page without the entry point's sidebar
    app.run()
    assert not app.exception, app.exception
    assert app.title[0].value == f"Model dashboard: {model.capitalize()}"
    metrics = read_metrics(MODELS_DIR / model)
    first = f"{metrics.people['agreement']:.1%}" if metrics.agreement_words else f"{metrics.accuracy:.1%}"
    assert app.metric[0].value == first
    if metrics.agreement_words:
        assert any(m.value.startswith(metrics.agreement_words) for m in app.markdown)
        by_emotion = next(m.value for m in app.markdown if "Which emotions it reads as people do" in m.value)
        rates = metrics.people["agreement_by_emotion"]
        hardest = min((k for k in rates if rates[k] is not None), key=rates.get)
        assert f"call {hardest}" in by_emotion and f"{rates[hardest]:.0%}." in by_emotion
    members = (metrics.ensemble or {}).get("members", [])
    assert ("Members" in [h.value for h in app.subheader]) == (len(members) > 1)
    if len(members) > 1:  # each member's own agreement with the people, from its folder
        table = app.dataframe[0].value
        own = [(read_metrics(REPO / member).people or {}).get("agreement") for member in members]
        assert table["agrees with people (PrivateTest)"].tolist() == own if any(own) else \
            "agrees with people (PrivateTest)" not in table
    assert "Training runs" in [e.label for e in app.expander]
    honesty = next(m.value for m in app.markdown if "Are its probabilities honest?" in m.value)
    assert f"{metrics.reliability['ece']:.3f}" in honesty and "by chance alone" in honesty


@pytest.mark.parametrize("detector", ["haar", "yunet"])
def test_detector_setting(detector, yunet_model, monkeypatch):
    monkeypatch.setenv("FER_YUNET_MODEL", str(yunet_model))
    app = app_page("upload")
    app.session_state["detector"] = detector  # AppTest runs a page without the entry point's sidebar
    app.file_uploader[0].set_value(("group.png", encode(group_photo()), "image/png")).run()
    assert len([m for m in app.markdown if m.value.startswith("**Face ")]) == 6
    assert not app.info  # no fallback note: the chosen detector ran
