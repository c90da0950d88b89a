"""An OpenSubsonic sync's staging of analysis downloads (`analysing/`) is cleaned without harming a
second sync's files there, and is cleaned even when the sync has nothing new.

Why: the sync cleaned its staging with the download cache's "delete everything" (forget_uses), which
zeroes the times of the files it cannot delete: a second sync at the same time (the service beside a
`library sync` run by hand) had its held copy dated 1970 (moved into the cache so, the next privacy
retention pass deleted it at once, and the export said 1970), and the ETag of its download in
progress deleted (it could not resume).  And what a sync cut short (a power cut, a failed sync) left
there stayed until a later sync had a new song, out of reach of "delete everything" and the export.
The OpenSubsonic server of subsonickit on the loopback.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from lankit import tone_song

from moodspeaker.library.lan.audiocache import AudioCache
from moodspeaker.library.lan.subsonic import SubsonicLibrary
from moodspeaker.library.workers import AnalysisPool
from moodspeaker.service import plays
from subsonickit import Subsonic, served

#: when the second sync's copy was downloaded (ns), as its file times say
DOWNLOADED_NS = 1_700_000_000 * 10**9


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Subsonic]:
    with served({"small": tone_song(tmp_path / "music" / "small.flac", "small")}) as srv:
        yield srv


def test_a_syncs_cleanup_leaves_another_syncs_staged_files_as_they_are(
    lib: SubsonicLibrary, pool: AnalysisPool
) -> None:
    other = AudioCache(lib.staging.folder, lib.staging.max_bytes)  # the second sync's view of it
    other.folder.mkdir(parents=True)
    copy = other.folder / "aaaa.v1"
    copy.write_bytes(b"audio")
    os.utime(copy, ns=(DOWNLOADED_NS, DOWNLOADED_NS))
    leftover = other.folder / "cccc.v3"
    leftover.write_bytes(b"a power cut's")
    with other.hold(copy) as kept, other.writing("bbbb", "v2", use=False) as out:
        assert kept and out is not None
        out.write(b"the start")
        out.flush()
        tag = other.folder / "bbbb.v2.etag"
        tag.write_text('"e1"')
        assert lib.sync(pool).analysed == 1
        assert copy.stat().st_mtime_ns == DOWNLOADED_NS, "the other sync's held copy was re-dated"
        assert tag.is_file(), "the ETag of the other sync's download in progress was deleted"
        assert not leftover.exists(), "a file no sync uses stayed in the staging"


def test_a_sync_with_nothing_new_deletes_the_leftovers_of_one_cut_short(
    lib: SubsonicLibrary, pool: AnalysisPool
) -> None:
    assert lib.sync(pool).analysed == 1
    leftover = lib.staging.folder / "cccc.v3"
    leftover.write_bytes(b"a power cut's")
    assert lib.sync(pool).analysed == 0
    assert not leftover.exists(), "a sync with nothing new left a sync's leftover in the staging"


def test_delete_everything_and_the_export_reach_the_staging(lib: SubsonicLibrary) -> None:
    lib.staging.folder.mkdir(parents=True)
    leftover = lib.staging.folder / "cccc.v3"
    leftover.write_bytes(b"a power cut's")
    downloads = SimpleNamespace(clients=[lib])
    assert plays.downloaded(downloads) == [
        {"track_id": "cccc", "file": "cccc.v3", "last_used_at": None, "aside": True, "analysing": True}
    ], "the export left out an analysis download (or dated it as a play)"
    assert plays.forget_downloads(downloads) == 1
    assert not leftover.exists(), "delete everything left an analysis download"
    assert plays.downloaded(downloads) == []


def test_the_export_dates_no_play_for_a_copy_no_play_used(lib: SubsonicLibrary) -> None:
    """A set-aside copy's file times say when it was downloaded (for an analysis): the export gave
    them as when it was last used, claiming a play the listener never made."""
    with lib.audio.writing("aaaa", "v1", use=False) as out:
        assert out is not None
        out.write(b"audio")
        out.flush()
        lib.audio.finish("aaaa", "v1", use=False)
    downloads = SimpleNamespace(clients=[lib])
    (entry,) = plays.downloaded(downloads)
    assert entry["last_used_at"] is None, "a copy never played dated as a play"
    assert entry["aside"]
    assert lib.audio.find("aaaa", "v1") is not None  # its first play
    (entry,) = plays.downloaded(downloads)
    assert entry["last_used_at"] is not None and not entry["aside"]
