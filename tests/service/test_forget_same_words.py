"""A pick made after "delete everything" keeps its explanation, also in the words of one taken back.

service.forget took explanations back by their words alone, for good: after the deletion, the same
track picked again for the same face at the same confidence ("you look happy (97% sure); ...", what a
steady reading gives) was shown with no explanation, on the page, MQTT and in state.json.  The real
notes of the picks (service.picked) and the real ForgottenReasons, driven as the service drives them
(service.listeners._forget_moods: the explanations held are taken back, then the notes are cleared;
the conductor notes each plan it applies).
"""

from __future__ import annotations

import time

from moodspeaker.library.track import Track
from moodspeaker.player.queue import QueueItem
from moodspeaker.service.forget import ForgottenReasons
from moodspeaker.service.picked import PickedFor

WORDS = "you look happy (97% sure); energetic, slow, major key; a bright mood already: music that fits it"


def _item(track_id: str, reason: str) -> QueueItem:
    track = Track(id=track_id, location=f"/music/{track_id}.ogg", title=track_id, artist="A")
    return QueueItem(track, reason)


def test_a_new_pick_in_the_same_words_is_explained() -> None:
    picked = PickedFor()
    forgotten = ForgottenReasons(picked)
    now = time.time()  # the deletion is dated by the clock the conductor dates its notes with
    before = _item("bright", WORDS)
    picked.remember([before], "happy", now - 600.0)
    assert forgotten.item(before).reason == WORDS

    forgotten.forget([WORDS])  # delete everything (now) while it is queued
    picked.clear()
    assert forgotten.item(before).reason == ""  # taken back: held on, it is reported without
    assert forgotten.reason(WORDS, "other") == ""  # the same words of another track held then, too

    again = _item("bright", WORDS)  # the same track picked again for the same face, after it
    picked.remember([again], "happy", now + 600.0)
    assert forgotten.item(again).reason == WORDS

    forgotten.forget([WORDS], at=now + 1200.0)  # a second deletion takes the new one back as well
    picked.clear()
    assert forgotten.item(again).reason == ""


def test_a_retention_cut_off_still_applies_to_new_picks() -> None:
    picked = PickedFor()
    forgotten = ForgottenReasons(picked)
    now = time.time()
    forgotten.forget(["you look sad (60% sure)"])
    item = _item("rain", "you look sad (60% sure)")
    picked.remember([item], "sad", now + 600.0)
    assert forgotten.item(item).reason == item.reason
    forgotten.expire(now + 1200.0)  # the retention's cut-off after it: made before, so not reported
    assert forgotten.item(item).reason == ""
