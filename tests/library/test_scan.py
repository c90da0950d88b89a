"""Scanning and indexing real files: formats, tags, incremental rescans, and every kind of bad input."""

from __future__ import annotations

import multiprocessing
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import synth

import moodspeaker.library.indexer as indexer_module
from moodspeaker.library.emotion import EmotionModel
from moodspeaker.library.index import LibraryIndex, track_id
from moodspeaker.library.indexer import Indexer
from moodspeaker.library.scan_summary import ScanSummary
from moodspeaker.library.scanner import content_hash, walk
from moodspeaker.library.workers import AnalysisPool


@pytest.fixture(scope="session")
def library_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    music = tmp_path_factory.mktemp("template") / "music"
    synth.write(music / "happy.flac", synth.song("happy"))
    synth.write(music / "sad.ogg", synth.song("sad"))
    synth.write(music / "album" / "happy.mp3", synth.song("happy", 5.0))
    synth.write(music / "album" / "sad.m4a", synth.song("sad", 5.0))
    synth.write(music / "album" / "tone.wav", synth.chord(synth.C_MAJOR, 4.0))
    synth.tag(music / "happy.flac", title="Sunny", artist="The Tests", album="Fixtures",
              replaygain_track_gain="-6.50 dB")  # fmt: skip
    synth.tag(music / "album" / "happy.mp3", title="Sunny (mp3)", artist="The Tests")
    (music / "notes.txt").write_text("not audio")
    return music


@pytest.fixture
def library(tmp_path: Path, library_template: Path) -> Path:
    """A fresh copy of five tagged tracks in five formats (and a text file) per test."""
    return Path(shutil.copytree(library_template, tmp_path / "music"))


def _scan(index: LibraryIndex, pool: AnalysisPool, *folders: Path, **kw: Any) -> ScanSummary:
    return Indexer(index, pool).scan([str(f) for f in folders], **kw)


def test_index_formats_tags_and_estimates(tmp_path: Path, library: Path, pool: AnalysisPool) -> None:
    index = LibraryIndex(tmp_path / "lib.db")
    summary = _scan(index, pool, library)
    assert summary.failed == []
    assert (summary.files, summary.analysed) == (5, 5)
    tracks = {Path(t.location).name + Path(t.location).parent.name: t for t in index.tracks()}
    assert len(tracks) == 5
    sunny = tracks["happy.flacmusic"]
    assert (sunny.title, sunny.artist, sunny.album, sunny.replaygain_db) == (
        "Sunny",
        "The Tests",
        "Fixtures",
        -6.5,
    )
    assert sunny.duration_s == pytest.approx(6.0, abs=0.05)
    assert tracks["happy.mp3album"].title == "Sunny (mp3)"
    assert tracks["sad.oggmusic"].title == "sad"  # no tags: the file name
    happy, sad = tracks["happy.flacmusic"], tracks["sad.oggmusic"]
    assert happy.tempo == pytest.approx(140, rel=0.05) and sad.tempo == pytest.approx(70, rel=0.05)
    assert (happy.mode, sad.mode) == (1, 0)
    # valence/arousal are the shipped estimator's output on the stored features (synthetic tones are
    # far outside its music training data, so only the mapping is checked here; eval-music checks it)
    for t in (happy, sad):
        features = index.features(t.id)
        assert features is not None
        est = EmotionModel.load().estimate(features)
        assert (t.valence, t.arousal) == pytest.approx((est.valence, est.arousal))
        assert -1 <= t.valence <= 1 and -1 <= t.arousal <= 1
    assert happy.loudness_lufs > sad.loudness_lufs + 10
    assert index.get(happy.id) == happy


