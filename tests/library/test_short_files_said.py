"""Files kept out as shorter than library.min_track_s are told apart from files that failed analysis.

`moodspeaker index` and `library stats` count them on their own (a ringtone is no broken file to look
into), and a speaker whose library holds nothing but short files says that is why it plays nothing,
naming the setting, where it said "all N tracks failed analysis" (the person then looked for broken
files and found none).
"""

from __future__ import annotations

import json
import subprocess
from pathlib import Path

import numpy as np
import synth
from clikit import run_cli

from moodspeaker.config import Config
from moodspeaker.library.index import LibraryIndex
from moodspeaker.library.indexer import Indexer
from moodspeaker.library.workers import AnalysisPool
from moodspeaker.recommend.hybrid import Recommender


def _cli(tmp_path: Path, min_track_s: float, *args: str) -> subprocess.CompletedProcess[str]:
    """`moodspeaker` with the test's data folder and library.min_track_s (seconds, as its songs)."""
    return run_cli(tmp_path, *args, min_track_s=min_track_s)


def test_index_and_stats_count_short_files_apart(tmp_path: Path) -> None:
    music = tmp_path / "music"
    synth.write(music / "song.flac", synth.song("happy", 3.0))
    synth.write(music / "ring.wav", synth.song("happy", 1.0))
    song, ring = str(music / "song.flac"), str(music / "ring.wav")

    res = _cli(tmp_path, 2, "index", "--workers", "1", "--quiet", str(music))
    assert res.returncode == 0, res.stderr
    assert "2 audio files: 1 analysed, 0 unchanged" in res.stdout, res.stdout
    assert "1 too short, 0 failed" in res.stdout, res.stdout
    reason = "too short for music: 1.0 s, under library.min_track_s (2 s)"
    assert f"  too-short: {ring}: {reason}" in res.stdout.splitlines(), res.stdout

    text = _cli(tmp_path, 2, "library", "stats").stdout
    assert "tracks: 2 (1 analysed, 0 pending, 0 failed, 1 too short)" in text, text
    lines = text.splitlines()
    assert "failed:" not in lines, text  # a ringtone is not listed as a failure to look into
    heading = lines.index(
        "too short (not analysed; a lower library.min_track_s indexes them at the next scan):"
    )
    assert lines[heading + 1] == f"  {ring}: {reason}", text
    data = json.loads(_cli(tmp_path, 2, "library", "stats", "--json").stdout)
    assert (data["analysed"], data["failed"], data["short"]) == (1, 1, 1), data

    # a raised minimum keeps out the song indexed before: the JSON summary counts it
    res = _cli(tmp_path, 5, "index", "--json", "--workers", "1", "--quiet", str(music))
    assert res.returncode == 0, res.stderr
    summary = json.loads(res.stdout)
    # both are kept out now (the ringtone since before: counted, not listed again)
    assert (summary["short"], summary["analysed"], summary["skipped"]) == (2, 0, 0), summary
    assert [(p["path"], p["kind"]) for p in summary["problems"]] == [(song, "too-short")], summary


def test_a_library_of_short_files_says_why_nothing_plays(tmp_path: Path, pool: AnalysisPool) -> None:
    music = tmp_path / "music"
    synth.write(music / "ring.wav", synth.song("happy", 1.0))
    synth.write(music / "jingle.flac", synth.song("sad", 1.0))
    index = LibraryIndex(tmp_path / "lib.db")
    assert Indexer(index, pool, min_track_s=2.0).scan([str(music)]).short == 2
    rec = Recommender.from_config(Config(), index, tmp_path / "recommend.sqlite")
    assert rec.plan(None, "default", "steady", k=5) == []
    assert rec.status == (
        "no playable tracks: all 2 files are shorter than library.min_track_s (ringtones, jingles?); "
        "lower it to play them (see `library stats`)"
    )

    (music / "random.mp3").write_bytes(np.random.default_rng(1).bytes(50000))  # fails analysis
    assert len(Indexer(index, pool, min_track_s=2.0).scan([str(music)]).failed) == 1
    assert rec.plan(None, "default", "steady", k=5) == []
    assert rec.status == (
        "no playable tracks: 2 files shorter than library.min_track_s and 1 that failed analysis "
        "(see `library stats`)"
    )
