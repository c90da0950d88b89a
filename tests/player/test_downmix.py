"""Files of more than two channels are downmixed to stereo (ITU-R BS.775 as ffmpeg's default matrix:
centre and surrounds at -3 dB into both sides, LFE left out, scaled so it never clips).  libsndfile's
decoder kept channels 0 and 1 only, so a 5.1 FLAC lost its centre (the vocals, the dialogue): a
centre-only file came out as silence.  Real files written by soundfile, decoded by the real decoder;
the player test's bytes are what SDL's disk driver wrote."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from playerkit import SR, Recorder, item

from moodspeaker.library.analysis import analyse_file
from moodspeaker.library.loudness import integrated_loudness
from moodspeaker.player.decode import open_decoder
from moodspeaker.player.engine import Player
from moodspeaker.service.events import TrackEnded

#: a centre channel's share of each side: -3 dB over the 5.1 matrix's sum per side (1 + 2 x 0.707)
CENTRE = np.sqrt(0.5) / (1 + 2 * np.sqrt(0.5))


def _surround(path: Path, loud: dict[int, float], *, channels: int = 6, fmt: str = "FLAC") -> Path:
    """One second of 440 Hz at amplitude loud[i] in channel i, silence in the others."""
    t = np.arange(SR) / SR
    x = np.zeros((SR, channels), np.float32)
    for ch, amp in loud.items():
        x[:, ch] = amp * np.sin(2 * np.pi * 440 * t)
    sf.write(str(path), x, SR, format=fmt)
    return path


def _decode(path: Path, rate: int = SR) -> np.ndarray:
    decoder = open_decoder(path, rate)
    try:
        blocks = []
        while len(block := decoder.read(4096)):
            blocks.append(block)
    finally:
        decoder.close()
    return np.concatenate(blocks)


@pytest.mark.parametrize("rate", [SR, 48000])
def test_a_centre_only_5_1_flac_is_heard_in_the_middle(tmp_path: Path, rate: int) -> None:
    out = _decode(_surround(tmp_path / "c51.flac", {2: 0.3}), rate)
    assert out.shape[1] == 2
    steady = out[len(out) // 4 : -len(out) // 4]  # past the resampler's edges
    left = np.abs(steady[:, 0]).max()
    assert left == pytest.approx(0.3 * CENTRE, rel=0.03), "the centre is heard (it was silence)"
    assert np.allclose(steady[:, 0], steady[:, 1], atol=1e-6), "in the middle: both sides alike"


def test_5_1_channels_go_where_they_belong(tmp_path: Path) -> None:
    """Front and surround left go left only, the LFE nowhere (as ffmpeg's default matrix)."""
    front = _decode(_surround(tmp_path / "fl.flac", {0: 0.3}))
    assert np.abs(front[:, 0]).max() == pytest.approx(0.3 / (1 + 2 * np.sqrt(0.5)), rel=0.01)
    assert np.abs(front[:, 1]).max() == 0.0
    back = _decode(_surround(tmp_path / "br.flac", {5: 0.3}))
    assert np.abs(back[:, 0]).max() == 0.0 and np.abs(back[:, 1]).max() > 0.05
    assert np.abs(_decode(_surround(tmp_path / "lfe.flac", {3: 0.3}))).max() == 0.0


def test_ogg_channels_are_read_in_vorbis_order(tmp_path: Path) -> None:
    """Ogg Vorbis puts 5.1's centre second (FL FC FR RL RR LFE) and libsndfile keeps that order."""
    out = _decode(_surround(tmp_path / "c51.ogg", {1: 0.3}, fmt="OGG"))
    left, right = np.abs(out).max(axis=0)
    assert left == pytest.approx(0.3 * CENTRE, rel=0.1) and right == pytest.approx(left, rel=0.02)


def test_a_full_scale_5_1_file_does_not_clip(tmp_path: Path) -> None:
    out = _decode(_surround(tmp_path / "all.flac", dict.fromkeys(range(6), 0.99)))
    assert np.abs(out).max() <= 0.99 + 1e-6


def test_mono_and_stereo_are_as_they_were(tmp_path: Path) -> None:
    t = np.arange(SR) / SR
    stereo = np.stack([0.5 * np.sin(2 * np.pi * 440 * t), 0.2 * np.sin(2 * np.pi * 660 * t)], 1)
    sf.write(str(tmp_path / "s.flac"), stereo.astype(np.float32), SR)
    assert np.allclose(_decode(tmp_path / "s.flac"), stereo, atol=1e-4)
    sf.write(str(tmp_path / "m.flac"), stereo[:, 0].astype(np.float32), SR)
    mono = _decode(tmp_path / "m.flac")
    assert np.allclose(mono[:, 0], stereo[:, 0], atol=1e-4) and np.array_equal(mono[:, 0], mono[:, 1])


def test_the_player_plays_a_5_1_centre(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, make_player: Callable[..., tuple[Player, Recorder]]
) -> None:
    out = tmp_path / "speaker.raw"
    monkeypatch.setenv("SDL_AUDIODRIVER", "disk")
    monkeypatch.setenv("SDL_DISKAUDIOFILE", str(out))
    path = _surround(tmp_path / "c51.flac", {2: 0.5})
    player, rec = make_player(crossfade_s=0.0)
    player.set_queue([item(path, "c51", lufs=-16.0)])  # at the target: no gain
    player.play()
    rec.wait(lambda e: isinstance(e, TrackEnded) and e.track_id == "c51")
    player.close()
    heard = np.fromfile(out, dtype=np.int16).reshape(-1, 2).astype(np.float32) / 32767.0
    left, right = np.abs(heard).max(axis=0)
    assert left > 0.03 and right > 0.03, f"the centre was not heard ({left:.3f}, {right:.3f})"
    assert right == pytest.approx(left, rel=0.02)


def test_the_analysis_measures_what_the_player_plays(tmp_path: Path) -> None:
    """A 5.1 file's loudness and peak (which set its playback gain) are those of the stereo the player
    makes of it: measured on the six channels (the LFE too), this one's loudness was 11 dB above what
    was played, so the player turned it down that much too far."""
    t = np.arange(8 * SR) / SR
    x = np.zeros((len(t), 6), np.float32)
    x[:, 2] = 0.5 * np.sin(2 * np.pi * 440 * t) * (1 + 0.5 * np.sin(2 * np.pi * 2 * t))  # the vocals
    x[:, 0] = x[:, 1] = 0.1 * np.sin(2 * np.pi * 220 * t)  # the band, both sides
    x[:, 3] = 0.9 * np.sin(2 * np.pi * 50 * t)  # LFE, which the downmix leaves out
    path = tmp_path / "song51.flac"
    sf.write(str(path), x, SR)
    analysis = analyse_file(path)
    played = _decode(path)
    assert analysis.features["loudness_lufs"] == pytest.approx(integrated_loudness([played.T], SR), abs=0.3)
    assert analysis.features["peak_channels"] == pytest.approx(np.abs(played).max(), rel=0.01)
