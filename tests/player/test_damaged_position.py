"""The player's position follows the audio past a damaged stretch the carry-on skipped.  The carry-on
(player.carryon) reopens a damaged file a second or more past the damage, but the mixer counted its
position (`Deck.decoded_s`) from the audio it read only: it stayed behind the audio by the skip, so
the crossfade (due when the track's duration less that position is under `crossfade_s`) never came
and the track ended in a hard cut; the resume point and the page's progress lagged as much.

Real files: a libmp3lame tone with seeded random bytes over its middle (test_damaged_mp3's), decoded
by the real decoders, played by the real player on SDL's disk driver."""

from __future__ import annotations

import shutil
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from playerkit import SR, Recorder, item, write_tone
from test_damaged_mp3 import _damage, _mp3

from moodspeaker.player.carryon import SKIP_S
from moodspeaker.player.decode import open_decoder
from moodspeaker.player.engine import Player
from moodspeaker.service.events import TrackEnded, TrackStarted

pytestmark = pytest.mark.skipif(
    shutil.which("ffmpeg") is None, reason="ffmpeg is needed to encode the MP3 and to read past the damage"
)


def _length(path: Path, skips: list[float]) -> float:
    """Seconds of audio decoded from `path`, the seconds skipped told to `skips`."""
    decoder = open_decoder(path, SR, name="damaged", on_skip=skips.append)
    frames = 0
    try:
        while len(block := decoder.read(4096)):
            frames += len(block)
    finally:
        decoder.close()
    return frames / SR


def test_the_carry_on_tells_how_far_it_skipped(tmp_path: Path) -> None:
    mp3 = _mp3(tmp_path)
    damaged = tmp_path / "damaged.mp3"
    _damage(mp3, damaged, 2000)  # 0.125 s of garbage: the first reopening, 1 s on, is past it
    whole = _length(mp3, [])
    skips: list[float] = []
    heard = _length(damaged, skips)
    assert skips == [pytest.approx(SKIP_S)], skips
    # ffmpeg seeks an MP3 to within a tenth of a second or so (its -ss on a CBR estimate)
    assert heard + sum(skips) == pytest.approx(whole, abs=0.25), "the audio and the skip make the whole"


def test_a_damaged_track_crossfades_into_the_next(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    """The 1 s skipped is more than the 0.6 s crossfade: counted from the audio read, the position
    never came within 0.6 s of the end, and the next track started after a hard cut."""
    monkeypatch.setenv("SDL_AUDIODRIVER", "disk")
    monkeypatch.setenv("SDL_DISKAUDIOFILE", str(tmp_path / "speaker.raw"))
    damaged = tmp_path / "damaged.mp3"
    _damage(_mp3(tmp_path), damaged, 2000)
    after = write_tone(tmp_path / "after.wav", 660, 3.0)
    player, rec = make_player(crossfade_s=0.6)
    player.set_queue([item(damaged, "damaged"), item(after, "after")])
    player.play()
    rec.wait(lambda e: isinstance(e, TrackEnded) and e.track_id == "damaged")
    rec.wait(lambda e: isinstance(e, TrackStarted) and e.track_id == "after")
    failures = player.status().failures
    player.close()
    assert not failures, failures
    order = [
        (type(e).__name__, e.track_id)
        for e in rec.events
        if isinstance(e, TrackStarted | TrackEnded) and e.track_id in ("damaged", "after")
    ]
    started, ended = order.index(("TrackStarted", "after")), order.index(("TrackEnded", "damaged"))
    assert started < ended, f"the next track starts while the damaged one fades out (a crossfade): {order}"
    ends = [e for e in rec.events if isinstance(e, TrackEnded) and e.track_id == "damaged"]
    assert ends[0].completed and not ends[0].skipped, ends
    assert np.isfinite(ends[0].played_s)
