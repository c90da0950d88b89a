"""The Health tab's Parts, in real headless Chromium in front of the real service.

Why: a newcomer's QA found two things.  The recommender's status ("Recommender ready") showed twice:
once as the part `recommender` under Parts and again under More, from the snapshot's top-level
`recommender` (kept for MQTT's readers), which says the same as the part's detail.  And the camera
showed a bare "ok" with the demo's face replay feeding the mood: a listener could not tell a
scripted face from a real camera.  The camera's detail now names its source (the demo's FaceReplay
here, the real one `moodspeaker demo` uses without a webcam).  Likewise `inference_restarts`: the
snapshot carries it at the top for MQTT's stats (0 included), and under Counters from the first
restart on; the page showed it under More too (twice after a restart, and a bare 0 before).
"""

from __future__ import annotations

import threading
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from browserkit import claim, needs_chromium, phone_page, watch
from realkit import RealService, served

from moodspeaker.demo.faces import FaceReplay
from moodspeaker.vision.pipeline import Observation

if TYPE_CHECKING:  # Playwright is optional at run time (these tests skip without it)
    from playwright.sync_api import Browser, Locator, Page

pytest.importorskip("playwright.sync_api")

pytestmark = [needs_chromium, pytest.mark.timeout(240)]


def part(page: Page, name: str) -> Locator:
    """Every row of the page's tables whose heading is exactly `name` (as the snapshot spells it)."""
    return page.locator(f"xpath=//tr[th[normalize-space(.)='{name}']]")


def ready(service: RealService) -> bool:
    """A frame captured (so the source is open) and a queue planned."""
    snapshot = service.appliance.health_snapshot()
    recommender = snapshot["components"].get("recommender") or {}
    return "capture" in snapshot["stages"] and recommender.get("state") == "ok"


def test_the_recommender_shows_once_and_the_camera_names_its_source(tmp_path: Path, browser: Browser) -> None:
    with served(tmp_path, make_source=FaceReplay) as (service, server):
        service.wait_for(lambda: ready(service), what="the face replay to be read and the queue planned")
        status = service.appliance.health_snapshot()["components"]["recommender"]["detail"]
        assert status, "the recommender's part says how it is"
        context, page = phone_page(browser)
        try:
            problems = watch(page)
            claim(page, server.url, service.data_dir)
            page.click("nav >> text=Health")
            page.wait_for_url("**/health")
            recommender = part(page, "recommender")
            assert recommender.count() == 1, "the recommender is one part, shown once"
            assert status in (recommender.text_content() or "")
            assert (page.locator("main").text_content() or "").count(status) == 1

            camera = part(page, "camera")
            assert camera.count() == 1
            assert camera.locator(".badge").text_content() == "ok"
            cell = " ".join((camera.locator("td").text_content() or "").split())
            assert cell == "ok face replay", "the camera says which source feeds the mood"
            assert problems == []
        finally:
            context.close()


class StuckOnce:
    """A vision pipeline (nobody in view) whose first step of all hangs until `release`, as a wedged
    accelerator does: the watchdog abandons it and restarts the stage with a new one, which runs."""

    def __init__(self, hung: threading.Event, release: threading.Event) -> None:
        self.hung, self.release = hung, release

    def step(self, frame: np.ndarray, now: float) -> Observation:
        if not self.hung.is_set():
            self.hung.set()
            self.release.wait(60)
        return Observation(False, None, timings={"detect": 0.002})


def test_inference_restarts_show_once(tmp_path: Path, browser: Browser) -> None:
    hung, release = threading.Event(), threading.Event()
    # 2 s: the hung step is found soon; one slowed by a busy machine may be restarted too (any count)
    changes: dict[str, Any] = {"classifier.stuck_timeout_s": 2.0}
    with served(tmp_path, make_pipeline=lambda: StuckOnce(hung, release), **changes) as (service, server):
        try:
            service.wait_for(lambda: service.appliance.watchdog.restarts >= 1, what="the watchdog's restart")
        finally:
            release.set()  # the abandoned step ends (its late result is dropped)
        snapshot = service.appliance.health_snapshot()  # the count at the top and under counters
        assert snapshot["inference_restarts"] >= 1 and snapshot["counters"]["inference_restarts"] >= 1
        context, page = phone_page(browser)
        try:
            problems = watch(page)
            claim(page, server.url, service.data_dir)
            page.click("nav >> text=Health")
            page.wait_for_url("**/health")
            restarts = part(page, "inference restarts")  # the page's heading for the key
            assert restarts.count() == 1, "the restarts are one count, shown once"
            assert int((restarts.locator("td").text_content() or "").strip()) >= 1
            assert (
                page.locator("section", has=page.locator("h2", has_text="Parts"))
                .locator("xpath=.//tr[th[normalize-space(.)='inference restarts']]")
                .count()
                == 1
            ), "under Counters, in Parts"
            assert problems == []
        finally:
            context.close()
