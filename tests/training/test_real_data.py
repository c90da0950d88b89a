"""On the real FER+ data (skipped with the reason when $MOODSPEAKER_DATA is absent)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from moodspeaker.cli import main
from moodspeaker.evaluation.ferplus import load_split, majority_labels, soft_targets

SHIPPED = Path(__file__).resolve().parents[2] / "models" / "edgetpu" / "expression.json"

pytestmark = pytest.mark.needs_data


def test_real_valid_labels_parse(datasets: Path) -> None:
    split = load_split(datasets / "ferplus" / "FER2013Valid", with_images=False)
    assert len(split.names) == 3424
    majority = majority_labels(split.votes)
    assert 2900 < int((majority >= 0).sum()) < 3424  # Barsoum's filter leaves out ambiguous faces
    _, keep = soft_targets(split.votes)
    assert keep.sum() > 3300


@pytest.mark.skipif(not SHIPPED.is_file(), reason="no shipped expression model yet")
def test_eval_faces_on_real_valid_split(datasets: Path, capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["eval-faces", "--data", str(datasets / "ferplus"), "--limit", "300", "--json"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["split"].endswith("FER2013Valid") and report["images"] == 300
    assert 0.0 <= report["accuracy"] <= 1.0 and report["accuracy_fer2013"] is not None
    assert report["original_labels"].endswith("fer2013_original_labels.csv")
    assert np.asarray(report["confusion"]["matrix"]).sum() == report["count"]
