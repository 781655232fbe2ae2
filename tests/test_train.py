"""Training, --resume, the JAX backend, evaluation, and the shipped model's accuracy."""
import csv
import hashlib
import json
import os
import signal
import subprocess
import sys
import time

import numpy as np
import pytest
from support import REPO, lfw_faces, run_module, start_module, tiny_fer2013, write_csv, write_folders

from fer_core.classifier import EmotionClassifier
from fer_core.fer2013 import find_default_data, load_fer2013
from fer_core.models import MODELS_DIR, shipped_model_names
from fer_core.training.evaluate import TEST_SPLIT, people_report, predict_all
from fer_core.training.recipe import Recipe

pytestmark = pytest.mark.slow
TINY = ["--epochs", "1", "--width", "4", "--batch-size", "16", "--verbose", "0"]
HISTORY_COLUMNS = {"epoch", "loss", "accuracy", "val_loss", "val_accuracy", "learning_rate"}


def read_history(folder):
    with open(folder / "history.csv") as f:
        return list(csv.DictReader(f))


def test_training_writes_every_artifact(tiny_model):
    for name in ("model.keras", "model.tflite", "history.csv", "metrics.json", "class_counts.json", "model.md"):
        assert (tiny_model / name).is_file(), name
    (row,) = read_history(tiny_model)
    assert HISTORY_COLUMNS <= set(row)
    metrics = json.loads((tiny_model / "metrics.json").read_text())
    for key in ("accuracy", "accuracy_tta", "macro_f1", "per_class", "confusion_matrix", "parameters",
                "file_bytes", "latency_ms_per_face", "training"):
        assert key in metrics, key
    assert np.array(metrics["confusion_matrix"]["counts"]).sum() == metrics["test_images"] == 42
    assert metrics["training"]["epochs"] == 1 and metrics["parameters"] > 1000
    counts = json.loads((tiny_model / "class_counts.json").read_text())
    assert counts[TEST_SPLIT]["fear"] == 6


def test_the_served_file_keeps_every_kernel_in_float16_and_answers_as_the_network_does(tiny_model):
    import keras
    from ai_edge_litert.interpreter import Interpreter

    network = keras.models.load_model(tiny_model / "model.keras", compile=False)
    kernels = sum(int(np.prod(v.shape)) for v in network.weights if "kernel" in v.name)
    tensors = Interpreter(model_path=str(tiny_model / "model.tflite")).get_tensor_details()
    assert sum(int(np.prod(t["shape"])) for t in tensors if t["dtype"] == np.float16) >= kernels
    faces = lfw_faces(24)
    served = EmotionClassifier(tiny_model).predict(faces)
    np.testing.assert_allclose(served, network.predict(faces[..., None].astype(np.float32), verbose=0), atol=3e-3)


@pytest.mark.parametrize("form", ["csv", "folders"])
def test_training_reads_the_other_formats(form, tmp_path):
    tiny = tiny_fer2013()
    data = write_csv(tiny, tmp_path / "fer2013.csv") if form == "csv" else write_folders(tiny, tmp_path / "img")
    result = run_module("fer_core.training.train", "--data", data, "--out", tmp_path / "m", *TINY, "--no-export")
    assert result.returncode == 0, result.stderr[-3000:]
    assert len(read_history(tmp_path / "m")) == 1 and (tmp_path / "m" / "checkpoint.keras").is_file()


def test_resume_continues_from_the_checkpoint(tiny_npz, tmp_path):
    args = ["--data", tiny_npz, "--out", tmp_path, "--width", "4", "--batch-size", "16", "--verbose", "0",
            "--no-export"]
    first = run_module("fer_core.training.train", *args, "--epochs", "2", "--max-minutes", "0")
    assert first.returncode == 0, first.stderr[-3000:]
    assert "stopping after epoch 1" in first.stderr
    second = run_module("fer_core.training.train", *args, "--resume")
    assert second.returncode == 0, second.stderr[-3000:]
    assert "resuming after epoch 1 of 2" in second.stderr and "ignored" not in second.stderr
    assert [row["epoch"] for row in read_history(tmp_path)] == ["0", "1"]
    assert json.loads((tmp_path / "train_state.json").read_text())["epochs_done"] == 2


LABELS_FLOOR = 0.15  # the tiny network reads 6 to 8 of the 42 PublicTest faces right


