"""A Next pressed during a crossfade ends the track fading out with a short ramp, not on a step, and
so does a Next with no fade (a cut).

The fading tail (or the track cut) was stopped at once on its channel, at whatever level it had
reached (full level just after the next track began: its chunks already in the mixer are not faded
yet), and the speaker clicked.  The bytes are what SDL's disk driver wrote; the track stopped is a
constant level, so a cut shows as one step of that size whatever the moment the Next lands."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from diskkit import speaker, steady, to_disk
from playerkit import SR, Recorder, item, write_tone

from moodspeaker.player.engine import Player
from moodspeaker.service.events import TrackEnded, TrackStarted

LEVEL = 0.4  # track a's constant level: a cut of it shows as a step this size


def _to_disk_with_steady(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """SDL's disk driver writing to speaker.raw (returned), and track a: 4 s steady at LEVEL."""
    return to_disk(tmp_path, monkeypatch), steady(tmp_path / "steady.wav", LEVEL, 4.0)


def _largest_step(out: Path, level: float) -> tuple[float, float]:
    """The largest sample-to-sample step after the first track's own start, and when (s)."""
    x = speaker(out)
    first = int(np.flatnonzero(np.abs(x) > 1e-3)[0])
    assert np.abs(x[first + 50 : first + 2000]).min() > 0.9 * level, "a played at its level first"
    steps = np.abs(np.diff(x[first + 50 :]))  # after a's own start from silence
    at = int(np.argmax(steps))
    return float(steps[at]), (first + 50 + at) / SR


def _assert_no_click(out: Path) -> None:
    step, at = _largest_step(out, LEVEL)
    assert step < LEVEL / 3, f"a step of {step:.2f} at {at:.2f} s: a click"


def test_next_with_no_fade_ramps_the_cut_track_down(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    out, a = _to_disk_with_steady(tmp_path, monkeypatch)
    b = write_tone(tmp_path / "b.wav", 660, 1.0)
    player, rec = make_player(crossfade_s=0.0, volume=1.0, target_lufs=-16.0)
    player.set_queue([item(a, "a"), item(b, "b")])
    player.play()
    while player.status().position_s < 0.5:  # a heard at its level for a while (of its 4 s)
        time.sleep(0.01)
    player.next(fade_s=0.0)
    rec.wait(lambda e: isinstance(e, TrackEnded) and e.track_id == "b")
    player.close()
    _assert_no_click(out)


@pytest.mark.parametrize(
    "fade_s",
    [pytest.param(None, id="configured-fade"), pytest.param(0.0, id="cut")],
)
def test_next_mid_crossfade_ramps_the_fading_track_down(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    make_player: Callable[..., tuple[Player, Recorder]],
    fade_s: float | None,
) -> None:
    """Next as b's first chunk is heard: a (fading out over 3 s) still sounds near its full level.
    With no fade (a cut) it ramps two channels down at once (the fading tail, then the track cut):
    each needs a spare of its own, else the second ramp stops the first on a step."""
    out, a = _to_disk_with_steady(tmp_path, monkeypatch)
    b = write_tone(tmp_path / "b.wav", 880, 4.0)
    c = write_tone(tmp_path / "c.wav", 660, 2.0)
    player, rec = make_player(crossfade_s=3.0, volume=1.0, target_lufs=-16.0)
    rec.on(lambda e: isinstance(e, TrackStarted) and e.track_id == "b", lambda: player.next(fade_s=fade_s))
    player.set_queue([item(a, "a"), item(b, "b"), item(c, "c")])
    player.play()
    rec.wait(lambda e: isinstance(e, TrackEnded) and e.track_id == "c")
    player.close()
    _assert_no_click(out)


def test_two_quick_nexts_mid_crossfade_ramp_the_fading_track_down(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    """A second Next within the ramp of the first: the channel still ramping is not the spare taken."""
    out, a = _to_disk_with_steady(tmp_path, monkeypatch)
    b = write_tone(tmp_path / "b.wav", 880, 4.0)
    c = write_tone(tmp_path / "c.wav", 660, 4.0)
    d = write_tone(tmp_path / "d.wav", 440, 2.0)
    player, rec = make_player(crossfade_s=3.0, volume=1.0, target_lufs=-16.0)

    def two_nexts() -> None:
        player.next()
        time.sleep(0.05)  # well within the first Next's 0.2 s ramp
        player.next()

    rec.on(lambda e: isinstance(e, TrackStarted) and e.track_id == "b", two_nexts)
    player.set_queue([item(a, "a"), item(b, "b"), item(c, "c"), item(d, "d")])
    player.play()
    rec.wait(lambda e: isinstance(e, TrackEnded) and e.track_id == "d")
    player.close()
    _assert_no_click(out)
