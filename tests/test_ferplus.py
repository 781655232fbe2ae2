"""FER+'s ten votes per face: read from both forms, blended into the targets, and used to score a model."""
import csv

import numpy as np
import pytest
from support import tiny_fer2013, write_csv

from fer_core import ferplus
from fer_core.fer2013 import DatasetError, load_fer2013
from fer_core.labels import EMOTIONS
from fer_core.training.evaluate import people_report

# Columns: neutral, happiness, surprise, sadness, anger, disgust, fear, contempt, unknown, NF.
VOTES = np.array([
    [8, 2, 0, 0, 0, 0, 0, 0, 0, 0],  # neutral, 8 of 10 agree
    [0, 0, 0, 5, 5, 0, 0, 0, 0, 0],  # sad and angry tie: angry comes first in our order
    [4, 0, 0, 0, 0, 0, 0, 4, 2, 0],  # neutral ties contempt: neutral
    [0, 0, 0, 0, 0, 0, 0, 6, 4, 0],  # contempt and unknown: no emotion of ours
    [0] * 10,                        # no votes (FER+ left the face out)
    [1, 4, 3, 0, 0, 0, 0, 0, 2, 0],  # split: happy leads with 4 of 10
], np.uint8)


def test_majority_and_the_people_distribution():
    assert ferplus.majority(VOTES).tolist() == [EMOTIONS.index(e) for e in ("neutral", "angry", "neutral")] + \
        [-1, -1, EMOTIONS.index("happy")]
    people, usable = ferplus.people_distribution(VOTES)
    assert usable.tolist() == [True, True, True, False, False, True]
    np.testing.assert_allclose(people[0], np.eye(7)[6] * 0.8 + np.eye(7)[3] * 0.2)
    np.testing.assert_allclose(people[5], (np.eye(7)[6] + 4 * np.eye(7)[3] + 3 * np.eye(7)[5]) / 8)
    np.testing.assert_allclose(people[usable].sum(1), 1.0)


def test_targets_blend_the_label_with_the_votes_and_faces_without_votes_keep_their_label():
    labels = np.array([4, 0, 2, 1, 5, 3])  # sad, angry, fear, disgust, surprise, happy
    people, _ = ferplus.people_distribution(VOTES)
    targets = ferplus.label_targets(labels, VOTES, 0.5)
    np.testing.assert_allclose(targets[0], 0.5 * np.eye(7)[4] + 0.5 * people[0])  # half sad, 0.4 neutral, 0.1 happy
    np.testing.assert_allclose(targets[0][[4, 6, 3]], [0.5, 0.4, 0.1])
    np.testing.assert_array_equal(targets[3:5], np.eye(7)[[1, 5]])  # no votes of ours: the label alone
    np.testing.assert_allclose(targets.sum(1), 1.0)
    np.testing.assert_array_equal(ferplus.label_targets(labels, VOTES, 0.0), np.eye(7)[labels])
    np.testing.assert_array_equal(ferplus.label_targets(labels, None, 0.5), np.eye(7)[labels])
    sad_kept = ferplus.label_targets(labels, VOTES, 0.5, kept=(EMOTIONS.index("sad"),))
    np.testing.assert_array_equal(sad_kept[0], np.eye(7)[4])  # a face labelled sad learns from its label alone
    np.testing.assert_allclose(sad_kept[1:], targets[1:])  # and only those faces
    from fer_core.training.recipe import Recipe

    recipe = Recipe(votes_weight=0.5, labels_kept_for="fear, disgust")
    assert recipe.kept_classes == (EMOTIONS.index("fear"), EMOTIONS.index("disgust"))
    assert "faces labelled fear or disgust keep their label whole" in recipe.labels_words()
    with pytest.raises(ValueError, match="no emotion named feer"):
        Recipe(labels_kept_for="feer")
    with pytest.raises(ValueError, match="votes' weight"):
        ferplus.label_targets(labels, VOTES, 1.5)


