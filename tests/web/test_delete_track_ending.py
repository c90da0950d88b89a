"""A track that ends while "delete everything" runs brings no deleted listener back.

Why: the feedback of a play's end (service.feedback) names the listener active when the player
reports it, and the recommender makes a profile it does not know when feedback names it.  A track
that ended (or was cut) after the deletion had begun but before it made the default listener the
active one had its feedback queued for the deleted listener, and the writer thread wrote it after
the profile was deleted: "Sam" was back, with a row of listening from before the deletion (the
page test test_privacy_phone::test_delete_everything_leaves_no_listener_behind failed so, under
load, where the test's 2-second tracks end often).  The deletion now drops the feedback of any play
that ended before it was over, not only what was queued before it began.

The real service (realkit: real player on SDL's dummy driver, real recommender on SQLite).  The
track ends at a chosen point of the deletion: right after the real deletion of Sam's profile, the
real player is told to move on, and the deletion goes on once the feedback writer has handled that
end (no sleep, no timing).
"""

from __future__ import annotations

import sqlite3
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from realkit import RealService, start_service

from moodspeaker.service.events import Event, TrackEnded

pytestmark = pytest.mark.timeout(120)


def _feedback_rows(service: RealService) -> list[tuple[str, str]]:
    with sqlite3.connect(service.data_dir / "recommend.sqlite") as db:
        return [(r[0], r[1]) for r in db.execute("SELECT profile, kind FROM feedback ORDER BY id")]


def _sam_listening(tmp_path: Path) -> RealService:
    """The real service as the privacy page leaves it (the config lists the default listener only),
    Sam the active listener, a track playing."""
    only_default: dict[str, Any] = {"recommend.profiles": ["default"]}
    service = start_service(tmp_path, **only_default)
    try:
        service.control.execute("set_profile", {"profile": "Sam"})
        service.control.execute("play")
        service.wait_for(
            lambda: service.appliance.state()["profile"] == "Sam" and service.appliance.state()["playing"],
            what="Sam listening to a track",
        )
    except BaseException:
        service.appliance.stop()
        raise
    return service


def _assert_no_listener_back(service: RealService) -> None:
    """Once the feedback writer is done: the default listener active and the only one, no feedback."""
    service.appliance._feedback.join()
    assert service.appliance.state()["profile"] == "default"
    assert service.control.profiles() == ["default"], "a deleted listener's profile came back"
    assert _feedback_rows(service) == [], "feedback from before the deletion was written after it"


def test_a_track_ending_during_delete_everything_brings_no_listener_back(tmp_path: Path) -> None:
    service = _sam_listening(tmp_path)
    try:
        appliance = service.appliance
        ended = threading.Event()

        def on_event(event: Event) -> None:
            if isinstance(event, TrackEnded):
                ended.set()

        unsubscribe = service.bus.subscribe(on_event)  # after the appliance's: it has queued its row
        recommender = appliance._recommender
        delete_profile = recommender.delete_profile
        cut: list[str] = []

        def deleting(name: str) -> int:
            n = delete_profile(name)
            if name == "Sam" and not cut:  # the track ends just as Sam's profile is gone
                cut.append(name)
                ended.clear()
                appliance.player.next(skipped=True)
                assert ended.wait(60), "the player never reported the track's end"
                appliance._feedback.join()  # the writer has written (or dropped) that end's row
            return n

        recommender.delete_profile = deleting  # type: ignore[method-assign]  # the real one, then the end
        try:
            service.control.delete_data(None)
        finally:
            unsubscribe()
            recommender.delete_profile = delete_profile  # type: ignore[method-assign]  # put back
        assert cut == ["Sam"]
        _assert_no_listener_back(service)
    finally:
        service.appliance.stop()


def test_a_track_end_read_before_delete_everything_and_queued_after_it_is_dropped(tmp_path: Path) -> None:
    """The other side of the same window: the play's end is read (the listener Sam, the mood) just
    before the deletion begins, and queued for the writer once it is over.  The row kept the deletion
    count of its queuing, not of its reading, so it was written: into nothing the deletion left, but
    Sam's profile was made again for it."""
    service = _sam_listening(tmp_path)
    try:
        appliance = service.appliance
        queue_feedback = appliance._queue_feedback
        deleted: list[bool] = []

        def queued_after_deleting(write: Callable[[], None], since: int | None) -> None:
            if not deleted:  # the first end read: the whole deletion runs before it is queued
                deletion = threading.Thread(target=service.control.delete_data, args=(None,))
                deletion.start()
                deletion.join(60)
                deleted.append(not deletion.is_alive())
            queue_feedback(write, since)

        appliance._queue_feedback = queued_after_deleting  # type: ignore[method-assign]
        try:
            appliance.player.next(skipped=True)  # the track ends (as when it runs out)
            service.wait_for(lambda: deleted, what="the deletion between the end's reading and queuing")
        finally:
            appliance._queue_feedback = queue_feedback  # type: ignore[method-assign]  # put back
        assert deleted == [True], "the deletion did not end while the player reported the track's end"
        _assert_no_listener_back(service)
    finally:
        service.appliance.stop()
