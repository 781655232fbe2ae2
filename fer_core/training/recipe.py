"""What defines a training run, declared once: each field of :class:`Recipe` is a trainer option, with its
default and its help on the command line; ``--resume`` keeps the run's recipe whatever the command line says;
the model card and the runs table word it from the same fields. (Plain Python: no TensorFlow.)"""
from __future__ import annotations

import argparse
from dataclasses import asdict, dataclass, field, fields
from pathlib import Path

from fer_core.labels import EMOTIONS
from fer_core.training.calibrate import CALIBRATION_TARGETS, OBJECTIVES

OPTIMIZERS = ("sgd", "adamw")
PEAK_LR = {"sgd": 0.02, "adamw": 2e-3}
WEIGHT_DECAY = {"sgd": 2e-3, "adamw": 0.02}
# Which PublicTest figure picks the epoch a run keeps; people and both need FER+'s votes.
SELECTION_WORDS = {"labels": "accuracy on the original labels",
                   "people": "agreement with the people's majority",
                   "both": "mean of the accuracy on the original labels and the agreement with the people's majority",
                   "served": "agreement with the people's majority after the class offsets it would ship with"}
OPTIMIZER_WORDS = {"sgd": "SGD with Nesterov momentum 0.9", "adamw": "AdamW"}
CHANGES = "rotation up to about 15 degrees, zoom and shift up to 15% and 10%, contrast"  # networks.augmentation


def selection_score(select_by: str, labels: float, agreement: float | None,
                    labels_floor: float | None = None) -> float:
    """The PublicTest figure ``select_by`` names (see SELECTION_WORDS), from the accuracy on the original labels
    and the agreement with the people's majority: what picks a run's epoch and an ensemble's members. For
    ``served`` the two are those read after the recipe's class offsets (an ensemble's figures always are).

    Figures read after offsets that could not lift the labels to ``labels_floor`` score their accuracy minus 1:
    below every candidate that holds the floor, the nearest to it first. Why: a model that learned mostly from
    the people can agree with them more than any other only because it broke the floor."""
    if labels_floor is not None and labels < labels_floor:
        return labels - 1.0
    return {"labels": labels, "people": agreement, "served": agreement,
            "both": None if agreement is None else (labels + agreement) / 2}[select_by]


def option(default, help: str, **argparse_options):
    return field(default=default, metadata={"help": help, **argparse_options})


VOTES_WORDS = "the share of FER+'s ten annotators who chose each emotion (faces without such votes: the label)"


