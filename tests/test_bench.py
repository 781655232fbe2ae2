"""The benchmark runs and prints every shipped model beside fer_cnn (figures, not targets: no timing asserts)."""
from support import run_module

from fer_core.models import shipped_model_names


def test_bench_prints_the_models_side_by_side():
    result = run_module("fer_core.bench", "--models-only", "--runs", "10")
    assert result.returncode == 0, result.stderr[-3000:]
    table = result.stdout.split("the models side by side")[1].split("\n\n")[0].splitlines()[1:]
    assert table[0].startswith("fer_cnn (before)") and " 1.00x " in table[0]
    assert [line.split()[0] for line in table[1:]] == shipped_model_names()
    assert all("PrivateTest " in line and " ms " in line for line in table)
    why = result.stdout.split('the "Why?" map of one face, by each shipped model')[1].strip().splitlines()
    assert [line.split(",")[0] for line in why] == shipped_model_names() and all(" ms " in line for line in why)
