"""A track whose file breaks while it plays (a USB disk pulled out, a FLAC cut short) stops with a
short ramp down, not on a step: the last chunk out ended at full level and the speaker clicked.
The bytes are what SDL's disk driver wrote."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from playerkit import SR, Recorder, item, write_tone

from moodspeaker.player.engine import Player
from moodspeaker.service.events import TrackEnded


def test_a_file_that_breaks_mid_play_fades_out(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    out = tmp_path / "speaker.raw"
    monkeypatch.setenv("SDL_AUDIODRIVER", "disk")
    monkeypatch.setenv("SDL_DISKAUDIOFILE", str(out))
    whole = write_tone(tmp_path / "whole.flac", 440, 6.0, amp=0.5, fmt="FLAC")
    data = whole.read_bytes()
    broken = tmp_path / "broken.flac"
    broken.write_bytes(data[: len(data) // 2])  # the header says 6 s; the audio breaks near 3 s
    player, rec = make_player(crossfade_s=0.0)
    player.set_queue([item(broken, "broken")])
    player.play()
    rec.wait(lambda e: isinstance(e, TrackEnded) and e.track_id == "broken")
    player.close()
    x = np.fromfile(out, dtype=np.int16).reshape(-1, 2)[:, 0].astype(np.float32) / 32767.0
    loud = np.flatnonzero(np.abs(x) > 1e-3)
    assert len(loud) > SR, "about 3 s of the tone were heard before the break"
    end = int(loud[-1]) + 1
    tail = np.abs(x[end - int(0.004 * SR) : end]).max()  # the last 4 ms before silence
    before = np.abs(x[end - int(0.5 * SR) : end - int(0.05 * SR)]).max()  # the tone's level
    assert before > 0.1, "the tone played at its level until just before the break"
    assert tail < before / 3, f"a step from {tail:.2f} (level {before:.2f}) to silence: a click"
