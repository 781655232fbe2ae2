"""Train the FER2013 CNN.

    python -m fer_core.training.train --data ../shared/data/fer2013.npz --out models/fer_cnn --epochs 60

Top to bottom: data, augmentation, model, training (checkpoint every epoch, ``--resume``), export
of the best epoch (by PublicTest accuracy) to ``model.keras`` and ``model.tflite``, evaluation on
PrivateTest. Runs on one device by default, or through ``tf.distribute`` with ``--distribute``.

It runs on any Keras backend. TensorFlow is what it needs to export and evaluate the model (its own
module, imported at the end). With ``KERAS_BACKEND=jax`` it trains on a GPU machine that has JAX but no
TensorFlow; the run then finishes with ``--resume`` where TensorFlow is installed. Augmentation is part of
the training graph, so it runs on the GPU there.

Training adds up across interruptions: each epoch ends with the weights and optimizer slots in
``checkpoint.keras`` and the run's state in ``train_state.json``, both written atomically, so a run killed
at any point continues with ``--resume`` from its last finished epoch, on this machine or another (CPU or
GPU). The state records each stretch of training (machine, precision, epochs, seconds) for the runs table.
"""
from __future__ import annotations

import argparse
import contextlib
import hashlib
import json
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from fer_core.labels import EMOTIONS  # noqa: E402
from fer_core.training.data import load_fer2013  # noqa: E402
from fer_core.training.distill import DEFAULT_TEACHER_WEIGHT, augmented_views, blend_targets, teacher_probabilities  # noqa: E402
from fer_core.training.networks import allow_xla, augmentation, build_cnn, widen  # noqa: E402
from fer_core.training.precision import PRECISIONS, choose_precision, cpu_model, gpu_names, step_seconds  # noqa: E402

CHECKPOINT = "checkpoint.keras"  # last epoch, weights and optimizer slots: what --resume continues
BEST = "best.weights.npz"  # the network's weights at the best epoch by val_accuracy (no optimizer slots)
STATE = "train_state.json"
DEFAULT_EPOCHS = 60
TEACHER_TARGETS = "teacher_probs.npz"  # the teacher's probabilities for the training faces, read once
# What defines a run; --resume keeps these from the run's state whatever the command line says.
RECIPE = ("epochs", "batch_size", "optimizer", "lr", "weight_decay", "warmup_epochs", "label_smoothing", "width",
          "spatial_dropout", "erasing", "seed", "teacher", "teacher_weight", "teacher_views", "init_weights")


