"""The settings page's library-scan line in front of the real service with a real library folder, in
real headless Chromium: Rescan pressed, pressed again while the first pass runs (merged into one more
pass), and the page says "Scanning… N files" the whole time and "Scan finished (…)" only at the end.

The first pass is held at a real boundary: another connection holds the library database's write
lock (as `moodspeaker library index` run by hand would), so the second press certainly comes while
the first pass runs.
"""

from __future__ import annotations

import sqlite3
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from browserkit import ARTIFACTS, claim, needs_chromium, phone_page, watch
from realkit import served

from moodspeaker.library import db_path
from moodspeaker_web.views import scan_text
from polling import until
from testcache import numba_cache
from tonetracks import write_tone

if TYPE_CHECKING:  # Playwright is optional at run time (the browser test skips without it)
    from playwright.sync_api import Browser

pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.timeout(240)

#: Scan states as the service reports them (and one from a speaker that reports only analysis
#: figures), for the page's two wordings: views.scan_text (first render) and app.js's scanText.
STATES: list[dict[str, Any]] = [
    {"running": True, "queued": False, "pass": 1, "phase": "walking", "seen": 120},
    {"running": True, "queued": True, "pass": 1, "phase": "analysing", "seen": 120, "done": 3, "total": 10},
    {"running": True, "queued": False, "pass": 2, "phase": "checking", "seen": 7, "checked": 2},
    {"running": True, "queued": False, "pass": 1, "phase": "starting"},
    {"running": True, "done": 3, "total": 10},
    {"running": True, "pass": 1, "phase": "analysing", "seen": 12, "short": 2, "done": 1, "total": 9},
    {"running": True, "pass": 1, "phase": "checking", "seen": 5, "short": 0},
    {"running": False, "queued": False, "pass": 2, "seen": 121, "result": "2 passes, 1 new"},
    {"running": False, "seen": 4},
    {},
]


def test_the_scan_line_is_worded_alike_by_the_server_and_the_script() -> None:
    assert [scan_text(s) for s in STATES] == [
        "Scanning… 120 files",
        "Scanning… 120 files, analysed 3 of 10 (one more pass follows)",
        "Scanning… 7 files (pass 2)",
        "Scanning the library…",
        "Scanning… analysed 3 of 10",
        "Scanning… 12 files, 2 too short, analysed 1 of 9",
        "Scanning… 5 files",
        "Scan finished (2 passes, 1 new).",
        "Last scan: 4 files",
        "",
    ]


@needs_chromium
def test_the_page_says_scanning_across_a_merged_pass_and_finished_only_at_the_end(
    tmp_path: Path, browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(numba_cache()))  # the service's scans share the warm JIT
    music = tmp_path / "library"
    music.mkdir()
    for i in range(3):
        write_tone(music / f"song{i}.ogg", 262.0 + 60 * i, 4.0, 0.2)
    with served(tmp_path, music=music) as (service, server):
        context, page = phone_page(browser)
        problems = watch(page)
        claim(page, server.url, service.data_dir)
        # the script's own wording matches the server's (the first render) for every kind of state
        assert page.evaluate("states => states.map(scanText)", STATES[:-1]) == [
            scan_text(s) for s in STATES[:-1]
        ]
        page.click("#s-library > summary")
        page.evaluate(
            """() => { const el = document.getElementById("scan-text"); window.scanTexts = [];
                new MutationObserver(() => window.scanTexts.push(el.textContent))
                  .observe(el, {childList: true, characterData: true, subtree: true}); }"""
        )
        holder = sqlite3.connect(db_path(service.config), isolation_level=None)
        holder.execute("BEGIN IMMEDIATE")  # another writer holds the library database
        try:
            page.click("#rescan")
            until(lambda: page.inner_text("#scan-text") == "Scanning… 3 files", what="the first pass, held")
            write_tone(music / "late.ogg", 523.0, 4.0, 0.2)  # copied while it runs, then Rescan again
            page.click("#rescan")
            until(
                lambda: page.inner_text("#scan-text") == "Scanning… 3 files (one more pass follows)",
                what="the page to say one more pass follows",
            )
            page.screenshot(path=str(ARTIFACTS / "scan-merged.png"), full_page=True)
            other = context.new_page()  # another phone opens the settings while the scan runs
            other.goto(f"{server.url}/settings")
            assert other.text_content("#scan-text") == "Scanning… 3 files (one more pass follows)"
        finally:
            holder.execute("ROLLBACK")
            holder.close()
        until(lambda: page.inner_text("#scan-text").startswith("Scan finished"), 120, "the end of the scan")
        final = page.inner_text("#scan-text")
        until(lambda: other.text_content("#scan-text") == final, what="the other phone to follow the scan")
        assert page.inner_text("#library-detail") == "Library now: 4 tracks"  # followed, no reload
        texts: list[str] = page.evaluate("window.scanTexts")
        assert page.locator("#rescan").is_enabled()
        context.close()
        scan = service.control.state()["scan"]

    assert final == (
        "Scan finished (2 passes, 4 new, 0 changed, 0 removed in all; "
        "last pass: 4 files, 1 new, 0 changed, 1 analysed, 0 removed)."
    ), texts
    assert (scan["pass"], scan["added"], scan["analysed"], scan["seen"]) == (2, 4, 4, 4), scan
    # every line the page showed before the end said it was still scanning; "finished" came once, last
    assert texts[-1] == final and sum(t.startswith("Scan finished") for t in texts) == 1, texts
    assert all(t.startswith(("Starting the scan", "Scanning")) for t in texts[:-1]), texts
    assert problems == []


@needs_chromium
def test_the_page_counts_the_files_kept_out_as_too_short_on_every_scan(
    tmp_path: Path, browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A ringtone beside the songs, under library.min_track_s: the scan that keeps it out and every
    later one (where it is unchanged) say so, and /api/state's scan counts it as `short` (the name
    `moodspeaker index --json` gives it).  Before, the second scan's line forgot it and the state had
    no such count."""
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(numba_cache()))
    music = tmp_path / "library"
    music.mkdir()
    for i in range(2):
        write_tone(music / f"song{i}.ogg", 262.0 + 60 * i, 4.0, 0.2)
    write_tone(music / "ring.ogg", 880.0, 1.0, 0.2)
    minimum: dict[str, Any] = {"library.min_track_s": 3.0}
    with served(tmp_path, music=music, **minimum) as (service, server):
        context, page = phone_page(browser)
        problems = watch(page)
        claim(page, server.url, service.data_dir)
        page.click("#s-library > summary")
        said = ", 1 too short (library.min_track_s))."
        finished = [
            f"Scan finished (3 files, 3 new, 0 changed, 2 analysed, 0 removed{said}",
            f"Scan finished (3 files, 0 new, 0 changed, 0 analysed, 0 removed{said}",
        ]
        scans: list[dict[str, Any]] = []
        shown: list[str] = []
        for _ in finished:
            before = page.inner_text("#scan-text")

            def ended(before: str = before) -> bool:
                text = page.inner_text("#scan-text")
                return text != before and text.startswith("Scan finished")

            page.click("#rescan")
            until(ended, 120, "the end of the scan")
            shown.append(page.inner_text("#scan-text"))
            scans.append(page.evaluate("async () => (await api('/api/state')).scan"))
        context.close()

    assert shown == finished

    first, again = ({k: s.get(k) for k in ("seen", "added", "analysed", "short")} for s in scans)
    assert first == {"seen": 3, "added": 3, "analysed": 2, "short": 1}, scans
    assert again == {"seen": 3, "added": 0, "analysed": 0, "short": 1}, scans
    assert problems == []
