"""A scan that finds files renamed or moved says so: ", 2 moved" in the service's scan line (the
page's "Scan finished (…)", the log) and in `moodspeaker index` (its --json carries "moved").  Since a
moved file keeps its id (8967779) it is no longer counted as removed and new, so before, a tagger
renaming an album's folder gave a line of "0 new, … 0 removed" that said nothing happened.  Real files,
the real index on SQLite, the real analysis pool; the real command in a subprocess."""

from __future__ import annotations

import json
import os
import re
import subprocess
from pathlib import Path

import synth
from clikit import run_cli

from moodspeaker.library.index import LibraryIndex
from moodspeaker.library.indexer import Indexer
from moodspeaker.library.workers import AnalysisPool
from moodspeaker.service.components import scan_line


def _album(music: Path) -> Path:
    album = music / "Unknown Album"
    synth.write(album / "01.wav", synth.song("happy", 2.0))
    synth.write(album / "02.wav", synth.song("sad", 2.0))
    return album


def test_the_service_scan_line_says_moved(tmp_path: Path, pool: AnalysisPool) -> None:
    music = tmp_path / "music"
    album = _album(music)
    indexer = Indexer(LibraryIndex(tmp_path / "lib.db"), pool, min_track_s=0)
    assert not re.search(r"\d moved", scan_line(indexer.scan([str(music)])))
    os.rename(album, music / "The Band - Journey")
    line = scan_line(indexer.scan([str(music)]))
    assert line == "2 files, 0 new, 0 changed, 0 analysed, 0 removed, 2 moved", line
    assert not re.search(r"\d moved", scan_line(indexer.scan([str(music)])))  # nothing moved this time


def _index(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    return run_cli(tmp_path, "index", "--workers", "1", "--quiet", *args, timeout=240)


def test_the_index_command_says_moved(tmp_path: Path) -> None:
    music = tmp_path / "music"
    album = _album(music)
    first = _index(tmp_path, str(music))
    assert first.returncode == 0, first.stderr
    assert not re.search(r"\d moved", first.stdout), first.stdout
    os.rename(album, music / "Journey")
    second = _index(tmp_path, str(music))
    assert second.returncode == 0, second.stderr
    assert "2 kept from an earlier analysis, 0 removed, 2 moved, 0 too short" in second.stdout, second.stdout
    os.rename(music / "Journey", music / "2001 - Journey")
    as_json = json.loads(_index(tmp_path, "--json", str(music)).stdout)
    assert (as_json["moved"], as_json["removed"]) == (2, 0), as_json
    assert json.loads(_index(tmp_path, "--json", str(music)).stdout)["moved"] == 0
