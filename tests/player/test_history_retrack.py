"""The play history follows a rescan that found files moved (PlayHistory.retrack, queue.Retrack).

Pure.  A replay goes back to an item of the history; before, those kept the Tracks as they were when
they played, paths included, so a replay of a track whose file moved since reopened the old path
and failed as missing.  The real service, library and player are in tests/web/test_replay_moved.py.
"""

from __future__ import annotations

import dataclasses

from moodspeaker.library.track import Track
from moodspeaker.player.deck import Play
from moodspeaker.player.history import PlayHistory
from moodspeaker.player.queue import QueueItem, Retrack


def qi(track_id: str, reason: str = "test") -> QueueItem:
    track = Track(id=track_id, location=f"/music/Old/{track_id}.flac", title=track_id, artist="tone")
    return QueueItem(track, reason)


def moved(item: QueueItem) -> Track:
    return dataclasses.replace(item.track, location=f"/music/New/{item.track.id}.flac")


def test_the_plays_a_replay_goes_back_to_take_the_moved_tracks_in_order_with_their_reasons() -> None:
    history = PlayHistory(lambda _e: None, None)
    a, b, c = qi("a", "why a"), qi("b", "why b"), qi("c", "why c")
    for item in (a, b, c):
        history.began(Play(item))
    before = [at for at, _ in history._started]
    history.retrack(Retrack({"a": moved(a), "c": moved(c)}))
    assert [i.track.location for i in history.started] == [
        "/music/New/a.flac",  # before: /music/Old/a.flac, which is gone
        "/music/Old/b.flac",  # not moved: the same item
        "/music/New/c.flac",
    ]
    assert [i.reason for i in history.started] == ["why a", "why b", "why c"]
    assert history.started[1] is b
    assert [at for at, _ in history._started] == before  # the retention still dates them as before

    history.began(Play(history.started[-1]))  # the current track is "c" again
    choice = history.replay_choice(None, previous_within_s=4.0)
    assert choice is not None and choice[0].track.location == "/music/New/c.flac"


def test_one_item_held_in_two_places_stays_one_item() -> None:
    """The player tells a play's item apart by identity (the item a hang was recorded for, a play
    and the one it continues): one rescan gives the same new item wherever the old one is held."""
    a = qi("a")
    swap = Retrack({"a": moved(a)})
    assert swap(a) is swap(a) and swap(a) is not a
    assert swap(qi("b")).track.location == "/music/Old/b.flac"

    history = PlayHistory(lambda _e: None, None)
    play = Play(a)
    history.began(play)
    history.gave_up(a, "its decoder gave nothing for 30 s (hung?); it was stopped")
    history.retrack(swap)
    play.item = swap(a)  # as Player.retrack swaps the plays on the decks
    history.failed(play.item, "corrupt frame", missing=False)  # the thread is back and fails it
    assert [f["error"] for f in history.failures] == [
        "its decoder gave nothing for 30 s (hung?); it was stopped"  # recorded once, not twice
    ]
