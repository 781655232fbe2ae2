"""The model card (``model.md``) and the runs table, worded from metrics.json so that they never drift from
it; a run's recipe is worded by fer_core.training.recipe."""
from __future__ import annotations

from fer_core.models import ModelMetrics
from fer_core.training.calibrate import OBJECTIVES
from fer_core.training.recipe import VOTES_WORDS, Recipe, run_name
from fer_core.uncertainty import not_sure_when, threshold_rule, when_sure_words


def runs(m: dict) -> list[dict]:
    """The runs table: one row per trained network behind this model (the model itself, or each candidate
    member of an ensemble, and whether PublicTest chose it): recipe, epochs, machines, wall time and PublicTest
    accuracy. PublicTest chose every checkpoint."""
    ensemble = m.get("ensemble")
    if ensemble:
        chosen = {member["model"] for member in ensemble["member_metrics"]}
        return [{**row, "in_ensemble": candidate["model"] in chosen}
                for candidate in ensemble.get("candidates", ensemble["member_metrics"]) for row in runs(candidate)]
    t = m.get("training")
    if not t:
        return []
    # A run that started from another run's weights follows that run's row.
    earlier = runs({"model": run_name(t["init_weights"]), "training": t["init_run"]}) if t.get("init_run") else []
    stretches = t.get("stretches") or []
    return earlier + [{"model": m["model"], "recipe": Recipe.from_record(t).summary(), "epochs": t["epochs"],
             "machines": "; ".join(f"{s['machine']} ({s['precision']}, {s['epochs']} epochs)" for s in stretches)
                         or f"not recorded ({t.get('precision')})",
             "hours": round(t["seconds"] / 3600, 2), "public_test": round(t["best_val_accuracy"], 4)}]


def model_card(m: dict) -> str:
    """The model card, its figures taken from metrics.json so that it never drifts from them."""
    rows = "\n".join(f"| {name} | {c['precision']:.3f} | {c['recall']:.3f} | {c['f1']:.3f} | {c['support']} |"
                     for name, c in m["per_class"].items())
    size_mb = m["file_bytes"].get("model.tflite", 0) / 1e6
    return f"""# Model card: {m['model']}

## What it does
Reads one of seven emotions ({', '.join(m['classes'])}) from a 48x48 grayscale face. Input: raw pixels 0-255,
float32, shape N x 48 x 48 x 1; output: 7 probabilities in that order. Scaling happens inside the model.
{_lead(m)}
## Data
FER2013 (ICML 2013 representation-learning challenge): 35,887 faces found by web image search, 48x48 grayscale.
Trained on `Training` (28,709), model selection on `PublicTest` (3,589), tested once on `PrivateTest`
(3,589), {_labels_words(m)}.

{_recipe_section(m)}
## Results on {m['test_split']} ({m['test_images']:,} faces)
| figure | value |
|---|---|
| accuracy | {m['accuracy']:.2%} |
| accuracy with test-time augmentation ({m['tta']}) | {m['accuracy_tta']:.2%} |
| macro F1 | {m['macro_f1']:.3f} |
| PublicTest accuracy (validation) | {m['val_accuracy'] or 0:.2%} |
| per-face latency through the engine, {m['machine']} | p50 {m['latency_ms_per_face']['p50']} ms, p95 {m['latency_ms_per_face']['p95']} ms |
| model.tflite | {size_mb:.1f} MB |

| class | precision | recall | F1 | support |
|---|---|---|---|---|
{rows}

{_calibration_section(m)}
{_uncertainty_section(m.get('uncertainty'))}{_people_section(m)}
{_runs_section(m.get('runs'))}
Reproduce: `python -m fer_core.training.evaluate --data PATH/fer2013.npz --model models/{m['model']}`.

## Limits
- FER2013's faces come from web searches: mostly adults, more light-skinned faces than the world has,
  many posed or exaggerated expressions. Expect lower accuracy on spontaneous, subtle expressions.
- Disgust has 436 training faces (1.5%) and is recognised poorly; fear and sad are often confused.
- The labels themselves are noisy: people agree with FER2013's labels about 65% of the time.
- 48x48 grayscale: no colour and little detail; faces far from frontal or half hidden are read poorly.
- It reads facial expressions, not feelings. Do not use it to make decisions about people.
"""


def _recipe_section(m: dict) -> str:
    e = m.get("ensemble")
    if e and len(e["members"]) == 1:  # one network, calibrated on its own: its run's recipe is the story
        member = e["member_metrics"][0]
        return (_training_words({**member, "parameters": m.get("parameters")}, f" as run `{member['model']}`")
                + f"Then calibrated (below); everything is inside one LiteRT graph.\nBuilt with {_built_with(m)}.\n")
    if e:
        members = "\n".join(f"| {k['model']} | {k.get('parameters') or 0:,} | {k['val_accuracy']:.2%} | "
                            f"{k['accuracy']:.2%} |" for k in e["member_metrics"])
        return f"""## Architecture
An ensemble of {len(e['members'])} independently trained networks, {m.get('parameters') or 0:,} parameters in all.
Each reads the face{' and its mirror image' if e['mirror'] else ''}; their probabilities are averaged, then
calibrated (below). Everything is inside one LiteRT graph: one call returns the calibrated probabilities.
Built with {_built_with(m)}.

| member | parameters | PublicTest | PrivateTest (alone, no mirror) |
|---|---|---|---|
{members}
"""
    return _training_words(m)


