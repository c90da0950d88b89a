"""A song listed by an OpenSubsonic server is cut to the same tag length as a file's own tags
(library.tags.MAX_TAG_CHARS): a server's listing can carry a title of any length, and the mirror, the
page, the API and MQTT would carry it all (f21bf95 capped the tags read from files only)."""

from __future__ import annotations

from moodspeaker.library.lan.subsonicsongs import song_tags
from moodspeaker.library.tags import MAX_TAG_CHARS


def test_a_listed_songs_huge_tags_are_cut() -> None:
    song = {"id": "s1", "title": "T" * 95_999, "artist": "A" * 200_000, "album": "Short", "duration": 10}
    tags = song_tags(song)
    assert tags["title"] == "T" * (MAX_TAG_CHARS - 1) + "…"
    assert len(tags["artist"]) == MAX_TAG_CHARS and tags["artist"].endswith("…")
    assert tags["album"] == "Short"


def test_a_song_without_a_title_is_named_by_its_id() -> None:
    assert song_tags({"id": "s2"})["title"] == "s2"
