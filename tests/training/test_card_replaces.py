"""The model card's "It replaces ..." sentence quotes the replaced model as it shipped.

Why: `classifier.flip_average` changed default between models (stage 5 shipped with the mirror pass,
width-1.5 without), so a record names how its model ran on the speaker and the sentence must quote those
figures under that label, not always the mirror-averaged ones.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

pytestmark = pytest.mark.train
pytest.importorskip("tensorflow")  # the card generator reads run configs through models.training.train

from models.training.card_chain import replaced  # noqa: E402
from models.training.card_history import Earlier  # noqa: E402

ROOT = Path(__file__).resolve().parents[2]
NOW = {"accuracy": 0.9, "accuracy_fer2013": 0.7, "neutral_as_sad": 0.05}


def _record(tmp_path: Path, **extra: Any) -> Earlier:
    record = {
        "name": "older", "tflite": "models/edgetpu/expression_int8.tflite", "git_commit": "abcdef1234567",
        "tflite_sha256": "0" * 64, "epochs": 40, "train_minutes": 300,
        "stages": [{"run": "a", "epochs": 40, "learning_rate": 0.001, "best_epoch": 40}],
        "int8": {"accuracy": 0.8111, "accuracy_fer2013": 0.6111, "neutral_as_sad": 0.0711},
        "int8_flip_average": {"accuracy": 0.8222, "accuracy_fer2013": 0.6222, "neutral_as_sad": 0.0722},
        "comparison": None, **extra,
    }  # fmt: skip
    path = tmp_path / "older.json"
    path.write_text(json.dumps(record))
    return Earlier.load(path)


def test_a_record_shipped_without_the_mirror_is_quoted_one_pass(tmp_path: Path) -> None:
    text = replaced(_record(tmp_path, shipped_flip_average=False), NOW, "int8, one pass")
    assert "older as it shipped (int8, one pass) -> this model as it ships (int8, one pass)" in text
    assert "FER+ majority 81.1% -> 90.0%" in text and "original FER2013 labels 61.1% -> 70.0%" in text
    assert "82.2%" not in text


def test_a_record_without_the_key_shipped_with_the_mirror(tmp_path: Path) -> None:
    """Records written before the key (stage 3-5) all shipped with the mirror pass."""
    text = replaced(_record(tmp_path), NOW, "int8, one pass")
    assert "older as it shipped (int8 + mirror) -> " in text
    assert "FER+ majority 82.2% -> 90.0%" in text and "81.1%" not in text


def test_the_committed_records_say_how_their_models_shipped() -> None:
    history = ROOT / "models" / "training" / "history"
    w15, stage5 = Earlier.load(history / "w15.json"), Earlier.load(history / "stage5.json")
    assert w15.shipped[0] == "int8, one pass" and w15.shipped[1]["accuracy_fer2013"] < 0.67
    assert stage5.shipped[0] == "int8 + mirror" and stage5.shipped[1]["accuracy"] > 0.85
