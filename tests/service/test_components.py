"""The local index and LAN mirrors as one source: what the recommender says when nothing is playable."""

from __future__ import annotations

import socket
from pathlib import Path

from servicekit import config

from moodspeaker.library.index import LibraryIndex, Tags
from moodspeaker.library.lan.client import LanLibrary
from moodspeaker.library.lan.subsonic import SubsonicLibrary
from moodspeaker.recommend.hybrid import Recommender
from moodspeaker.recommend.source import Catalogue
from moodspeaker.service.components import Libraries, open_library


def test_an_unanalysed_library_says_tracks_are_waiting_not_empty(tmp_path: Path) -> None:
    local = LibraryIndex(tmp_path / "library.sqlite")
    with local.batch() as batch:
        for name in ("a.ogg", "b.flac"):
            batch.upsert_file(f"/music/{name}", 10, 1, f"hash-{name}", Tags(name))  # found, not analysed
    source = Libraries([local, Catalogue([])])  # with a LAN mirror that has nothing yet
    assert source.stats()["pending"] == 2
    rec = Recommender.from_config(config(tmp_path / "data"), source)
    assert rec.plan(None, "default", "match", 0.0, 3) == []
    assert rec.status == "the library is not analysed yet: 2 tracks waiting for analysis"


def test_library_servers_of_both_kinds_are_opened_and_an_unreachable_one_is_reported(tmp_path: Path) -> None:

    with socket.socket() as s:  # a loopback port nobody listens on
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    cfg = config(
        tmp_path / "data",
        **{
            "library.folders": [str(tmp_path / "no-music")],
            "library.servers": [f"http://127.0.0.1:{port}", f"subsonic+http://me:pw@127.0.0.1:{port}"],
            "library.server_cache_mb": 300,
        },
    )
    said: list[str] = []
    source, rescan = open_library(cfg, said.append)
    kinds = [type(p) for p in source.parts[1:]]
    assert kinds == [LanLibrary, SubsonicLibrary]
    lan, sub = source.parts[1:]
    assert isinstance(lan, LanLibrary) and lan.audio.max_bytes == 300 * 2**20  # the setting's bound
    assert isinstance(sub, SubsonicLibrary) and sub.audio.max_bytes == 300 * 2**20  # the same for each
    # the player plays from both clients' download caches
    assert rescan.downloads.clients == [lan, sub]
    text = rescan(None)  # no progress listener
    assert "no music folder found" in text
    assert f"{port}/api/v1/info" in text and f"{port} ping" in text  # each server tried and reported
    assert "pw" not in text  # the OpenSubsonic password never reaches the log or the page
