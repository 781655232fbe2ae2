"""Train the FER2013 CNN, top to bottom: the data, the model, the fit, then export and evaluation.

    python -m fer_core.training.train --data ../shared/data/fer2013.npz --out models/fer_cnn --epochs 60

The run's recipe (fer_core.training.recipe) is its options; the best epoch by PublicTest (its accuracy, or with
``--select-by`` its agreement with the people) is kept, and at the end exported and evaluated on PrivateTest
(``--no-export`` skips that, to compare recipes on PublicTest alone).

It runs on any Keras backend. TensorFlow is what it needs to export and evaluate the model (its own module,
imported at the end). With ``KERAS_BACKEND=jax`` it trains on a GPU machine that has JAX but no TensorFlow; the
run then finishes with ``--resume`` where TensorFlow is installed. Augmentation is part of the training graph,
so it runs on the GPU there.

Training adds up across interruptions: each epoch ends with the checkpoint and the run's state written atomically
(run_state), so a run killed at any point continues with ``--resume``, on this machine or another (CPU or GPU).
"""
from __future__ import annotations

import argparse
import os
import sys
import time
from pathlib import Path

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

import keras  # noqa: E402
import numpy as np  # noqa: E402

from fer_core import ferplus  # noqa: E402
from fer_core.fer2013 import load_fer2013  # noqa: E402
from fer_core.labels import EMOTIONS  # noqa: E402
from fer_core.training import run_state  # noqa: E402
from fer_core.training.calibrate import fit_offsets, read_figures  # noqa: E402
from fer_core.training.networks import allow_xla, augmentation, build_cnn, narrow, widen  # noqa: E402
from fer_core.training.precision import PRECISIONS, choose_precision, gpu_names, machine_name, step_seconds  # noqa: E402
from fer_core.training.recipe import Recipe, selection_score  # noqa: E402
from fer_core.training.run_state import BEST, CHECKPOINT, HISTORY, TEACHER_TARGETS  # noqa: E402
from fer_core.training.teacher import blend_targets, cached_teacher_targets  # noqa: E402


def parse_args(argv=None) -> argparse.Namespace:
    """The recipe's options (see Recipe), then those of this machine and this stretch of the run."""
    p = argparse.ArgumentParser(prog="python -m fer_core.training.train", description=__doc__.split("\n")[0])
    p.add_argument("--data", required=True, help="fer2013.csv, fer2013.npz or the image-folder release")
    p.add_argument("--out", required=True, help="output folder, e.g. models/fer_cnn")
    Recipe.add_arguments(p)
    p.add_argument("--precision", choices=["auto", *PRECISIONS], default="auto",
                   help="auto: bf16 where the CPU computes it natively and a probe finds it faster")
    p.add_argument("--resume", action="store_true", help="continue the run in OUT (its recipe, whatever is given)")
    p.add_argument("--steps-per-epoch", type=int, default=None, help="cap, for timing runs")
    p.add_argument("--verbose", type=int, default=1, help="Keras progress: 1 bar, 2 a line an epoch")
    p.add_argument("--no-export", action="store_true", help="skip the export and evaluation at the end")
    p.add_argument("--max-minutes", type=float, help="end this stretch after the epoch that would leave too little "
                   "time for another one (at least one epoch runs); continue later with --resume")
    args = p.parse_args(argv)
    try:
        args.recipe = Recipe.from_args(args)
    except ValueError as err:
        p.error(str(err))
    return args


# ---------------------------------------------------------------- data

