"""The model card's paragraphs on the FER2013 target: what a refit head and post-training fixes reach.

Why a module of its own: the card generator (model_card.py) is near the size limit, and these two
paragraphs read measurement files of their own (`probe_fer2013.json`, `posthoc_fer2013.json`, written by
the commands of the same names) whose wording changes with what they found.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from models.training.card_chain import pct


def probe(result: dict[str, Any] | None, head_mirror: float | None) -> str:
    """A logistic head refit on the frozen features, against the trained head (`head_mirror`: the
    shipped int8 model's FER2013 figure with the mirror pass, as the probe averages face and mirror)."""
    if not result:
        return "(not measured: `python -m models.training.probe_fer2013`)."
    fitted = result["valid_accuracy_fer2013"]
    text = (
        "A logistic-regression head fitted on FER2013Train's original labels on top of the *frozen* features "
        f"of `{Path(result['checkpoint']).parent.name}` (face + mirror, `probe_fer2013.json`) reached "
        f"{pct(fitted)} on FER2013Valid"
    )
    if head_mirror is None:
        return text + "."
    if fitted - head_mirror > 0.01:
        return (
            text
            + f", above the trained head with the mirror pass ({pct(head_mirror)}): the head falls short."
        )
    return (
        text + f", where the trained head with the mirror pass scores {pct(head_mirror)}: the output layer "
        "is not what holds the figure down, the features are."
    )


def posthoc(result: dict[str, Any] | None) -> str:
    """What needs no training (`posthoc_fer2013.json`): the fitted fixes are cross-validated on
    FER2013Valid, so a gain there is one the held-out test set can show."""
    if not result:
        return "(not measured: `python -m models.training.posthoc_fer2013`)."
    one = result["one_pass"]
    parts = [
        f"the mirror pass {pct(result['mirror_pass'])} (a second invoke: over the 1 ms budget)",
        f"per-class offsets on the head's log-probabilities {pct(result['class_offsets_cv'])}",
        f"a logistic regression over both heads' log-probabilities {pct(result['both_heads_logistic_cv'])}",
    ]
    for name, ensemble in result.get("ensembles", {}).items():
        runs = " + ".join(f"`{Path(r).name}`" for r in name.split(" + "))
        parts.append(
            f"averaging {runs} {pct(ensemble['one_pass'])} ({ensemble['models']} invokes; "
            f"{pct(ensemble['mirror_pass'])} with their mirrors)"
        )
    best = max([result["mirror_pass"], result["class_offsets_cv"], result["both_heads_logistic_cv"]]
               + [e["mirror_pass"] for e in result.get("ensembles", {}).values()])  # fmt: skip
    verdict = "none reaches 70 %" if best < 0.70 else "one reaches 70 %: see whether it fits the budget"
    return (
        f"Nothing after training closes the gap (`posthoc_fer2013.json`: float `{Path(result['run']).name}`, "
        f"FER2013Valid, one pass {pct(one)}; the two fitted fixes scored by 5-fold cross-validation): "
        + "; ".join(parts)
        + f". {verdict[0].upper()}{verdict[1:]}."
    )
