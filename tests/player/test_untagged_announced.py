"""A track without an artist (an untagged file: its title is the file name) is named by its title
alone: the log said "playing  - tone440" and the demo "playing tone440 by  - ..."."""

from __future__ import annotations

import logging

import pytest

from moodspeaker.library.track import Track, artist_title, title_by
from moodspeaker.player.deck import Play
from moodspeaker.player.history import PlayHistory
from moodspeaker.player.queue import QueueItem


@pytest.mark.parametrize(
    ("artist", "logged"), [("", "playing tone440"), ("Tones", "playing Tones - tone440")]
)
def test_the_play_log_names_an_untagged_track_by_its_title(
    caplog: pytest.LogCaptureFixture, artist: str, logged: str
) -> None:
    track = Track(id="t", location="/music/tone440.wav", title="tone440", artist=artist)
    with caplog.at_level(logging.INFO, logger="moodspeaker.player.history"):
        PlayHistory(lambda event: None, None).began(Play(QueueItem(track, "test")))
    assert [r.getMessage() for r in caplog.records] == [logged]


def test_names_without_an_artist_are_the_title() -> None:
    assert title_by("tone440", "") == title_by("tone440", "  ") == "tone440"
    assert title_by("Still Water", "Moodspeaker demo") == "Still Water by Moodspeaker demo"
    assert artist_title("tone440", "") == "tone440"
    assert artist_title("Still Water", "Moodspeaker demo") == "Moodspeaker demo - Still Water"
