"""A server taken out of library.servers, or whose URL changed, leaves nothing after the next rescan.

Its mirror folder (named by the URL) was kept for good: no sync reached it any more, so an old
mirror's salted login tokens were never scrubbed, and the privacy retention and "delete everything"
go through the configured servers' clients only (its notes of failed downloads and its audio copies
stayed).  Now the service's rescan deletes it whole (sources.prune_mirrors), unless a sync of it is
in progress (a `library sync --url` by hand holds its lock): that one goes at the next rescan.
Real servers on loopback (a library server, subsonickit's OpenSubsonic server), a real rescan.
"""

from __future__ import annotations

import fcntl
from pathlib import Path

import synth
from lankit import add_track, tone_song

from moodspeaker.config import Config, with_changes
from moodspeaker.library.index import LibraryIndex
from moodspeaker.library.lan.client import slug
from moodspeaker.library.lan.mirror import SYNC_LOCK
from moodspeaker.library.lan.server import LibraryServer
from moodspeaker.library.lan.sources import open_remote, prune_mirrors, sync_remote
from moodspeaker.library.workers import AnalysisPool
from moodspeaker.service.components import open_library
from subsonickit import served


def _config(tmp_path: Path, servers: list[str]) -> Config:
    changes = {"device.data_dir": str(tmp_path / "data"), "library.folders": [str(tmp_path / "no-music")]}
    return with_changes(Config(), {**changes, "library.servers": servers})


def _mirrors(cache: Path) -> list[str]:
    return sorted(p.name for p in cache.iterdir()) if cache.exists() else []


def test_a_rescan_deletes_the_mirrors_of_servers_no_longer_configured(
    tmp_path: Path, pool: AnalysisPool
) -> None:
    cache = tmp_path / "data" / "lan-cache"
    index = LibraryIndex(tmp_path / "server.db")
    tid = add_track(index, synth.write(tmp_path / "music" / "a.wav", synth.chord(synth.C_MAJOR, 1.0)), 0.5)
    server = LibraryServer(index, "127.0.0.1", 0).start()
    # the same library served on another port too: the URL it is configured under later (the loopback
    # address, not a name: `localhost` need not resolve)
    moved = LibraryServer(index, "127.0.0.1", 0).start()
    songs = {"s1": tone_song(tmp_path / "1.flac", "Tone")}
    try:
        with served(songs) as sub:
            # both synced and played (an audio copy each), and a failed play noted in the OpenSubsonic one
            lan = open_remote(server.url, cache)
            subsonic = open_remote(f"subsonic+{sub.url}", cache)
            sync_remote(lan)
            sync_remote(subsonic, pool=pool)
            lan.fetch(tid)
            with subsonic.playing("s1"):
                pass
            subsonic._note_failed_download("gone", "the server was off")
            lan.close()
            subsonic.close()
            before = _mirrors(cache)
            assert before == sorted(
                [slug(server.url), "subsonic-" + slug(f"http://127.0.0.1:{sub.server_port}")]
            )
            assert [p for p in cache.rglob("*") if p.parent.name == "audio"]  # copies are there
            # the settings now: the library server under another URL; the OpenSubsonic server removed
            _, rescan = open_library(_config(tmp_path, [moved.url]))
            text = rescan(None)
            rescan.close()
        assert _mirrors(cache) == [slug(moved.url)], text  # only the configured server's, made anew
        assert "no longer in library.servers" in text and before[0] in text and before[1] in text
        assert f"{moved.url}: 1 updated" in text
    finally:
        server.stop()
        moved.stop()
        index.close()


def test_a_mirror_being_synced_stays_until_the_next_rescan(tmp_path: Path) -> None:
    cache = tmp_path / "lan-cache"
    kept = open_remote("http://127.0.0.1:9", cache)
    for name in ("old-server-8765", "subsonic-old-4533"):
        (cache / name / "audio").mkdir(parents=True)
        (cache / name / "index.db").write_bytes(b"mirror")
    (kept.root / "audio").mkdir(parents=True)
    # a `library sync` by hand of the old server, in progress: it holds the folder's sync lock
    with (cache / "old-server-8765" / SYNC_LOCK).open("ab") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        assert prune_mirrors(cache, [kept]) == ["subsonic-old-4533"]
        assert _mirrors(cache) == sorted(["old-server-8765", kept.root.name])
    assert prune_mirrors(cache, [kept]) == ["old-server-8765"]
    assert _mirrors(cache) == [kept.root.name]
    assert prune_mirrors(tmp_path / "none-yet", [kept]) == []  # no mirror ever made: nothing to do