def test_the_offsets_a_model_ships_with_are_recipe_options_the_trainer_and_the_ensemble_share():
    import argparse

    from fer_core.training.recipe import Recipe

    for only in (None, ("recall_floor", "labels_floor", "select_by")):  # the trainer's options; the ensemble's
        parser = argparse.ArgumentParser()
        Recipe.add_arguments(parser, only=only)
        recipe = Recipe.from_args(parser.parse_args(["--recall-floor", "fear=0.45", "--recall-floor", "disgust=0.65",
                                                     "--labels-floor", "0.67", "--select-by", "served"]))
        assert recipe.recall_floors == {"fear": 0.45, "disgust": 0.65} and recipe.labels_floor == 0.67
    assert recipe.needing_votes() == ["--select-by served", "--labels-floor 0.67"]
    assert recipe.selection_words() == ("The epoch with the best PublicTest agreement with the people's majority "
                                        "after the class offsets it would ship with (fear recall at least 0.45, "
                                        "disgust recall at least 0.65, labels at least 67%) is kept.")
    assert recipe.summary().endswith("kept by PublicTest served, offsets for fear recall at least 0.45, disgust "
                                     "recall at least 0.65, labels at least 67%")
    assert Recipe.from_record(recipe.record()).recall_floors == recipe.recall_floors  # a resumed run keeps them
    assert Recipe().recall_floors == {} and not Recipe().has_offsets and Recipe().needing_votes() == []
    for wrong, message in ((dict(recall_floor=["feer=0.4"]), "one of the emotions"),
                           (dict(recall_floor=["fear=high"]), "EMOTION=RECALL"),
                           (dict(select_by="served"), "needs the offsets it would ship with")):
        with pytest.raises(ValueError, match=message):
            Recipe(**wrong)


def write_release(path, usage, votes, names=None):
    with open(path, "w", newline="") as f:
        writer = csv.writer(f)
        writer.writerow(["Usage", "Image name", *ferplus.COLUMNS])
        for i, (u, v) in enumerate(zip(usage, votes)):
            writer.writerow([u, f"fer{i:07d}.png" if names is None else names[i], *map(int, v)])


def test_votes_are_read_from_ferplus_release_beside_fer2013_csv(tmp_path):
    tiny = tiny_fer2013()
    votes = np.random.default_rng(0).integers(0, 4, (len(tiny["y"]), 10)).astype(np.uint8)
    write_csv(tiny, tmp_path / "fer2013.csv")
    assert load_fer2013(tmp_path / "fer2013.csv").votes is None  # no release beside it: no votes
    names = [""] + [f"fer{i:07d}.png" for i in range(1, len(votes))]  # FER+ left out the first face
    write_release(tmp_path / "fer2013new.csv", tiny["usage"], votes, names)
    data = load_fer2013(tmp_path / "fer2013.csv")
    np.testing.assert_array_equal(data.votes[1:], votes[1:])
    assert not data.votes[0].any()
    np.testing.assert_array_equal(data.split_votes("PublicTest"), data.votes[tiny["usage"] == "PublicTest"])
    # The project's .npz carries the same votes.
    np.savez(tmp_path / "fer2013.npz", **tiny, ferplus_votes=votes, has_ferplus=np.array(names) != "")
    np.testing.assert_array_equal(load_fer2013(tmp_path / "fer2013.npz").votes, data.votes)


def test_a_misaligned_release_is_refused_with_a_clear_message(tmp_path):
    tiny = tiny_fer2013()
    write_csv(tiny, tmp_path / "fer2013.csv")
    votes = np.ones((len(tiny["y"]), 10), np.uint8)
    write_release(tmp_path / "fer2013new.csv", tiny["usage"][:-1], votes[:-1])  # one row short
    with pytest.raises(DatasetError, match="does not line up with fer2013.csv"):
        load_fer2013(tmp_path / "fer2013.csv")
    write_release(tmp_path / "fer2013new.csv", tiny["usage"][::-1], votes)  # the splits in another order
    with pytest.raises(DatasetError, match="does not line up"):
        load_fer2013(tmp_path / "fer2013.csv")