def test_rescan_is_incremental(tmp_path: Path, library: Path, pool: AnalysisPool) -> None:
    index = LibraryIndex(tmp_path / "lib.db")
    _scan(index, pool, library)
    again = _scan(index, pool, library)
    assert (again.analysed, again.skipped, again.removed) == (0, 5, 0)
    # touched (new mtime, same content): kept; changed content: analysed again
    os.utime(library / "sad.ogg", ns=(1, 1))
    synth.write(library / "album" / "tone.wav", synth.chord(synth.A_MINOR, 4.0))
    # moved: the analysis follows the content, no new analysis
    shutil.move(library / "album" / "happy.mp3", library / "moved.mp3")
    (library / "happy.flac").unlink()
    third = _scan(index, pool, library)
    assert third.analysed == 1  # tone.wav
    assert third.reused == 2  # sad.ogg (touched) and moved.mp3
    assert (third.removed, third.moved) == (1, 1)  # happy.flac; happy.mp3 moved, keeping its id
    names = sorted(Path(t.location).name for t in index.tracks())
    assert names == ["moved.mp3", "sad.m4a", "sad.ogg", "tone.wav"]
    tone = next(t for t in index.tracks() if t.location.endswith("tone.wav"))
    assert tone.mode == 0


def test_bad_files_are_recorded_and_the_scan_goes_on(
    tmp_path: Path, library: Path, pool: AnalysisPool
) -> None:
    index = LibraryIndex(tmp_path / "lib.db")
    _scan(index, pool, library)
    good = index.stats()["analysed"]
    bad = library / "bad"
    bad.mkdir()
    (bad / "empty.mp3").write_bytes(b"")
    (bad / "corrupt.flac").write_bytes(b"fLaC" + os.urandom(20000))
    (bad / "garbage.mp3").write_bytes(os.urandom(50000))
    (bad / "drm.m4a").write_bytes(b"\x00\x00\x00\x20ftypM4P " + os.urandom(4000))  # not decodable
    full = (library / "album" / "happy.mp3").read_bytes()
    (bad / "truncated.mp3").write_bytes(full[:3000])
    (bad / "silent.wav").write_bytes(
        (synth.write(tmp_path / "s.wav", np.zeros(44100, np.float32))).read_bytes()
    )
    os.symlink(bad, bad / "loop")  # a symlink loop
    os.symlink(bad / "nowhere.ogg", bad / "dangling.ogg")
    weird = os.fsencode(str(bad)) + b"/caf\xe9.wav"  # Latin-1 name: not UTF-8
    with open(weird, "wb") as f:
        f.write((library / "album" / "tone.wav").read_bytes())
    summary = _scan(index, pool, library)
    failed = dict(summary.failed)
    stats = index.stats()
    reasons = {Path(f["path"]).name: f["reason"] for f in stats["failures"]}
    kinds = {Path(p["path"]).name: p["kind"] for p in stats["problems"]}
    assert "empty file" in reasons["empty.mp3"]
    for name in ("corrupt.flac", "garbage.mp3", "drm.m4a", "silent.wav"):
        assert reasons.get(name), name
    assert "silent" in reasons["silent.wav"]
    assert set(reasons) <= {
        "empty.mp3",
        "corrupt.flac",
        "garbage.mp3",
        "drm.m4a",
        "silent.wav",
        "truncated.mp3",
    }
    assert len(failed) == len(reasons)
    assert kinds["loop"] == "symlink-loop"
    assert kinds["dangling.ogg"] == "broken-link"
    assert any(k == "bad-name" and "caf" in n for n, k in kinds.items())
    assert stats["analysed"] >= good  # nothing already indexed lost (a truncated MP3 may still decode)
    # a second scan does not retry known failures, and problems are not duplicated
    again = _scan(index, pool, library)
    assert again.analysed == 0 and again.failed == []
    assert len(index.stats()["problems"]) == len(stats["problems"])


def test_missing_root_loses_nothing(tmp_path: Path, library: Path, pool: AnalysisPool) -> None:
    index = LibraryIndex(tmp_path / "lib.db")
    _scan(index, pool, library)
    before = index.tracks()
    moved = tmp_path / "unmounted"
    library.rename(moved)  # the share is gone
    summary = _scan(index, pool, library)
    assert summary.removed == 0
    assert index.tracks() == before
    assert any(p["kind"] == "missing" for p in index.stats()["problems"])
    moved.rename(library)
    assert _scan(index, pool, library).skipped == 5
    assert not any(p["kind"] == "missing" for p in index.stats()["problems"])


