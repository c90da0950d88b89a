"""The tracks a saved queue holds, brought up to date from the library by id (service.moved_tracks).

Pure: a Catalogue (the in-memory track source the recommender takes, shaped as the library index)
stands for the library after a rescan.  The real service, index and player are in
tests/web/test_moved_while_queued.py.
"""

from __future__ import annotations

import dataclasses

from moodspeaker.library.track import Track
from moodspeaker.player.queue import PlayQueue, QueueItem, Retrack
from moodspeaker.recommend.source import Catalogue
from moodspeaker.service.moved_tracks import current_snapshot, current_tracks
from moodspeaker.service.state import Snapshot


def _track(tid: str, where: str, title: str = "") -> Track:
    return Track(tid, f"/music/{where}/{tid}.flac", title or tid, "The Band", peak=0.5)


def test_each_held_track_is_the_librarys_now_in_its_place_with_its_reason_and_start() -> None:
    playing, moved, same, gone = (_track(t, "Unknown Album") for t in ("a", "b", "c", "d"))
    library = Catalogue(
        [
            _track("a", "Journey", "Journey's End"),  # moved and retagged
            dataclasses.replace(_track("b", "Journey"), peak=0.9),
            same,
        ]
    )
    snap = Snapshot(
        current=QueueItem(playing, "calm, for sad", start_s=12.0),
        position_s=12.0,
        queue=(QueueItem(moved, "why b", again=True), QueueItem(same, "why c"), QueueItem(gone, "why d")),
        playing=True,
        picked_for={"a": "sad"},
    )
    now = current_snapshot(snap, library)
    a, b = library.get("a"), library.get("b")
    assert a is not None and b is not None
    assert now.current == QueueItem(a, "calm, for sad", start_s=12.0)
    assert [i.track.location for i in now.queue] == [
        "/music/Journey/b.flac",
        "/music/Unknown Album/c.flac",
        "/music/Unknown Album/d.flac",  # no longer in the library: left as it was (skipped as missing)
    ]
    assert now.queue[0] == QueueItem(b, "why b", again=True)
    assert now.queue[1] is snap.queue[1] and now.queue[2] is snap.queue[2]
    assert (now.position_s, now.playing, now.picked_for) == (12.0, True, {"a": "sad"})

    queue = PlayQueue(snap.queue)  # as Player.retrack brings the player's queue up to date
    swap = Retrack(current_tracks(snap.queue, library))
    queue.replace([swap(i) for i in queue.items()])
    assert queue.items() == list(now.queue)


def test_a_snapshot_the_library_has_nothing_new_for_is_kept_as_it_is() -> None:
    track = _track("a", "Unknown Album")
    snap = Snapshot(current=QueueItem(track), queue=(QueueItem(_track("z", "x")),))
    assert current_snapshot(snap, Catalogue([track])) is snap
    assert current_snapshot(snap, object()) is snap  # a source that cannot look up by id
    assert current_snapshot(Snapshot(), Catalogue([track])) == Snapshot()