def _built_with(m: dict) -> str:
    e = m["ensemble"]
    command = e.get("command") or f"--members {' '.join(e['members'])}"
    return f"`python -m fer_core.training.ensemble --data PATH/fer2013.npz {command} --out models/{m['model']}`"


def _training_words(m: dict, run: str = "") -> str:
    t = m.get("training") or {}
    recipe = Recipe.from_record(t)
    return f"""## Architecture and recipe
{recipe.architecture_words(m.get('parameters'), t.get('precision', '?'))}
{recipe.selection_words()} Trained for {t.get('epochs', '?')} epochs in {t.get('seconds', 0) / 3600:.1f} h{run}
(see the runs below).
{_init_sentence(t)}{recipe.teacher_words(t.get('teacher_sha256'))}"""


def _init_sentence(t: dict) -> str:
    if not t.get("init_weights"):
        return ""
    which = f" (SHA-256 `{t['init_sha256'][:16]}…`)" if t.get("init_sha256") else ""
    row = ", and that run has its own row below" if t.get("init_run") else ""
    earlier, width = t.get("init_width") or t.get("init_run", {}).get("width"), t.get("width")
    resized = ""
    if earlier and width and earlier < width:
        resized = (f" Those were width {earlier}, widened to {width}: the new channels started at no effect on "
                   "the output.")
    elif earlier and width and earlier > width:
        resized = (f" Those were width {earlier}, narrowed to {width}: each layer kept the channels its batch "
                   "norm scaled most.")
    return (f"It started from the best weights of run `{run_name(t['init_weights'])}`{which}, not from random "
            f"ones; the epochs and hours here count this run alone{row}.{resized}\n")


def _calibration_section(m: dict) -> str:
    c, r = m.get("calibration"), m.get("reliability")
    if not r:
        return ""
    if c:
        after = c["private_test"]
        fitted_by = OBJECTIVES[c.get("objective", "nll")]  # models calibrated before the Brier score: the NLL
        text = (f"The probabilities are divided in log space by a temperature of {c['temperature']:.2f}, fitted on "
                f"{c['fitted_on']}\nby the lowest {fitted_by}, and baked into the graph. On PrivateTest it moved the "
                f"NLL from {after['nll_before']:.3f} to {after['nll_after']:.3f}\nand the expected calibration error "
                f"({c['bins']} bins) from {after['ece_before']:.3f} to {after['ece_after']:.3f}."
                + (f" Against the people's majority, from {after['people_ece_before']:.3f} to "
                   f"{after['people_ece_after']:.3f}." if "people_ece_after" in after else "")
                + _class_bias_sentence(c) + _lean_sentence(c))
    else:
        text = (f"Not calibrated. On PrivateTest: expected calibration error ({r['bins']} bins) {r['ece']:.3f}, "
                f"NLL {r['nll']:.3f}.")
    return f"## Calibration\n{text}{_chance_sentence(r, m['test_images'])}\n"


def _class_bias_sentence(c: dict) -> str:
    if not c.get("class_bias"):
        return ""
    floors = c["recall_floors"]
    kept = ", ".join(f"{name} {f'+{bias:.2f}' if bias else 'none needed'} (PublicTest recall "
                     f"{floors[name]['public_test']:.1%}, floor {floors[name]['floor']:.0%})"
                     for name, bias in c["class_bias"].items())
    return (f"\nBefore the temperature, offsets to the log-probabilities keep emotions that people rarely choose "
            f"readable on the original labels: {kept}.")


def _lean_sentence(c: dict) -> str:
    lean = c.get("people_lean")
    if not lean:
        return ""
    public = lean["public_test"]
    short = public["labels_after"] < lean["labels_floor"]
    if not lean["offsets"]:
        if short:
            return (f"\nNo class offset could lift PublicTest accuracy on FER2013's labels from "
                    f"{public['labels_before']:.1%} towards its floor of {lean['labels_floor']:.1%}.")
        return (f"\nNo offset towards the people raised PublicTest agreement with their majority while keeping "
                f"accuracy on FER2013's labels there at least {lean['labels_floor']:.0%}.")
    moved = ", ".join(f"{name} {offset:+.2f}" for name, offset in lean["offsets"].items())
    if public["labels_after"] > public["labels_before"]:  # a model that learned mostly from the people
        reached = "but short of" if short else "up to"
        return (f"\nThen offsets back towards FER2013's labels ({moved}) brought PublicTest accuracy on them from "
                f"{public['labels_before']:.1%} to {public['labels_after']:.1%}, {reached} its floor of "
                f"{lean['labels_floor']:.1%}, while agreement with the people's majority went from "
                f"{public['agreement_before']:.1%} to {public['agreement_after']:.1%}.")
    return (f"\nThen offsets that lean towards the people ({moved}) raised PublicTest agreement with their majority "
            f"from {public['agreement_before']:.1%} to {public['agreement_after']:.1%}, while accuracy on FER2013's "
            f"labels there stayed at least {lean['labels_floor']:.0%} (from {public['labels_before']:.1%} to "
            f"{public['labels_after']:.1%}).")


