"""The payload hash and the ADTS frame count read damaged files (truncated, bytes flipped in their
headers and tags, random) without raising: only OSError may escape the hash, which the indexer
reports, and anything else would stop the scan."""

from __future__ import annotations

import math
import shutil
import subprocess
from pathlib import Path

import pytest
import synth
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from moodspeaker.library.adts import adts_duration
from moodspeaker.library.payload import SCHEME
from moodspeaker.library.scanner import content_hash

SUFFIXES = (".wav", ".flac", ".ogg", ".mp3", ".m4a", ".aac")


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """One small tagged file per format (raw AAC through ffmpeg, with an ID3 tag in front)."""
    folder = tmp_path_factory.mktemp("seeds")
    out: dict[str, bytes] = {}
    for suffix in SUFFIXES:
        if suffix in (".mp3", ".m4a", ".aac") and shutil.which("ffmpeg") is None:
            continue
        path = folder / f"seed{suffix}"
        y = synth.song("happy", 1.5)
        if suffix == ".aac":
            wav = synth.write(folder / "aac.wav", y)
            cmd = ["ffmpeg", "-nostdin", "-v", "error", "-y", "-i", str(wav), "-c:a", "aac", str(path)]
            subprocess.run(cmd, check=True)
            id3 = b"ID3\x03\x00\x00\x00\x00\x00\x15TIT2\x00\x00\x00\x0b\x00\x00\x00Seed title"
            out[suffix] = id3 + path.read_bytes()
            continue
        synth.write(path, y)
        if suffix != ".wav":
            synth.tag(path, title="Seed", artist="Fuzz")
        out[suffix] = path.read_bytes()
    return out


@st.composite
def damaged(draw: st.DrawFn, seeds: dict[str, bytes]) -> bytes:
    base = seeds[draw(st.sampled_from(sorted(seeds)))]
    how = draw(st.sampled_from(["truncated", "flipped", "header-only", "random"]))
    if how == "random":
        return draw(st.binary(max_size=4096))
    if how == "truncated":
        return base[: draw(st.integers(0, len(base) - 1))]
    if how == "header-only":
        return base[: draw(st.integers(1, 512))] + draw(st.binary(max_size=64))
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 24))):
        pos = draw(st.integers(0, min(len(data) - 1, 8192)))  # containers, tags and headers come first
        data[pos] = draw(st.integers(0, 255))
    return bytes(data)


@settings(
    max_examples=300,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture],
)
@given(data=st.data())
def test_damaged_files(tmp_path: Path, seeds: dict[str, bytes], data: st.DataObject) -> None:
    content = data.draw(damaged(seeds))
    path = tmp_path / "case.bin"
    path.write_bytes(content)
    digest = content_hash(str(path), len(content))
    assert digest.startswith(SCHEME) and digest == content_hash(str(path), len(content))
    duration = adts_duration(path)
    assert duration is None or (math.isfinite(duration) and duration > 0)
