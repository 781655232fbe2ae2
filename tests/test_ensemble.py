"""Ensembles and calibration: the exported ensemble keeps the contract and returns the calibrated mean of its
members (face and mirror image); temperature scaling lowers the NLL of an over-confident model."""
import json

import numpy as np
import pytest
from support import lfw_faces, run_module, tiny_fer2013

from fer_core.classifier import EmotionClassifier
from fer_core.training.calibrate import chance_ece, ece, fit_temperature, nll, soften

pytestmark = pytest.mark.slow


def test_temperature_fixes_an_over_confident_model():
    rng = np.random.default_rng(0)
    logits = rng.normal(0, 1.5, (4000, 7))
    honest = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    labels = np.array([rng.choice(7, p=p) for p in honest])  # the honest model is calibrated by construction
    over_confident = soften(honest, 0.3)  # same ranking, probabilities pushed towards 0 and 1
    temperature = fit_temperature(over_confident, labels)
    fixed = soften(over_confident, temperature)
    assert temperature == pytest.approx(1 / 0.3, rel=0.1)
    assert nll(fixed, labels) < nll(over_confident, labels) - 0.3
    assert ece(fixed, labels) < 0.03 < ece(over_confident, labels)
    assert (fixed.argmax(1) == over_confident.argmax(1)).all()  # the chosen emotion never changes


def test_chance_ece_bounds_what_an_honest_model_measures():
    rng = np.random.default_rng(1)
    logits = rng.normal(0, 1.5, (4000, 7))
    honest = np.exp(logits) / np.exp(logits).sum(1, keepdims=True)
    labels = np.array([rng.choice(7, p=p) for p in honest])
    chance = chance_ece(honest)
    assert 0.005 < chance["mean"] < chance["p95"] and ece(honest, labels) <= chance["p95"]
    assert chance_ece(honest[:500])["mean"] > 2 * chance["mean"]  # the floor falls as the test set grows
    assert ece(soften(honest, 0.5), labels) > 2 * chance_ece(soften(honest, 0.5))["p95"]


@pytest.fixture(scope="module")
def second(tiny_npz, tmp_path_factory):
    """A second tiny member, trained one epoch with another seed."""
    out = tmp_path_factory.mktemp("members") / "second"
    trained = run_module("fer_core.training.train", "--data", tiny_npz, "--out", out, "--epochs", "1", "--width",
                         "4", "--batch-size", "16", "--verbose", "0", "--seed", "7", "--precision", "float32")
    assert trained.returncode == 0, trained.stderr[-3000:]
    return out


def test_ensemble_keeps_the_contract_and_is_the_calibrated_mean_of_its_members(tiny_model, second, tiny_npz,
                                                                              tmp_path):
    result = run_module("fer_core.training.ensemble", "--data", tiny_npz, "--members", tiny_model, second,
                        "--out", tmp_path / "ensemble")
    assert result.returncode == 0, result.stderr[-3000:]

    ensemble = EmotionClassifier(tmp_path / "ensemble")  # checks the contract as it loads
    members = [EmotionClassifier(m) for m in (tiny_model, second)]
    faces = lfw_faces(24)
    mean = np.mean([m.predict(view) for m in members for view in (faces, faces[:, :, ::-1])], axis=0)
    metrics = json.loads((tmp_path / "ensemble" / "metrics.json").read_text())
    temperature = metrics["calibration"]["temperature"]
    np.testing.assert_allclose(ensemble.predict(faces), soften(mean, temperature), atol=2e-4)
    # members outside the repository are named by their folder, never by a path on the training machine
    assert metrics["ensemble"]["members"] == [tiny_model.name, "second"]
    assert [m["model"] for m in metrics["ensemble"]["member_metrics"]] == [tiny_model.name, "second"]
    assert [r["model"] for r in metrics["runs"]] == [tiny_model.name, "second"]  # the runs table, one per member
    card = (tmp_path / "ensemble" / "model.md").read_text()
    assert "## Training runs" in card and "## Calibration" in card
    assert f"temperature of {temperature:.2f}, fitted on PublicTest" in card and "by the lowest Brier score" in card
    rebuild = f"--members {tiny_model.name} second --calibrate-to majority --calibrate-by brier --out models/ensemble"
    assert rebuild in card


def table_rows(stdout: str) -> list[list[str]]:
    """The cells of each row of the subsets table that ensemble prints."""
    return [[cell.strip() for cell in line.strip("|").split("|")] for line in stdout.splitlines()
            if line.startswith("| ") and "%" in line]


