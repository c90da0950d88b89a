"""The first-boot page names the command that shows *its* setup code.

It said `moodspeaker setup-code`, which reads the data folder of the config the CLI finds by itself; a
page on another folder (`moodspeaker demo` keeps its own, <data_dir>/demo) got a code from another
folder, made there on the spot, which the page refused: "That setup code is not right. Run
`moodspeaker setup-code`..." (backticks shown as typed), the same wrong command again.  Now the page
names the folder (as FOLDER: the page is open to anyone on the LAN until it is claimed, and the
speaker's console names the folder) when the CLI would not find it by itself, and the command it names,
FOLDER filled in, gives the code it accepts; the login page's "Forgot it?" reset command likewise.
Real service, the real CLI, headless Chromium on a phone.
"""

from __future__ import annotations

import re
import shlex
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browserkit import needs_chromium
from realkit import setup_phone

from moodspeaker.cli import main

if TYPE_CHECKING:  # Playwright is optional at run time (the browser tests skip without it)
    from playwright.sync_api import Browser

pytest.importorskip("playwright.sync_api")

pytestmark = [needs_chromium, pytest.mark.timeout(240)]

#: What the browser reports for the wrong code the test enters on purpose (a 400 answer).
REFUSED = ("400 ", "Failed to load resource: the server responded with a status of 400")


def _run(command: str, capsys: pytest.CaptureFixture[str]) -> str:
    """The command as a person would paste it, run through the real CLI; its printed setup code."""
    words = shlex.split(command)
    assert words[0] == "moodspeaker", command
    capsys.readouterr()
    assert main(words[1:]) == 0
    found = re.search(r"Setup code: (\S+)", capsys.readouterr().out)
    assert found, command
    return found.group(1)


def test_the_setup_page_names_the_command_for_its_own_data_folder(
    tmp_path: Path, browser: Browser, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    elsewhere = tmp_path / "someone-elses.toml"  # the config the CLI finds: another data folder
    elsewhere.write_text(f'[device]\ndata_dir = "{tmp_path / "other"}"\n')
    monkeypatch.setenv("MOODSPEAKER_CONFIG", str(elsewhere))
    with setup_phone(tmp_path, browser) as (service, server, page, problems):
        shown = page.inner_text("#setup-command")  # the folder as FOLDER: anyone on the LAN
        assert shown == "moodspeaker --set device.data_dir=FOLDER setup-code", shown  # reads it
        assert str(service.data_dir) not in page.content()
        command = shown.replace("FOLDER", shlex.quote(str(service.data_dir)))  # the console's
        page.fill("#code", "AAAAA-BBBBB")
        page.fill("#password", "a long enough password")
        page.fill("#confirm", "a long enough password")
        with page.expect_navigation():
            page.click("text=Make it mine")
        error = page.inner_text("#setup-error")
        assert shown in error and "`" not in error, error
        page.fill("#code", _run(command, capsys))  # what the page said to run
        page.fill("#password", "a long enough password")
        page.fill("#confirm", "a long enough password")
        with page.expect_navigation():
            page.click("text=Make it mine")
        assert page.url.endswith("/settings"), page.url

        with page.expect_navigation():  # the login page's "Forgot it?": the same command, the
            page.click("text=Log out")  # folder left for the person at the speaker to fill in
        reset = page.inner_text("#reset-command")
        assert reset == "moodspeaker --set device.data_dir=FOLDER setup-code --reset", reset
        assert str(service.data_dir) not in page.content()
        reset = reset.replace("FOLDER", shlex.quote(str(service.data_dir)))
        assert reset == f"{command} --reset", reset
        assert main(shlex.split(reset)[1:]) == 0
        page.goto(server.url)
        page.wait_for_url("**/setup")  # that reset this page's owner, not another folder's
        assert [p for p in problems if not p.startswith(REFUSED)] == []


def test_a_page_on_the_folder_the_cli_finds_says_the_plain_command(
    tmp_path: Path, browser: Browser, monkeypatch: pytest.MonkeyPatch
) -> None:
    with setup_phone(tmp_path, browser) as (service, _, page, _):
        assert "FOLDER" in page.inner_text("#setup-command")  # not the plain command
    monkeypatch.setenv("MOODSPEAKER_CONFIG", str(service.config_path))  # the speaker's own config
    with setup_phone(tmp_path, browser) as (_, _, page, _):
        assert page.inner_text("#setup-command") == "moodspeaker setup-code"