def _chance_sentence(r: dict, faces: int) -> str:
    chance = r.get("ece_by_chance")
    if not chance:
        return ""
    return (f"\nA perfectly honest model with the same confidences would still measure an ECE of about "
            f"{chance['mean']:.3f}\n(95th percentile {chance['p95']:.3f}) on {faces:,} faces, by chance alone.")


def _runs_section(rows: list[dict] | None) -> str:
    if not rows:
        return ""
    ensemble = "in_ensemble" in rows[0]
    lines = "\n".join(f"| {r['model']} | {r['recipe']} | {r['epochs']} | {r['machines']} | {r['hours']:.1f} | "
                       f"{r['public_test']:.2%} |" + (f" {'yes' if r['in_ensemble'] else 'no'} |" if ensemble else "")
                       for r in rows)
    return f"""## Training runs
| network | recipe | epochs | machines (precision, epochs) | hours | best PublicTest |{' in the ensemble |' * ensemble}
|---|---|---|---|---|---|{'---|' * ensemble}
{lines}
"""


def _labels_words(m: dict) -> str:
    """What the model learned from: its own recipe's labels, or, for an ensemble, its members' (each named where
    they differ)."""
    members = [k for k in (m.get("ensemble") or {}).get("member_metrics") or [] if k.get("training")]
    if m.get("training") or not members:
        return Recipe.from_record(m.get("training") or {}).labels_words()
    recipes = {k["model"]: Recipe.from_record(k["training"]) for k in members}
    weights = {name: r.votes_weight for name, r in recipes.items()}
    if len(set(weights.values())) == 1:
        return next(iter(recipes.values())).labels_words()
    shares = ", ".join(f"{w:.2g} for {name}" for name, w in weights.items())
    kept = "".join(f"; for {name}, faces labelled {' or '.join(r.kept_emotions)} keep their label whole"
                   for name, r in recipes.items() if r.kept_emotions)
    return f"with targets that blend the original FER2013 label and {VOTES_WORDS}, the votes weighing {shares}{kept}"


def _lead(m: dict) -> str:
    """The card's first figure: agreement with people where it was measured."""
    words = ModelMetrics.from_json(m).agreement_words
    if not words:
        return ""
    return (f"\n**{words}** On FER2013's original labels, for comparison with papers: {m['accuracy']:.2%}. "
            "(PrivateTest; the people are FER+'s ten annotators a face.)\n")


def _people_section(m: dict) -> str:
    p = m.get("people")
    if not p:
        return ""
    share = {k: "no face" if p[k] is None else f"{p[k]:.1%}" for k in (
        "agreement", "agreement_on_neutral", "not_sure_where_people_agree", "not_sure_where_people_split")}
    ece = "n/a" if p["ece"] is None else f"{p['ece']:.3f}"
    typed = ModelMetrics.from_json(m)
    mix_up = f" {typed.confusion_words('people')}" if p.get("confusion_matrix") else ""
    clear = f" {typed.clear_faces_words}" if typed.clear_faces_words else ""
    return f"""## Against the people (FER+'s ten votes per face)
On the {p['faces']:,} PrivateTest faces whose most-voted emotion is one of ours, the model's top emotion is the
people's on {share['agreement']}; on the {p['neutral_faces']:,} they call neutral, {share['agreement_on_neutral']}. It
says "not sure" on {share['not_sure_where_people_agree']} of the faces where 8 or more of 10 agree, and on
{share['not_sure_where_people_split']} of those where no emotion has half the votes. Calibration error against
the people's majority: {ece}.{mix_up}{clear}
{_by_emotion(p.get('agreement_by_emotion'))}"""


def _by_emotion(rates: dict | None) -> str:
    if not rates:
        return ""
    cells = " | ".join("n/a" if v is None else f"{v:.1%}" for v in rates.values())
    return f"""
| the people's majority | {' | '.join(rates)} |
|---|{'---|' * len(rates)}
| the model agrees | {cells} |
"""


def _uncertainty_section(u: dict | None) -> str:
    if not u:
        return ""
    return f"""## "Not sure"
A face reads "not sure: A or B?" instead of a label when {not_sure_when(u['threshold'])}.
The threshold was chosen on {u['chosen_on']}, as {threshold_rule(u)}.
On PrivateTest the model is sure of {u['private_test']['coverage']:.1%} of faces,
{when_sure_words(u['private_test'], 1)}.

"""


