"""A command's feedback given as "delete everything" runs brings no deleted listener back.

Why: Like, Dislike, a mood correction, Next and Replay write their feedback on the command's own
thread (service.playback), naming the listener active when the command read it, and the recommender
makes a profile it does not know when feedback names it.  A Like given as the deletion ran (Sam
chosen on the Now tab, someone else pressing Delete everything) was written after Sam's profile was
deleted: Sam was back, with a row of listening from before the deletion.  As for a track's end
(test_delete_track_ending), a command's row is now dropped when a deletion ran since it read the
listener, or was running then; a row being written as the deletion begins is waited for, and
deleted with the rest.  The command still answers as it would have (its row is the one the deletion
deletes).

The real service (realkit: real player on SDL's dummy driver, real recommender on SQLite).  The
commands run at chosen points of the real deletion: right after Sam's profile is deleted, and
(the deletion begun on its own thread) while a Like is writing Sam's row.  No sleep, no timing.
"""

from __future__ import annotations

import sqlite3
import threading
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest
from realkit import RealService, start_service

pytestmark = pytest.mark.timeout(120)

# as the privacy page leaves it: the config lists the default listener only
ONLY_DEFAULT: dict[str, Any] = {"recommend.profiles": ["default"]}


def _feedback_rows(service: RealService) -> list[tuple[str, str]]:
    with sqlite3.connect(service.data_dir / "recommend.sqlite") as db:
        return [(r[0], r[1]) for r in db.execute("SELECT profile, kind FROM feedback ORDER BY id")]


def _sam_listening(service: RealService) -> None:
    appliance = service.appliance
    service.control.execute("set_profile", {"profile": "Sam"})
    service.control.execute("play")
    service.wait_for(
        lambda: appliance.state()["profile"] == "Sam" and appliance.state()["playing"],
        what="Sam listening to a track",
    )


def _nothing_of_sam_left(service: RealService) -> None:
    service.appliance._feedback.join()  # the writer thread's rows (a skipped track's end) too
    assert service.appliance.state()["profile"] == "default"
    assert service.control.profiles() == ["default"], "a deleted listener's profile came back"
    assert _feedback_rows(service) == [], "feedback from before the deletion was written after it"


def test_commands_given_during_delete_everything_bring_no_listener_back(tmp_path: Path) -> None:
    service = start_service(tmp_path, **ONLY_DEFAULT)
    try:
        _sam_listening(service)
        appliance = service.appliance
        recommender = appliance._recommender
        delete_profile = recommender.delete_profile
        given: list[str] = []

        def deleting(name: str) -> int:
            n = delete_profile(name)
            if name == "Sam" and not given:  # the commands come just as Sam's profile is gone
                appliance.like()  # _tell: like
                given.append("like")
                appliance.correct_mood("sad")  # _tell: wrong_mood
                given.append("correct_mood")
                appliance.replay()  # _tell_anyway: replayed
                given.append("replay")
                appliance.next_track()  # _tell_anyway: skip
                given.append("next")
            return n

        recommender.delete_profile = deleting  # type: ignore[method-assign]  # the real one, then commands
        try:
            service.control.delete_data(None)
        finally:
            recommender.delete_profile = delete_profile  # type: ignore[method-assign]  # put back
        assert given == ["like", "correct_mood", "replay", "next"], "each command answered"
        _nothing_of_sam_left(service)
    finally:
        service.appliance.stop()


class _SpiedLock:
    """The appliance's `_feedback_writes`, telling when a thread other than `owner` comes to take it
    (the deletion beginning while the command's write is under way)."""

    def __init__(self, owner: threading.Thread, came: threading.Event) -> None:
        self._lock, self._owner, self._came = threading.Lock(), owner, came

    def __enter__(self) -> _SpiedLock:
        if threading.current_thread() is not self._owner:
            self._came.set()
        self._lock.acquire()
        return self

    def __exit__(self, *exc: type[BaseException] | BaseException | TracebackType | None) -> None:
        self._lock.release()


def test_a_like_being_written_as_delete_everything_begins_is_deleted_with_the_rest(
    tmp_path: Path,
) -> None:
    service = start_service(tmp_path, **ONLY_DEFAULT)
    try:
        _sam_listening(service)
        appliance = service.appliance
        recommender = appliance._recommender
        feedback = recommender.feedback
        go = threading.Event()  # the deletion came to the command's write, or was over without it
        errors: list[BaseException] = []

        def delete_everything() -> None:
            try:
                service.control.delete_data(None)
            except BaseException as exc:  # reported by the test thread
                errors.append(exc)
            finally:
                go.set()

        deletion = threading.Thread(target=delete_everything, name="delete everything")
        started: list[str] = []

        def writing(profile: str, *args: Any, **kwargs: Any) -> None:
            if args[1] == "like" and not started:  # args: track, kind, mood, time
                started.append(profile)
                deletion.start()  # Sam's Like is being written as the deletion begins
                assert go.wait(60), "the deletion neither came to the write nor ended"
            feedback(profile, *args, **kwargs)

        appliance._feedback_writes = _SpiedLock(threading.current_thread(), go)  # type: ignore[assignment]  # a Lock that tells
        recommender.feedback = writing  # type: ignore[method-assign]  # the deletion, then the real one
        try:
            appliance.like()
        finally:
            recommender.feedback = feedback  # type: ignore[method-assign]  # put back
        deletion.join(60)
        assert started == ["Sam"]
        assert not deletion.is_alive() and not errors, errors
        _nothing_of_sam_left(service)
    finally:
        service.appliance.stop()
