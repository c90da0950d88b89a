"""Why a file failed, as the index stores it and `library stats` prints it: one clear sentence.

The reason is printed next to the file's path, so it must not name the file again (it used to, twice,
through libsndfile's "Error opening '<path>'"), and must not quote libsndfile's "File does not exist"
for a corrupt file that is there.  Real corrupt files through the real indexer and worker pool.
"""

from __future__ import annotations

import multiprocessing
import os
import tempfile
from pathlib import Path

import numpy as np
import pytest
import soundfile as sf
from clikit import run_cli

from moodspeaker.library.index import LibraryIndex
from moodspeaker.library.indexer import Indexer
from moodspeaker.library.workers import AnalysisPool


def test_corrupt_files_fail_with_one_sentence_naming_the_file_once(
    tmp_path: Path, pool: AnalysisPool
) -> None:
    music = tmp_path / "music"
    music.mkdir()
    (music / "random.mp3").write_bytes(os.urandom(50000))
    whole = tmp_path / "whole.wav"
    sf.write(whole, np.full((44100 * 2, 2), 0.1, dtype=np.float32), 44100)
    (music / "truncated.wav").write_bytes(whole.read_bytes()[:30])  # cut inside the header
    index = LibraryIndex(tmp_path / "lib.db")
    summary = Indexer(index, pool).scan([str(music)])
    failures = {Path(f["path"]).name: f["reason"] for f in index.stats()["failures"]}
    assert set(failures) == {"random.mp3", "truncated.wav"}
    assert dict((Path(p).name, r) for p, r in summary.failed) == failures
    for name, reason in failures.items():
        assert reason.startswith("not a readable audio file (corrupt or unsupported): "), reason
        assert str(music) not in reason and name not in reason, reason
        assert "does not exist" not in reason.lower() and "Error opening" not in reason, reason
        assert "\n" not in reason
    assert "data" in failures["truncated.wav"]  # the decoder's short reason: no 'data' chunk


def test_other_corrupt_formats_give_no_parser_gibberish(tmp_path: Path, pool: AnalysisPool) -> None:
    """Random bytes named .flac or .wav went on to ffmpeg's container probe (mutagen), whose words
    reached the user: "'' is not a valid FLAC file", "'ascii' codec can't decode byte 0xfb"."""
    music = tmp_path / "music"
    music.mkdir()
    rng = np.random.default_rng(1)
    for name in ("random.flac", "random.wav", "random.ogg", "random.m4a"):
        (music / name).write_bytes(b"\xfb" + rng.bytes(30000))
    index = LibraryIndex(tmp_path / "lib.db")
    summary = Indexer(index, pool).scan([str(music)])
    assert len(summary.failed) == 4
    for path, reason in summary.failed:
        assert reason.startswith("not a readable audio file (corrupt or unsupported)"), reason
        assert "''" not in reason and "codec" not in reason and Path(path).name not in reason, reason


def test_decoder_notes_stay_off_the_terminal_of_moodspeaker_index(tmp_path: Path) -> None:
    """libmpg123 printed "Note: Illegal Audio-MPEG-Header ... Trying to resync..." among the output
    of `moodspeaker index` for a corrupt MP3, whose failure is already a line of the summary."""
    music = tmp_path / "music"
    music.mkdir()
    (music / "notes.mp3").write_text("hello world, not music\n" * 100)
    (music / "random.mp3").write_bytes(np.random.default_rng(1).bytes(50000))
    res = run_cli(tmp_path, "index", "--quiet", "--workers", "1", str(music), min_track_s=None, timeout=600)
    assert res.returncode == 0, res.stderr
    failed = [line for line in res.stdout.splitlines() if line.startswith("  failed: ")]
    assert len(failed) == 2, res.stdout
    for line in failed:
        path, _, reason = line.removeprefix("  failed: ").partition(": ")
        assert Path(path).parent == music and path not in reason and "does not exist" not in reason
    assert "MPEG" not in res.stderr and "resync" not in res.stderr and "libmpg123" not in res.stderr


def _scan_as_nobody(music: str, db: str, queue: multiprocessing.Queue[list[tuple[str, str, str]]]) -> None:
    os.setgid(65534)
    os.setuid(65534)
    with LibraryIndex(Path(db)) as index, AnalysisPool(1) as idle:  # nothing to analyse: never started
        queue.put(Indexer(index, idle).scan([music]).problems)


@pytest.mark.skipif(os.geteuid() != 0, reason="needs root to scan as an unprivileged user")
def test_an_unreadable_file_is_named_once(tmp_path: Path) -> None:
    """A file the service user may not read was reported as "unreadable: /m/a.wav: [Errno 13]
    Permission denied: '/m/a.wav'"."""
    with tempfile.TemporaryDirectory() as tmp:  # under /tmp: reachable by an unprivileged user
        root = Path(tmp)
        root.chmod(0o777)
        locked = root / "locked.wav"
        sf.write(locked, np.full((44100, 2), 0.1, dtype=np.float32), 44100)
        locked.chmod(0o000)
        ctx = multiprocessing.get_context("fork")
        queue = ctx.Queue()
        proc = ctx.Process(target=_scan_as_nobody, args=(str(root), str(root / "lib.db"), queue))
        proc.start()
        problems = queue.get(timeout=120)
        proc.join(timeout=60)
    assert problems == [(str(locked), "unreadable", "cannot read the file: Permission denied")]