def parse_args(argv=None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m fer_core.training.train", description=__doc__.split("\n")[0])
    p.add_argument("--data", required=True, help="fer2013.csv, fer2013.npz or the image-folder release")
    p.add_argument("--out", required=True, help="output folder, e.g. models/fer_cnn")
    p.add_argument("--epochs", type=int, default=None, help=f"default {DEFAULT_EPOCHS}; --resume keeps the run's")
    p.add_argument("--batch-size", type=int, default=128)
    p.add_argument("--optimizer", choices=["sgd", "adamw"], default="sgd",
                   help="sgd: SGD with Nesterov momentum 0.9; adamw: AdamW")
    p.add_argument("--lr", type=float, default=None,
                   help="peak learning rate of the cosine schedule (default 0.02 for sgd, 0.002 for adamw)")
    p.add_argument("--weight-decay", type=float, default=None,
                   help="decoupled weight decay (default 0.002 for sgd, 0.02 for adamw; applied as lr x decay per step)")
    p.add_argument("--warmup-epochs", type=float, default=2)
    p.add_argument("--label-smoothing", type=float, default=0.0)
    p.add_argument("--width", type=int, default=32, help="filters of the first stage")
    p.add_argument("--spatial-dropout", type=float, default=0.05, help="after each conv stage")
    p.add_argument("--erasing", action="store_true", help="add random erasing to the augmentation")
    p.add_argument("--precision", choices=["auto", *PRECISIONS], default="auto",
                   help="auto: bf16 where the CPU computes it natively and a probe finds it faster")
    p.add_argument("--seed", type=int, default=1234)
    p.add_argument("--teacher", default=None,
                   help="a model folder to distil from (see fer_core.training.distill); the result is calibrated")
    p.add_argument("--teacher-weight", type=float, default=DEFAULT_TEACHER_WEIGHT,
                   help="share of the teacher's probabilities in the targets (the rest is the label)")
    p.add_argument("--teacher-views", type=int, default=1,
                   help="views of each training face the teacher reads: the face and K-1 augmented copies; with "
                        "K > 1 the student trains on those views with their own targets, mirrored at random")
    p.add_argument("--init-weights", default=None,
                   help="start from an earlier run's best.weights.npz (same width) instead of random weights, "
                        "e.g. to distil a trained student again from a better teacher")
    p.add_argument("--resume", action="store_true", help="continue from OUT/checkpoint.keras")
    p.add_argument("--steps-per-epoch", type=int, default=None, help="cap, for timing runs")
    p.add_argument("--distribute", choices=["none", "mirrored", "multiworker"], default="none",
                   help="tf.distribute strategy (multiworker reads TF_CONFIG)")
    p.add_argument("--cpu-devices", type=int, default=1,
                   help="split the CPU into this many logical devices (to exercise --distribute)")
    p.add_argument("--verbose", type=int, default=1, help="Keras progress: 1 bar, 2 a line an epoch")
    p.add_argument("--no-export", action="store_true", help="skip the export and evaluation at the end")
    p.add_argument("--max-minutes", type=float, default=None,
                   help="end this stretch after the epoch that would leave too little time for another one "
                        "(at least one epoch runs); continue later with --resume")
    args = p.parse_args(argv)
    if args.teacher_views < 1 or (args.teacher_views > 1 and not args.teacher):
        p.error("--teacher-views takes a whole number from 1, and more than 1 only with --teacher")
    sgd = args.optimizer == "sgd"
    args.lr = args.lr if args.lr is not None else (0.02 if sgd else 2e-3)
    args.weight_decay = args.weight_decay if args.weight_decay is not None else (2e-3 if sgd else 0.02)
    return args


# ---------------------------------------------------------------- data

def training_arrays(data, out: Path, teacher: str | None = None, teacher_weight: float = DEFAULT_TEACHER_WEIGHT,
                    teacher_views: int = 1, seed: int = 0):
    """Training faces in K views with their targets, and PublicTest faces with one-hot labels: uint8
    (K, N, 48, 48) and float32 (K, N, 7); float32 (M, 48, 48, 1) and (M, 7). Without a teacher K is 1 (the
    faces themselves). With a ``teacher`` the targets blend the label with the teacher's probabilities for
    each view (see fer_core.training.distill); those are read once and kept in ``out``, so a resume, here or
    on another machine, does not need the teacher again."""
    x_train, y_train = data.split("Training")
    x_val, y_val = data.split("PublicTest")
    if len(x_train) == 0 or len(x_val) == 0:
        raise SystemExit("the dataset needs both Training and PublicTest images")
    one_hot = np.eye(len(EMOTIONS), dtype=np.float32)
    if not teacher:
        return x_train[None], one_hot[y_train][None], x_val[..., None].astype(np.float32), one_hot[y_val]
    views, probs = cached_teacher_targets(out / TEACHER_TARGETS, teacher, x_train, teacher_views, seed)
    targets = blend_targets(np.broadcast_to(y_train, probs.shape[:2]), probs, teacher_weight)
    return views, targets, x_val[..., None].astype(np.float32), one_hot[y_val]


def cached_teacher_targets(path: Path, teacher: str, faces: np.ndarray, views: int = 1, seed: int = 0):
    """The faces in ``views`` views (see fer_core.training.distill.augmented_views) and the teacher's
    probabilities for each, uint8 (views, N, 48, 48) and float32 (views, N, 7). They come from ``path`` when it
    holds them for these faces and seed and for this very teacher file (by SHA-256); a machine without the
    teacher (a GPU machine that got only the run) uses what ``path`` holds. A seed draws the same first views
    whatever their number, so a run with more views than ``path`` holds has the teacher read only the new ones."""
    from fer_core.models import ModelError, resolve_model_file

    try:
        digest = hashlib.sha256(resolve_model_file(teacher).read_bytes()).hexdigest()
    except ModelError:
        digest = None
    key = {"faces_sha256": hashlib.sha256(faces.tobytes()).hexdigest(), "seed": seed}
    kept_views, kept_probs = np.zeros((0, *faces.shape), np.uint8), np.zeros((0, len(faces), len(EMOTIONS)))
    if path.is_file():
        with np.load(path) as saved:
            if (all(k in saved and saved[k].item() == v for k, v in key.items())
                    and (digest is None or saved["teacher_sha256"].item() == digest)):
                kept_probs = saved["probs"]
                kept_views = saved["faces"] if len(kept_probs) > 1 else faces[None]
    if len(kept_probs) >= views:
        return kept_views[:views], kept_probs[:views]
    if digest is None:
        raise SystemExit(f"no teacher at {teacher}, and {path} holds no probabilities of it for these faces "
                         f"in {views} views")
    seen = augmented_views(faces, views, seed)
    if not np.array_equal(seen[:len(kept_views)], kept_views):
        raise SystemExit(f"{path} holds views that seed {seed} no longer draws (has the augmentation changed?); "
                         "remove it, and the teacher reads every view again")
    probs = list(kept_probs)
    for i in range(len(kept_probs), views):
        started = time.time()
        print(f"the teacher {teacher} reads view {i + 1} of {views} of the {len(faces):,} training faces…",
              file=sys.stderr, flush=True)
        probs.append(teacher_probabilities(teacher, seen[i]))
        print(f"  {time.time() - started:.0f} s", file=sys.stderr, flush=True)
    probs = np.stack(probs).astype(np.float32)
    kept = {"faces": seen} if views > 1 else {}  # one view is the faces themselves: no need to keep them
    write_atomically(path, lambda tmp: np.savez(tmp, teacher=teacher, teacher_sha256=digest, probs=probs,
                                                **key, **kept))
    return seen, probs


class ViewBatches(keras.utils.PyDataset):
    """Batches of an epoch: every training face once, in random order, as one of its views picked at random,
    with that view's targets. The draw depends on the seed and the epoch only, so a resumed run draws what an
    uninterrupted one would have."""

    def __init__(self, views: np.ndarray, targets: np.ndarray, batch_size: int, seed: int, epoch: int = 0,
                 steps: int | None = None):
        super().__init__()
        self.views, self.targets, self.batch_size, self.seed, self.epoch = views, targets, batch_size, seed, epoch
        whole = max(1, views.shape[1] // batch_size)
        self.steps = min(steps or whole, whole)
        self._draw()

    def _draw(self):
        rng = np.random.default_rng([self.seed, self.epoch])
        faces = self.views.shape[1]
        self.order, self.view = rng.permutation(faces), rng.integers(self.views.shape[0], size=faces)

    def __len__(self):
        return self.steps

    def __getitem__(self, index):
        faces = self.order[index * self.batch_size:(index + 1) * self.batch_size]
        view = self.view[faces]
        return self.views[view, faces][..., None].astype(np.float32), self.targets[view, faces]

    def on_epoch_end(self):
        self.epoch += 1
        self._draw()


def with_augmentation(network: keras.Model, args) -> keras.Model:
    """The network behind the run's random augmentation layers: what trains (the layers act only in training).
    Faces that come already augmented (teacher views) are only mirrored: a mirror keeps the teacher's target."""
    pixels = keras.Input(network.input_shape[1:], name="pixels")
    changes = augmentation(args.seed, args.erasing, flip_only=args.teacher_views > 1)
    return keras.Model(pixels, network(changes(pixels)), name="trainer")


# ---------------------------------------------------------------- strategy

def make_strategy(name: str, cpu_devices: int):
    """A tf.distribute strategy; None (no strategy) on other Keras backends, which train on one device."""
    if keras.backend.backend() != "tensorflow":
        if name != "none" or cpu_devices > 1:
            raise SystemExit(f"--distribute and --cpu-devices need the TensorFlow backend, not "
                             f"{keras.backend.backend()}")
        return None
    import tensorflow as tf

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

def network(args) -> keras.Model:
    return build_cnn(width=args.width, spatial_dropout=args.spatial_dropout)


def load_weights(model: keras.Model, path: Path) -> keras.Model:
    """``model`` with the weights a run saved in ``path`` (a best.weights.npz): the same network, or a
    narrower one of the same layers, widened so that it still computes what it did (see ``widen``)."""
    with np.load(path) as saved:
        weights = [saved[f"arr_{i}"] for i in range(len(saved.files))]
    shapes, expected = [w.shape for w in weights], [tuple(w.shape) for w in model.weights]
    if shapes == expected:
        model.set_weights(weights)
        return model
    width, saved_width = model.get_layer("conv0_0").filters, weights[0].shape[-1]  # the first stage's filters
    narrow = build_cnn(width=saved_width) if saved_width < width else None
    if narrow is None or shapes != [tuple(w.shape) for w in narrow.weights]:
        raise SystemExit(f"{path} holds weights of another network than this one (width, layers); "
                         f"its shapes begin {shapes[:2]}, these {expected[:2]}. A run can start only from "
                         "the same network or a narrower one of the same layers.")
    narrow.set_weights(weights)
    print(f"{path}: width {saved_width} widened to {width}; the new channels start with no effect on the "
          "output", file=sys.stderr)
    return widen(narrow, model)


def compile_new_model(args, steps_per_epoch: int) -> keras.Model:
    """The trainer (augmentation, then the network, random or from --init-weights) with its optimizer and loss."""
    start = network(args)
    if args.init_weights:
        load_weights(start, Path(args.init_weights))
    model = with_augmentation(start, args)
    total = max(1, args.epochs * steps_per_epoch)
    warmup = min(int(args.warmup_epochs * steps_per_epoch), total - 1)
    schedule = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=args.lr / 100, decay_steps=total - warmup,
        warmup_target=args.lr, warmup_steps=warmup)
    if args.optimizer == "sgd":  # one slot per weight: half AdamW's checkpoint
        optimizer = keras.optimizers.SGD(schedule, momentum=0.9, nesterov=True, weight_decay=args.weight_decay)
    else:
        optimizer = keras.optimizers.AdamW(schedule, weight_decay=args.weight_decay)
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=args.label_smoothing),
        metrics=["accuracy"],
    )
    return model


