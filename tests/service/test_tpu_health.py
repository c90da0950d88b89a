"""Health's `tpu` follows the classifier in use: the classifier falls back to the CPU by itself when the
Edge TPU fails while running, and the appliance says so once (health + ErrorReported), and again when a
restarted pipeline is back on the TPU.

The classifier here is the scripted stage's: only its `backend` / `fallback_reason` (the contract the
real TFLite classifier keeps) matter. The real classifier with a TPU interpreter that dies is in
tests/stress/test_stress_device_faults.py.
"""

from __future__ import annotations

from pathlib import Path

from servicekit import Script, ScriptPipeline, ScriptSource, config, make_tracks, wait_for

from moodspeaker.recommend.hybrid import Recommender
from moodspeaker.recommend.source import Catalogue
from moodspeaker.service.app import Appliance, Parts
from moodspeaker.service.component_states import ComponentState
from moodspeaker.service.events import ErrorReported, Event, EventBus


class Classifier:
    backend = "edgetpu"
    fallback_reason: str | None = None


class PipelineWithClassifier(ScriptPipeline):
    def __init__(self, script: Script, classifier: Classifier) -> None:
        super().__init__(script)
        self.classifier = classifier


def test_health_follows_the_classifier_backend_and_reports_each_change(tmp_path: Path) -> None:
    cfg = config(tmp_path / "data", **{"classifier.type": "edgetpu"})
    script, classifier = Script("happy"), Classifier()
    parts = Parts(
        make_source=lambda: ScriptSource(script),
        make_pipeline=lambda: PipelineWithClassifier(script, classifier),
        recommender=Recommender.from_config(cfg, Catalogue(make_tracks(tmp_path))),
        states={"tpu": (ComponentState.OK, "edgetpu")},
    )
    bus = EventBus()
    events: list[Event] = []
    bus.subscribe(events.append)
    app = Appliance(cfg, bus, parts, tmp_path / "data")

    def tpu() -> dict[str, str]:
        component: dict[str, str] = app.health_snapshot()["components"]["tpu"]
        return component

    def reported() -> list[str]:
        return [e.message for e in events if isinstance(e, ErrorReported) and e.component == "tpu"]

    app.start()
    try:
        wait_for(lambda: app.stage.frames >= 3, what="classifications")
        assert tpu()["state"] == "ok" and reported() == []  # the start-up state is not a change
        classifier.backend = "cpu"
        classifier.fallback_reason = "the Edge TPU failed while running (USB transfer error); using the CPU"
        wait_for(lambda: tpu()["state"] == "fallback", what="health saying fallback")
        assert "failed while running" in tpu()["detail"]
        frames = app.stage.frames
        wait_for(lambda: app.stage.frames >= frames + 3, what="more classifications")
        assert reported() == [f"the Edge TPU is not used: {classifier.fallback_reason}"]  # once
        classifier.backend = "edgetpu"  # e.g. a watchdog restart built a classifier on the TPU again
        wait_for(lambda: len(reported()) == 2, what="the return to the TPU reported")
        assert tpu()["state"] == "ok" and reported()[1] == "the Edge TPU is used again"
    finally:
        app.stop()
