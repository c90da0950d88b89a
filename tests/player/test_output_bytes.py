"""What actually reaches the sound card: SDL's disk driver writes the mixed output to a file.

These tests read those bytes to check a real crossfade (both tones present, one rising while the
other falls), a gap-free change when the crossfade is 0, and loudness normalisation.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from diskkit import to_disk, tone_levels
from playerkit import SR, Recorder, item, write_tone

from moodspeaker.player.engine import Player
from moodspeaker.service.events import TrackEnded


@pytest.fixture
def disk_output(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    return to_disk(tmp_path, monkeypatch)


def _read(out: Path, player: Player) -> np.ndarray:
    player.close()
    return np.fromfile(out, dtype=np.int16).reshape(-1, 2)[:, 0].astype(np.float32) / 32767.0


def _longest_silence(x: np.ndarray) -> int:
    loud = np.nonzero(np.abs(x) > 1e-3)[0]
    if len(loud) < 2:
        return len(x)
    return int(np.max(np.diff(loud)))


def test_crossfade_overlaps_both_tracks(
    tmp_path: Path, disk_output: Path, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    a = write_tone(tmp_path / "a.wav", 440, 2.0)
    b = write_tone(tmp_path / "b.wav", 880, 1.5)
    player, rec = make_player(crossfade_s=1.0, volume=1.0)
    player.set_queue([item(a, "a"), item(b, "b")])
    player.play()
    rec.wait(lambda e: isinstance(e, TrackEnded) and e.track_id == "b")
    levels = tone_levels(_read(disk_output, player), (440, 880))
    both = np.nonzero((levels[0] > 0.03) & (levels[1] > 0.03))[0]
    assert len(both) * 2048 / SR > 0.5, "the two tracks overlap for most of the 1 s crossfade"
    # during the overlap one falls while the other rises
    assert levels[0][both[-1]] < levels[0][both[0]] and levels[1][both[-1]] > levels[1][both[0]]
    a_end = np.nonzero(levels[0] > 0.03)[0][-1]
    b_start = np.nonzero(levels[1] > 0.03)[0][0]
    assert b_start < a_end


def test_no_gap_when_crossfade_is_zero(
    tmp_path: Path, disk_output: Path, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    a = write_tone(tmp_path / "a.wav", 441, 1.0)
    b = write_tone(tmp_path / "b.ogg", 882, 1.0)
    player, rec = make_player(crossfade_s=0.0)
    player.set_queue([item(a, "a"), item(b, "b")])
    player.play()
    rec.wait(lambda e: isinstance(e, TrackEnded) and e.track_id == "b")
    time.sleep(0.1)
    x = _read(disk_output, player)
    start = np.nonzero(np.abs(x) > 1e-3)[0][0]
    end = np.nonzero(np.abs(x) > 1e-3)[0][-1]
    assert (end - start) / SR == pytest.approx(2.0, abs=0.05)  # both tracks, back to back
    assert _longest_silence(x[start : end + 1]) < 20  # sine zero crossings only, no gap


def test_loudness_normalised_to_target(
    tmp_path: Path, disk_output: Path, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    tone = write_tone(tmp_path / "t.wav", 440, 0.8, amp=0.2)
    player, rec = make_player(crossfade_s=0.0, target_lufs=-16.0, volume=1.0)
    # the same audio labelled quiet (-22 LUFS: +6 dB) then loud (-10 LUFS: -6 dB)
    player.set_queue([item(tone, "quiet", lufs=-22.0), item(tone, "loud", lufs=-10.0)])
    player.play()
    rec.wait(lambda e: isinstance(e, TrackEnded) and e.track_id == "loud")
    levels = tone_levels(_read(disk_output, player), (440,))[0]
    playing = levels[levels > 0.01]
    quiet_level = np.median(playing[: len(playing) // 2 - 2])
    loud_level = np.median(playing[len(playing) // 2 + 2 :])
    assert 20 * np.log10(quiet_level / loud_level) == pytest.approx(12.0, abs=0.5)
    assert quiet_level == pytest.approx(0.2 * 10 ** (6 / 20), rel=0.05)
