"""Train the FER2013 CNN.

    python -m fer_core.train --data ../shared/data/fer2013.npz --out models/fer_cnn --epochs 60

Top to bottom: data, augmentation, model, training (checkpoint every epoch, ``--resume``), export
of the best epoch (by PublicTest accuracy) to ``model.keras`` and ``model.tflite``, evaluation on
PrivateTest. Runs on one device by default, or through ``tf.distribute`` with ``--distribute``.
"""
from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402
import tensorflow as tf  # noqa: E402

from fer_core.data import load_fer2013  # noqa: E402
from fer_core.models import augmentation, build_cnn  # noqa: E402

CHECKPOINT = "checkpoint.keras"  # last epoch, with optimizer state: what --resume continues
BEST = "best.keras"  # best epoch by val_accuracy
STATE = "train_state.json"


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m fer_core.train", description=__doc__.split("\n")[0])
    p.add_argument("--data", required=True, help="fer2013.csv, fer2013.npz or the image-folder release")
    p.add_argument("--out", required=True, help="output folder, e.g. models/fer_cnn")
    p.add_argument("--epochs", type=int, default=60)
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--lr", type=float, default=2e-3, help="peak learning rate (AdamW, cosine decay)")
    p.add_argument("--weight-decay", type=float, default=0.02)
    p.add_argument("--warmup-epochs", type=float, default=2)
    p.add_argument("--label-smoothing", type=float, default=0.1)
    p.add_argument("--width", type=int, default=32, help="filters of the first stage")
    p.add_argument("--precision", choices=["float32", "mixed_bfloat16"], default="mixed_bfloat16")
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.keras")
    p.add_argument("--steps-per-epoch", type=int, default=None, help="cap, for timing runs")
    p.add_argument("--distribute", choices=["none", "mirrored", "multiworker"], default="none",
                   help="tf.distribute strategy (multiworker reads TF_CONFIG)")
    p.add_argument("--cpu-devices", type=int, default=1,
                   help="split the CPU into this many logical devices (to exercise --distribute)")
    p.add_argument("--verbose", type=int, default=1, help="Keras progress: 1 bar, 2 a line an epoch")
    p.add_argument("--no-export", action="store_true", help="skip the export and evaluation at the end")
    return p.parse_args(argv)


# ---------------------------------------------------------------- data

def make_datasets(data, batch_size: int, seed: int):
    x_train, y_train = data.split("Training")
    x_val, y_val = data.split("PublicTest")
    if len(x_train) == 0 or len(x_val) == 0:
        raise SystemExit("the dataset needs both Training and PublicTest images")
    augment = augmentation(seed)

    def to_float(x, y):
        return tf.cast(x[..., None], tf.float32), tf.one_hot(tf.cast(y, tf.int32), 7)

    train = (
        tf.data.Dataset.from_tensor_slices((x_train, y_train))
        .shuffle(len(x_train), seed=seed, reshuffle_each_iteration=True)
        .batch(batch_size, drop_remainder=len(x_train) >= batch_size)
        .map(to_float, num_parallel_calls=tf.data.AUTOTUNE)
        .map(lambda x, y: (augment(x, training=True), y), num_parallel_calls=tf.data.AUTOTUNE)
        .prefetch(tf.data.AUTOTUNE)
    )
    val = (
        tf.data.Dataset.from_tensor_slices((x_val, y_val))
        .batch(512)
        .map(to_float, num_parallel_calls=tf.data.AUTOTUNE)
        .prefetch(tf.data.AUTOTUNE)
    )
    return train, val, len(x_train)


# ---------------------------------------------------------------- strategy

def make_strategy(name: str, cpu_devices: int) -> tf.distribute.Strategy:
    if cpu_devices > 1:
        cpu = tf.config.list_physical_devices("CPU")[0]
        tf.config.set_logical_device_configuration(cpu, [tf.config.LogicalDeviceConfiguration()] * cpu_devices)
    if name == "mirrored":
        gpus = tf.config.list_logical_devices("GPU")
        devices = [d.name for d in (gpus or tf.config.list_logical_devices("CPU"))]
        return tf.distribute.MirroredStrategy(devices)
    if name == "multiworker":
        return tf.distribute.MultiWorkerMirroredStrategy()
    return tf.distribute.get_strategy()