def training_arrays(data, out: Path, recipe: Recipe):
    """Training faces in K views with their targets, and PublicTest faces with one-hot labels: uint8
    (K, N, 48, 48) and float32 (K, N, 7); float32 (M, 48, 48, 1) and (M, 7). Without a teacher K is 1 (the
    faces themselves). The label's targets blend in FER+'s votes by ``votes_weight``; with a teacher, they are
    blended with its probabilities for each view, read once and kept in ``out`` (see fer_core.training.teacher)."""
    x_train, y_train = data.split("Training")
    x_val, y_val = data.split("PublicTest")
    if len(x_train) == 0 or len(x_val) == 0:
        raise SystemExit("the dataset needs both Training and PublicTest images")
    if data.votes is None and (needing := recipe.needing_votes()):
        raise SystemExit(f"{needing[0]} needs FER+'s votes: {ferplus.WHERE_VOTES_COME_FROM}")
    targets = ferplus.label_targets(y_train, data.split_votes("Training"), recipe.votes_weight,
                                    recipe.kept_classes)
    val = x_val[..., None].astype(np.float32), np.eye(len(EMOTIONS), dtype=np.float32)[y_val]
    if not recipe.teacher:
        return x_train[None], targets[None], *val
    views, probs = cached_teacher_targets(out / TEACHER_TARGETS, recipe.teacher, x_train, recipe.teacher_views,
                                          recipe.seed)
    return views, blend_targets(np.broadcast_to(targets, probs.shape), probs, recipe.teacher_weight), *val


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


# ---------------------------------------------------------------- model

def network(recipe: Recipe) -> keras.Model:
    return build_cnn(recipe.width, recipe.spatial_dropout)


def load_weights(model: keras.Model, path: Path) -> keras.Model:
    """``model`` with the weights a run saved in ``path`` (a best.weights.npz, or a member's model.keras)."""
    return set_saved_weights(model, saved_weights(path), path)


def saved_weights(path: Path) -> list[np.ndarray]:
    """The weights in a best.weights.npz or a member's model.keras, in the network's order."""
    if path.suffix == ".keras":
        return keras.models.load_model(path, compile=False).get_weights()
    with np.load(path) as saved:
        return [saved[f"arr_{i}"] for i in range(len(saved.files))]


def set_saved_weights(model: keras.Model, weights: list[np.ndarray], path: Path) -> keras.Model:
    """``model`` with ``weights`` (read from ``path``): the same network's; a narrower one's of the same layers,
    widened so that it still computes what it did; or a wider one's, narrowed to its strongest channels (see
    :func:`~fer_core.training.networks.narrow`)."""
    shapes, expected = [w.shape for w in weights], [tuple(w.shape) for w in model.weights]
    if shapes == expected:
        model.set_weights(weights)
        return model
    width, saved_width = model.get_layer("conv0_0").filters, weights[0].shape[-1]  # the first stage's filters
    saved = build_cnn(saved_width)
    if shapes != [tuple(w.shape) for w in saved.weights]:
        raise SystemExit(f"{path} holds weights of another network than this one (layers, or a width other "
                         f"than its first stage says); its shapes begin {shapes[:2]}, these {expected[:2]}. A "
                         "run can start only from a network of the same layers, of any width.")
    saved.set_weights(weights)
    if saved_width < width:
        print(f"{path}: width {saved_width} widened to {width}; the new channels start with no effect on the "
              "output", file=sys.stderr)
        return widen(saved, model)
    print(f"{path}: width {saved_width} narrowed to {width}, keeping the channels with the largest batch-norm "
          "scale; fine-tune it to win back what the others carried", file=sys.stderr)
    return narrow(saved, model)


def with_augmentation(network: keras.Model, recipe: Recipe) -> keras.Model:
    """The network behind the run's random augmentation layers: what trains (the layers act only in training)."""
    pixels = keras.Input(network.input_shape[1:], name="pixels")
    changes = augmentation(recipe.seed, recipe.erasing, flip_only=recipe.flip_only)
    return keras.Model(pixels, network(changes(pixels)), name="trainer")


def the_network(trainer: keras.Model) -> keras.Model:
    """The network inside the trainer: what is saved and exported, without the augmentation."""
    return next(layer for layer in trainer.layers if isinstance(layer, keras.Model) and layer.name != "augmentation")