@pytest.mark.parametrize("select_by, figure, offsets", [
    ("people", "val_agreement", []),
    ("served", "val_served_agreement", ["--recall-floor", "fear=0.5", "--labels-floor", str(LABELS_FLOOR)])])
def test_select_by_people_keeps_the_epoch_that_agrees_most_with_them(tmp_path, select_by, figure, offsets):
    """The people disagree with the labels on most faces, so the two figures pick epochs apart: the kept epoch
    is the one with the best PublicTest agreement (served: after the class offsets fitted to that epoch, which
    are what it would ship with, among the epochs they lift to the labels floor), and history.csv records it
    beside the accuracy."""
    from fer_core import ferplus
    from fer_core.fer2013 import load_fer2013
    from fer_core.labels import EMOTIONS
    from fer_core.training.calibrate import fit_offsets, read_figures
    from fer_core.training.train import load_weights, network

    data = tiny_fer2013()
    votes = np.zeros((len(data["y"]), 10), np.uint8)
    rng = np.random.default_rng(5)
    for face, label in enumerate(data["y"]):  # the majority: the next emotion after the label, on 2 faces of 3
        said = (label + 1) % 7 if rng.random() < 2 / 3 else label
        votes[face, ferplus.COLUMNS.index(ferplus.OURS[EMOTIONS[said]])] = 6
        votes[face, ferplus.COLUMNS.index("unknown")] = 4
    np.savez(tmp_path / "voted.npz", **data, ferplus_votes=votes, has_ferplus=np.ones(len(votes), bool))
    np.savez(tmp_path / "plain.npz", **data)
    args = ["--width", "4", "--batch-size", "16", "--verbose", "0", "--no-export", "--epochs", "4",
            "--optimizer", "adamw", "--lr", "0.01", "--select-by", select_by, *offsets]
    run = run_module("fer_core.training.train", "--data", tmp_path / "voted.npz", "--out", tmp_path / "run", *args)
    assert run.returncode == 0, run.stderr[-3000:]
    rows = read_history(tmp_path / "run")
    agreement = [float(r[figure]) for r in rows]
    state = json.loads((tmp_path / "run" / "train_state.json").read_text())
    held = [not offsets or float(r["val_served_accuracy"]) >= LABELS_FLOOR for r in rows]
    assert any(held), [r["val_served_accuracy"] for r in rows]
    kept = int(np.argmax([a if ok else -1.0 for a, ok in zip(agreement, held)]))  # one that breaks it ranks last
    assert state["best_epoch"] == kept + 1 and state["best_score"] == pytest.approx(agreement[kept])
    assert state["best_val_accuracy"] == pytest.approx(float(rows[kept]["val_accuracy"]))  # the kept epoch's
    assert state["args"]["select_by"] == select_by
    if offsets:  # the kept weights, offset as the ensemble and the export would offset them, read that agreement
        recipe = Recipe.from_record(state["args"])
        voted = load_fer2013(tmp_path / "voted.npz")
        x, y = voted.split("PublicTest")
        probs = load_weights(network(recipe), tmp_path / "run" / "best.weights.npz").predict(
            x[..., None].astype(np.float32), verbose=0)
        majority = ferplus.majority(voted.split_votes("PublicTest"))
        served = read_figures(probs, y, majority, fit_offsets(probs, y, majority, recipe.recall_floors,
                                                                 recipe.labels_floor))
        one_face = 1.5 / (majority >= 0).sum()  # the trainer's graph and the rebuilt network may round apart
        assert served["agreement"] == pytest.approx(agreement[kept], abs=one_face)
        assert served["labels"] == pytest.approx(float(rows[kept]["val_served_accuracy"]), abs=1.5 / len(y))

    refused = run_module("fer_core.training.train", "--data", tmp_path / "plain.npz", "--out", tmp_path / "no", *args)
    assert refused.returncode != 0 and f"--select-by {select_by} needs FER+'s votes" in refused.stderr


def saved_arrays(path):
    with np.load(path) as saved:
        return [saved[f"arr_{i}"] for i in range(len(saved.files))]


