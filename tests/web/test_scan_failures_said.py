"""The page's scan line and the service's log say which files failed and which could not be read.

A household's library holds a corrupt download, a file with a Latin-1 name from an old Windows copy,
a dangling link, a pipe: before, the page said "Scan finished (5 files, 5 new, 0 changed, 1
analysed, 0 removed)" while /api/state counted the failure, the walk's problems appeared nowhere but
`library stats`, and the log had no line per file.  Now the line counts them (", 1 failed, 3 not
readable") and the log warns once per file or problem, "path: reason", when it is first met: a
rescan with nothing new warns no more, and its line says the failure from before ("1 failed
earlier").

The real service with a real library folder (realkit: real index on SQLite, real rescan, one real
analysis worker) and the page app in front of it.
"""

from __future__ import annotations

import logging
import os
import re
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browserkit import needs_chromium
from realkit import RealService, failing_library, owned_page, owner_phone
from webkit import AppPage

from moodspeaker_web.views import scan_text
from testcache import numba_cache

if TYPE_CHECKING:  # Playwright is optional at run time (the browser test skips without it)
    from playwright.sync_api import Browser

pytestmark = pytest.mark.timeout(300)


def scanned(service: RealService, page: AppPage) -> str:
    """A rescan asked for and finished: the settings page's scan line."""
    service.rescan()
    html = page.client.get("/settings").get_data(as_text=True)
    match = re.search(r'<p id="scan-text"[^>]*>([^<]*)</p>', html)
    assert match, html
    return match.group(1)


def warnings_of(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [
        r.getMessage()
        for r in caplog.records
        if r.levelno == logging.WARNING and "library: " in r.getMessage()
    ]


def test_the_scan_line_and_the_log_name_failed_and_unreadable_files(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(numba_cache()))
    music = failing_library(tmp_path)  # a song, a file that fails to decode, a FIFO (pipe.mp3)
    latin1 = os.path.join(os.fsencode(music), b"caf\xe9.ogg")  # a name that is not UTF-8
    with open(latin1, "wb") as f:
        f.write(b"OggS")
    os.symlink(tmp_path / "deleted.ogg", music / "dangling.ogg")
    caplog.set_level(logging.WARNING)
    with owned_page(tmp_path, music=music) as (service, page):
        line = scanned(service, page)
        assert line.startswith("Scan finished (2 files, 2 new, 0 changed, 1 analysed, 0 removed"), line
        assert line.endswith(", 1 failed, 3 not readable)."), line
        assert service.control.state()["scan"]["failed"] == 1
        said = warnings_of(caplog)
        assert len(said) == 4, said
        assert any(f"{music / 'garbage.mp3'}: not a readable audio file" in w for w in said), said
        assert any(f"{music}/caf\\xe9.ogg: file name is not valid UTF-8" in w for w in said), said
        assert any(f"{music / 'dangling.ogg'}: " in w for w in said), said
        assert any(f"{music / 'pipe.mp3'}: not a regular file" in w for w in said), said

        caplog.clear()  # the same library again: nothing new to warn about, the failure still counted
        line = scanned(service, page)
        assert line == (
            "Scan finished (2 files, 0 new, 0 changed, 0 analysed, 0 removed, 1 failed earlier, "
            "3 not readable)."
        ), line
        assert warnings_of(caplog) == []

        (music / "pipe.mp3").unlink()
        os.mkfifo(music / "pipe2.mp3")  # a new problem is warned about, the old ones are not
        line = scanned(service, page)
        assert line.endswith(", 1 failed earlier, 3 not readable)."), line
        assert warnings_of(caplog) == [
            f"library: {music / 'pipe2.mp3'}: not a regular file (pipe, socket or device)"
        ]


#: A scan still running that has failed files so far, as the service reports it (/api/state).
RUNNING = {"running": True, "queued": False, "pass": 1, "phase": "analysing", "seen": 12, "short": 2,
           "done": 4, "total": 9, "failed": 1}  # fmt: skip


def test_the_running_scan_line_counts_the_failed_files() -> None:
    assert scan_text(RUNNING) == "Scanning… 12 files, 2 too short, analysed 4 of 9, 1 failed"
    assert scan_text({**RUNNING, "failed": 0}) == "Scanning… 12 files, 2 too short, analysed 4 of 9"


@needs_chromium
def test_the_page_script_words_the_failed_files_as_the_server_does(tmp_path: Path, browser: Browser) -> None:
    with owner_phone(tmp_path, browser, path=None) as (_, _, page, _):
        states = [RUNNING, {**RUNNING, "failed": 0}]
        assert page.evaluate("states => states.map(scanText)", states) == [scan_text(s) for s in states]
