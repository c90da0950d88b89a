"""A dead link to a picture is passed over, not taken for an unmounted disk.

An album folder copied from an old computer keeps `cover.jpg` as a link into the old user's
Pictures: the scan said "unmounted-link … (disk unmounted?)" and `moodspeaker index` exited 1 with
"could not scan …/cover.jpg: mount or create it".  A dangling link stands for a folder (a share that
is not mounted: its tracks kept) only when neither its name nor its target's ends in a file's
suffix; a dead link to a picture, a playlist or a booklet is passed over as a picture is.  A folder
link whose name has a dot in it ("Vol.II") is still a folder.

Real files and links, the real indexer and workers on a real SQLite index, the real command.
"""

from __future__ import annotations

import os
from pathlib import Path

import synth
from clikit import run_cli

from moodspeaker.library.index import LibraryIndex
from moodspeaker.library.indexer import Indexer
from moodspeaker.library.workers import AnalysisPool


def test_dead_links_to_files_are_passed_over_and_folder_links_kept(
    tmp_path: Path, pool: AnalysisPool
) -> None:
    music, mnt = tmp_path / "music", tmp_path / "mnt"
    synth.write(music / "Album" / "song.wav", synth.song("happy", 3.0))
    synth.write(mnt / "share" / "far.wav", synth.song("sad", 3.0))
    synth.write(mnt / "box" / "near.wav", synth.song("happy", 2.0))
    os.symlink("/home/olduser/Pictures/cover.jpg", music / "Album" / "cover.jpg")
    os.symlink("/home/olduser/Pictures/AlbumArtSmall.JPG", music / "Album" / "folder")  # by its target
    os.symlink("../../old/Album.m3u8", music / "Album" / "Album.m3u8")
    os.symlink(mnt / "share", music / "nas")
    os.symlink(mnt / "box", music / "Vol.II")  # a folder whose name has a dot
    index = LibraryIndex(tmp_path / "lib.db")
    indexer = Indexer(index, pool)
    first = indexer.scan([str(music)])
    assert (first.analysed, first.problems) == (3, []), first

    mnt.rename(tmp_path / "mnt-off")  # unmounted
    off = indexer.scan([str(music)])
    assert sorted((Path(p).name, kind) for p, kind, _ in off.problems) == [
        ("Vol.II", "unmounted-link"),
        ("nas", "unmounted-link"),
    ], off.problems
    assert off.removed == 0
    assert sorted(Path(t.location).name for t in index.tracks()) == ["far.wav", "near.wav", "song.wav"]
    assert [p["kind"] for p in index.stats()["problems"]] == ["unmounted-link", "unmounted-link"]


def test_index_exits_0_past_a_dead_link_to_a_picture(tmp_path: Path) -> None:
    music = tmp_path / "music"
    synth.write(music / "song.wav", synth.song("happy", 3.0))
    os.symlink("/home/olduser/Pictures/cover.jpg", music / "cover.jpg")
    done = run_cli(tmp_path, "index", "--workers", "1", "--quiet", str(music), home=True)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "cover.jpg" not in done.stdout + done.stderr, done.stdout + done.stderr
    assert done.stdout.startswith("1 audio files: 1 analysed"), done.stdout