def compile_new_model(recipe: Recipe, steps_per_epoch: int, init: list[np.ndarray] | None = None) -> keras.Model:
    """The trainer (augmentation, then the network, random or from ``init``: --init-weights' arrays, see
    :func:`saved_weights`) with its optimizer and loss."""
    start = network(recipe)
    if init is not None:
        set_saved_weights(start, init, Path(recipe.init_weights))
    model = with_augmentation(start, recipe)
    total = max(1, recipe.epochs * steps_per_epoch)
    warmup = min(int(recipe.warmup_epochs * steps_per_epoch), total - 1)
    schedule = keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=recipe.lr / 100, decay_steps=total - warmup,
        warmup_target=recipe.lr, warmup_steps=warmup)
    if recipe.optimizer == "sgd":  # one slot per weight: half AdamW's checkpoint
        optimizer = keras.optimizers.SGD(schedule, momentum=0.9, nesterov=True, weight_decay=recipe.weight_decay)
    else:
        optimizer = keras.optimizers.AdamW(schedule, weight_decay=recipe.weight_decay)
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.CategoricalCrossentropy(label_smoothing=recipe.label_smoothing),
        metrics=["accuracy"],
    )
    return model


# ---------------------------------------------------------------- fit

class LogLearningRate(keras.callbacks.Callback):
    """Puts the learning rate into each epoch's logs, so history.csv records it."""

    def on_epoch_end(self, epoch, logs=None):
        opt = self.model.optimizer
        logs["learning_rate"] = float(keras.ops.convert_to_numpy(opt.learning_rate))


class PeopleAgreement(keras.callbacks.Callback):
    """Puts PublicTest's agreement with the people's majority into each epoch's logs (``val_agreement``, so
    history.csv records it) and the figure the recipe selects epochs by (``val_selection``). Where the recipe asks
    for class offsets, also the accuracy and agreement after the offsets fitted to that epoch
    (``val_served_accuracy``, ``val_served_agreement``): what the model would ship with, which is what
    ``--select-by served`` picks by."""

    def __init__(self, x_val: np.ndarray, y_val: np.ndarray, votes: np.ndarray, recipe: Recipe):
        super().__init__()
        self.x, self.y, self.majority, self.recipe = x_val, y_val, ferplus.majority(votes), recipe

    def on_epoch_end(self, epoch, logs=None):
        probs = self.model.predict(self.x, batch_size=512, verbose=0)
        logs["val_agreement"] = read_figures(probs, self.y, self.majority, None)["agreement"]
        labels, agreement, floor = logs["val_accuracy"], logs["val_agreement"], None
        if self.recipe.has_offsets:
            offsets = fit_offsets(probs, self.y, self.majority, self.recipe.recall_floors, self.recipe.labels_floor)
            served = read_figures(probs, self.y, self.majority, offsets)
            logs["val_served_accuracy"], logs["val_served_agreement"] = served["labels"], served["agreement"]
            if self.recipe.select_by == "served":
                labels, agreement, floor = served["labels"], served["agreement"], self.recipe.labels_floor
        logs["val_selection"] = selection_score(self.recipe.select_by, labels, agreement, floor)


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
        if run_state.end_epoch(self.state, epoch, seconds, logs["val_accuracy"], logs.get("val_selection")):
            weights = the_network(self.model).get_weights()
            run_state.write_atomically(self.out / BEST, lambda path: np.savez(path, *weights))
        run_state.write_atomically(self.out / CHECKPOINT, self.model.save)
        run_state.save_state(self.out, self.state)
        left = self.total_epochs - epoch - 1
        agreement = f", val_agreement {logs['val_agreement']:.4f}" if "val_agreement" in logs else ""
        print(f"epoch {epoch + 1}/{self.total_epochs}: {seconds:.0f} s, val_accuracy {logs['val_accuracy']:.4f}"
              f"{agreement} (best epoch {self.state['best_epoch']}), about {left * seconds / 60:.0f} min left",
              file=sys.stderr, flush=True)
        if self.max_seconds is not None and left and time.time() - self.stretch_start + seconds > self.max_seconds:
            print(f"stopping after epoch {epoch + 1} to stay within --max-minutes; continue with --resume",
                  file=sys.stderr, flush=True)
            self.model.stop_training = True