def test_file_vanishing_before_analysis(tmp_path: Path, library: Path, pool: AnalysisPool) -> None:
    index = LibraryIndex(tmp_path / "lib.db")
    victim = library / "sad.ogg"

    def on_total(total: int) -> None:
        victim.unlink()  # listed and hashed, then gone before a worker opens it

    summary = Indexer(index, pool).scan([str(library)], on_total=on_total)
    assert summary.analysed == 4
    assert any(kind == "vanished" for _, kind, _ in summary.problems)
    assert index.get(track_id(str(victim))) is None
    assert any(p["kind"] == "vanished" for p in index.stats()["problems"])


#: What the unprivileged walk reports back: files found, (kind, path) problems, unreadable folders.
WalkResult = tuple[int, list[tuple[str, str]], list[str]]


def _walk_as_nobody(folder: str, queue: multiprocessing.Queue[WalkResult]) -> None:
    os.setgid(65534)
    os.setuid(65534)
    result = walk([folder])
    queue.put((len(result.files), [(p.kind, p.path) for p in result.problems], result.unreadable))


def test_unreadable_folder_is_reported() -> None:
    with tempfile.TemporaryDirectory() as tmp:  # under /tmp: reachable by an unprivileged user
        library = Path(tmp)
        library.chmod(0o755)
        synth.write(library / "a.wav", synth.chord(synth.C_MAJOR, 1.0))
        locked = library / "locked"
        synth.write(locked / "x.wav", synth.chord(synth.C_MAJOR, 1.0))
        locked.chmod(0o000)
        try:
            if os.geteuid() == 0:  # root reads everything: walk as an unprivileged user instead
                ctx = multiprocessing.get_context("fork")
                queue = ctx.Queue()
                proc = ctx.Process(target=_walk_as_nobody, args=(str(library), queue))
                proc.start()
                files, problems, unreadable = queue.get(timeout=30)
                proc.join()
            else:
                result = walk([library])
                files, unreadable = len(result.files), result.unreadable
                problems = [(p.kind, p.path) for p in result.problems]
        finally:
            locked.chmod(0o755)
    assert files == 1
    assert ("unreadable", str(locked)) in problems
    assert str(locked) in unreadable


def test_reestimate_with_a_new_model(tmp_path: Path, library: Path, pool: AnalysisPool) -> None:
    index = LibraryIndex(tmp_path / "lib.db")
    _scan(index, pool, library)
    before = {t.id: (t.valence, t.arousal) for t in index.tracks()}
    shipped = EmotionModel.load()
    flipped = EmotionModel.from_json(
        {**shipped.to_json(), "arousal": {"coef": [0.0] * len(shipped.features), "intercept": 3.0}}
    )
    assert Indexer(index, pool, model=flipped).reestimate() == 5
    after = {t.id: (t.valence, t.arousal) for t in index.tracks()}
    assert set(after) == set(before)
    assert all(a == pytest.approx(2 / (1 + np.exp(-3.0)) - 1) for _, a in after.values())


def test_changed_file_vanishing_while_hashed(
    tmp_path: Path, library: Path, pool: AnalysisPool, monkeypatch: pytest.MonkeyPatch
) -> None:
    index = LibraryIndex(tmp_path / "lib.db")
    _scan(index, pool, library)
    victim = library / "sad.ogg"
    victim.write_bytes(victim.read_bytes() + b"\0" * 10)  # changed: it will be hashed again
    real_hash = content_hash  # the function the indexer module calls (it imports it from the scanner)

    def vanish_then_hash(path: str, size: int) -> str:
        if path == str(victim):
            victim.unlink()  # deleted between the directory listing and the read
        return real_hash(path, size)

    monkeypatch.setattr(indexer_module, "content_hash", vanish_then_hash)
    summary = _scan(index, pool, library)
    assert (str(victim), "vanished", "vanished during the scan") in summary.problems
    assert summary.removed == 1 and index.get(track_id(str(victim))) is None
    assert len(index.tracks()) == 4
