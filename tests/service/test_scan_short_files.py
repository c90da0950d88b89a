"""The service's own rescan keeps files shorter than library.min_track_s out of the music, and says so.

A household's music folder holds ringtones and jingles beside the songs (a phone's backup): with the
setting at its default (30 s) the rescan the page, MQTT or the start-up asks for must not analyse a
2-second ringtone nor offer it to the recommender, and its sentence (the page's scan result) must
count it, while `library stats` lists it with the reason.  Before the service passed the setting to
the indexer, the ringtone was analysed and played as music.

The real service: real library index, real rescan (`open_library`), real analysis worker, real files.
"""

from __future__ import annotations

from pathlib import Path

from librarykit import scan_finished, started_service
from servicekit import wait_for

from moodspeaker.config import Config
from moodspeaker.library import db_path
from moodspeaker.library.index import LibraryIndex
from tonetracks import write_tone


def test_the_service_rescan_keeps_a_ringtone_out_with_the_default_minimum(tmp_path: Path) -> None:
    default = Config().library.min_track_s
    assert default == 30.0
    music = tmp_path / "music"
    music.mkdir()
    write_tone(music / "song.ogg", 330.0, default + 2.0, 0.2)
    write_tone(music / "ring.ogg", 880.0, 2.0, 0.2)
    # servicekit indexes files of any length (its songs last seconds): the default is set back here;
    # short excerpts keep the song's analysis quick
    with started_service(
        tmp_path, music, **{"library.min_track_s": default, "library.excerpt_s": 5.0}
    ) as service:
        service.control.execute("rescan")
        wait_for(lambda: scan_finished(service.control), 240, "the rescan")
        scan = service.control.state()["scan"]
        assert (scan["seen"], scan["added"], scan["analysed"]) == (2, 2, 1), scan
        assert scan["result"].startswith("2 files, 2 new, 0 changed, 1 analysed, 0 removed, 1 too short"), (
            scan
        )
        assert "library.min_track_s" in scan["result"], scan
        plan = service.app.parts.recommender.plan(None, "default", "steady", k=10)
        assert [Path(p.track.location).name for p in plan] == ["song.ogg"]

    with LibraryIndex(db_path(service.config)) as index:
        assert [Path(t.location).name for t in index.tracks()] == ["song.ogg"]
        stats = index.stats()
    assert (stats["analysed"], stats["failed"], stats["short"]) == (1, 1, 1), stats
    [failure] = stats["failures"]
    assert Path(failure["path"]).name == "ring.ogg"
    assert failure["reason"].startswith("too short for music: 2.0 s"), failure
    assert "library.min_track_s (30 s)" in failure["reason"], failure