def test_a_run_can_start_from_an_earlier_runs_weights(tiny_model, tiny_npz, tmp_path):
    # With a learning rate of 0 the trainable weights stay where they started; only batch norm's running
    # statistics move. So the convolution kernels after an epoch are the ones the run started from.
    init = tiny_model / "best.weights.npz"
    args = ["--data", tiny_npz, "--width", "4", "--batch-size", "16", "--verbose", "0", "--no-export",
            "--epochs", "1", "--lr", "0", "--weight-decay", "0"]
    warm = run_module("fer_core.training.train", *args, "--out", tmp_path / "warm", "--init-weights", init)
    assert warm.returncode == 0, warm.stderr[-3000:]
    cold = run_module("fer_core.training.train", *args, "--out", tmp_path / "cold", "--seed", "7")
    assert cold.returncode == 0, cold.stderr[-3000:]
    kernels = lambda path: [a for a in saved_arrays(path) if a.ndim == 4]  # noqa: E731
    started = kernels(init)
    assert len(started) == 8
    assert all(np.array_equal(a, b) for a, b in zip(kernels(tmp_path / "warm" / "best.weights.npz"), started))
    assert not any(np.array_equal(a, b) for a, b in zip(kernels(tmp_path / "cold" / "best.weights.npz"), started))
    state = json.loads((tmp_path / "warm" / "train_state.json").read_text())
    assert state["init_sha256"] == hashlib.sha256(init.read_bytes()).hexdigest()

    # A wider network starts from them too: the old channels keep them, and the new ones feed no old channel.
    wide = run_module("fer_core.training.train", *args, "--width", "8", "--out", tmp_path / "wide",
                      "--init-weights", init)
    assert wide.returncode == 0 and "width 4 widened to 8" in wide.stderr, wide.stderr[-3000:]
    for grown, old in zip(kernels(tmp_path / "wide" / "best.weights.npz"), started):
        inputs, outputs = old.shape[2:]
        np.testing.assert_array_equal(grown[:, :, :inputs, :outputs], old)
        assert not grown[:, :, inputs:, :outputs].any() and grown[..., outputs:].any()
    # A narrower one starts from a subset of them: each of its first stage's filters is one of the old ones.
    narrower = run_module("fer_core.training.train", *args, "--width", "2", "--out", tmp_path / "narrow",
                          "--init-weights", init)
    assert narrower.returncode == 0 and "width 4 narrowed to 2" in narrower.stderr, narrower.stderr[-3000:]
    first = kernels(tmp_path / "narrow" / "best.weights.npz")[0]
    assert first.shape == (3, 3, 1, 2)
    assert all(any(np.array_equal(first[..., i], started[0][..., j]) for j in range(4)) for i in range(2))
    state = json.loads((tmp_path / "narrow" / "train_state.json").read_text())
    assert state["init_width"] == 4
    # Weights of other layers are refused, with what they are.
    np.savez(tmp_path / "other.npz", *saved_arrays(init)[:-2])
    other = run_module("fer_core.training.train", *args, "--out", tmp_path / "other",
                       "--init-weights", tmp_path / "other.npz")
    assert other.returncode != 0 and "weights of another network" in other.stderr


def test_a_members_model_keras_starts_a_run_as_its_weights_do(tiny_model):
    from fer_core.training.networks import build_cnn
    from fer_core.training.train import load_weights

    from_keras = load_weights(build_cnn(4), tiny_model / "model.keras").get_weights()
    from_npz = load_weights(build_cnn(4), tiny_model / "best.weights.npz").get_weights()
    assert len(from_keras) == len(from_npz) and all(np.array_equal(a, b) for a, b in zip(from_keras, from_npz))


def test_a_widened_network_answers_as_the_narrow_one_did():
    from fer_core.training.networks import build_cnn, widen

    narrow = build_cnn(width=4)
    rng = np.random.default_rng(0)  # batch norm's statistics away from 0 and 1, so that they must be carried too
    narrow.set_weights([rng.uniform(0.5, 1.5, w.shape) if "variance" in w.path
                        else w.numpy() + rng.normal(0, 0.1, w.shape) for w in narrow.weights])
    faces = lfw_faces(24)[..., None].astype(np.float32)
    before = narrow.predict(faces, verbose=0)
    wide = widen(narrow, build_cnn(width=8))
    np.testing.assert_allclose(wide.predict(faces, verbose=0), before, atol=1e-5)
    assert wide.count_params() > 3 * narrow.count_params()
    assert not np.allclose(build_cnn(width=8).predict(faces, verbose=0), before, atol=1e-3)


