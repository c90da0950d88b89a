"""A queue saved with an older OpenSubsonic mirror's locations keeps no credential once loaded.

Why: an OpenSubsonic mirror kept each song's stream URL with the user's salted token (`t=`, `s=`, a
credential replayable until the password changes) as its location, and the speaker's state file
saves the tracks playing and queued whole, location included.  The mirror's rows lose the token at
the next sync (library.lan.subsonic), but a queue saved before the upgrade carried it on: restored
at start and saved again with every save for as long as the track stayed queued or paused (weeks,
for a speaker paused on it), in state.json, in the data export (which copies state.json) and in a
failed download's message.  Loaded now, such a location is the bare one the mirror keeps
(SubsonicApi.location), which the speaker's client serves all the same (SubsonicApi.song_of).
No network: the URLs are made by the real SubsonicApi.
"""

from __future__ import annotations

import json
import urllib.parse
from pathlib import Path

from moodspeaker.library.lan.subsonicapi import SubsonicApi
from moodspeaker.library.track import Track
from moodspeaker.player.queue import QueueItem
from moodspeaker.service.state import Snapshot, StateStore, to_json

API = SubsonicApi("http://alice:s3cret@127.0.0.1:4533/navidrome", 5.0)


def _auth(location: str) -> set[str]:
    """The authentication parameters a location carries."""
    return set(urllib.parse.parse_qs(urllib.parse.urlsplit(location).query)) & {"u", "t", "s", "p"}


def _item(song: str, location: str) -> QueueItem:
    return QueueItem(Track(id=f"id-{song}", location=location, title=song, artist="A"), "picked")


def test_a_saved_queues_tokens_go_at_load_and_its_songs_stay_served(tmp_path: Path) -> None:
    old = {song: API.url("stream", id=song, format="raw") for song in ("s1", "a b/c&d")}  # an older mirror's
    assert all(_auth(url) for url in old.values())
    local = _item("local", "/music/1.flac")
    other = _item("other", "http://192.168.1.5:8080/api/v1/stream/abc")  # a library server's: not Subsonic
    saved = Snapshot(current=_item("s1", old["s1"]), queue=(_item("a b/c&d", old["a b/c&d"]), local, other))
    (tmp_path / "state.json").write_text(to_json(saved), "utf-8")

    store = StateStore(tmp_path)
    snap, notice = store.load()
    assert notice == ""
    assert snap.current is not None
    restored = [snap.current, *snap.queue]
    for item in restored[:2]:
        song = item.track.title
        assert _auth(item.track.location) == set(), f"a credential restored: {item.track.location}"
        assert item.track.location == API.location(song)  # as the mirror keeps it now
        assert API.song_of(item.track.location) == song  # so the speaker's client serves it
    assert restored[2:] == [local, other]  # any other location as it was

    store.save(Snapshot(current=snap.current, queue=snap.queue, position_s=1.0))  # the next save
    text = (tmp_path / "state.json").read_text("utf-8")
    for url in old.values():
        token = urllib.parse.parse_qs(urllib.parse.urlsplit(url).query)["t"][0]
        assert token not in text, "the token is saved again"
    assert json.loads(text)["current"]["track"]["location"] == API.location("s1")