def fit(args, recipe: Recipe, out: Path, data, state: dict | None) -> None:
    """Train a new run (``state`` None) or continue one, one stretch, until its epochs or --max-minutes end."""
    gpus = gpu_names()
    precision, why, step = choose_precision(args.precision, lambda: network(recipe), recipe.batch_size,
                                            has_gpu=bool(gpus))
    print(f"training with the {keras.backend.backend()} backend, {why}", file=sys.stderr)
    keras.mixed_precision.set_global_policy(precision)
    views, targets, x_val, y_val = training_arrays(data, out, recipe)
    batches = ViewBatches(views, targets, recipe.batch_size, recipe.seed, steps=args.steps_per_epoch,
                          epoch=state["epochs_done"] if state else 0)
    steps = len(batches)
    if step is None and not gpus:
        step = step_seconds(precision, lambda: with_augmentation(network(recipe), recipe), recipe.batch_size, steps=3)

    if state is not None:
        run_state.trim_history(out / HISTORY, state["epochs_done"])
        model = allow_xla(keras.models.load_model(out / CHECKPOINT))
        print(f"resuming after epoch {state['epochs_done']} of {recipe.epochs}", file=sys.stderr)
        if state["epochs_done"]:
            print(f"earlier epochs took {state['train_seconds'] / state['epochs_done']:.0f} s each on average",
                  file=sys.stderr)
    else:
        state = run_state.new_state(recipe, out)
        init = saved_weights(Path(recipe.init_weights)) if recipe.init_weights else None
        model = compile_new_model(recipe, steps, init)
        if init is not None:  # for the card: the width it started from, widened or narrowed to this one
            state["init_width"] = int(init[0].shape[-1])
    if step is not None:
        left = recipe.epochs - state["epochs_done"]
        print(f"about {step * steps:.0f} s an epoch of {steps} steps; {left} epochs to go, about "
              f"{step * steps * left / 60:.0f} min (validation adds a little)", file=sys.stderr, flush=True)
    run_state.begin_stretch(state, machine_name(), precision)
    if args.verbose:
        model.summary(print_fn=lambda line, **_: print(line, file=sys.stderr), expand_nested=True)

    votes = data.split_votes("PublicTest") if data.votes is not None else None
    callbacks = [
        LogLearningRate(),
        *([PeopleAgreement(x_val, y_val.argmax(1), votes, recipe)] if votes is not None else []),
        keras.callbacks.CSVLogger(out / HISTORY, append=state["epochs_done"] > 0),
        SaveProgress(out, state, recipe.epochs, None if args.max_minutes is None else 60 * args.max_minutes),
    ]
    model.fit(batches, validation_data=(x_val, y_val), validation_batch_size=512, epochs=recipe.epochs,
              initial_epoch=state["epochs_done"], callbacks=callbacks, verbose=args.verbose)


# ---------------------------------------------------------------- main

def main(argv=None) -> int:
    args = parse_args(argv)
    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    state = run_state.load_state(out) if args.resume else None
    if state is not None:  # the run's recipe, epochs included (they set the schedule); the machine may change
        recipe = Recipe.from_record(state["args"])
        for name in recipe.given(args):
            print(f"note: this run's {name} is {getattr(recipe, name)}; the one given is ignored", file=sys.stderr)
        if state["epochs_done"] < recipe.epochs and not (out / CHECKPOINT).exists():
            raise SystemExit(f"{out} holds epoch {state['epochs_done']} of {recipe.epochs} but no {CHECKPOINT} to "
                             "continue from")
    else:
        if args.resume:
            print(f"no run to resume in {out}; starting afresh", file=sys.stderr)
        recipe = args.recipe
    keras.utils.set_random_seed(recipe.seed)
    data = load_fer2013(args.data)
    if data.skipped:
        print(f"skipped {data.skipped} unreadable images", file=sys.stderr)
    if state is None or state["epochs_done"] < recipe.epochs:
        fit(args, recipe, out, data, state)
        state = run_state.load_state(out)
    if args.no_export or state["epochs_done"] < recipe.epochs:
        return 0

    from fer_core.training.export import export_and_evaluate  # imports TensorFlow

    keras.mixed_precision.set_global_policy("float32")  # the served model computes in float32
    best = load_weights(network(recipe), out / BEST)
    export_and_evaluate(out, best, data, training=run_state.training_record(state), calibrate=bool(recipe.teacher),
                        recall_floors=recipe.recall_floors, labels_floor=recipe.labels_floor,
                        calibrate_to=recipe.calibrate_to, calibrate_by=recipe.calibrate_by)
    return 0


if __name__ == "__main__":
    sys.exit(main())
