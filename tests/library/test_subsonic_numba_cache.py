"""An OpenSubsonic sync's own analysis worker uses the JIT cache every analyser shares
(library.numba_cache_dir(config): <data_dir>/numba-cache), not numba's default location.

The sync's pool read $NUMBA_CACHE_DIR alone: a `library sync` run by hand, or the service's rescan,
without it compiled librosa's kernels into a third cache (minutes on a Pi).  The OpenSubsonic server
of subsonickit on the loopback and a real worker; the pool's constructor is watched for the folder
it is given.  The configured folder links to the tests' warm cache, so nothing is compiled here."""

from __future__ import annotations

import argparse
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from lankit import tone_song

from moodspeaker.commands import library as library_command
from moodspeaker.config import Config, with_changes
from moodspeaker.library import numba_cache_dir
from moodspeaker.library.lan import subsonic
from moodspeaker.library.lan.sources import SUBSONIC_PREFIX, open_remote, sync_remote
from moodspeaker.library.workers import AnalysisPool
from moodspeaker.service.components import open_library
from subsonickit import Subsonic, served
from testcache import numba_cache


@pytest.fixture
def server(tmp_path: Path) -> Iterator[Subsonic]:
    with served({"a": tone_song(tmp_path / "music" / "a.flac", "A", duration=2)}) as srv:
        yield srv


@pytest.fixture
def config(tmp_path: Path, server: Subsonic, monkeypatch: pytest.MonkeyPatch) -> Config:
    """A speaker's settings, run without $NUMBA_CACHE_DIR (a `library sync` typed by hand)."""
    monkeypatch.delenv("NUMBA_CACHE_DIR", raising=False)
    data = tmp_path / "data"
    data.mkdir()
    (data / "numba-cache").symlink_to(numba_cache(), target_is_directory=True)
    changes = {
        "device.data_dir": str(data),
        "library.folders": [],
        "library.servers": [SUBSONIC_PREFIX + server.url],
    }
    return with_changes(Config(), changes)


def pools_given(monkeypatch: pytest.MonkeyPatch) -> list[Any]:
    """The JIT cache folder each analysis pool the sync starts is given (the pool itself is real)."""
    given: list[Any] = []

    class Watched(AnalysisPool):
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            given.append(kwargs.get("numba_cache_dir"))
            super().__init__(*args, **kwargs)

    monkeypatch.setattr(subsonic, "AnalysisPool", Watched)
    return given


@pytest.mark.timeout(300)
def test_a_sync_analyses_with_the_configured_jit_cache(
    config: Config, server: Subsonic, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    given = pools_given(monkeypatch)
    remote = open_remote(
        config.library.servers[0], tmp_path / "data" / "lan-cache", None, numba_cache_dir(config)
    )
    try:
        result = sync_remote(remote)
        assert [t.title for t in remote.tracks()] == ["A"], result
    finally:
        remote.close()
    assert given == [tmp_path / "data" / "numba-cache"], given


def test_the_services_servers_are_given_the_configured_jit_cache(config: Config, tmp_path: Path) -> None:
    source, rescan = open_library(config)
    try:
        (remote,) = [p for p in source.parts if isinstance(p, subsonic.SubsonicLibrary)]
        assert remote.numba_cache == tmp_path / "data" / "numba-cache"
    finally:
        rescan.close()
        for part in source.parts:
            part.close()


@pytest.mark.timeout(300)
def test_library_sync_typed_by_hand_analyses_with_the_configured_jit_cache(
    config: Config, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """`moodspeaker library sync` (the command's own path, no URL: library.servers) gives the sync's
    pool the configured folder, as the service does."""
    given = pools_given(monkeypatch)
    code = library_command.run(argparse.Namespace(action="sync", url=None), config)
    assert code == 0, capsys.readouterr()
    assert given == [tmp_path / "data" / "numba-cache"], given
