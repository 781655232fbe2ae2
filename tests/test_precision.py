"""The trainer picks its precision from the CPU: bf16 only where it is native and a probe finds it faster."""
import pytest

from fer_core.training.precision import choose_precision, cpu_flags, cpu_model

AMX_XEON = {"avx2", "avx512f", "avx512_bf16", "amx_bf16", "amx_tile"}
AVX2_EPYC = {"avx2", "fma", "f16c"}
NETWORK = object()  # stands for a model builder; the fake probes below never call it


def probe_with(times: dict):
    calls = []

    def probe(precision, build_model, batch_size):
        assert build_model is NETWORK and batch_size == 128
        calls.append(precision)
        return times[precision]
    return probe, calls


def test_avx2_only_cpu_trains_in_float32_without_probing():
    probe, calls = probe_with({"float32": 1.8, "mixed_bfloat16": 15.8})
    precision, why, step = choose_precision("auto", NETWORK, 128, flags=AVX2_EPYC, probe=probe)
    assert (precision, step, calls) == ("float32", None, [])
    assert "no native bf16" in why


@pytest.mark.parametrize("bf16, expected", [(0.38, "mixed_bfloat16"), (0.9, "float32")])
def test_bf16_cpu_is_probed_and_the_faster_precision_wins(bf16, expected):
    probe, calls = probe_with({"float32": 0.56, "mixed_bfloat16": bf16})
    precision, why, step = choose_precision("auto", NETWORK, 128, flags=AMX_XEON, probe=probe)
    assert precision == expected and sorted(calls) == ["float32", "mixed_bfloat16"]
    assert step == min(bf16, 0.56) and f"{bf16 * 1000:.0f} ms" in why


def test_avx512_bf16_alone_is_a_candidate():
    probe, calls = probe_with({"float32": 0.70, "mixed_bfloat16": 0.58})
    assert choose_precision("auto", NETWORK, 128, flags={"avx512_bf16"}, probe=probe)[0] == "mixed_bfloat16"


@pytest.mark.parametrize("requested", ["float32", "mixed_bfloat16"])
def test_the_override_wins_and_nothing_is_probed(requested):
    probe, calls = probe_with({})
    assert choose_precision(requested, NETWORK, 128, flags=AMX_XEON, probe=probe)[0] == requested
    assert calls == []


def test_a_gpu_trains_in_bf16():
    probe, calls = probe_with({})
    assert choose_precision("auto", NETWORK, 128, flags=AVX2_EPYC, has_gpu=True, probe=probe)[0] == "mixed_bfloat16"
    assert calls == []


def test_cpu_flags_are_read_from_cpuinfo(tmp_path):
    info = tmp_path / "cpuinfo"
    info.write_text("processor\t: 0\nmodel name\t: AMD EPYC\nflags\t\t: fpu avx2 avx512_bf16\n\nprocessor\t: 1\n")
    assert cpu_flags(info) == {"fpu", "avx2", "avx512_bf16"} and cpu_model(info) == "AMD EPYC"
    assert cpu_flags(tmp_path / "missing") == set()
