"""AIFF, WMA, WavPack and audiobook files are indexed; audio the speaker cannot index is said, not skipped.

A household's library holds a ripped CD in AIFF (a Mac's iTunes), an old Windows rip in WMA, a
WavPack album, an audiobook (.m4b): the scan passed over all of them without a word, as over a cover
picture, although libsndfile reads AIFF and ffmpeg, which plays M4A already, reads the others.  What
no decoder here can index (Matroska audio: mutagen cannot read its length; an iTunes .m4p: DRM) is
now a scan problem, `unsupported`, named in `library stats` and counted in the scan's line.

Real files (AIFF by soundfile, the others by the local ffmpeg), the real indexer with real analysis
workers, a real index on SQLite, and the player's real decoder.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
import synth

from moodspeaker.library.audio import DecodeError, read_excerpts
from moodspeaker.library.index import LibraryIndex
from moodspeaker.library.indexer import Indexer
from moodspeaker.library.workers import AnalysisPool
from moodspeaker.player.decode import open_decoder
from moodspeaker.service.components import scan_line

pytestmark = pytest.mark.skipif(shutil.which("ffmpeg") is None, reason="needs ffmpeg")

#: ffmpeg's output options per suffix (the encoder follows the suffix otherwise)
ENCODE = {".wma": [], ".wv": [], ".m4b": ["-c:a", "aac"], ".mka": ["-c:a", "flac"]}


def convert(wav: Path, target: Path) -> Path:
    cmd = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(wav), *ENCODE[target.suffix], str(target)]
    subprocess.run(cmd, check=True, timeout=60)
    return target


def played_seconds(path: Path, duration_s: float) -> float:
    """What the player's decoder gives of the file, in seconds at 44.1 kHz."""
    decoder = open_decoder(path, 44100, duration_s=duration_s)
    frames = 0
    try:
        while len(block := decoder.read(8192)):
            frames += len(block)
    finally:
        decoder.close()
    return frames / 44100


def test_aiff_wma_wavpack_and_audiobooks_are_indexed_and_the_rest_is_said(
    tmp_path: Path, pool: AnalysisPool
) -> None:
    music = tmp_path / "music"
    wav = synth.write(tmp_path / "source.wav", synth.song("happy", 5.0))
    y = synth.song("sad", 5.0)
    music.mkdir()
    sf.write(music / "cd.aiff", np.stack([y, y], 1), synth.SR, format="AIFF")
    sf.write(music / "mac.aif", np.stack([y, y], 1), synth.SR, format="AIFF")
    for suffix in (".wma", ".wv", ".m4b"):
        convert(wav, music / f"rip{suffix}")
    convert(wav, music / "concert.mka")
    (music / "bought.m4p").write_bytes(os.urandom(2000))  # an iTunes purchase with DRM
    (music / "cover.jpg").write_bytes(b"\xff\xd8\xff\xe0 a picture")  # not audio: passed over

    index = LibraryIndex(tmp_path / "lib.db")
    summary = Indexer(index, pool).scan([str(music)])
    analysed = sorted(Path(t.location).name for t in index.tracks())
    assert analysed == ["cd.aiff", "mac.aif", "rip.m4b", "rip.wma", "rip.wv"], (analysed, summary.failed)
    assert summary.failed == []
    unsupported = sorted((Path(p).name, kind, why) for p, kind, why in summary.problems)
    assert [(name, kind) for name, kind, _ in unsupported] == [
        ("bought.m4p", "unsupported"),
        ("concert.mka", "unsupported"),
    ], unsupported
    assert "copy-protected" in unsupported[0][2] and "Matroska" in unsupported[1][2], unsupported
    stats = index.stats()
    assert sorted(Path(p["path"]).name for p in stats["problems"]) == ["bought.m4p", "concert.mka"]
    assert all(p["reason"].startswith("unsupported format: ") for p in stats["problems"]), stats["problems"]
    assert scan_line(summary).endswith(", 2 in unsupported formats"), scan_line(summary)
    # said again by the next scan (as long as the files are there), nothing analysed anew
    again = Indexer(index, pool).scan([str(music)])
    assert (again.analysed, len(again.problems)) == (0, 2)

    # the player decodes what was indexed: AIFF by libsndfile, the others through ffmpeg
    for track in index.tracks():
        assert played_seconds(Path(track.location), track.duration_s) == pytest.approx(5.0, abs=0.1)


def test_without_ffmpeg_a_wma_fails_saying_ffmpeg_is_missing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    wma = convert(synth.write(tmp_path / "source.wav", synth.song("happy", 3.0)), tmp_path / "rip.wma")
    monkeypatch.setenv("PATH", str(tmp_path / "no-ffmpeg-here"))
    with pytest.raises(DecodeError, match=r"\.wma files need ffmpeg, which is not installed"):
        read_excerpts(wma, 2.0)
