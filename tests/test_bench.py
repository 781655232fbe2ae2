"""The benchmark runs and prints every shipped model beside fer_cnn (figures, not targets: no timing asserts)."""
import pytest
from support import run_module

from fer_core.models import MODELS_DIR, shipped_model_names


def test_bench_prints_the_models_side_by_side_with_a_candidate_after_them(tmp_path):
    candidate = tmp_path / "w4.tflite"  # a model before it ships: a file of its own, with no card beside it
    candidate.write_bytes((MODELS_DIR / "fast" / "model.tflite").read_bytes())
    result = run_module("fer_core.bench", "--models-only", "--runs", "10", "--candidate", candidate)
    assert result.returncode == 0, result.stderr[-3000:]
    table = result.stdout.split("the models side by side")[1].split("\n\n")[0].splitlines()[1:]
    assert table[0].startswith("fer_cnn (before)") and " 1.00x " in table[0]
    assert [line.split()[0] for line in table[1:]] == [*shipped_model_names(), "w4.tflite"]
    assert table[-1].startswith("w4.tflite (candidate)") and table[-1].endswith("PrivateTest    n/a")
    assert all("PrivateTest " in line and " ms " in line for line in table)
    missing = run_module("fer_core.bench", "--models-only", "--candidate", tmp_path / "nothing.tflite")
    assert missing.returncode == 2 and "--candidate" in missing.stderr and "No model file at" in missing.stderr
    why = result.stdout.split('the "Why?" map of one face, by each shipped model')[1].strip().splitlines()
    assert [line.split(",")[0] for line in why] == shipped_model_names() and all(" ms " in line for line in why)


def test_bench_breaks_a_live_frame_down_and_times_ours_beside_the_naive_pipeline(yunet_model):
    result = run_module("fer_core.bench", "--live", "--model", "fast", "--yunet", str(yunet_model))
    assert result.returncode == 0, result.stderr[-3000:]
    steps = [line.strip() for line in result.stdout.split("one face, 300 frames")[1].splitlines()[1:]]
    names = ["VP8 decode", "to_ndarray, rgb24", "rgb_frame", "detect", "grey + crop", "of which classify", "optical flow", "track",
             "draw", "from_ndarray, RGB", "VP8 encode of that (aiortc; naive)", "from_ndarray, yuv420p",
             "VP8 encode of that (aiortc; ours)", "whole frames"]
    assert [next(n for n in names if line.startswith(n)) for line in steps[:14]] == names
    assert all(line.endswith("ms a frame") for line in steps[:13])
    naive, ours = steps[14:16]
    assert naive.endswith("(300 of 300 frames searched)") and "fps a core" in ours
    searched = int(ours.rsplit("(", 1)[1].split()[0])
    assert 60 <= searched <= 90  # about 7 times a second (every 5th frame at 30 fps), flow between
    assert "x the naive pipeline's frame rate" in steps[16]


@pytest.mark.slow
def test_the_whole_bench_runs_to_its_naive_baseline_on_the_shipped_ensemble(yunet_model):
    """The shipped Accurate is an ensemble with no Keras file: the naive baseline must still be timed."""
    result = run_module("fer_core.bench", "--runs", "10", "--video-seconds", "2", "--yunet", str(yunet_model))
    assert result.returncode == 0, result.stderr[-3000:]
    assert "x real time" in result.stdout.split("video files")[1]
    baseline = result.stdout.split("naive baseline: Haar on the full frame")[1]
    assert "baseline, 1 face" in baseline and "engine is" in baseline and "x faster (p50)" in baseline
