"""The notes of the picks (service.picked): dated explanations, what state.json keeps, the retention.

Why: from a retention run on, an explanation is reported only while the notes say it was made at or
after the cut-off (service.forget).  A track can be held twice with two explanations (a one-track
library queues its only track again while it plays), and the item playing can be older than its
track's latest note (a plan made from a status just outdated): an explanation is dated by track and
text, so neither loses nor keeps one by the other's time.
"""

from __future__ import annotations

from moodspeaker.library.track import Track
from moodspeaker.player.queue import QueueItem
from moodspeaker.service.picked import PickedFor


def _item(track_id: str, reason: str, again: bool = False) -> QueueItem:
    track = Track(id=track_id, location=f"/music/{track_id}.flac", title=track_id, artist="A")
    return QueueItem(track, reason, again)


def test_a_track_queued_again_keeps_both_explanations_dated() -> None:
    picked = PickedFor()
    playing = _item("only", "you look happy (80% sure)")
    picked.remember([playing], "happy", 100.0)
    repeat = _item("only", "you look happy (95% sure)", again=True)
    picked.remember([repeat], "happy", 200.0)
    assert picked.made_since("only", playing.reason, 100.0)  # not taken for the repeat's
    assert not picked.made_since("only", playing.reason, 150.0)  # nor given the repeat's time
    assert picked.made_since("only", repeat.reason, 150.0)
    assert picked.forget_before(150.0) == 0  # the track's note (200) stays...
    assert not picked.made_since("only", playing.reason, 0.0)  # ...the older explanation's time goes


def test_the_saved_time_is_the_held_explanation_s_and_unknown_ones_expire() -> None:
    picked = PickedFor()
    old = _item("a", "you look sad (70% sure)")
    picked.remember([old, _item("b", "you look sad (70% sure)")], "sad", 100.0)
    picked.remember([_item("a", "you look happy (90% sure)")], "happy", 200.0)  # dropped by the player
    moods, times = picked.saved([old, _item("b", "you look sad (70% sure)")])
    assert moods == {"a": "happy", "b": "sad"}
    assert times == {"a": 100.0, "b": 100.0}  # a: the time of the explanation held, not of the note

    restored = PickedFor()
    restored.restore([old], {"a": "happy", "c": "calm"}, {"a": 100.0})  # c: saved without a time
    assert restored.made_since("a", old.reason, 100.0)
    assert restored.get("c") == "calm"  # the first reading may use it...
    assert restored.forget_before(50.0) == 1  # ...until any retention run: its age is not known
    assert (restored.get("a"), restored.get("c")) == ("happy", None)
