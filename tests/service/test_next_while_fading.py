"""A Next on a track whose skip was recorded already (the same play of it) records nothing more.

A soak's burst of Nexts stored three skip rows for one track: after a Next with nothing queued the
skipped track fades out and the player still shows it, playing, as current, and each further Next
recorded its skip again, so a quick double Next on a track heard past BARELY_HEARD_S counted its
evidence twice.  Now such a Next still moves on but writes no row; the next track's Next (a new
play) records its own.  The same holds for two Nexts given before the player got to the first
(a busy player, or the page and MQTT at once): one row.

The real appliance (player on SDL's dummy driver, recommender on SQLite); automatic picks are off
("off" strategy) so that the queue is the test's: empty, or holding the track that follows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from servicekit import HeldPlayer, Script, build_on, started, wait_for
from test_next_burst import library, rows

from moodspeaker.library.track import Track
from moodspeaker.player.queue import QueueItem
from moodspeaker.recommend.feedback import BARELY_HEARD_S
from moodspeaker.service import core
from moodspeaker.service.app import Appliance
from moodspeaker.service.events import Event, TrackEnded

pytestmark = pytest.mark.timeout(150)

#: the fade of a Next, far longer than the test's commands take (the tracks last 30 s)
FADE_S = 10.0


@contextmanager
def playing(tmp_path: Path, *upcoming: int) -> Iterator[tuple[Appliance, list[Track], list[Event]]]:
    """The appliance playing the library's first track, heard past BARELY_HEARD_S, with the tracks
    `upcoming` (indexes into the library) queued after it, and the events it publishes."""
    tracks = library(tmp_path)
    changes = {"recommend.strategy": "off", "player.switch_fade_s": FADE_S}
    app, bus = build_on(tracks, tmp_path, Script("happy"), **changes)
    with started(app, bus) as (_app, _api, events):
        app.player.set_queue([QueueItem(tracks[i]) for i in (0, *upcoming)])
        app.player.play()
        wait_for(
            lambda: shown(app) == tracks[0].id and app.player.status().position_s > BARELY_HEARD_S + 0.5,
            what=f"the first track heard for {BARELY_HEARD_S + 0.5} s",
        )
        yield app, tracks, events


def shown(app: Appliance) -> str | None:
    """The track the player shows as current while playing (None when not playing)."""
    status = app.player.status()
    return status.current.track.id if status.state == "playing" and status.current else None


def skipped(app: Appliance) -> list[str]:
    return [tid for tid, _, _ in rows(app, "skip")]


def test_a_next_again_while_the_skipped_track_fades_out_records_nothing_more(tmp_path: Path) -> None:
    with playing(tmp_path) as (app, tracks, events):
        x, y = tracks[0].id, tracks[1].id
        app.next_track()  # nothing queued: x fades out over FADE_S
        assert shown(app) == x  # the premise: x is still shown, playing
        app.next_track()  # pressed again on the same play of x
        assert skipped(app) == [x]  # one row (before the fix: two)
        wait_for(lambda: any(isinstance(e, TrackEnded) and e.track_id == x for e in events), what="x's end")
        app.player.set_queue([QueueItem(tracks[1])])
        app.player.play()
        wait_for(lambda: shown(app) == y, what="the next track")
        app.next_track()  # a new track: its Next records its own skip
        assert skipped(app) == [x, y]
        ends = [(e.track_id, e.skipped) for e in events if isinstance(e, TrackEnded)]
        assert ends[0] == (x, True), ends  # x's end announced as skipped, and not recorded again
        wait_for(lambda: not app._feedback_pending(), what="the feedback written")
    assert skipped(app) == [x, y]


def test_two_nexts_before_the_player_runs_the_first_record_one_skip(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(core, "PLAYER_WAIT_S", 0.05)  # the player is held however long the wait is
    with playing(tmp_path, 1) as (app, tracks, _events):
        x, y = tracks[0].id, tracks[1].id
        held = HeldPlayer(app)
        try:
            app.next_track()  # answered as pending: the player has not moved on yet
            assert shown(app) == x  # the premise: the second Next is also given on x
            app.next_track()
        finally:
            held.release()
        wait_for(lambda: shown(app) == y, what="the next track")
        assert app.player.wait_idle(30), "the player never ran the Nexts"
        assert shown(app) == y  # the second Next, on x, did not skip y as well
        assert skipped(app) == [x]  # one row (before the fix: two)
