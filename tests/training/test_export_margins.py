"""The exporter writes a crop margin per detector, the appliance reads it back, and the shipped
expression.json says what the exporter would write now (it was edited, not re-exported)."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytestmark = pytest.mark.train
pytest.importorskip("tensorflow")

from models.training import export  # noqa: E402

from moodspeaker.vision.expression import load_model_info  # noqa: E402

SHIPPED = Path(__file__).resolve().parents[2] / "models" / "edgetpu" / "expression.json"


def test_exported_metadata_round_trips_the_margin_of_each_detector(tmp_path: Path) -> None:
    meta = export.metadata("notes", outputs=("out:0", None))
    assert meta["crop"] == {
        "margin": 0.08,
        "square": True,
        "margin_by_detector": {"blazeface": 0.08, "haar": 0.0},
    }
    path = tmp_path / export.JSON_FILE
    path.write_text(json.dumps(meta, indent=2) + "\n")
    info = load_model_info(path)
    assert info.crop_margin == export.CROP_MARGIN
    assert {kind: info.margin_for(kind) for kind in ("blazeface", "haar")} == export.CROP_MARGINS


def test_a_description_without_detector_margins_has_one_margin_for_all(tmp_path: Path) -> None:
    """The benchmarks' placeholder (bench/_common.py) names one margin: every detector crops with it."""
    meta = export.describe_model("placeholder", "placeholder.tflite", crop_margin=0.1)
    assert meta["crop"] == {"margin": 0.1, "square": True}
    path = tmp_path / "expression.json"
    path.write_text(json.dumps(meta))
    assert load_model_info(path).margin_for("haar") == 0.1


@pytest.mark.skipif(not SHIPPED.is_file(), reason="no shipped expression model")
def test_shipped_metadata_has_the_crop_the_exporter_writes() -> None:
    shipped = json.loads(SHIPPED.read_text())
    assert shipped["crop"] == export.metadata("")["crop"]
