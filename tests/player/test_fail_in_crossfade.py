"""A track that breaks during its crossfade's rise hands over to the next one without a swell.

The track after it was opened at its level (`start_next(deck, 0.0)`), on top of the outgoing track
still fading out: the level summed rose by ~5 dB.  It now rises over what is left of that fade.  The
bytes are what SDL's disk driver wrote; the tracks at one constant level, so the sample is the level
summed.  The broken track is a FLAC file cut short a little way into its audio."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from diskkit import speaker, steady, to_disk
from playerkit import SR, Recorder, item

from moodspeaker.player.engine import Player
from moodspeaker.service.events import TrackEnded

LEVEL = 0.4


def _cut_short(path: Path, seconds: float, kept: float) -> Path:
    """A FLAC track at `LEVEL` (a little noise: its bytes follow its time) cut after `kept` of its bytes."""
    noise = np.random.default_rng(0).standard_normal(int(seconds * SR)).astype(np.float32)
    x = LEVEL + np.float32(1e-3) * noise
    whole = path.with_suffix(".whole.flac")
    sf.write(str(whole), np.stack([x, x], 1), SR, format="FLAC")
    data = whole.read_bytes()
    path.write_bytes(data[: int(len(data) * kept)])
    return path


def test_a_track_breaking_in_its_rise_hands_over_without_a_swell(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    out = to_disk(tmp_path, monkeypatch)
    a = steady(tmp_path / "a.wav", LEVEL, 4.0)
    b = _cut_short(tmp_path / "b.flac", 6.0, 0.09)  # ~0.5 s of it: it breaks in the 2 s crossfade's rise
    c = steady(tmp_path / "c.wav", LEVEL, 3.0)
    player, rec = make_player(crossfade_s=2.0, volume=1.0, target_lufs=-16.0)
    player.set_queue([item(a, "a"), item(b, "b"), item(c, "c")])
    player.play()
    rec.wait(lambda e: isinstance(e, TrackEnded) and e.track_id == "c")
    player.close()
    x = speaker(out)
    on = np.flatnonzero(x > 0.5 * LEVEL)
    x = x[on[0] : on[-1] - 64]
    assert x.max() < 1.25 * LEVEL, (
        f"the track after the broken one came in at {x.max() / LEVEL:.2f} of the level"
    )