def test_a_narrowed_network_keeps_the_channels_its_batch_norms_scale_most():
    from fer_core.training.networks import build_cnn, narrow, widen, with_channels

    rng = np.random.default_rng(1)
    small = build_cnn(width=4)
    # Strong scales (above the 1.0 a fresh network's batch norms start at), statistics away from 0 and 1.
    small.set_weights([rng.uniform(1.5, 2.5, w.shape) if "gamma" in w.path
                       else rng.uniform(0.5, 1.5, w.shape) if "variance" in w.path
                       else w.numpy() + rng.normal(0, 0.1, w.shape) for w in small.weights])
    faces = lfw_faces(24)[..., None].astype(np.float32)
    before = small.predict(faces, verbose=0)
    # Widened, the old channels are the strongest, so narrowing finds them again, wherever they lie
    # (shuffled here), and reads faces as the small network did: through every layer and the dense one.
    wide = widen(small, build_cnn(width=8))
    order = {f"conv{s}_{c}": rng.permutation(w) for s, w in enumerate((8, 16, 32, 64)) for c in range(2)}
    order["fc"] = rng.permutation(64)
    shuffled = with_channels(wide, build_cnn(width=8), lambda name, count: order.get(name))
    np.testing.assert_allclose(shuffled.predict(faces, verbose=0), wide.predict(faces, verbose=0), atol=1e-4)
    narrowed = narrow(shuffled, build_cnn(width=4))
    np.testing.assert_allclose(narrowed.predict(faces, verbose=0), before, atol=1e-4)
    # A network's weakest channels go: the first layer keeps the filters of its largest scales.
    gammas = shuffled.get_layer("bn0_0").get_weights()[0]
    kept = narrowed.get_layer("conv0_0").get_weights()[0]
    strongest = np.sort(np.argsort(-np.abs(gammas))[:4])
    np.testing.assert_array_equal(kept, shuffled.get_layer("conv0_0").get_weights()[0][..., strongest])


def test_an_ensemble_member_unfolds_into_the_network_it_was_built_from():
    """Accurate's member 1 is m3_votes, whose Keras file is committed: unfolded from the file, it is that network."""
    import keras

    from fer_core.training.unfold import folded_weights, member_probabilities, unfold

    accurate = MODELS_DIR / "accurate" / "model.tflite"
    faces = lfw_faces(200)
    model = unfold(accurate, faces, member=1)
    original = keras.models.load_model(MODELS_DIR / "accurate" / "members" / "m3_votes" / "model.keras", compile=False)
    pixels = faces[..., None].astype(np.float32)
    np.testing.assert_allclose(model.predict(pixels, verbose=0), original.predict(pixels, verbose=0), atol=0.01)
    np.testing.assert_allclose(member_probabilities(accurate, 1, faces), original.predict(pixels, verbose=0),
                               atol=0.01)
    with pytest.raises(ValueError, match="an ensemble of 2 networks"):
        folded_weights(accurate)
    with pytest.raises(ValueError, match="no member 2"):
        folded_weights(accurate, member=2)


def test_a_shipped_litert_network_unfolds_into_keras_that_reads_faces_as_it_does_in_training_and_serving():
    """Fast's Keras file is gone; its network comes back from model.tflite, batch norms and all."""
    import keras

    from fer_core.training.unfold import calibrated, unfold

    faces = lfw_faces(200)
    model = unfold(MODELS_DIR / "fast" / "model.tflite", faces)
    shipped = EmotionClassifier(MODELS_DIR / "fast").predict(faces)
    ours = calibrated(model.predict(faces[..., None].astype(np.float32), verbose=0), MODELS_DIR / "fast")
    np.testing.assert_allclose(ours, shipped, atol=0.01)  # float16 weights: close, not equal

    # Training mode on faces the batch norms' statistics did not come from (mirrored): batch statistics, dropout.
    unseen = np.ascontiguousarray(faces[:, :, ::-1])
    served = EmotionClassifier(MODELS_DIR / "fast").predict(unseen).argmax(1)

    def training_readings():
        probs = model(unseen[..., None].astype(np.float32), training=True).numpy()
        return calibrated(probs, MODELS_DIR / "fast").argmax(1)

    keras.utils.set_random_seed(0)  # dropout's masks: one draw, the same each run (draws ranged 77-86% here)
    with_dropout = training_readings()
    assert (with_dropout == served).mean() > 0.7
    for layer in model.layers:
        if isinstance(layer, keras.layers.Dropout):
            layer.rate = 0.0
    batch_statistics_only = training_readings()
    assert (batch_statistics_only == served).mean() > 0.9  # the batch norms normalize as the folded file does
    assert (with_dropout != batch_statistics_only).any()  # and dropout is live in training


