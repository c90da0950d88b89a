"""A crossfade keeps the level summed near a track's and lasts as long as set, shorter than a chunk too.

The crossfade was decided at whole chunks (0.4 s): it ran up to a chunk shorter than set, and one
shorter than a chunk faded the outgoing track over a whole chunk, so the track ended partway down its
ramp while the next one had barely risen: the level summed fell to 0-0.26 of a track's.  The bytes
are what SDL's disk driver wrote; two tracks at one constant level, so the level summed is the
sample itself, and the time both sound is the whole heard less the two tracks' lengths."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from diskkit import speaker, steady, to_disk
from playerkit import SR, Recorder, item

from moodspeaker.player.engine import Player
from moodspeaker.service.events import TrackEnded

LEVEL = 0.4  # both tracks' constant level


def _heard(
    tmp_path: Path,
    make_player: Callable[..., tuple[Player, Recorder]],
    fade: float,
    a_s: float,
    b_at: float = 0.0,
) -> np.ndarray:
    """What the speaker played of a track `a_s` long then a 3 s one (queued at `b_at`), crossfading
    over `fade`, from the first sample at half the level to the last."""
    a = steady(tmp_path / "a.wav", LEVEL, a_s)
    b = steady(tmp_path / "b.wav", LEVEL, 3.0)
    player, rec = make_player(crossfade_s=fade, volume=1.0, target_lufs=-16.0)
    player.set_queue([item(a, "a"), item(b, "b").at(b_at)])
    player.play()
    rec.wait(lambda e: isinstance(e, TrackEnded) and e.track_id == "b")
    player.close()
    x = speaker(tmp_path / "speaker.raw")
    on = np.flatnonzero(x > 0.5 * LEVEL)
    return x[on[0] : on[-1] + 1]


def test_a_crossfade_shorter_than_a_chunk_keeps_the_level(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    to_disk(tmp_path, monkeypatch)
    x = _heard(tmp_path, make_player, 0.3, 3.0)
    worst = int(np.argmin(x))
    assert x[worst] > 0.6 * LEVEL, f"the 0.3 s crossfade fell to {x[worst] / LEVEL:.2f} of the level"
    assert x.max() < 1.15 * LEVEL, f"the 0.3 s crossfade rose to {x.max() / LEVEL:.2f} of the level"


def test_a_crossfade_lasts_as_set(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    """A track 3.01 s long ends 0.01 s past a chunk: at whole chunks its 1 s crossfade was 0.61 s."""
    to_disk(tmp_path, monkeypatch)
    x = _heard(tmp_path, make_player, 1.0, 3.01)
    both_s = 3.01 + 3.0 - len(x) / SR
    assert both_s > 0.85, f"the 1 s crossfade lasted {both_s:.2f} s"
    assert x.min() > 0.6 * LEVEL and x.max() < 1.15 * LEVEL, "the level summed stays near a track's"


def test_a_short_crossfade_into_a_track_queued_mid_track_keeps_the_level(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    """An item queued at a position (put back by a switch, a saved queue) fades in over 0.2 s when
    nothing else fades it in; a crossfade's rise stays the crossfade's: stretched to 0.2 s under a
    0.1 s fade-out, the level summed fell to half a track's."""
    to_disk(tmp_path, monkeypatch)
    x = _heard(tmp_path, make_player, 0.1, 3.0, b_at=1.5)
    worst = int(np.argmin(x))
    assert x[worst] > 0.8 * LEVEL, f"the 0.1 s crossfade fell to {x[worst] / LEVEL:.2f} of the level"
    assert x.max() < 1.15 * LEVEL, f"the 0.1 s crossfade rose to {x.max() / LEVEL:.2f} of the level"