def test_agreement_with_the_people_on_a_hand_made_set():
    # The model reads: neutral (sure), sad (unsure), happy (sure), angry, angry, happy (unsure).
    probs = np.zeros((6, 7))
    for face, (emotion, p) in enumerate([(6, 0.9), (4, 0.4), (3, 0.9), (0, 0.9), (0, 0.9), (3, 0.45)]):
        probs[face] = (1 - p) / 6
        probs[face, emotion] = p
    labels = np.array([EMOTIONS.index(e) for e in ("neutral", "sad", "sad", "happy", "fear", "happy")])
    report = people_report(probs, VOTES, threshold=0.5, labels=labels)
    # Faces with a majority of ours: 0 (neutral, right), 1 (angry; read sad), 2 (neutral; read happy), 5 (happy).
    assert report["faces"] == 4 and report["agreement"] == 0.5
    assert report["neutral_faces"] == 2 and report["agreement_on_neutral"] == 0.5
    assert report["not_sure_where_people_agree"] == 0.0  # face 0, the only one with 8 of 10, was read surely
    assert report["not_sure_where_people_split"] == 0.5  # faces 2 and 5 split (4 of 10 at most); only 5 unsure
    assert 0 < report["ece"] < 1
    counts = np.array(report["confusion_matrix"]["counts"])  # rows the people's majority, columns the reading
    expected = np.zeros((7, 7), int)
    for crowd, read in (("neutral", "neutral"), ("angry", "sad"), ("neutral", "happy"), ("happy", "happy")):
        expected[EMOTIONS.index(crowd), EMOTIONS.index(read)] += 1
    np.testing.assert_array_equal(counts, expected)
    # Clear faces: the label and 8 or more of 10 people agree; only face 0, read right.
    assert report["clear_faces"] == 1 and report["accuracy_on_clear_faces"] == 1.0
    labels[0] = EMOTIONS.index("sad")  # the label no longer names what the people chose: no clear face
    assert people_report(probs, VOTES, 0.5, labels)["accuracy_on_clear_faces"] is None


def test_the_threshold_follows_the_people_answering_most_faces_they_agree_on():
    from fer_core.uncertainty import threshold_for_agreed_faces, threshold_rule

    confidence = np.linspace(0.3, 0.99, 100)  # 100 faces that 8 or more of 10 people agree on
    threshold = threshold_for_agreed_faces(confidence, max_not_sure=0.15)
    assert (confidence < threshold).mean() == 0.15 and threshold == confidence[15]
    assert threshold_for_agreed_faces(np.array([])) == 0.0
    words = threshold_rule({"max_not_sure_where_people_agree": 0.15, "agreed_faces": 2045})
    assert "85% of the faces that 8 or more of 10 people agree on (2,045 there)" in words


def test_the_brier_score_on_a_hand_made_set():
    from fer_core.training.calibrate import brier

    sure = np.eye(7)[[0, 3]]
    assert brier(sure, np.array([0, 3])) == 0.0
    assert brier(sure, np.array([1, 3])) == pytest.approx(1.0)  # one face sure and wrong (2), one right (0)
    uniform = np.full((1, 7), 1 / 7)
    assert brier(uniform, np.array([4])) == pytest.approx((6 / 7) ** 2 + 6 / 49)  # = 6/7
    split = np.array([[0.5, 0, 0, 0.5, 0, 0, 0]])  # five people say angry, five happy
    assert brier(np.eye(7)[[0]], split) == pytest.approx(0.5)
    assert brier(split, split) == 0.0 and brier(uniform, np.eye(7)[[4]]) == brier(uniform, np.array([4]))


