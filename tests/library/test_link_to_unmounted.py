"""A link in the music folder to a folder elsewhere (a NAS share, a USB disk) whose target is not
mounted: the tracks indexed under it are kept and the scan says why, as for an unmounted root."""

from __future__ import annotations

import os
from pathlib import Path

import synth
from clikit import run_cli

from moodspeaker.library.index import LibraryIndex
from moodspeaker.library.indexer import Indexer
from moodspeaker.library.workers import AnalysisPool


def test_tracks_behind_a_link_to_an_unmounted_share_are_kept(tmp_path: Path, pool: AnalysisPool) -> None:
    music, share = tmp_path / "music", tmp_path / "mnt" / "share"
    synth.write(music / "local.wav", synth.song("happy", 3.0))
    synth.write(share / "Album" / "far.flac", synth.song("sad", 3.0))
    os.symlink(share, music / "nas")
    index = LibraryIndex(tmp_path / "lib.db")
    indexer = Indexer(index, pool)
    assert indexer.scan([str(music)]).analysed == 2
    share.rename(tmp_path / "mnt" / "share-off")  # unmounted: the link's target is not there
    off = indexer.scan([str(music)])
    assert off.removed == 0
    assert sorted(Path(t.location).name for t in index.tracks()) == ["far.flac", "local.wav"]
    assert [(Path(p).name, kind) for p, kind, _ in off.problems] == [("nas", "unmounted-link")]
    (tmp_path / "mnt" / "share-off").rename(share)  # mounted again: nothing to analyse anew
    back = indexer.scan([str(music)])
    assert (back.removed, back.analysed, back.problems) == (0, 0, [])


def test_index_exits_1_for_a_link_to_an_unmounted_share(tmp_path: Path) -> None:
    """`index` says what it could not do: a share behind a link was not scanned (README: exit 1 when a
    folder could not be scanned, e.g. an unmounted disk), like an unmounted library root."""
    music = tmp_path / "music"
    music.mkdir()
    os.symlink(tmp_path / "mnt" / "share", music / "nas")  # the share is not mounted
    done = run_cli(tmp_path, "index", "--workers", "1", "--quiet", str(music), min_track_s=None, home=True)
    assert done.returncode == 1, done.stdout + done.stderr
    assert "nas" in done.stderr and "could not scan" in done.stderr, done.stderr
