"""The library's health says the files the scan left out: "1 tracks; 1 failed, 1 not readable", not
"ok, 1 tracks" over a library where files failed to decode or could not be read (Home Assistant's
library sensor and the page's health showed all was well while the scan line counted them).  The
count comes from the index's stats the state already reads for the folders gone (no query more).

The real service with a real library folder (realkit: real index on SQLite, real rescan, one real
analysis worker), its state as /api/state gives it.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from realkit import RealService, failing_library, start_service

from testcache import numba_cache

pytestmark = pytest.mark.timeout(300)


def rescanned(service: RealService) -> tuple[str, str]:
    """A rescan asked for and finished: the library component's (state, detail)."""
    service.rescan()
    library = service.control.state()["health"]["components"]["library"]
    return library["state"], library["detail"]


def test_library_health_counts_failed_and_unreadable_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(numba_cache()))
    music = failing_library(tmp_path)  # a song, a file that fails to decode, one not readable
    service = start_service(tmp_path, music=music)
    try:
        assert rescanned(service) == ("ok", "1 tracks; 1 failed, 1 not readable")
        (music / "pipe.mp3").unlink()
        assert rescanned(service) == ("ok", "1 tracks; 1 failed")  # failed earlier: still failed
        (music / "garbage.mp3").unlink()
        assert rescanned(service) == ("ok", "1 tracks")
    finally:
        service.appliance.stop()
