"""Delete everything on the page clears the mood history once, and no reading from before lands after.

Why: the service's deletion clears the mood history file itself (service.mood_history.clear_file), and
then the page cleared the same file again with its own MoodHistory.clear, only to drop what its
recorder wrote meanwhile: the "mood unknown" reading the service publishes as its deletion ends, and
the samples still queued for the recorder's writer thread.  The page waited at most 2 s for that
writer (HistoryRecorder.flush): a writer slower than that (a busy disk) wrote the queued readings,
from before the deletion, after the clear, and the "deleted" history showed them.  Now the service's
clear tells the MoodHistory of its process (mood_history.kept_here's hook), and what was queued
before it is dropped, not written: one clear, by the service, and nothing from before after it.

The real service (realkit: real player on SDL's dummy driver, real recommender on SQLite) with the
page app in front of it and the page's real MoodHistory file; the camera is off, so no reading comes
after the deletion and the history must be empty.  The recorder's writer is held at a gate (an event
the test sets, no sleep) while samples wait in its queue, as a slow disk holds it.
"""

from __future__ import annotations

import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from realkit import RealService, owned_page_after
from webkit import AppPage

from moodspeaker.service import listeners, mood_history
from moodspeaker.service.events import MoodObserved

pytestmark = pytest.mark.timeout(120)

MARK = "zz-queued-mood"  # a mood name no other reading has


@pytest.fixture
def camera_off(tmp_path: Path) -> Iterator[tuple[RealService, AppPage]]:
    """The real service with its camera off (no reading after the deletion) and the page in front of
    it, once the service's retention run at start has ended (it opens the history file too)."""

    def settled(service: RealService) -> None:
        service.wait_for(lambda: service.appliance.retention.runs >= 1, what="the retention run at start")

    with owned_page_after(tmp_path, settled, **{"camera.enabled": False}) as both:
        yield both


def old_readings(page: AppPage, count: int) -> None:
    """`count` readings from before the deletion, published as the camera's are (10 s apart, so the
    history's spacing keeps each)."""
    for i in range(count):
        page.bus.publish(
            MoodObserved(ts=1000.0 + 10 * i, mood=MARK, confidence=0.9, valence=0.5, arousal=0.2, face=True)
        )


def delete_everything(page: AppPage) -> str:
    answer = page.client.post(
        "/privacy/delete",
        data={"csrf_token": page.csrf("/privacy"), "confirm": "delete"},
        follow_redirects=True,
    )
    assert answer.status_code == 200, answer.get_data(as_text=True)[:500]
    return str(answer.get_data(as_text=True))


def test_readings_queued_before_the_deletion_are_not_written_after_it(
    camera_off: tuple[RealService, AppPage],
) -> None:
    _service, page = camera_off
    history, recorder = page.ctx.history, page.ctx.recorder
    old_readings(page, 3)
    recorder.flush()
    assert history.count() >= 3, "the readings never reached the history: this test shows nothing"

    # the writer, slow as on a busy disk: it took a reading and waits; the others wait in its queue
    gate, holding = threading.Event(), threading.Event()
    add = history.add

    def slow_add(*args: Any, **kwargs: Any) -> bool:
        holding.set()
        assert gate.wait(60), "the test never let the writer go"
        return bool(add(*args, **kwargs))

    history.add = slow_add
    try:
        old_readings(page, 5)
        assert holding.wait(60), "the writer never took a reading"
        said = delete_everything(page)
    finally:
        gate.set()
    recorder.flush()  # what was queued is handled now: written, or dropped
    assert "Everything is deleted" in said
    assert history.export() == []  # neither the queued readings nor the deletion's "mood unknown"
    assert history.count() == 0


def test_the_mood_history_is_cleared_once_by_the_service(
    camera_off: tuple[RealService, AppPage], monkeypatch: pytest.MonkeyPatch
) -> None:
    _service, page = camera_off
    old_readings(page, 4)
    page.ctx.recorder.flush()
    clears: list[Path] = []

    def counted(data_dir: Path) -> bool:
        clears.append(data_dir)
        return mood_history.clear_file(data_dir)

    monkeypatch.setattr(listeners, "clear_mood_history", counted)
    statements: list[str] = []
    page.ctx.history._db.set_trace_callback(statements.append)  # what the page's connection runs
    try:
        said = delete_everything(page)
        page.ctx.recorder.flush()
    finally:
        page.ctx.history._db.set_trace_callback(None)
    assert "Everything is deleted" in said
    assert clears == [page.data_dir]  # the service's clear, once
    assert not [s for s in statements if s.lstrip().upper().startswith("DELETE")], statements  # no other
    assert page.ctx.history.count() == 0