def test_a_temperature_fits_the_people_distribution():
    from fer_core.training.calibrate import fit_temperature, nll, soften

    rng = np.random.default_rng(0)
    people = rng.dirichlet(np.full(7, 0.7), size=2000).astype(np.float32)  # what ten people would say
    overconfident = soften(people, 0.5)  # a model that says the same, twice as sure
    assert fit_temperature(overconfident, people) == pytest.approx(2.0, rel=0.02)
    assert fit_temperature(overconfident, people, objective="brier") == pytest.approx(2.0, rel=0.02)
    # the people's majority drawn from their distribution: both objectives recover the honest temperature
    majority = np.array([rng.choice(7, p=p / p.sum()) for p in people.astype(float)])
    for objective in ("nll", "brier"):
        assert fit_temperature(overconfident, majority, objective=objective) == pytest.approx(2.0, rel=0.15)
    assert nll(people, people) < nll(overconfident, people)
    hard = people.argmax(1)
    assert nll(overconfident, np.eye(7)[hard]) == pytest.approx(nll(overconfident, hard))


def test_the_temperature_fits_the_target_the_recipe_names(tmp_path, capsys):
    import keras

    from fer_core.training.calibrate import calibrate_on_public_test
    from fer_core.training.card import _lean_sentence

    # Faces whose brightness tells their label, and a model that reads it 95% sure; 7 of 10 people agree with
    # each label (the rest say neutral, or happy for a neutral face).
    data = tiny_fer2013()
    data["x"] = np.broadcast_to((20 + 30 * data["y"]).astype(np.uint8)[:, None, None], data["x"].shape).copy()
    votes = np.zeros((len(data["y"]), 10), np.uint8)
    for face, label in enumerate(data["y"]):
        votes[face, ferplus.COLUMNS.index(ferplus.OURS[EMOTIONS[label]])] = 7
        votes[face, ferplus.COLUMNS.index(ferplus.OURS["happy" if EMOTIONS[label] == "neutral" else "neutral"])] = 3
    np.savez(tmp_path / "voted.npz", **data, ferplus_votes=votes, has_ferplus=np.ones(len(votes), bool))
    np.savez(tmp_path / "plain.npz", **data)
    faces = keras.Input((48, 48, 1))
    brightness = keras.ops.mean(faces, axis=(1, 2))  # (N, 1)
    centres = keras.ops.convert_to_tensor(20 + 30 * np.arange(7, dtype=np.float32))
    logits = -keras.ops.abs(brightness - centres) / 30 * np.log(0.95 * 6 / 0.05)  # its label 95%, the rest 1/120
    reader = keras.Model(faces, keras.layers.Softmax()(logits))

    fitted = {}
    for target in ("majority", "votes", "labels"):
        served, calibration = calibrate_on_public_test(reader, load_fer2013(tmp_path / "voted.npz"), target=target)
        assert calibration["target"] == target and calibration["fitted_on"].startswith("PublicTest, the ")
        assert calibration["objective"] == "brier"
        fitted[target] = calibration["temperature"]
    assert fitted["votes"] > 1.5  # 95% sure where 70% of people agree: softened
    assert fitted["majority"] < 0.5 and fitted["labels"] < 0.5  # always right: sharpened
    assert "people's majority (42 faces)" in calibrate_on_public_test(reader, load_fer2013(tmp_path / "voted.npz"))[1][
        "fitted_on"]  # the default
    _, plain = calibrate_on_public_test(reader, load_fer2013(tmp_path / "plain.npz"), target="votes")
    assert plain["target"] == "labels"  # no votes to fit: the labels
    with pytest.raises(ValueError, match="no calibration target 'crowd'"):
        calibrate_on_public_test(reader, load_fer2013(tmp_path / "voted.npz"), target="crowd")
    _, by_nll = calibrate_on_public_test(reader, load_fer2013(tmp_path / "voted.npz"), target="votes", objective="nll")
    assert by_nll["objective"] == "nll" and by_nll["temperature"] > 1.5  # either objective softens it there
    with pytest.raises(ValueError, match="no calibration objective 'ece'; the objectives: brier, nll"):
        calibrate_on_public_test(reader, load_fer2013(tmp_path / "voted.npz"), objective="ece")
    _, held = calibrate_on_public_test(reader, load_fer2013(tmp_path / "voted.npz"), labels_floor=1.0)
    lean = held["people_lean"]  # the reader is always right and the people agree: nothing to buy
    assert lean["offsets"] == {} and lean["public_test"]["agreement_after"] == lean["public_test"]["agreement_before"]
    assert "No offset towards the people" in _lean_sentence(held)
    assert "people_lean" not in calibrate_on_public_test(reader, load_fer2013(tmp_path / "plain.npz"),
                                                         labels_floor=0.5)[1]  # no votes: no lean
    capsys.readouterr()
    blind = keras.Model(faces, keras.layers.Softmax()(logits * 0.0))  # the same for every face: no floor of 50%
    _, short = calibrate_on_public_test(blind, load_fer2013(tmp_path / "voted.npz"), labels_floor=0.5)
    assert short["people_lean"]["public_test"]["labels_after"] < 0.5
    assert "below --labels-floor 0.5" in capsys.readouterr().err
    assert "No class offset could lift PublicTest accuracy on FER2013's labels from 14.3% towards its floor of 50.0%" \
        in _lean_sentence(short)
    leaned = {"people_lean": {"labels_floor": 0.68, "offsets": {"neutral": 0.1, "sad": -0.05},
                              "public_test": {"labels_before": 0.6885, "labels_after": 0.684,
                                              "agreement_before": 0.7623, "agreement_after": 0.7702}}}
    assert ("(neutral +0.10, sad -0.05) raised PublicTest agreement with their majority from 76.2% to 77.0%, while "
            "accuracy on FER2013's labels there stayed at least 68% (from 68.8% to 68.4%)") in _lean_sentence(leaned)
    from fer_core.training.card import _class_bias_sentence

    floored = {"class_bias": {"fear": 0.0, "disgust": 0.55},
               "recall_floors": {"fear": {"floor": 0.45, "public_test": 0.456},
                                 "disgust": {"floor": 0.65, "public_test": 0.661}}}
    assert ("fear none needed (PublicTest recall 45.6%, floor 45%), disgust +0.55 (PublicTest recall 66.1%, floor "
            "65%)") in _class_bias_sentence(floored)
    back = {"people_lean": {"labels_floor": 0.665, "offsets": {"neutral": -0.15},
                            "public_test": {"labels_before": 0.646, "labels_after": 0.6652,
                                            "agreement_before": 0.7725, "agreement_after": 0.761}}}
    assert ("(neutral -0.15) brought PublicTest accuracy on them from 64.6% to 66.5%, up to its floor of 66.5%, "
            "while agreement with the people's majority went from 77.2% to 76.1%") in _lean_sentence(back)


