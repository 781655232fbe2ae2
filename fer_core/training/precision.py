"""Choose the training precision from the CPU we find.

bfloat16 pays only where the CPU computes it natively: on a Xeon with AMX it trained 1.47x faster than
float32, but on an AMD EPYC with AVX2 only it is emulated and was 8.8x slower. So bf16 is a candidate
only where the CPU flags say ``amx_bf16`` or ``avx512_bf16``, and is chosen only if a short probe of
real training steps shows it faster. A GPU trains in bf16 (``mixed_bfloat16``) without probing.
"""
from __future__ import annotations

import os
import platform
import sys
import time
from pathlib import Path

BF16_FLAGS = frozenset({"amx_bf16", "avx512_bf16"})
PRECISIONS = ("float32", "mixed_bfloat16")


def _cpuinfo_field(names: tuple[str, ...], cpuinfo: Path) -> str | None:
    """The value of the first /proc/cpuinfo line named one of ``names`` (None where there is none, e.g. macOS)."""
    try:
        text = cpuinfo.read_text()
    except OSError:
        return None
    return next((line.split(":", 1)[1].strip() for line in text.splitlines() if line.startswith(names)), None)


def cpu_flags(cpuinfo: Path = Path("/proc/cpuinfo")) -> set[str]:
    """The CPU's feature flags (empty where they cannot be read)."""
    return set((_cpuinfo_field(("flags", "Features"), cpuinfo) or "").split())


def cpu_model(cpuinfo: Path = Path("/proc/cpuinfo")) -> str:
    return _cpuinfo_field(("model name",), cpuinfo) or platform.processor() or platform.machine()


def gpu_names() -> list[str]:
    """The GPUs the active Keras backend (TensorFlow or JAX) trains on, by model name; empty on a CPU."""
    import keras

    backend = keras.backend.backend()
    if backend == "tensorflow":
        import tensorflow as tf

        gpus = tf.config.list_physical_devices("GPU")
        return [tf.config.experimental.get_device_details(g).get("device_name", "GPU") for g in gpus]
    if backend == "jax":
        import jax

        return [d.device_kind for d in jax.devices() if d.platform == "gpu"]
    return []


def machine_name() -> str:
    """The machine a stretch of training ran on, for the runs table."""
    gpus = gpu_names()
    if gpus:
        return f"{len(gpus)} x {gpus[0]}"
    return f"{cpu_model()}, {os.cpu_count()} CPU cores"


def bf16_candidate(flags: set[str]) -> bool:
    return bool(BF16_FLAGS & flags)


def step_seconds(precision: str, build_model, batch_size: int, steps: int = 6) -> float:
    """Median seconds of one training step of a fresh ``build_model()`` under ``precision``, on random data."""
    import keras
    import numpy as np

    previous = keras.mixed_precision.global_policy().name
    keras.mixed_precision.set_global_policy(precision)
    try:
        model = build_model()
        model.compile(optimizer=keras.optimizers.SGD(0.01), loss="categorical_crossentropy")
        rng = np.random.default_rng(0)
        x = rng.uniform(0, 255, (batch_size, *model.input_shape[1:])).astype("float32")
        y = keras.utils.to_categorical(rng.integers(0, 7, batch_size), 7)
        model.train_on_batch(x, y)  # builds and traces the step
        times = []
        for _ in range(steps):
            start = time.perf_counter()
            model.train_on_batch(x, y)
            times.append(time.perf_counter() - start)
        return float(np.median(times))
    finally:
        keras.mixed_precision.set_global_policy(previous)


def choose_precision(requested: str, build_model, batch_size: int, flags: set[str] | None = None,
                     has_gpu: bool = False, probe=step_seconds) -> tuple[str, str, float | None]:
    """The precision to train in, a sentence saying why, and the probed seconds a step (None if not probed).

    ``requested`` is auto or one of PRECISIONS.
    """
    if requested != "auto":
        return requested, f"{requested}, as requested", None
    if has_gpu:
        return "mixed_bfloat16", "mixed_bfloat16: a GPU computes bf16 natively", None
    flags = cpu_flags() if flags is None else flags
    if not bf16_candidate(flags):
        return "float32", "float32: this CPU has no native bf16 (neither amx_bf16 nor avx512_bf16)", None
    print("probing float32 against mixed_bfloat16 on this CPU…", file=sys.stderr)
    fp32, bf16 = (probe(p, build_model, batch_size) for p in PRECISIONS)
    timing = f"{bf16 * 1000:.0f} ms a step in bf16 against {fp32 * 1000:.0f} ms in float32"
    if bf16 < fp32:
        return "mixed_bfloat16", f"mixed_bfloat16: {timing}", bf16
    return "float32", f"float32: {timing}", fp32