# ---------------------------------------------------------------- model and optimizer

def compile_new_model(args, steps_per_epoch: int) -> keras.Model:
    model = build_cnn(width=args.width)
    total = max(1, args.epochs * steps_per_epoch)
    warmup = min(int(args.warmup_epochs * steps_per_epoch), total - 1)
    schedule = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=args.lr / 100, decay_steps=total - warmup,
        warmup_target=args.lr, warmup_steps=warmup)
    model.compile(
        optimizer=keras.optimizers.AdamW(schedule, weight_decay=args.weight_decay),
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=args.label_smoothing),
        metrics=["accuracy"],
    )
    return model


class LogLearningRate(keras.callbacks.Callback):
    """Puts the learning rate into each epoch's logs, so history.csv records it."""

    def on_epoch_end(self, epoch, logs=None):
        opt = self.model.optimizer
        logs["learning_rate"] = float(keras.ops.convert_to_numpy(opt.learning_rate))


class SaveState(keras.callbacks.Callback):
    """Records the finished epoch, the best val_accuracy and the wall time for --resume."""

    def __init__(self, path: Path, state: dict):
        super().__init__()
        self.path, self.state = path, state
        self.epoch_start = time.time()

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_start = time.time()

    def on_epoch_end(self, epoch, logs=None):
        self.state["epochs_done"] = epoch + 1
        self.state["train_seconds"] += time.time() - self.epoch_start
        self.state["best_val_accuracy"] = max(self.state["best_val_accuracy"], logs["val_accuracy"])
        self.path.write_text(json.dumps(self.state, indent=2))


# ---------------------------------------------------------------- main

def main(argv=None) -> int:
    args = parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(args.seed)
    keras.mixed_precision.set_global_policy(args.precision)
    strategy = make_strategy(args.distribute, args.cpu_devices)
    print(f"training on {strategy.num_replicas_in_sync} replica(s), {args.precision}", file=sys.stderr)

    data = load_fer2013(args.data)
    if data.skipped:
        print(f"skipped {data.skipped} unreadable images", file=sys.stderr)
    train_ds, val_ds, n_train = make_datasets(data, args.batch_size, args.seed)
    steps = max(1, n_train // args.batch_size)
    if args.steps_per_epoch:
        steps = min(steps, args.steps_per_epoch)
        train_ds = train_ds.repeat()

    state_path = out / STATE
    if args.resume and (out / CHECKPOINT).exists():
        state = json.loads(state_path.read_text())
        with strategy.scope():
            model = keras.models.load_model(out / CHECKPOINT)
        print(f"resuming after epoch {state['epochs_done']} of {args.epochs}", file=sys.stderr)
    else:
        if args.resume:
            print(f"no checkpoint in {out}; starting afresh", file=sys.stderr)
        state = {"epochs_done": 0, "best_val_accuracy": 0.0, "train_seconds": 0.0, "args": vars(args)}
        with strategy.scope():
            model = compile_new_model(args, steps)
    if args.verbose:
        model.summary(print_fn=lambda line, **_: print(line, file=sys.stderr))

    callbacks = [
        LogLearningRate(),
        keras.callbacks.ModelCheckpoint(out / CHECKPOINT),
        keras.callbacks.ModelCheckpoint(out / BEST, monitor="val_accuracy", mode="max", save_best_only=True,
                                        initial_value_threshold=state["best_val_accuracy"] or None),
        SaveState(state_path, state),
        keras.callbacks.CSVLogger(out / "history.csv", append=state["epochs_done"] > 0),
    ]
    if state["epochs_done"] < args.epochs:
        model.fit(train_ds, validation_data=val_ds, epochs=args.epochs, initial_epoch=state["epochs_done"],
                  steps_per_epoch=steps, callbacks=callbacks, verbose=args.verbose)
    if args.no_export:
        return 0

    from fer_core.evaluate import export_and_evaluate  # imports TF too; kept apart for `evaluate`
    export_and_evaluate(out, data, training=state)
    return 0


if __name__ == "__main__":
    sys.exit(main())
