"""One warmed-up analysis pool for this folder's tests (librosa's JIT warm-up costs seconds per process),
stopped once the folder's last test is done; the OpenSubsonic mirror of a test file's `server`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from moodspeaker.library.lan.subsonic import SubsonicLibrary
from moodspeaker.library.workers import AnalysisPool
from subsonickit import Subsonic
from testcache import numba_cache

HERE = Path(__file__).resolve().parent

#: the pool the `pool` fixture hands out, made at its first use and stopped when the run leaves this folder
_shared: list[AnalysisPool] = []


@pytest.fixture
def pool() -> AnalysisPool:
    """The folder's analysis pool (two warmed-up workers).  Not a session fixture: those end with the
    session, and its two workers (~260 MB each) stayed for the rest of the suite after this folder."""
    if not _shared:
        started = AnalysisPool(2, excerpt_s=4.0, numba_cache_dir=numba_cache())
        started.start()
        _shared.append(started)
    return _shared[0]


@pytest.fixture
def lib(tmp_path: Path, server: Subsonic) -> Iterator[SubsonicLibrary]:
    """The speaker's mirror of the test file's OpenSubsonic `server` fixture (subsonickit), its cache
    in tmp_path/cache, nothing synced yet; closed after the test."""
    mirror = SubsonicLibrary(server.url, tmp_path / "cache")
    try:
        yield mirror
    finally:
        mirror.close()


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    """After this folder's last test (the next one is elsewhere, or none), the pool's workers stop."""
    if _shared and (nextitem is None or HERE not in Path(nextitem.path).resolve().parents):
        _shared.pop().close()
