"""A tag-only edit (title or artist changed in a tag editor) refreshes the tags and keeps the analysis.

The index keys a file's analysis on a hash of its audio payload, which tag blocks are not part of
(ID3v1/v2 and APE tags, FLAC metadata blocks, Ogg comment packets, MP4 `moov`, RIFF chunks other than
`data`).  Analysis calls are counted by the indexer itself (`analysed`, and `on_done` per analysis).
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import mutagen
import numpy as np
import pytest
import synth
from mutagen.id3 import TIT2

from moodspeaker.library.index import LibraryIndex, track_id
from moodspeaker.library.indexer import Indexer
from moodspeaker.library.scan_summary import ScanSummary
from moodspeaker.library.scanner import content_hash, legacy_hash
from moodspeaker.library.workers import AnalysisPool

FORMATS = [".mp3", ".flac", ".ogg", ".m4a", ".wav"]


def _scan(index: LibraryIndex, pool: AnalysisPool, music: Path, done: list[str]) -> ScanSummary:
    return Indexer(index, pool).scan([str(music)], on_done=lambda path, error: done.append(path))


@pytest.mark.parametrize("suffix", FORMATS)
def test_tag_edit_keeps_the_analysis(tmp_path: Path, pool: AnalysisPool, suffix: str) -> None:
    if suffix in (".mp3", ".m4a") and shutil.which("ffmpeg") is None:
        pytest.skip("needs ffmpeg")
    music = tmp_path / "music"
    song = synth.write(music / f"song{suffix}", synth.song("happy", 4.0))
    if suffix != ".wav":  # mutagen writes no WAV tags the easy way; the edit below adds an ID3 chunk
        synth.tag(song, title="Old title", artist="Someone")
    index = LibraryIndex(tmp_path / "lib.db")
    done: list[str] = []
    assert _scan(index, pool, music, done).analysed == 1
    before = index.features(track_id(str(song)))
    _retitle(song, "New title, much longer than the old one " * 20)

    done.clear()
    summary = _scan(index, pool, music, done)
    assert (summary.analysed, summary.reused, summary.updated, done) == (0, 1, 1, [])
    track = index.get(track_id(str(song)))
    assert track is not None and track.title.startswith("New title")
    assert index.features(track_id(str(song))) == before
    assert track_id(str(song)) in {t["id"] for t in index.changes_since(0)["tracks"]}


def _retitle(path: Path, title: str) -> None:
    if path.suffix != ".wav":
        synth.tag(path, title=title)
        return
    wave = mutagen.File(str(path))  # a WAV file's tags: an ID3 chunk (no "easy" interface)
    wave.add_tags()
    wave.tags.add(TIT2(encoding=3, text=title))  # type: ignore[no-untyped-call]
    wave.save()


def test_new_audio_under_the_same_tags_is_analysed_again(tmp_path: Path, pool: AnalysisPool) -> None:
    music = tmp_path / "music"
    song = synth.write(music / "song.flac", synth.song("happy", 4.0))
    synth.tag(song, title="Same")
    index = LibraryIndex(tmp_path / "lib.db")
    done: list[str] = []
    _scan(index, pool, music, done)
    synth.write(song, synth.song("sad", 4.0))  # re-encoded from another master, tagged the same
    synth.tag(song, title="Same")
    done.clear()
    summary = _scan(index, pool, music, done)
    assert (summary.analysed, summary.reused, done) == (1, 0, [str(song)])


def test_hash_ignores_ogg_page_numbers_but_not_audio(tmp_path: Path) -> None:
    """Growing the comment packet past a page renumbers (and re-checksums) every later Ogg page."""
    song = synth.write(tmp_path / "song.ogg", synth.song("happy", 4.0))
    first = content_hash(str(song), song.stat().st_size)
    synth.tag(song, title="x" * 9000, artist="y" * 9000)  # the comment spans more pages now
    assert content_hash(str(song), song.stat().st_size) == first
    data = bytearray(song.read_bytes())
    data[-100] ^= 0xFF
    song.write_bytes(bytes(data))
    assert content_hash(str(song), song.stat().st_size) != first


def test_index_from_before_the_audio_hash_keeps_its_analyses(tmp_path: Path, pool: AnalysisPool) -> None:
    """A database written by an earlier version holds whole-file hashes: a touched file (copied back
    from a backup) is recognised by that hash once, and its stored hash is brought up to date."""
    music = tmp_path / "music"
    song = synth.write(music / "song.ogg", synth.song("happy", 4.0))
    index = LibraryIndex(tmp_path / "lib.db")
    done: list[str] = []
    _scan(index, pool, music, done)
    size = song.stat().st_size
    with index.db.transaction() as conn:  # as the earlier version stored it
        conn.execute("UPDATE tracks SET content_hash = ?", (legacy_hash(str(song), size),))
    stat = song.stat()
    os.utime(song, ns=(stat.st_atime_ns, stat.st_mtime_ns + 10**9))  # copied back from a backup
    done.clear()
    summary = _scan(index, pool, music, done)
    assert (summary.analysed, summary.reused, done) == (0, 1, [])
    assert index.file_states()[str(song)].content_hash == content_hash(str(song), size)


def test_unknown_format_still_hashes(tmp_path: Path) -> None:
    path = tmp_path / "odd.mp3"
    path.write_bytes(np.arange(300000, dtype=np.uint32).tobytes())
    digest = content_hash(str(path), path.stat().st_size)
    path.write_bytes(np.arange(300000, dtype=np.uint32).tobytes()[:-1] + b"\x01")
    assert content_hash(str(path), path.stat().st_size) != digest


@pytest.mark.parametrize("header", [b"fLaC\x00\xff\xff\xff", b"ID3\x04\x00\x00\x7f\x7f\x7f\x7f"])
def test_header_pointing_past_the_end_hashes_the_whole_file(tmp_path: Path, header: bytes) -> None:
    """A damaged header whose lengths point past the end leaves no audio to hash: the whole file is
    hashed, or every such file would look alike (and take the analysis of another)."""
    rng = np.random.default_rng(0)
    one, two = tmp_path / "one.flac", tmp_path / "two.flac"
    one.write_bytes(header + rng.bytes(5000))
    two.write_bytes(header + rng.bytes(5000))
    assert content_hash(str(one), 5000 + len(header)) != content_hash(str(two), 5000 + len(header))
