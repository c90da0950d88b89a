"""Fuzzing files: config files (random TOML, truncated, junk) and audio files (random, truncated, bit-flipped
headers and tags) through the real loader, scanner and analysis workers.
"""

from __future__ import annotations

import math
import shutil
import subprocess
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
import tomli_w
from fuzzkit import fuzz
from hypothesis import given
from hypothesis import strategies as st
from stresskit import numba_cache, tone_tracks

from moodspeaker.config import Config, ConfigError, describe, load, save
from moodspeaker.library.index import LibraryIndex
from moodspeaker.library.indexer import Indexer
from moodspeaker.library.tags import read_tags
from moodspeaker.library.workers import AnalysisPool

# --- config files ---------------------------------------------------------------------------------

KNOWN = list(describe())
toml_scalar = (
    st.booleans()
    | st.integers(-(2**63), 2**63 - 1)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
    | st.lists(st.text(max_size=10) | st.integers(), max_size=3)
)


@st.composite
def config_tables(draw: st.DrawFn) -> dict[str, Any]:
    doc: dict[str, Any] = {}
    for info in draw(st.lists(st.sampled_from(KNOWN), max_size=6)):
        doc.setdefault(info.section, {})[info.key] = draw(toml_scalar)
    if draw(st.booleans()):
        doc[draw(st.text(min_size=1, max_size=10))] = draw(
            st.dictionaries(st.text(max_size=8), toml_scalar, max_size=2) | toml_scalar
        )
    if bool(doc) and draw(st.booleans()):  # bool(): mypy would type the draw by `doc`
        section = draw(st.sampled_from(sorted(doc)))
        if isinstance(doc[section], dict):
            doc[section][draw(st.text(min_size=1, max_size=10))] = draw(toml_scalar)
    return doc


@fuzz(300)
@given(doc=config_tables(), junk=st.binary(max_size=80), cut=st.integers(0, 400))
def test_config_files(tmp_path: Path, doc: dict[str, Any], junk: bytes, cut: int) -> None:
    path = tmp_path / "config.toml"
    body = tomli_w.dumps(doc).encode()
    for content in (body, body[:cut], junk, body + junk):
        path.write_bytes(content)
        try:
            config = load(path)
        except ConfigError as exc:
            assert str(exc).strip()
            continue
        assert isinstance(config, Config)
        save(config, tmp_path / "again.toml")  # a loaded config saves and loads back the same
        assert load(tmp_path / "again.toml") == config
        tomllib.loads((tmp_path / "again.toml").read_text())


# --- audio files ----------------------------------------------------------------------------------

SUFFIXES = (".wav", ".flac", ".ogg", ".mp3", ".m4a", ".opus")


@pytest.fixture(scope="module")
def seeds(tmp_path_factory: pytest.TempPathFactory) -> dict[str, bytes]:
    """One short real file per format (mp3/m4a/opus through ffmpeg), tagged, as mutation seeds."""
    folder = tmp_path_factory.mktemp("audio-seeds")
    ogg = tone_tracks(folder, n=1, seconds=1.5)[0].location
    out = {".ogg": Path(ogg).read_bytes()}
    for suffix in SUFFIXES:
        if suffix == ".ogg" or shutil.which("ffmpeg") is None:
            continue
        target = folder / f"seed{suffix}"
        subprocess.run(
            [
                "ffmpeg",
                "-v",
                "error",
                "-y",
                "-i",
                ogg,
                "-metadata",
                "title=Seed",
                "-metadata",
                "artist=Fuzz",
                "-t",
                "1.5",
                str(target),
            ],
            check=True,
            timeout=60,
        )
        out[suffix] = target.read_bytes()
    return out


@pytest.fixture(scope="module")
def analysis_pool() -> Iterator[AnalysisPool]:
    with AnalysisPool(1, excerpt_s=1.0, numba_cache_dir=numba_cache()) as pool:
        pool.start()
        yield pool


@st.composite
def damaged(draw: st.DrawFn, seeds: dict[str, bytes]) -> tuple[str, bytes]:
    suffix = draw(st.sampled_from(SUFFIXES))
    how = draw(st.sampled_from(["random", "truncated", "flipped", "header-only", "spliced"]))
    base = seeds.get(suffix) or seeds[".ogg"]
    if how == "random":
        return suffix, draw(st.binary(min_size=1, max_size=2048))
    if how == "truncated":
        return suffix, base[: draw(st.integers(1, len(base) - 1))]
    if how == "header-only":
        return suffix, base[: draw(st.integers(1, 256))] + draw(st.binary(max_size=64))
    if how == "spliced":
        other = seeds[draw(st.sampled_from(sorted(seeds)))]
        return suffix, other[: len(other) // 2] + base[len(base) // 2 :]
    data = bytearray(base)
    for _ in range(draw(st.integers(1, 24))):
        pos = draw(st.integers(0, min(len(data) - 1, 4096)))  # headers and tag blocks live up front
        data[pos] = draw(st.integers(0, 255))
    return suffix, bytes(data)


@fuzz(30)
@given(data=st.data())
def test_audio_headers_and_tags(
    tmp_path_factory: pytest.TempPathFactory, seeds: dict[str, bytes], analysis_pool: AnalysisPool, data: Any
) -> None:
    tmp = tmp_path_factory.mktemp("audio-case")
    music = tmp / "music"
    music.mkdir()
    files = data.draw(st.lists(damaged(seeds), min_size=1, max_size=3))
    for i, (suffix, content) in enumerate(files):
        path = music / f"case{i}{suffix}"
        path.write_bytes(content)
        tags = read_tags(path)  # never raises: falls back to the file name
        assert tags.title and math.isfinite(tags.duration_s)
    index = LibraryIndex(tmp / "library.db")
    try:
        summary = Indexer(index, analysis_pool).scan([str(music)])
        assert summary.files == len(files)
        for location, reason in summary.failed:
            assert reason.strip(), f"{location}: failed without a reason"
        tracks = {t.location: t for t in index.tracks()}
        failed = {p for p, _ in summary.failed}
        assert set(tracks) | failed == {str(p) for p in music.iterdir()}, (summary, list(tracks))
        for track in tracks.values():
            assert all(math.isfinite(getattr(track, k)) for k in ("valence", "arousal", "energy", "tempo"))
            assert -1.0 <= track.valence <= 1.0 and -1.0 <= track.arousal <= 1.0
    finally:
        index.close()
