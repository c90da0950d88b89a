"""While a real scan runs, the settings page says how many files it kept out as too short so far.

"Scanning… N files, K too short, analysed x of y" was pinned only as text made from hand-written
scan states (test_scan_page), and the page was only seen to say the finished line: nothing showed
the running service counting `short` mid-scan, /api/state carrying it and the page's script wording
it, together.  Here a real scan is held in its analysis (a file whose decoder hangs: hungkit's
`ffmpeg` on the workers' PATH) after it kept a ringtone out (library.min_track_s), so the page
certainly shows the scan running; the test waits for the exact line, then frees the decoder (the
file fails) and waits for the scan's end.  The hold lasts until the test frees it, or at most the
analysis's own ffmpeg timeout (library.audio.FFMPEG_TIMEOUT_S, 120 s) after the songs are analysed:
the page asks for the state every 2 s.  Real service, real library folder, headless Chromium.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from browserkit import claim, needs_chromium, phone_page, watch
from realkit import served

from hungkit import HANGS, HungFfmpeg, hostile_aac
from polling import until
from testcache import numba_cache
from tonetracks import write_tone

if TYPE_CHECKING:  # Playwright is optional at run time (the browser test skips without it)
    from playwright.sync_api import Browser

pytest.importorskip("playwright.sync_api")

pytestmark = [needs_chromium, pytest.mark.timeout(300)]


def test_the_page_says_the_files_kept_out_as_too_short_while_the_scan_runs(
    tmp_path: Path, browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(numba_cache()))
    ffmpeg = HungFfmpeg(tmp_path / "bin", monkeypatch, HANGS)  # before the service starts its workers
    music = tmp_path / "library"
    music.mkdir()
    for i in range(2):
        write_tone(music / f"song{i}.ogg", 262.0 + 60 * i, 4.0, 0.2)
    write_tone(music / "ring.ogg", 880.0, 1.0, 0.2)  # under the minimum: kept out
    # libsndfile cannot open it: its analysis waits on the hung ffmpeg.  Last by name, so the one
    # worker (realkit's library.workers) analyses the songs first: 2 of 3 done, then held
    hostile_aac(music / "stuck.aac")
    minimum: dict[str, Any] = {"library.min_track_s": 3.0}
    try:
        with served(tmp_path, music=music, **minimum) as (service, server):
            context, page = phone_page(browser)
            problems = watch(page)
            claim(page, server.url, service.data_dir)
            page.click("#s-library > summary")
            page.click("#rescan")
            midway = "Scanning… 4 files, 1 too short, analysed 2 of 3"
            until(
                lambda: page.inner_text("#scan-text") == midway,
                240,
                "the line of the scan held midway",
                detail=lambda: (
                    page.inner_text("#scan-text"),
                    service.control.state()["scan"],
                    ffmpeg.pids(),
                ),
            )
            scan = service.control.state()["scan"]
            assert scan["running"] and scan["short"] == 1, scan

            def finished() -> bool:
                ffmpeg.kill_all()  # each excerpt's ffmpeg hangs: free them until the file has failed
                return page.inner_text("#scan-text").startswith("Scan finished")

            until(finished, 120, "the end of the scan")
            assert "1 too short (library.min_track_s)" in page.inner_text("#scan-text")
            context.close()
            assert problems == []
    finally:
        ffmpeg.kill_all()
