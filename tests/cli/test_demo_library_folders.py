"""The demo's settings say where its music comes from: its own config.toml lists the folders it plays
(its generated clips, or the installed soundtracks' folders) as library.folders.  Before, the page's
Settings -> Music library showed the schema's ~/Music while the demo played `<data_dir>/clips`, and
Rescan said "Scan finished" without scanning them.  A file made by an older demo (no folders in it)
gets them once; folders a person chose are kept, and ~/Music added on the page is scanned too.

The page test runs the demo as a newcomer does (a subprocess) and drives its page in real headless
Chromium (Debian's /usr/bin/chromium through Playwright's Python API, as tests/web does).
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import pytest

from chromiumkit import CHROMIUM, launch
from demokit import PAGE_SAID, run_demo
from moodspeaker.commands.demo import demo_config
from moodspeaker.config import Config, load, save, with_changes
from moodspeaker.demo.library import own_folders
from moodspeaker.library import db_path
from moodspeaker.library.index import LibraryIndex
from moodspeaker_web.setup_code import read_setup_code
from polling import until
from tonetracks import write_tone

PASSWORD = "correct horse battery"


def _saved_folders(path: Path) -> list[str] | None:
    library = tomllib.loads(path.read_text(encoding="utf-8")).get("library", {})
    folders = library.get("folders")
    return None if folders is None else list(folders)


def test_a_new_demo_file_lists_the_folders_the_demo_plays(tmp_path: Path) -> None:
    config, path = demo_config(Config(), tmp_path)
    own = [str(f) for f in own_folders(tmp_path)]
    assert "~/Music" not in own and own
    assert list(config.library.folders) == own
    assert _saved_folders(path) == own
    if not any("/usr/share/" in f for f in own):  # no soundtrack packages here: the generated clips
        assert own == [str(tmp_path / "clips")]


def test_an_older_demo_file_gets_the_demo_folders_once_and_keeps_its_own_settings(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    older = with_changes(
        Config(), {"device.data_dir": str(tmp_path), "recommend.profiles": ["default", "alex"]}
    )
    save(older, path)  # as an older demo made it: no library.folders in it (the default, ~/Music)
    assert _saved_folders(path) is None
    config, _ = demo_config(Config(), tmp_path, ["web.port=8123"])
    own = [str(f) for f in own_folders(tmp_path)]
    assert list(config.library.folders) == own and _saved_folders(path) == own
    saved = load(path)
    assert saved.recommend.profiles == ("default", "alex")
    assert saved.web.port == Config().web.port  # --set applies to this run, not to the file


def test_folders_a_person_chose_in_the_demo_file_are_kept(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    chosen = ["~/Music", str(tmp_path / "clips")]
    save(with_changes(Config(), {"device.data_dir": str(tmp_path), "library.folders": chosen}), path)
    config, _ = demo_config(Config(), tmp_path)
    assert list(config.library.folders) == chosen and _saved_folders(path) == chosen


@pytest.mark.slow
@pytest.mark.timeout(900)
@pytest.mark.skipif(not Path(CHROMIUM).exists(), reason="Debian's chromium is not installed")
def test_the_demo_page_shows_and_rescans_the_demo_folders_and_scans_music_added_there(tmp_path: Path) -> None:
    pytest.importorskip("playwright")
    from playwright.sync_api import sync_playwright  # noqa: PLC0415 (optional: the browser tests skip without it)

    folder = tmp_path / "demo"
    home_music = tmp_path / "Music"  # the person's ~/Music (HOME is tmp_path)
    home_music.mkdir()
    write_tone(home_music / "mine.ogg", 330.0, Config().library.min_track_s + 5.0, 0.2)
    own = [str(f) for f in own_folders(folder)]
    with run_demo(tmp_path, ready=(PAGE_SAID,)) as demo:  # until its page answers; a clean stop after
        port = demo.port
        code = read_setup_code(folder)
        assert code is not None
        with sync_playwright() as playwright:
            browser = launch(playwright)  # the page tests' Chromium, off the network
            page = browser.new_page()
            page.set_default_timeout(60_000)
            page.goto(f"http://127.0.0.1:{port}/")
            page.wait_for_url("**/setup")
            page.fill("#code", code)
            page.fill("#password", PASSWORD)
            page.fill("#confirm", PASSWORD)
            page.click("text=Make it mine")
            page.wait_for_url("**/settings")
            page.click("#s-library > summary")
            shown = page.input_value("#f-library-folders").split("\n")
            assert [f for f in shown if f.strip()] == own, shown  # was ["~/Music"]
            before = page.inner_text("#scan-text")
            page.click("#rescan")

            def finished() -> str | None:
                text = page.inner_text("#scan-text")
                return text if text != before and text.startswith("Scan finished") else None

            text = until(finished, 300, "the end of the scan")
            tracks = [t for t in LibraryIndex(db_path(load(folder / "config.toml"))).tracks()]
            # the files counted are the tracks indexed and those too short to be (library.min_track_s:
            # supertux-data's jingles, where that package is installed)
            short = re.search(r"(\d+) too short", text)
            files = len(tracks) + (int(short.group(1)) if short else 0)
            assert f"({files} files, " in text and "no music folder found" not in text, text
            page.fill("#f-library-folders", "\n".join([*own, "~/Music"]))
            with page.expect_navigation():
                page.click("#save-library")
            assert "Nothing was saved" not in page.content()
            browser.close()
        assert _saved_folders(folder / "config.toml") == [*own, "~/Music"]
    # the next demo starts from the file: ~/Music, added on the page, is analysed beside the demo's own
    again = demo.again("--seconds", "0.1", "--no-web", timeout=600)
    index = LibraryIndex(db_path(load(folder / "config.toml")))
    locations = [t.location for t in index.tracks()]
    assert str(home_music / "mine.ogg") in locations, again.stdout
    assert any(loc.startswith(own[0]) for loc in locations), locations