class LogLearningRate(keras.callbacks.Callback):
    """Puts the learning rate into each epoch's logs, so history.csv records it."""

    def on_epoch_end(self, epoch, logs=None):
        opt = self.model.optimizer
        logs["learning_rate"] = float(keras.ops.convert_to_numpy(opt.learning_rate))


def write_atomically(path: Path, write) -> None:
    """``write(tmp_path)``, then rename over ``path``: a kill mid-write leaves the old file whole."""
    tmp = path.with_name("tmp-" + path.name)  # the same suffix: Keras checks it
    write(tmp)
    os.replace(tmp, path)


class SaveProgress(keras.callbacks.Callback):
    """After each epoch: the best weights (if better), the checkpoint, then the state, then an ETA line; then
    it ends the stretch if ``max_seconds`` would not fit another epoch.

    The state is written last, so it never claims an epoch whose checkpoint is missing.
    """

    def __init__(self, out: Path, state: dict, total_epochs: int, max_seconds: float | None = None):
        super().__init__()
        self.out, self.state, self.total_epochs, self.max_seconds = out, state, total_epochs, max_seconds
        self.epoch_start = self.stretch_start = time.time()

    def on_epoch_begin(self, epoch, logs=None):
        self.epoch_start = time.time()

    def on_epoch_end(self, epoch, logs=None):
        seconds = time.time() - self.epoch_start
        if not self.state["best_epoch"] or logs["val_accuracy"] > self.state["best_val_accuracy"]:
            self.state["best_val_accuracy"], self.state["best_epoch"] = float(logs["val_accuracy"]), epoch + 1
            weights = the_network(self.model).get_weights()
            write_atomically(self.out / BEST, lambda path: np.savez(path, *weights))
        write_atomically(self.out / CHECKPOINT, self.model.save)
        stretch = self.state["stretches"][-1]
        stretch["epochs"] += 1
        stretch["seconds"] = round(stretch["seconds"] + seconds, 1)
        self.state["epochs_done"] = epoch + 1
        self.state["train_seconds"] += seconds
        write_atomically(self.out / STATE, lambda p: p.write_text(json.dumps(self.state, indent=2)))
        left = self.total_epochs - epoch - 1
        print(f"epoch {epoch + 1}/{self.total_epochs}: {seconds:.0f} s, val_accuracy {logs['val_accuracy']:.4f} "
              f"(best {self.state['best_val_accuracy']:.4f}), about {left * seconds / 60:.0f} min left",
              file=sys.stderr, flush=True)
        if self.max_seconds is not None and left and time.time() - self.stretch_start + seconds > self.max_seconds:
            print(f"stopping after epoch {epoch + 1} to stay within --max-minutes; continue with --resume",
                  file=sys.stderr, flush=True)
            self.model.stop_training = True