def test_the_evaluator_chooses_the_threshold_by_the_people_and_scores_them_with_it(tiny_model, tmp_path):
    import shutil

    from fer_core.classifier import EmotionClassifier
    from fer_core.training.evaluate import evaluate, predict_all
    from fer_core.uncertainty import focus

    data = tiny_fer2013()
    rng = np.random.default_rng(3)
    votes = np.zeros((len(data["y"]), 10), np.uint8)
    for face, label in enumerate(data["y"]):  # most people agree with the label, some faces split
        column = ferplus.COLUMNS.index(ferplus.OURS[EMOTIONS[label]])
        votes[face, column] = rng.integers(4, 11)
        votes[face, 0] += 10 - votes[face].sum()
    np.savez(tmp_path / "voted.npz", **data, ferplus_votes=votes, has_ferplus=np.ones(len(votes), bool))
    model = tmp_path / "model"
    shutil.copytree(tiny_model, model)
    (model / "metrics.json").unlink()  # no threshold from an earlier evaluation to lean on
    voted = load_fer2013(tmp_path / "voted.npz")
    metrics = evaluate(model, voted)
    chosen = metrics["uncertainty"]
    assert chosen["chosen_on"] == "PublicTest" and "max_not_sure_where_people_agree" in chosen
    classifier = EmotionClassifier(model / "model.tflite")
    x_val, _ = voted.split("PublicTest")
    val = predict_all(classifier, x_val)
    public = voted.split_votes("PublicTest")
    agreed = (ferplus.majority(public) >= 0) & (public.max(1) >= 8)
    assert (focus(val)[agreed] < chosen["threshold"]).mean() <= 0.15
    x_test, y_test = voted.split("PrivateTest")
    expected = people_report(predict_all(classifier, x_test), voted.split_votes("PrivateTest"), chosen["threshold"],
                             y_test)
    assert metrics["people"] == expected


