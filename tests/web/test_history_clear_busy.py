"""Delete everything's deletion of the mood history says so when a reader kept the readings in the log.

Why: the page's MoodHistory.clear (the privacy page's "delete everything") ignored its scrub's
result (util.sqlitefiles.scrub): with another program reading the file, the checkpoint cannot empty
the -wal, the deleted readings stayed readable there, the page said everything was deleted, and
nothing scrubbed again (the retention scrubs only when readings go).  Now clear keeps the debt in
the file, the next prune scrubs, and the page says what is left.  The clear is the service's now
(service.mood_history.clear_file, the page's own clear is gone: test_history_cleared_once), and what
the page says is the service's message.  A real MoodHistory on SQLite (the page in front of the real
service, realkit, for the page's part); the reader is a real read transaction of a second connection,
held through the deletion (the busy timeouts are shortened: the reader stays all through, no wait
changes the outcome).
"""

from __future__ import annotations

import contextlib
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest
from realkit import RealService, no_busy_wait
from webkit import AppPage

from moodspeaker.service import mood_history
from moodspeaker.service.events import MoodObserved
from moodspeaker_web.history import MoodHistory

OLD = "zz-cleared-mood"


pytestmark = pytest.mark.timeout(120)


@pytest.fixture
def quick(monkeypatch: pytest.MonkeyPatch) -> None:
    """A MoodHistory opened from now on, and the service's clear, give up on a busy log at once."""
    no_busy_wait(monkeypatch)


def fill(history: MoodHistory) -> None:
    for i in range(300):
        history.add(
            MoodObserved(ts=1000.0 + 10 * i, mood=OLD, confidence=0.5, valence=0.1, arousal=0.2, face=True)
        )


def on_disk(path: Path) -> dict[str, int]:
    counts = {p.name: p.read_bytes().count(OLD.encode()) for p in path.parent.glob(f"{path.name}*")}
    return {name: n for name, n in counts.items() if n}


@contextlib.contextmanager
def reading(path: Path) -> Iterator[None]:
    reader = sqlite3.connect(path, isolation_level=None)
    with contextlib.closing(reader):
        reader.execute("BEGIN")
        reader.execute("SELECT count(*) FROM mood").fetchall()  # a read transaction, held
        yield
        reader.execute("ROLLBACK")


def test_a_clear_a_reader_kept_in_the_log_is_scrubbed_by_the_next_prune(tmp_path: Path, quick: None) -> None:
    path = tmp_path / "mood-history.sqlite3"
    history = MoodHistory(path)
    try:
        fill(history)
        assert on_disk(path), "the marker never reached the files: this test shows nothing"
        with reading(path):
            assert mood_history.clear_file(tmp_path) is False  # delete everything's clear
            assert on_disk(path), "the scrub emptied the log all the same: this test shows nothing"
        assert history.count() == 0
        assert history.prune(0.0) == 0  # the page's next retention: nothing older, and it scrubs
        assert on_disk(path) == {}, "the cleared readings are still readable"
        assert mood_history.clear_file(tmp_path) is True
    finally:
        history.close()


def test_the_page_says_the_mood_history_is_still_in_the_log(real_quick: tuple[RealService, AppPage]) -> None:
    _service, page = real_quick
    path = page.data_dir / "mood-history.sqlite3"
    fill(page.ctx.history)
    assert on_disk(path)
    with reading(path):
        answer = page.client.post(
            "/privacy/delete",
            data={"csrf_token": page.csrf("/privacy"), "confirm": "delete"},
            follow_redirects=True,
        )
    assert answer.status_code == 200
    said = answer.get_data(as_text=True)
    assert "another program is reading it" in said and str(path) in said, said  # the service's words
    page.ctx.enforce_retention()  # the page's next retention run
    assert on_disk(path) == {}, "the cleared readings are still readable"