def test_resume_after_a_kill_mid_epoch(tmp_path):
    tiny = tiny_fer2013()
    train = tiny["usage"] == "Training"
    repeat = 40  # about 1,700 faces at batch 8: an epoch lasts seconds, long enough to be killed inside
    data = {k: np.concatenate([v[train]] * repeat + [v[~train]]) for k, v in tiny.items()}
    np.savez(tmp_path / "fer2013.npz", **data)
    args = ["--data", tmp_path / "fer2013.npz", "--out", tmp_path / "run", "--width", "4", "--batch-size", "8",
            "--epochs", "3", "--verbose", "0", "--no-export", "--precision", "float32"]
    process = start_module("fer_core.training.train", *args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    state_file = tmp_path / "run" / "train_state.json"
    deadline = time.time() + 300
    while not state_file.exists() and process.poll() is None and time.time() < deadline:
        time.sleep(0.05)
    time.sleep(0.5)  # into the second epoch
    process.send_signal(signal.SIGKILL)
    process.wait()
    assert json.loads(state_file.read_text())["epochs_done"] == 1, "the kill did not land in epoch 2"

    resumed = run_module("fer_core.training.train", *args, "--resume")
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert "resuming after epoch 1 of 3" in resumed.stderr
    assert [row["epoch"] for row in read_history(tmp_path / "run")] == ["0", "1", "2"]
    state = json.loads(state_file.read_text())
    assert state["epochs_done"] == 3 and [s["epochs"] for s in state["stretches"]] == [1, 2]
    assert not list((tmp_path / "run").glob("tmp-*"))


def test_a_run_trains_on_jax_without_tensorflow_and_is_exported_where_tensorflow_is(tiny_npz, tmp_path):
    """The GPU route: a machine with JAX and no TensorFlow trains; its best weights and state come back
    without the checkpoint, and ``--resume`` exports and evaluates them here."""
    no_tensorflow = tmp_path / "no_tensorflow"
    no_tensorflow.mkdir()
    (no_tensorflow / "tensorflow.py").write_text("raise ImportError('no TensorFlow on this machine')\n")
    jax_machine = {"KERAS_BACKEND": "jax", "PYTHONPATH": f"{no_tensorflow}{os.pathsep}{REPO}"}
    run = tmp_path / "run"
    trained = run_module("fer_core.training.train", "--data", tiny_npz, "--out", run, *TINY, "--no-export",
                         "--precision", "float32", env=jax_machine)
    assert trained.returncode == 0, trained.stderr[-3000:]
    assert "with the jax backend" in trained.stderr
    assert not (run / "model.tflite").exists()

    (run / "checkpoint.keras").unlink()
    exported = run_module("fer_core.training.train", "--data", tiny_npz, "--out", run, "--resume", "--verbose", "0")
    assert exported.returncode == 0, exported.stderr[-3000:]
    assert "with the" not in exported.stderr, "a finished run trains no further"
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["training"]["epochs"] == 1 and metrics["test_images"] == 42
    import keras

    exported_weights = keras.models.load_model(run / "model.keras", compile=False).get_weights()
    best = saved_arrays(run / "best.weights.npz")  # the network's weights alone, no augmentation state
    assert len(best) == len(exported_weights)
    for saved, exported in zip(best, exported_weights):
        np.testing.assert_array_equal(saved, exported)
    probabilities = EmotionClassifier(run).predict(tiny_fer2013()["x"][:8])
    np.testing.assert_allclose(probabilities.sum(1), 1.0, atol=1e-5)


def test_the_training_step_compiles_with_xla_on_jax(tmp_path):
    """Keras marks its affine augmentation layers unfit for XLA; on JAX that made each step run op by op,
    about 100x slower. New and resumed trainers must both compile."""
    script = tmp_path / "check.py"
    script.write_text(
        "import keras\n"
        "from fer_core.training.networks import allow_xla\n"
        "from fer_core.training.train import compile_new_model, parse_args\n"
        "model = compile_new_model(parse_args(['--data', 'x', '--out', 'y', '--width', '4', '--epochs', '2']).recipe, 10)\n"
        f"model.save({str(tmp_path / 'trainer.keras')!r})\n"
        f"loaded = allow_xla(keras.models.load_model({str(tmp_path / 'trainer.keras')!r}))\n"
        "print(model.jit_compile, loaded.jit_compile)\n")
    env = {**os.environ, "KERAS_BACKEND": "jax", "PYTHONPATH": str(REPO)}
    result = subprocess.run([sys.executable, str(script)], cwd=REPO, env=env, capture_output=True, text=True,
                            timeout=300)
    assert result.returncode == 0, result.stderr[-3000:]
    assert result.stdout.split() == ["True", "True"]


def test_evaluate_reproduces_metrics_json(tiny_model, tiny_npz):
    result = run_module("fer_core.training.evaluate", "--data", tiny_npz, "--model", tiny_model, "--check")
    assert result.returncode == 0, result.stdout + result.stderr[-3000:]


@pytest.mark.parametrize("name", shipped_model_names())
def test_each_shipped_model_keeps_its_accuracy(name):
    data = find_default_data()
    if data is None:
        pytest.skip("needs FER2013 (FER_DATA or ../shared/data/fer2013.npz)")
    stored = json.loads((MODELS_DIR / name / "metrics.json").read_text())
    fer = load_fer2013(data)
    x, y = fer.split(TEST_SPLIT)
    probs = predict_all(EmotionClassifier(name), x)
    accuracy = float((probs.argmax(1) == y).mean())
    assert abs(accuracy - stored["accuracy"]) <= 0.005, (accuracy, stored["accuracy"])
    if stored.get("people") and fer.votes is not None:  # and its agreement with the people, where it was measured
        people = people_report(probs, fer.split_votes(TEST_SPLIT), stored["uncertainty"]["threshold"], y)
        assert abs(people["agreement"] - stored["people"]["agreement"]) <= 0.005, people


def test_shipped_models_fit_in_25_mb_together():
    sizes = {name: (MODELS_DIR / name / "model.tflite").stat().st_size for name in shipped_model_names()}
    assert sum(sizes.values()) < 25e6, sizes


def test_a_run_learns_from_ferplus_votes_and_is_scored_against_the_people(tmp_path):
    tiny = tiny_fer2013()
    plain = tmp_path / "plain.npz"
    np.savez(plain, **tiny)
    refused = run_module("fer_core.training.train", "--data", plain, "--out", tmp_path / "refused", *TINY,
                         "--votes-weight", "0.5")
    assert refused.returncode != 0 and "--votes-weight 0.5 needs FER+'s votes" in refused.stderr
    votes = np.zeros((len(tiny["y"]), 10), np.uint8)
    votes[:, 0] = 6  # the people call every face neutral, whatever its label
    votes[::3, 1] = 7  # ... but a third of them happy
    with_votes = tmp_path / "fer2013.npz"
    np.savez(with_votes, **tiny, ferplus_votes=votes, has_ferplus=np.ones(len(votes), bool))
    run = tmp_path / "run"
    result = run_module("fer_core.training.train", "--data", with_votes, "--out", run, *TINY, "--votes-weight", "0.5")
    assert result.returncode == 0, result.stderr[-3000:]
    metrics = json.loads((run / "metrics.json").read_text())
    assert metrics["training"]["votes_weight"] == 0.5 and "0.5 FER+ votes" in metrics["runs"][-1]["recipe"]
    assert metrics["people"]["faces"] == 42 and metrics["people"]["neutral_faces"] == 28
    assert "## Against the people" in (run / "model.md").read_text()


def test_a_models_record_names_its_teacher_and_start_without_the_training_machines_paths():
    from fer_core.training.run_state import REPOSITORY, _shown_paths

    inside = str(REPOSITORY / "models" / "accurate")
    shown = _shown_paths({"teacher": inside, "init_weights": "/tmp/gpu1/d24/best.weights.npz", "width": 28})
    assert shown == {"teacher": "models/accurate", "init_weights": "d24/best.weights.npz", "width": 28}
    assert _shown_paths({"teacher": "/work/runs/t4", "init_weights": None}) == {"teacher": "t4", "init_weights": None}