def test_a_class_offset_keeps_a_rarely_chosen_emotion_readable_inside_the_graph():
    import keras

    from fer_core.training.calibrate import fit_class_bias, soften, with_temperature

    rng = np.random.default_rng(1)
    labels = rng.integers(0, 7, 700)
    fear = EMOTIONS.index("fear")
    logits = rng.normal(0, 1, (700, 7))
    logits[np.arange(700), labels] += 1.5
    logits[:, fear] -= 1.2  # a model that learned that people seldom say fear
    probs = soften(np.exp(logits) / np.exp(logits).sum(1, keepdims=True), 1.0)
    recall = float((probs[labels == fear].argmax(1) == fear).mean())
    bias = fit_class_bias(probs, labels, {fear: recall + 0.2})
    assert bias[fear] > 0 and np.count_nonzero(bias) == 1
    lifted = soften(probs, 1.0, bias)
    assert (lifted[labels == fear].argmax(1) == fear).mean() >= recall + 0.2
    smaller = bias.copy()
    smaller[fear] -= 0.05  # the smallest offset that reaches the floor
    assert (soften(probs, 1.0, smaller)[labels == fear].argmax(1) == fear).mean() < recall + 0.2

    inputs = keras.Input((7,))
    identity = keras.Model(inputs, keras.layers.Activation("linear")(inputs))
    served = with_temperature(identity, 1.3, bias)
    np.testing.assert_allclose(served.predict(probs.astype("float32"), verbose=0), soften(probs, 1.3, bias), atol=1e-5)


def test_leaning_to_the_people_buys_agreement_with_label_accuracy_down_to_the_floor_and_no_further():
    from fer_core.training.calibrate import lean_to_people, soften

    rng = np.random.default_rng(2)
    n, neutral, fear = 1400, EMOTIONS.index("neutral"), EMOTIONS.index("fear")
    labels = rng.integers(0, 7, n)
    majority = labels.copy()
    calm = rng.random(n) < 0.3
    majority[calm] = neutral  # the people call a third of the faces calm, whatever the label says
    majority[rng.random(n) < 0.05] = -1  # no majority of ours
    logits = rng.normal(0, 1, (n, 7))
    logits[np.arange(n), labels] += 2.0
    logits[calm, neutral] += 1.0  # the model half sees the calm
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)

    def figures(bias):
        read = soften(probs, 1.0, bias).argmax(1)
        return (read == labels).mean(), (read == majority)[majority >= 0].mean(), (read[labels == fear] == fear).mean()

    labels_before, agreement_before, fear_before = figures(np.zeros(7))
    floor = labels_before - 0.03
    bias = lean_to_people(probs, labels, majority, np.zeros(7), {fear: fear_before}, floor)
    labels_after, agreement_after, fear_after = figures(bias)
    assert agreement_after > agreement_before + 0.01 and bias[neutral] > 0
    assert labels_after >= floor and fear_after >= fear_before
    for cls in range(7):  # a greedy end: no single further step raises agreement within the floors
        for sign in (1, -1):
            moved = bias.copy()
            moved[cls] += sign * 0.05
            labels_moved, agreement_moved, fear_moved = figures(moved)
            assert labels_moved < floor or fear_moved < fear_before or agreement_moved <= agreement_after + 1e-9
    start = np.zeros(7)
    start[neutral] = 1.0  # a model leaned far towards the people: far below the floor on the labels
    labels_start, agreement_start, _ = figures(start)
    assert labels_start < floor - 0.05
    back = lean_to_people(probs, labels, majority, start, {fear: fear_before}, floor)
    labels_back, agreement_back, fear_back = figures(back)
    assert labels_back >= floor and fear_back >= fear_before and back[neutral] < start[neutral]
    assert agreement_back >= agreement_before  # back to the floor, and as far towards the people as it allows
    unreachable = lean_to_people(probs, labels, majority, np.zeros(7), {}, labels_before + 0.5)
    assert figures(unreachable)[0] > labels_before  # as near as steps of one class get


