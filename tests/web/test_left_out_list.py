"""The library section lists the files left out of the library and the tracks held back, with why.

The page and the library's health said how many files failed ("1 failed, 1 not readable"), and only
`moodspeaker library stats` on a shell said which: a household fixing its library from a phone had no
list.  Now /api/left-out (owner only) gives each file the index keeps out with its reason (failed to
decode: the error; too short; unsupported format; not readable), from the same `stats()` read as
`library stats`, and each track held back because it failed to play (why, since when), a page of 200
at a time, paths relative to the music folder; Settings → Music library's "Show files left out" shows
them.  The real service over a real folder (realkit with `music=`: the real indexer and analysis on
SQLite, the real player on SDL's dummy driver, the real recommender and its store).
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from browserkit import ARTIFACTS, PHONE, claim, needs_chromium, said, watched_phone
from realkit import RealService, owned_page, served
from test_missing_why import _damage, _skip_to_failing
from test_moved_while_queued import _paused_with_a_queue

from moodspeaker.library import db_path
from moodspeaker.library.index import LibraryIndex
from moodspeaker_web import left_out
from polling import until
from testcache import numba_cache
from tonetracks import write_tone

if TYPE_CHECKING:  # Playwright is optional at run time (the browser test skips without it)
    from playwright.sync_api import Browser

pytestmark = pytest.mark.timeout(300)

#: no mood read (nothing plays but what the test asks for); files under 2 s are kept out as too short
SETTINGS: dict[str, Any] = {"camera.enabled": False, "library.min_track_s": 2.0}


#: A download that failed, named as such files are: a long name, which must not widen a phone's page.
BROKEN = "broken_download_from_the_old_laptop_backup_2009_copy_of_a_copy.mp3"


def _library(tmp_path: Path) -> Path:
    """tmp_path/library: three songs (Album/01..03.ogg, 6 s tones) and, left out, Album/BROKEN
    (random bytes: fails to decode), Album/jingle.ogg (a 1 s tone: too short), notes.mid (MIDI: a
    format the speaker cannot index) and pipe.mp3 (a FIFO: not readable)."""
    music = tmp_path / "library"
    album = music / "Album"
    album.mkdir(parents=True)
    for i, hz in enumerate((262.0, 330.0, 392.0)):
        write_tone(album / f"{i + 1:02d}.ogg", hz, 6.0, 0.2)
    write_tone(album / "jingle.ogg", 440.0, 1.0, 0.2)
    (album / BROKEN).write_bytes(os.urandom(4096))
    (music / "notes.mid").write_bytes(b"MThd" + bytes(100))
    os.mkfifo(music / "pipe.mp3")
    return music


#: What the list says of each file left out: its path in the music folder, why, and the detail's start.
LEFT_OUT = [
    (f"Album/{BROKEN}", "failed to decode", "not a readable audio file"),
    ("Album/jingle.ogg", "too short", "too short for music: 1.0 s"),
    ("notes.mid", "unsupported format", "MIDI"),
    ("pipe.mp3", "not readable", "not a regular file"),
]


def test_the_api_lists_each_file_left_out_and_each_track_held_back_with_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(numba_cache()))
    music = _library(tmp_path)
    with owned_page(tmp_path, music=music, **SETTINGS) as (service, page):
        service.rescan()
        _paused_with_a_queue(service)
        head = service.appliance.player.status().queue[0].track
        _damage(Path(head.location))  # rot on the disk: the track fails to open when it is to play
        failed_at = time.time()
        _skip_to_failing(service, head)

        answer = page.client.get("/api/left-out")
        assert answer.status_code == 200, answer.get_data(as_text=True)  # before: 404
        body = answer.get_json()
        files = body["files"]
        assert [(f["path"], f["why"]) for f in files["items"]] == [(p, w) for p, w, _ in LEFT_OUT]
        for entry, (_, _, detail) in zip(files["items"], LEFT_OUT, strict=True):
            assert entry["detail"].startswith(detail), entry
        assert (files["total"], files["rest"]) == (4, 0)
        # the very read `moodspeaker library stats` prints: its failures and problems, path for path
        with LibraryIndex(db_path(service.config)) as index:  # as `library stats` opens it
            stats = index.stats()
        listed = {str(music / f["path"]) for f in files["items"]}
        assert listed == {f["path"] for f in stats["failures"]} | {p["path"] for p in stats["problems"]}

        held = body["held_back"]
        assert held["total"] == 1, held
        track = held["items"][0]
        assert track["title"] == head.title
        assert track["path"] == os.path.relpath(head.location, music)
        assert track["why"].startswith("could not be opened")
        assert failed_at - 1 <= track["since"] <= time.time()

        # a page at a time: the next ones after `offset`, and how many are left
        part = page.client.get("/api/left-out?list=files&limit=3").get_json()
        assert [f["path"] for f in part["files"]["items"]] == [p for p, _, _ in LEFT_OUT[:3]]
        assert (part["files"]["rest"], "held_back" in part) == (1, False)
        part = page.client.get("/api/left-out?list=files&offset=3&limit=3").get_json()
        assert [f["path"] for f in part["files"]["items"]] == ["pipe.mp3"]
        assert part["files"]["rest"] == 0
        assert page.client.get("/api/left-out?list=tracks").status_code == 400
        assert page.client.get("/api/left-out?offset=many").status_code == 400

        # the owner's only: a visitor (the guest view on or not) gets no path, no title
        page.client.post("/logout", data={"csrf_token": page.csrf("/settings")})
        refused = page.client.get("/api/left-out")
        assert refused.status_code == 401
        assert "broken" not in refused.get_data(as_text=True)
        assert "broken" not in page.client.get("/api/guest").get_data(as_text=True)


def _mark_missing(service: RealService, location: str) -> str:
    """The track at `location` marked as failed to open with no file there, as the service marks it
    (Recommender.feedback "missing", `seen` None: a disk unplugged); its title."""
    source = service.appliance.parts.recommender.source
    track = next(t for t in source.tracks() if t.location == location)
    service.appliance.parts.recommender.feedback("default", track.id, "missing", None, time.time(), seen=None)
    return track.title


@needs_chromium
def test_the_library_section_shows_the_files_left_out_at_phone_width(
    tmp_path: Path, browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("NUMBA_CACHE_DIR", str(numba_cache()))
    music = _library(tmp_path)
    monkeypatch.setattr(left_out, "PAGE", 3)  # 3 at a time: the fourth file comes with "Show more"
    with served(tmp_path, music=music, **SETTINGS) as (service, server):
        service.rescan()
        title = _mark_missing(service, str(music / "Album" / "02.ogg"))
        with watched_phone(browser) as (page, problems):
            claim(page, server.url, service.data_dir)
            page.click("#s-library > summary")
            page.click("#left-out > summary")  # before: no such disclosure
            rows = page.locator("#left-out-files li")
            until(lambda: rows.count() == 3, what="the first files left out listed")
            assert page.inner_text("#left-out-files-more") == "Show more (1 not shown)"
            page.click("#left-out-files-more")
            until(lambda: rows.count() == len(LEFT_OUT), what="the files left out listed")
            assert page.locator("#left-out-files-more").is_hidden()
            assert page.locator("#left-out-held-more").is_hidden()
            assert said(page, "#left-out-text", "4 files").startswith("4 files not in the library, 1 track")
            texts = rows.all_inner_texts()
            for text, (path, why, _) in zip(texts, LEFT_OUT, strict=True):
                assert path in text and why in text, texts
            held = page.locator("#left-out-held li")
            until(lambda: held.count() == 1, what="the track held back listed")
            assert title in held.inner_text() and "file not found" in held.inner_text()
            assert "Album/02.ogg" in held.inner_text()
            width = page.evaluate("document.documentElement.scrollWidth")
            assert width <= PHONE["width"], f"the list is wider than the phone: {width}px"
            assert page.locator("#left-out").is_visible()
            ARTIFACTS.mkdir(parents=True, exist_ok=True)
            page.locator("#left-out").screenshot(path=str(ARTIFACTS / "left-out-phone.png"))
            assert problems == []
