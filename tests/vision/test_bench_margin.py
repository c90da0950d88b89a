"""bench/bench_frame_pipeline.py crops each face with the margin the model's metadata gives for the
detector benchmarked (`crop.margin_by_detector`), as the appliance's VisionPipeline does.

It cropped with `crop.margin` (BlazeFace's 8 %) for every detector, so `--detector haar` timed, and
classified, crops framed unlike the ones the model was trained on for Haar's boxes (no margin).  The
real benchmark runs a few frames with the real Haar cascade and shipped model; only its crop_face is
wrapped to see the margin it is given.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from moodspeaker.vision import faces
from moodspeaker.vision.expression import default_model_json, load_model_info

BENCH = Path(__file__).resolve().parents[2] / "bench" / "bench_frame_pipeline.py"


def _bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_frame_pipeline_margin", BENCH)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.mark.skipif(not default_model_json().is_file(), reason="no shipped expression model")
@pytest.mark.parametrize("detector", ["haar", "blazeface"])
def test_the_bench_crops_with_the_detectors_margin(
    detector: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("skimage.data")
    bench = _bench()
    margins: list[float] = []

    def recording_crop(frame: Any, face: Any, margin: float, size: int | None = None) -> Any:
        margins.append(margin)
        return faces.crop_face(frame, face, margin, size)

    monkeypatch.setattr(bench, "crop_face", recording_crop)
    monkeypatch.setattr(sys, "argv", ["bench_frame_pipeline.py", "--frames", "30", "--detector", detector])
    bench.main()
    info = load_model_info(default_model_json())
    want = info.margin_for(detector)
    assert margins, f"the {detector} detector found no face in the bench's frames"
    got = sorted(set(margins))
    assert got == [want], f"cropped with {got}; the model wants {want} around {detector}'s boxes"
    assert "frames with a face" in capsys.readouterr().out