def test_the_lean_takes_a_longer_move_where_every_single_step_loses():
    from fer_core.training.calibrate import lean_to_people, soften

    sad, happy, neutral = (EMOTIONS.index(name) for name in ("sad", "happy", "neutral"))

    def face(first, second, margin):  # ``first`` ahead of ``second`` by ``margin`` in log-probability
        p = np.full(7, 0.002)
        p[first], p[second] = 0.5, 0.5 * np.exp(-margin)
        return p / p.sum()

    # One calm face just ahead of sad, three sad faces read calm by 0.15, six happy faces well read: one step
    # of 0.05 against calm loses the first and wins nothing; a move of 0.2 wins the three.
    probs = np.array([face(neutral, sad, 0.03)] + [face(neutral, sad, 0.15)] * 3 + [face(happy, sad, 3.0)] * 6)
    labels = np.array([neutral] + [sad] * 3 + [happy] * 6)
    bias = lean_to_people(probs, labels, labels, np.zeros(7), {}, labels_floor=0.9)
    assert (soften(probs, 1.0, bias).argmax(1) == labels).mean() == 0.9  # was stuck at 0.7
    assert bias[sad] - bias[neutral] == pytest.approx(0.2)


def test_a_candidate_its_offsets_cannot_lift_to_the_labels_floor_ranks_below_every_one_that_holds_it():
    from fer_core.training.calibrate import fit_offsets, read_figures
    from fer_core.training.recipe import selection_score

    rng = np.random.default_rng(5)
    n, neutral = 1400, EMOTIONS.index("neutral")
    labels = rng.integers(0, 7, n)
    majority = np.where(rng.random(n) < 0.35, neutral, labels)

    def model(label_weight, people_weight):
        logits = rng.normal(0, 1, (n, 7))
        logits[np.arange(n), labels] += label_weight
        logits[np.arange(n), majority] += people_weight
        return np.exp(logits) / np.exp(logits).sum(1, keepdims=True)

    balanced, people_only = model(2.0, 1.0), model(0.0, 3.0)  # the second learned the people alone
    floor = 0.75
    served = {name: read_figures(probs, labels, majority, fit_offsets(probs, labels, majority, {}, floor))
              for name, probs in (("balanced", balanced), ("people_only", people_only))}
    assert served["balanced"]["labels"] >= floor > served["people_only"]["labels"]
    assert served["people_only"]["agreement"] > served["balanced"]["agreement"]  # the trap: it agrees more
    for select_by in ("served", "people", "both"):
        score = {name: selection_score(select_by, *figures.values(), floor) for name, figures in served.items()}
        assert score["balanced"] > score["people_only"]
        without = {name: selection_score(select_by, *figures.values()) for name, figures in served.items()}
        assert without["people_only"] > without["balanced"]  # without the floor, the trap wins
        assert without == {name: selection_score(select_by, *figures.values(), 0.0) for name, figures in served.items()}
    nearer, further = (selection_score("served", labels, 0.9, floor) for labels in (0.7, 0.6))
    assert nearer > further  # below the floor, the nearest to it first


