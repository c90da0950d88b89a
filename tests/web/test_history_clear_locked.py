"""Delete everything on the page with the mood history's file held by another program: one message, no 500.

Why: the page's own clear of its MoodHistory (after the service's deletion) let sqlite3.Error through:
another program writing the file (its lock held past the busy timeout) made delete everything answer
500, the rest of the page's deletion (the listener switched back, the "deleted" message) undone on the
screen though it was done.  And when another program was reading the file, the service's deletion
already said the readings stay in the log (NotScrubbedError naming the file) and the page said it
again with its own words: two messages for one file.  The page then caught the error and named the
file, and said nothing of the file the service's message already named; now the page does not clear
the file again at all (the service's clear is the only one, test_history_cleared_once), and says what
the service's deletion says.  Real SQLite files: a second connection holds a write (BEGIN IMMEDIATE)
or read transaction through the request; the page in front of the real service (realkit).
"""

from __future__ import annotations

import contextlib
import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from realkit import RealService
from webkit import AppPage

from moodspeaker.service import mood_history
from moodspeaker.service.events import MoodObserved
from moodspeaker_web.history import MoodHistory

pytestmark = pytest.mark.timeout(120)

MARK = "zz-locked-mood"


def fill(history: MoodHistory) -> None:
    for i in range(50):
        history.add(
            MoodObserved(ts=1000.0 + 10 * i, mood=MARK, confidence=0.5, valence=0.1, arousal=0.2, face=True)
        )


@contextlib.contextmanager
def holding(path: Path, begin: str) -> Iterator[None]:
    other = sqlite3.connect(path, isolation_level=None)
    with contextlib.closing(other):
        other.execute(begin)
        other.execute("SELECT count(*) FROM mood").fetchall()
        yield
        other.execute("ROLLBACK")


def delete_everything(page: AppPage) -> tuple[int, str]:
    answer = page.client.post(
        "/privacy/delete",
        data={"csrf_token": page.csrf("/privacy"), "confirm": "delete"},
        follow_redirects=True,
    )
    return answer.status_code, answer.get_data(as_text=True)


def marked(page: AppPage) -> int:
    """The readings `fill` wrote that the history still holds (the camera may add its own)."""
    return len([r for r in page.ctx.history.export() if r["mood"] == MARK])


def test_a_writer_locking_the_history_is_said_not_a_500(real_quick: tuple[RealService, AppPage]) -> None:
    service, page = real_quick
    path = page.data_dir / mood_history.FILE_NAME
    fill(page.ctx.history)
    service.wait_for(lambda: service.appliance.state()["now_playing"], what="autoplay")
    assert page.post_json("/api/command", {"command": "like"}).status_code == 200
    assert "like" in json.dumps(service.control.export_data()["profiles"])
    with holding(path, "BEGIN IMMEDIATE"):
        status, text = delete_everything(page)
    assert status == 200, text[:500]
    assert "could not be deleted" in text and str(path) in text, text
    assert "Everything is deleted" in text  # the rest of the deletion is said
    assert "like" not in json.dumps(service.control.export_data()["profiles"])  # and done
    assert marked(page) == 50  # the readings stay: the message is true
    status, text = delete_everything(page)  # once the writer let go, a second try deletes them
    assert status == 200 and "could not be deleted" not in text, text
    assert marked(page) == 0


def test_a_reader_of_the_history_is_said_once(real_quick: tuple[RealService, AppPage]) -> None:
    _service, page = real_quick
    path = page.data_dir / mood_history.FILE_NAME
    fill(page.ctx.history)
    with holding(path, "BEGIN"):
        status, text = delete_everything(page)
    assert status == 200, text[:500]
    assert text.count(mood_history.FILE_NAME) == 1, text  # the service's message names it
    assert "another program reading its file" not in text, text  # the page's own, for the same file
    assert not [r for r in page.ctx.history.export() if r["mood"] == MARK]  # deleted all the same


def test_a_writer_locking_the_history_is_said_once_in_front_of_the_service(
    real_quick: tuple[RealService, AppPage],
) -> None:
    _service, page = real_quick
    path = page.data_dir / mood_history.FILE_NAME
    fill(page.ctx.history)
    with holding(path, "BEGIN IMMEDIATE"):
        status, text = delete_everything(page)
    assert status == 200, text[:500]
    assert text.count("could not be deleted") == 1, text  # the service's, naming the file
    assert text.count(mood_history.FILE_NAME) == 1, text
    assert "Everything is deleted" in text