@dataclass
class Recipe:
    epochs: int = option(60, "epochs of the learning-rate schedule")
    batch_size: int = option(128, "faces a step")
    optimizer: str = option("sgd", "sgd: SGD with Nesterov momentum 0.9; adamw: AdamW", choices=OPTIMIZERS)
    lr: float | None = option(None, "peak learning rate of the cosine schedule (default 0.02 for sgd, 0.002 for "
                                    "adamw)")
    weight_decay: float | None = option(None, "decoupled weight decay (default 0.002 for sgd, 0.02 for adamw; "
                                              "applied as lr x decay per step)")
    warmup_epochs: float = option(2, "epochs of linear warm-up before the cosine decay")
    label_smoothing: float = option(0.0, "label smoothing of the cross-entropy")
    width: int = option(32, "filters of the first stage (the network's size)")
    spatial_dropout: float = option(0.05, "spatial dropout after each conv stage")
    erasing: bool = option(False, "add random erasing to the augmentation")
    votes_weight: float = option(0.0, "share of FER+'s ten votes per face in the label's targets (the rest is the "
                                      "original label); faces without usable votes keep their label")
    labels_kept_for: str | None = option(None, "emotions, comma-separated (e.g. fear,disgust), whose labelled faces "
                                               "keep their label whole, with no votes blended in: the people seldom "
                                               "choose them, so votes teach a network to read those faces as calm")
    select_by: str = option("labels", "the PublicTest figure that picks the epoch a run keeps (and an ensemble's "
                                      "members, with --max-passes): labels (accuracy "
                                      "on the original labels), people (agreement with the people's majority) or "
                                      "both (their mean) or served (agreement after the class offsets that "
                                      "--recall-floor and --labels-floor fit on PublicTest; an epoch they cannot "
                                      "lift to --labels-floor ranks after every one they can); all but labels "
                                      "need FER+'s votes", choices=tuple(SELECTION_WORDS))
    recall_floor: list[str] | None = option(None, "EMOTION=RECALL: keep this emotion's PublicTest recall of the "
                                                  "original labels at least this high by a class offset (e.g. "
                                                  "fear=0.45); repeatable. A calibrated model (an ensemble, a "
                                                  "distilled run) ships with the offsets",
                                            action="append", metavar="EMOTION=RECALL")
    labels_floor: float | None = option(None, "class offsets, fitted on PublicTest, that put accuracy on the "
                                              "original labels at least this high there (e.g. 0.68; stepping back "
                                              "towards the labels where a model starts below it) and agreement with "
                                              "the people's majority as high as that allows, while the recall floors "
                                              "hold; needs FER+'s votes", metavar="ACCURACY")
    seed: int = option(1234, "seed of the weights, the augmentation and the batches")
    teacher: str | None = option(None, "a model folder to distil from (see fer_core.training.distill); the result "
                                       "is calibrated")
    calibrate_to: str = option("majority", "what the temperature of a calibrated model is fitted to on "
                                           "PublicTest: majority (the people's top emotion), votes (their vote "
                                           "distributions) or labels (the original ones); without FER+'s votes, "
                                           "labels", choices=tuple(CALIBRATION_TARGETS))
    calibrate_by: str = option("brier", "what that temperature minimises there: brier (the Brier score) or nll "
                                        "(the negative log-likelihood)", choices=tuple(OBJECTIVES))
    teacher_weight: float = option(0.7, "share of the teacher's probabilities in the targets (the rest is the label)")
    teacher_views: int = option(1, "views of each training face the teacher reads: the face and K-1 augmented "
                                   "copies; with K > 1 the student trains on those views with their own targets, "
                                   "mirrored at random")
    init_weights: str | None = option(None, "start from an earlier run's best.weights.npz or a member's "
                                            "model.keras (the same network, a narrower one widened, or a wider "
                                            "one narrowed to its strongest channels) instead of random weights")

    def __post_init__(self):
        if self.teacher_views < 1 or (self.teacher_views > 1 and not self.teacher):
            raise ValueError("--teacher-views takes a whole number from 1, and more than 1 only with --teacher")
        if not 0.0 <= self.votes_weight <= 1.0:
            raise ValueError(f"the votes' weight must lie in [0, 1]; got {self.votes_weight}")
        if unknown := set(self.kept_emotions) - set(EMOTIONS):
            raise ValueError(f"--labels-kept-for: no emotion named {', '.join(sorted(unknown))}; the emotions: "
                             f"{', '.join(EMOTIONS)}")
        if unknown := set(self.recall_floors) - set(EMOTIONS):
            raise ValueError(f"--recall-floor takes EMOTION=RECALL with one of the emotions: {', '.join(EMOTIONS)}; "
                             f"no emotion named {', '.join(sorted(unknown))}")
        if self.select_by == "served" and not self.has_offsets:
            raise ValueError("--select-by served needs the offsets it would ship with: --recall-floor or "
                             "--labels-floor")
        if not 0.0 <= self.teacher_weight <= 1.0:
            raise ValueError(f"the teacher's weight must lie in [0, 1]; got {self.teacher_weight}")
        self.lr = PEAK_LR[self.optimizer] if self.lr is None else self.lr
        self.weight_decay = WEIGHT_DECAY[self.optimizer] if self.weight_decay is None else self.weight_decay

    # ------------------------------------------------------------ the command line and the run's record

    @classmethod
    def add_arguments(cls, parser: argparse.ArgumentParser, only: tuple[str, ...] | None = None) -> None:
        """One flag per field (or per field named in ``only``): ``--batch-size`` for ``batch_size``. Every
        default is None, so that a command line tells what it set from what it left (a resumed run keeps its
        own)."""
        for f in fields(cls):
            if only is not None and f.name not in only:
                continue
            flag, meta = "--" + f.name.replace("_", "-"), dict(f.metadata)
            meta["help"] += f" (default {f.default})" if f.default is not None else ""
            if f.type == "bool":
                parser.add_argument(flag, action="store_true", default=None, **meta)
            else:
                kind = {"int": int, "float": float}.get(f.type.split(" ")[0], str)
                parser.add_argument(flag, type=kind, default=None, **meta)

    @classmethod
    def from_args(cls, args: argparse.Namespace) -> "Recipe":
        return cls(**{f.name: getattr(args, f.name) for f in fields(cls) if getattr(args, f.name, None) is not None})

    @classmethod
    def from_record(cls, record: dict) -> "Recipe":
        """The recipe of a run's state or of the training record in a metrics.json (other keys are ignored)."""
        names = {f.name for f in fields(cls)}
        return cls(**{k: v for k, v in record.items() if k in names and v is not None})

    def record(self) -> dict:
        return asdict(self)

    def given(self, args: argparse.Namespace) -> list[str]:
        """The options a command line set that differ from this (a resumed run's) recipe."""
        return [f.name for f in fields(self) if getattr(args, f.name) not in (None, getattr(self, f.name))]

    # ------------------------------------------------------------ what it trains on

    def needing_votes(self) -> list[str]:
        """The options this recipe sets that need FER+'s votes in the data."""
        return [option for option, needed in ((f"--votes-weight {self.votes_weight:g}", self.votes_weight),
                                              (f"--select-by {self.select_by}", self.select_by != "labels"),
                                              (f"--labels-floor {self.labels_floor}", self.labels_floor is not None))
                if needed]

    @property
    def recall_floors(self) -> dict[str, float]:
        """``recall_floor`` as emotion: recall; a ValueError naming the entry whose recall is not a number."""
        floors = {}
        for entry in self.recall_floor or ():
            name, _, value = entry.partition("=")
            try:
                floors[name] = float(value)
            except ValueError:
                raise ValueError(f"--recall-floor takes EMOTION=RECALL, e.g. fear=0.45; got {entry!r}") from None
        return floors

    @property
    def has_offsets(self) -> bool:
        """Whether the recipe asks for class offsets (recall floors or a labels floor)."""
        return bool(self.recall_floor) or self.labels_floor is not None

    def offsets_words(self) -> str:
        """The offsets' floors in words: "fear recall at least 0.45, labels at least 67%"."""
        floors = [f"{name} recall at least {value:g}" for name, value in self.recall_floors.items()]
        if self.labels_floor is not None:
            floors.append(f"labels at least {self.labels_floor:.0%}")
        return ", ".join(floors)

    @property
    def kept_emotions(self) -> tuple[str, ...]:
        """The emotions of ``labels_kept_for``, whose labelled faces learn from their label alone."""
        return tuple(name.strip() for name in (self.labels_kept_for or "").split(",") if name.strip())

    @property
    def kept_classes(self) -> tuple[int, ...]:
        return tuple(EMOTIONS.index(name) for name in self.kept_emotions)

    @property
    def flip_only(self) -> bool:
        """Teacher views are augmented copies made once, before training: the training graph only mirrors them,
        since a mirror keeps the teacher's target and any other change would not."""
        return self.teacher_views > 1

    # ------------------------------------------------------------ words, for the card and the runs table

    def summary(self) -> str:
        """One line of the runs table."""
        words = (f"width {self.width}, {self.optimizer} lr {self.lr}, wd {self.weight_decay}, "
                 f"smoothing {self.label_smoothing}, seed {self.seed}")
        if self.erasing:
            words += ", random erasing"
        if self.votes_weight:
            words += f", labels {1 - self.votes_weight:.2g} original + {self.votes_weight:.2g} FER+ votes"
            if self.kept_emotions:
                words += f" ({' and '.join(self.kept_emotions)} faces: the label)"
        if self.select_by != "labels":
            words += f", kept by PublicTest {self.select_by}"
        if self.has_offsets:
            words += f", offsets for {self.offsets_words()}"
        if self.teacher:
            words += f", distilled from {Path(self.teacher).name} (weight {self.teacher_weight})"
            if self.teacher_views > 1:
                words += f" on {self.teacher_views} views a face"
        if self.init_weights:
            words += f", started from run {run_name(self.init_weights)}"
        return words

    def selection_words(self) -> str:
        offsets = f" ({self.offsets_words()})" if self.select_by == "served" else ""
        return f"The epoch with the best PublicTest {SELECTION_WORDS[self.select_by]}{offsets} is kept."

    def labels_words(self) -> str:
        if not self.votes_weight:
            return "with the original FER2013 labels"
        kept = (f"; faces labelled {' or '.join(self.kept_emotions)} keep their label whole"
                if self.kept_emotions else "")
        return (f"with targets of {1 - self.votes_weight:.2g} x the original FER2013 label + "
                f"{self.votes_weight:.2g} x {VOTES_WORDS}{kept}")

    def augmentation_words(self) -> str:
        changes = CHANGES + (", random erasing" if self.erasing else "")
        if self.flip_only:
            return (f"Augmentation: the teacher's views (below) were made once by Keras layers ({changes});\n"
                    "the training graph mirrors each view at random.")
        return f"Augmentation by Keras layers in the training graph: horizontal flip,\n{changes}."

    def architecture_words(self, parameters: int | None, precision: str) -> str:
        return (f"A VGG-style CNN: four stages of two 3x3 convolutions with batch norm and ReLU (width {self.width}\n"
                f"doubling each stage), max pooling and spatial dropout ({self.spatial_dropout}) after each stage, "
                f"one dense layer of\n{8 * self.width} units, softmax. {parameters or 0:,} parameters. "
                f"{OPTIMIZER_WORDS[self.optimizer]} (peak learning rate\n{self.lr}, weight decay {self.weight_decay}), "
                f"cosine decay after {self.warmup_epochs} warm-up\nepochs, label smoothing {self.label_smoothing}, "
                f"batch {self.batch_size}, {precision}\nprecision, seed {self.seed}. {self.augmentation_words()}")

    def teacher_words(self, teacher_sha256: str | None = None) -> str:
        if not self.teacher:
            return ""
        which = f" (its `model.tflite` then had SHA-256 `{teacher_sha256[:16]}…`)" if teacher_sha256 else ""
        views = (f" The teacher read each face and {self.teacher_views - 1} augmented copies of it; each epoch the "
                 "student saw every face as one of those views, picked and mirrored at random, with the teacher's "
                 "probabilities for that view.") if self.teacher_views > 1 else ""
        weight = self.teacher_weight
        target = ("the teacher's calibrated probabilities (its label is not used)" if weight == 1 else
                  f"{1 - weight:.2g} x its label plus {weight:.2g} x the teacher's calibrated probabilities")
        return f"Distilled from `{self.teacher}`{which}: each training face's target is {target}.{views}\n"


def run_name(weights: str) -> str:
    """The run a weights file came from: its folder's name."""
    return Path(weights).parent.name