def test_floors_that_compete_all_hold_and_a_lean_lifts_a_floored_class_back_instead_of_stopping():
    from fer_core.training.calibrate import fit_class_bias, lean_to_people, soften

    rng = np.random.default_rng(3)
    n = 2000
    angry, disgust, fear, neutral = (EMOTIONS.index(e) for e in ("angry", "disgust", "fear", "neutral"))
    labels = rng.integers(0, 7, n)
    logits = rng.normal(0, 1, (n, 7))
    logits[np.arange(n), labels] += 2.0
    logits[:, disgust] -= 1.5  # seldom said
    logits[:, fear] -= 1.0
    logits[labels == fear, disgust] += 1.6  # a fear face's runner-up is disgust: lifting disgust takes fear's faces
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)

    def recall(bias, cls):
        return (soften(probs, 1.0, bias)[labels == cls].argmax(1) == cls).mean()

    floors = {fear: recall(np.zeros(7), fear) + 0.1, disgust: recall(np.zeros(7), disgust) + 0.3}
    bias = fit_class_bias(probs, labels, floors)
    assert all(recall(bias, cls) >= floor for cls, floor in floors.items())

    # The people call a third of the faces calm, and the model sees it only just short of its top emotion on the
    # fear faces too: every step towards calm costs fear a face or two, which its offset must win back.
    majority = labels.copy()
    calm = (rng.random(n) < 0.35) & (labels != fear)
    majority[calm] = neutral
    logits[calm, neutral] = logits[calm].max(1) - rng.uniform(0, 0.4, calm.sum())
    logits[labels == fear, neutral] = logits[labels == fear, fear] - rng.uniform(0, 0.3, (labels == fear).sum())
    probs = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    start = fit_class_bias(probs, labels, {fear: recall(np.zeros(7), fear)})
    fear_floor = recall(start, fear)
    read = soften(probs, 1.0, start).argmax(1)
    labels_before, agreement_before = (read == labels).mean(), (read == majority).mean()
    leaned = lean_to_people(probs, labels, majority, start, {fear: fear_floor}, labels_before - 0.04)
    read = soften(probs, 1.0, leaned).argmax(1)
    assert (read == majority).mean() > agreement_before + 0.01 and leaned[neutral] > start[neutral]
    assert leaned[fear] > start[fear] and recall(leaned, fear) >= fear_floor  # lifted back, not given up
    assert (read == labels).mean() >= labels_before - 0.04


def test_one_person_against_the_other_nine():
    agree = np.array([[8, 2, 0, 0, 0, 0, 0, 0, 0, 0]], np.uint8)  # a neutral vote leaves neutral ahead: 8 of 10
    assert ferplus.one_person_agreement(agree) == pytest.approx(0.8)
    contempt = np.array([[6, 0, 0, 0, 0, 0, 0, 4, 0, 0]], np.uint8)  # contempt never names our majority
    assert ferplus.one_person_agreement(contempt) == pytest.approx(0.6)
    assert ferplus.one_person_agreement(VOTES[[3, 4]]) == 0.0  # no face with a majority of ours: nothing to agree on


def test_an_ensembles_card_words_each_members_share_of_the_votes_where_they_differ():
    from fer_core.training.card import _labels_words

    def ensemble(*weights):
        return {"ensemble": {"member_metrics": [{"model": f"m{i}", "training": {"votes_weight": w}}
                                                for i, w in enumerate(weights)]}}

    assert _labels_words(ensemble(0.8, 0.5)).endswith("the votes weighing 0.8 for m0, 0.5 for m1")
    assert _labels_words(ensemble(0.5, 0.5)).startswith("with targets of 0.5 x the original FER2013 label + 0.5 x")
    assert _labels_words(ensemble(0.0, 0.0)) == "with the original FER2013 labels"
    assert _labels_words(ensemble(0.0, 0.5)).endswith("weighing 0 for m0, 0.5 for m1")
    kept = ensemble(0.8, 0.5)
    kept["ensemble"]["member_metrics"][0]["training"]["labels_kept_for"] = "fear,disgust"
    assert _labels_words(kept).endswith("0.5 for m1; for m0, faces labelled fear or disgust keep their label whole")
