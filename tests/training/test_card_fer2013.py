"""The card's paragraphs on the FER2013 target say what the measurements found, not a fixed verdict.

Why: the probe's sentence used to end "the labels' disagreement, not the output layer, is what holds the
figure down" whatever it measured; a refit head that beat the trained one would still have read so.
"""

from __future__ import annotations

from typing import Any

import pytest

pytestmark = pytest.mark.train
pytest.importorskip("tensorflow")  # the card generator reads run configs through models.training.train

from models.training.card_fer2013 import posthoc, probe  # noqa: E402

PROBE = {"checkpoint": "runs/mbv2-w15/best.keras", "valid_accuracy_fer2013": 0.6834}


def _posthoc(**over: float) -> dict[str, Any]:
    result: dict[str, Any] = {
        "run": "runs/mbv2-w15", "one_pass": 0.6673, "mirror_pass": 0.6828,
        "class_offsets_cv": 0.6636, "both_heads_logistic_cv": 0.6671,
        "ensembles": {
            "runs/mbv2-w15 + runs/mbv2-s5": {"one_pass": 0.6717, "mirror_pass": 0.6802, "models": 2}
        },
    }  # fmt: skip
    result.update(over)
    return result


def test_a_refit_head_level_with_the_trained_one_blames_the_features() -> None:
    text = probe(PROBE, 0.6831)
    assert "of `mbv2-w15` (face + mirror, `probe_fer2013.json`) reached 68.3% on FER2013Valid" in text
    assert text.endswith(
        "scores 68.3%: the output layer is not what holds the figure down, the features are."
    )


def test_a_refit_head_well_above_the_trained_one_says_the_head_falls_short() -> None:
    text = probe(PROBE, 0.65)
    assert "above the trained head with the mirror pass (65.0%): the head falls short" in text
    assert "not what holds" not in text


def test_missing_measurements_name_their_command() -> None:
    assert "probe_fer2013" in probe(None, 0.68) and "posthoc_fer2013" in posthoc(None)
    assert probe(PROBE, None).endswith("reached 68.3% on FER2013Valid.")


def test_posthoc_lists_every_fix_and_the_verdict_follows_the_figures() -> None:
    text = posthoc(_posthoc())
    for words in ("one pass 66.7%", "the mirror pass 68.3%", "per-class offsets on the head's", "66.4%",
                  "both heads' log-probabilities 66.7%", "averaging `mbv2-w15` + `mbv2-s5` 67.2% (2 invokes; "
                  "68.0% with their mirrors)"):  # fmt: skip
        assert words in text
    assert text.endswith("None reaches 70 %.")
    assert posthoc(_posthoc(class_offsets_cv=0.705)).endswith(
        "One reaches 70 %: see whether it fits the budget."
    )