def the_network(trainer: keras.Model) -> keras.Model:
    """The network inside the trainer: what is saved and exported, without the augmentation."""
    return next(layer for layer in trainer.layers if isinstance(layer, keras.Model) and layer.name != "augmentation")


def machine_name() -> str:
    gpus = gpu_names()
    if gpus:
        return f"{len(gpus)} x {gpus[0]}"
    return f"{cpu_model()}, {os.cpu_count()} CPU cores"


def trim_history(path: Path, epochs: int) -> None:
    """Keep the header and the first ``epochs`` rows: rows of an epoch whose checkpoint was lost go."""
    if path.is_file():
        lines = path.read_text().splitlines(keepends=True)
        path.write_text("".join(lines[:1 + epochs]))


# ---------------------------------------------------------------- main

def main(argv=None) -> int:
    args = parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    keras.utils.set_random_seed(args.seed)
    strategy = make_strategy(args.distribute, args.cpu_devices)

    data = load_fer2013(args.data)
    if data.skipped:
        print(f"skipped {data.skipped} unreadable images", file=sys.stderr)
    state_path = out / STATE
    state = json.loads(state_path.read_text()) if args.resume and state_path.exists() else None
    if state is not None:
        # The recipe (epochs included: they set the learning-rate schedule) is the run's, not this command
        # line's; only the machine-side settings may change.
        recipe = {k: v for k, v in state["args"].items() if k in RECIPE}
        if args.epochs not in (None, recipe["epochs"]):
            print(f"note: this run's schedule is {recipe['epochs']} epochs; --epochs {args.epochs} is ignored",
                  file=sys.stderr)
        vars(args).update(recipe)
        if state["epochs_done"] < args.epochs and not (out / CHECKPOINT).exists():
            raise SystemExit(f"{out} holds epoch {state['epochs_done']} of {args.epochs} but no {CHECKPOINT} to "
                             "continue from")
    else:
        if args.resume:
            print(f"no run to resume in {out}; starting afresh", file=sys.stderr)
        args.epochs = DEFAULT_EPOCHS if args.epochs is None else args.epochs
    if state is None or state["epochs_done"] < args.epochs:
        train(args, out, data, state, strategy)
        state = json.loads(state_path.read_text())
    if args.no_export or state["epochs_done"] < args.epochs:
        return 0

    from fer_core.training.evaluate import export_and_evaluate  # imports TF too; kept apart for `evaluate`

    keras.mixed_precision.set_global_policy("float32")  # the served model computes in float32
    best = load_weights(network(args), out / BEST)
    export_and_evaluate(out, best, data, training=state, calibrate=bool(args.teacher))
    return 0


