"""A track that fails before any of its audio was decoded could not be opened ("missing"); one that
fails after some of it played was damaged mid-track (not missing), as before.

The player told the service "missing" (which holds the track back until its file changes) only when
opening the file raised.  But a file libsndfile cannot open goes to ffmpeg when it is installed,
which starts whatever the file holds and fails at its first read; an MP3 whose first frame is whole
opens in libsndfile and fails at its first read; an Ogg file whose headers are whole opens and gives
no audio at all.  Those were reported as failures mid-track, or not at all, and the service's refill
picked them again and again.  Real files damaged here, the real decoders (ffmpeg on PATH), a real
player on SDL's dummy driver.  (The service holding them back: tests/web/test_damaged_with_ffmpeg.)
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import pytest
from playerkit import Recorder, encode, item, write_tone

from damagekit import ogg_headers, zeroed
from moodspeaker.player.engine import Player
from moodspeaker.player.fetch import Obtained
from moodspeaker.player.queue import QueueItem
from moodspeaker.service.events import TrackEnded

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="ffmpeg reads what libsndfile cannot")


def _to_the_end(source: Path, target: Path) -> Path:
    """`source` damaged from its middle to its end: played up to there, nothing to carry on to."""
    data = bytearray(source.read_bytes())
    n, tail = len(data), len(data) - len(data) // 2
    data[n // 2 :] = bytes(range(256)) * (tail // 256) + bytes(tail % 256)
    target.write_bytes(bytes(data))
    return target


def test_failing_before_any_audio_is_missing_and_after_some_is_not(
    tmp_path: Path, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    ogg = write_tone(tmp_path / "tone.ogg", 440, 2.0, fmt="OGG")
    mp3 = encode(write_tone(tmp_path / "tone.wav", 440, 2.0), tmp_path / "tone.mp3", "libmp3lame", "128k")
    queue = [
        item(zeroed(ogg, target=tmp_path / "zeroed.ogg"), "zeroed"),  # to ffmpeg: fails at its first read
        item(zeroed(mp3, 600, target=tmp_path / "frame.mp3"), "frame"),  # opens; its first read fails
        item(zeroed(ogg, ogg_headers(ogg), target=tmp_path / "headers.ogg"), "headers"),  # opens; no audio
        item(_to_the_end(write_tone(tmp_path / "half.flac", 440, 4.0), tmp_path / "half.flac"), "half"),
        item(write_tone(tmp_path / "good.wav", 660, 0.5), "good"),
    ]
    missing: list[str] = []

    def on_missing(queued: QueueItem, _error: str, _fetched: Obtained) -> None:
        missing.append(queued.track.id)

    player, rec = make_player(on_missing=on_missing)
    player.set_queue(queue)
    player.play()
    rec.wait(lambda e: isinstance(e, TrackEnded) and e.track_id == "good")
    failed = {f["track_id"]: f["error"] for f in player.status().failures}
    assert sorted(failed) == ["frame", "half", "headers", "zeroed"], failed
    assert "no audio" in failed["headers"]  # before: ended as played in full, unheard, unreported
    assert missing == ["zeroed", "frame", "headers"]  # before: none of them
    half = rec.wait(lambda e: isinstance(e, TrackEnded) and e.track_id == "half")
    assert isinstance(half, TrackEnded) and half.played_s > 0.5  # played up to the damage: not missing