def test_max_members_leaves_out_larger_subsets(tiny_model, second, tiny_npz):
    """Each member adds its weights to the file, so --max-members bounds the subsets scored at all."""
    result = run_module("fer_core.training.ensemble", "--data", tiny_npz, "--members", tiny_model, second,
                        "--max-members", "1", "--compare")
    assert result.returncode == 0, result.stderr[-3000:]
    rows = table_rows(result.stdout)
    assert sorted((r[0], r[1], r[2]) for r in rows) == sorted(
        (name, mirror, passes) for name in ("tiny", "second") for mirror, passes in (("no", "1"), ("yes", "2")))


def test_ensemble_chosen_on_public_test_within_a_budget_of_passes(tiny_model, second, tiny_npz, tmp_path):
    result = run_module("fer_core.training.ensemble", "--data", tiny_npz, "--members", tiny_model, second,
                        "--max-passes", "2", "--out", tmp_path / "ensemble")
    assert result.returncode == 0, result.stderr[-3000:]
    rows = table_rows(result.stdout)
    assert sorted((r[0], r[1]) for r in rows) == sorted(
        (names, mirror) for names in ("tiny", "second", "tiny, second") for mirror in ("no", "yes"))
    best = next(r for r in rows if int(r[2]) <= 2)  # the table is sorted by PublicTest accuracy
    metrics = json.loads((tmp_path / "ensemble" / "metrics.json").read_text())
    assert [m.rsplit("/", 1)[-1] for m in metrics["ensemble"]["members"]] == best[0].split(", ")
    assert metrics["ensemble"]["mirror"] == (best[1] == "yes")
    chosen = best[0].split(", ")  # the runs table keeps every candidate and says which PublicTest chose
    assert [(r["model"], r["in_ensemble"]) for r in metrics["runs"]] == [
        (name, name in chosen) for name in ("tiny", "second")]
    public_faces = int(np.load(tiny_npz)["usage"].tolist().count("PublicTest"))
    assert abs(metrics["val_accuracy"] - float(best[3].rstrip("%")) / 100) <= 2 / public_faces


def test_compare_scores_each_subset_against_the_people_and_ranks_by_select_by(tiny_model, second, tmp_path):
    """Where the data has FER+'s votes, each subset is scored against both label sets; --select-by people ranks
    by the agreement, which is the share of faces whose reading is the people's majority."""
    import keras

    from fer_core import ferplus
    from fer_core.fer2013 import load_fer2013
    from fer_core.labels import EMOTIONS

    data = tiny_fer2013()
    votes = np.zeros((len(data["y"]), 10), np.uint8)
    for face, label in enumerate(data["y"]):  # the people side with the label on every other face, else neutral
        people = EMOTIONS[label] if face % 2 else "neutral"
        votes[face, ferplus.COLUMNS.index(ferplus.OURS[people])] = 8
        votes[face, ferplus.COLUMNS.index("unknown")] = 2
    np.savez(tmp_path / "voted.npz", **data, ferplus_votes=votes, has_ferplus=np.ones(len(votes), bool))
    result = run_module("fer_core.training.ensemble", "--data", tmp_path / "voted.npz", "--members", tiny_model,
                        second, "--compare", "--select-by", "people")
    assert result.returncode == 0, result.stderr[-3000:]
    rows = table_rows(result.stdout)
    agreement = [float(r[4].rstrip("%")) for r in rows]
    assert len(rows) == 6 and agreement == sorted(agreement, reverse=True)

    voted = load_fer2013(tmp_path / "voted.npz")
    x, _ = voted.split("PublicTest")
    read = keras.models.load_model(tiny_model / "model.keras", compile=False).predict(
        x[..., None].astype(np.float32), verbose=0).argmax(1)
    alone = next(r for r in rows if r[:2] == [tiny_model.name, "no"])
    assert float(alone[4].rstrip("%")) == pytest.approx(100 * (read == ferplus.majority(
        voted.split_votes("PublicTest"))).mean(), abs=0.01)

    np.savez(tmp_path / "plain.npz", **data)
    without = run_module("fer_core.training.ensemble", "--data", tmp_path / "plain.npz", "--members", tiny_model,
                         "--compare", "--select-by", "people")
    assert without.returncode != 0 and "--select-by people needs FER+'s votes" in without.stderr
