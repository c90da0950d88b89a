"""Analysis on generated audio: loudness (BS.1770), tempo with octave guard, key/mode, decoding."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import synth

from moodspeaker.library.analysis import AnalysisError, analyse_file
from moodspeaker.library.audio import DecodeError, excerpt_starts, read_excerpts, to_mono
from moodspeaker.library.features import SR, analyse_windows, estimate_key, resolve_tempo_octave
from moodspeaker.library.loudness import SILENCE_LUFS, integrated_loudness


def test_loudness_of_reference_tones() -> None:
    sr = 48000
    t = np.arange(sr * 5) / sr
    full_scale = np.sin(2 * np.pi * 997 * t)
    # BS.1770: a 0 dBFS 997 Hz sine in one channel reads -3.01 LKFS
    assert integrated_loudness([full_scale], sr) == pytest.approx(-3.01, abs=0.05)
    stereo_20 = np.vstack([full_scale * 0.1] * 2)  # -20 dB, both channels: +3 dB for two channels
    assert integrated_loudness([stereo_20], sr) == pytest.approx(-20.0, abs=0.1)
    # 44.1 kHz uses its own filter coefficients and gives the same answer
    t44 = np.arange(44100 * 5) / 44100
    assert integrated_loudness([np.sin(2 * np.pi * 997 * t44)], 44100) == pytest.approx(-3.01, abs=0.05)


def test_loudness_gating_ignores_silence() -> None:
    sr = 48000
    t = np.arange(sr * 4) / sr
    tone = 0.1 * np.sin(2 * np.pi * 997 * t)
    # 8 s of quiet noise (about -60 LUFS: above the absolute gate, below the relative one)
    hiss = 0.001 * np.random.default_rng(0).standard_normal(sr * 8)
    with_hiss = np.concatenate([tone, hiss])
    # only the few blocks straddling the edge still count (they are part tone)
    assert integrated_loudness([with_hiss], sr) == pytest.approx(integrated_loudness([tone], sr), abs=0.3)
    # without gating the average would be about 4.8 dB lower
    assert integrated_loudness([with_hiss], sr) > integrated_loudness([tone], sr) - 1.0
    assert integrated_loudness([np.zeros(sr)], sr) == SILENCE_LUFS
    assert integrated_loudness([], sr) == SILENCE_LUFS


@pytest.mark.parametrize("bpm", [72, 96, 120, 150])
def test_tempo_of_click_tracks(bpm: int) -> None:
    feats = analyse_windows([to_mono(synth.clicks(bpm, 8)[None], synth.SR, SR)])
    assert feats["tempo"] == pytest.approx(bpm, rel=0.04)


def test_tempo_octave_guard() -> None:
    # evidence equal at every octave: the prior picks the one nearest the usual range
    assert resolve_tempo_octave(60.0, lambda bpm: 1.0) == 120.0
    assert resolve_tempo_octave(240.0, lambda bpm: 1.0) == 120.0
    # strong evidence for the slower pulse beats the prior
    assert resolve_tempo_octave(180.0, lambda bpm: 1.0 if bpm == 90.0 else 0.1) == 90.0
    assert resolve_tempo_octave(float("nan"), lambda bpm: 1.0) == 0.0


def test_key_and_mode_of_chords() -> None:
    for notes, key, mode in ((synth.C_MAJOR, 0, 1), (synth.A_MINOR, 9, 0)):
        feats = analyse_windows([to_mono(synth.chord(notes, 5)[None], synth.SR, SR)])
        assert (feats["key"], feats["mode"]) == (key, mode)
    profile = np.zeros(12)
    profile[[7, 11, 2]] = 1.0  # G major triad
    assert estimate_key(profile)[:2] == (7, 1)


def test_happy_and_sad_songs_differ_as_expected(tmp_path: Path) -> None:
    happy = analyse_file(synth.write(tmp_path / "happy.flac", synth.song("happy")), excerpt_s=0)
    sad = analyse_file(synth.write(tmp_path / "sad.ogg", synth.song("sad")), excerpt_s=0)
    h, s = happy.features, sad.features
    assert h["loudness_lufs"] > s["loudness_lufs"] + 10
    assert h["energy"] > s["energy"]
    assert h["tempo"] > s["tempo"]
    assert (h["mode"], s["mode"]) == (1, 0)
    assert happy.duration_s == pytest.approx(6.0, abs=0.01)


def test_excerpt_windows() -> None:
    assert excerpt_starts(30, 20) == [(0.0, 30)]
    windows = excerpt_starts(300, 20)
    assert len(windows) == 3 and all(length == 20 for _, length in windows)
    assert windows[0][0] == pytest.approx(50.0) and windows[-1][0] + 20 <= 300
    assert excerpt_starts(0, 20) == []


@pytest.mark.parametrize("suffix", [".wav", ".flac", ".ogg", ".mp3", ".m4a"])
def test_decodes_every_format(tmp_path: Path, suffix: str) -> None:
    path = synth.write(tmp_path / f"x{suffix}", synth.song("happy", seconds=3.0))
    ex = read_excerpts(path, excerpt_s=0)
    assert ex.samplerate == synth.SR
    assert ex.duration_s == pytest.approx(3.0, abs=0.1)
    assert ex.windows[0].shape[0] == 2


def test_bad_files_raise_decode_errors_with_reasons(tmp_path: Path) -> None:
    empty = tmp_path / "empty.mp3"
    empty.write_bytes(b"")
    with pytest.raises(DecodeError, match="empty file"):
        read_excerpts(empty, 20)
    junk = tmp_path / "junk.flac"
    junk.write_bytes(b"fLaC" + bytes(range(256)) * 40)
    with pytest.raises(DecodeError, match="not a readable audio file"):
        read_excerpts(junk, 20)
    with pytest.raises(DecodeError, match="cannot read"):
        read_excerpts(tmp_path / "missing.ogg", 20)
    silent = synth.write(tmp_path / "silent.wav", np.zeros(synth.SR * 2, dtype=np.float32))
    with pytest.raises(AnalysisError, match="silent"):
        analyse_file(silent, 20)