def train(args, out: Path, data, state: dict | None, strategy) -> None:
    """Train a new run (``state`` None) or continue one, one stretch, until its epochs or --max-minutes end."""
    scope = strategy.scope if strategy is not None else contextlib.nullcontext
    gpus = gpu_names()
    precision, why, step = choose_precision(args.precision, lambda: network(args), args.batch_size,
                                            has_gpu=bool(gpus))
    replicas = strategy.num_replicas_in_sync if strategy is not None else 1
    print(f"training on {replicas} replica(s) with the {keras.backend.backend()} backend, {why}", file=sys.stderr)
    keras.mixed_precision.set_global_policy(precision)
    views, targets, x_val, y_val = training_arrays(data, out, args.teacher, args.teacher_weight, args.teacher_views,
                                                   args.seed)
    batches = ViewBatches(views, targets, args.batch_size, args.seed, steps=args.steps_per_epoch,
                          epoch=state["epochs_done"] if state else 0)
    steps = len(batches)
    if step is None and not gpus:
        step = step_seconds(precision, lambda: with_augmentation(network(args), args), args.batch_size, steps=3)

    if state is not None:
        trim_history(out / "history.csv", state["epochs_done"])
        with scope():
            model = allow_xla(keras.models.load_model(out / CHECKPOINT))
        print(f"resuming after epoch {state['epochs_done']} of {args.epochs}", file=sys.stderr)
        if state["epochs_done"]:
            per_epoch = state["train_seconds"] / state["epochs_done"]
            print(f"earlier epochs took {per_epoch:.0f} s each on average", file=sys.stderr)
    else:
        state = {"epochs_done": 0, "best_val_accuracy": 0.0, "best_epoch": 0, "train_seconds": 0.0,
                 "args": vars(args), "stretches": []}
        if args.teacher:  # which teacher file the targets came from, for the card
            with np.load(out / TEACHER_TARGETS) as saved:
                state["teacher_sha256"] = str(saved["teacher_sha256"])
        if args.init_weights:  # which weights it started from, and that run's own state, for the card
            init = Path(args.init_weights)
            state["init_sha256"] = hashlib.sha256(init.read_bytes()).hexdigest()
            if (init.parent / STATE).is_file():
                state["init_state"] = json.loads((init.parent / STATE).read_text())
        with scope():
            model = compile_new_model(args, steps)
    if step is not None:
        left = args.epochs - state["epochs_done"]
        print(f"about {step * steps:.0f} s an epoch of {steps} steps; {left} epochs to go, about "
              f"{step * steps * left / 60:.0f} min (validation adds a little)", file=sys.stderr, flush=True)
    state["stretches"].append({"machine": machine_name(), "precision": precision,
                               "started": time.strftime("%Y-%m-%d %H:%M"), "epochs": 0, "seconds": 0.0})
    if args.verbose:
        model.summary(print_fn=lambda line, **_: print(line, file=sys.stderr), expand_nested=True)

    callbacks = [
        LogLearningRate(),
        keras.callbacks.CSVLogger(out / "history.csv", append=state["epochs_done"] > 0),
        SaveProgress(out, state, args.epochs, None if args.max_minutes is None else 60 * args.max_minutes),
    ]
    model.fit(batches, validation_data=(x_val, y_val), validation_batch_size=512, epochs=args.epochs,
              initial_epoch=state["epochs_done"], callbacks=callbacks, verbose=args.verbose)


if __name__ == "__main__":
    sys.exit(main())
