"""A login or logout the speaker cannot write down (its disk full, its data folder read-only) is said,
not kept quietly in memory: the change held only until the page restarted, which revived ended sessions
("log out everywhere" after a lost phone, undone by a power cut) while the page had said "Logged out
everywhere".  Now the page says what could not be saved and what a restart would undo, "log out
everywhere" does not claim success, the change still holds now (the safe side), and the log names the
change, the file and the reason.  The faults are real: a read-only bind mount over the page's folder,
or a tiny tmpfs filled to the last byte (root only; skipped otherwise)."""

from __future__ import annotations

import contextlib
import logging
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browserkit import needs_chromium
from realkit import owner_phone
from test_sessions import cookie_of, log_out, logged_in, phone, refused, restart
from webkit import Page

from moodspeaker_web.setup_code import web_dir

if TYPE_CHECKING:  # Playwright is optional at run time (the browser test skips without it)
    from playwright.sync_api import Browser

pytestmark = pytest.mark.skipif(
    os.geteuid() != 0 or shutil.which("mount") is None, reason="needs root to mount a broken folder"
)

REASONS = {"read-only": "Read-only file system", "full": "No space left on device"}


@contextlib.contextmanager
def broken(folder: Path, how: str) -> Iterator[None]:
    """`folder` (its files kept readable) made read-only, or moved onto a tiny disk that is then filled."""
    mounts: list[Path] = []
    try:
        try:
            if how == "read-only":
                subprocess.run(["mount", "--bind", folder, folder], check=True, capture_output=True)
                mounts.append(folder)
                subprocess.run(["mount", "-o", "remount,bind,ro", folder], check=True, capture_output=True)
            else:
                disk = folder.with_name(folder.name + "-disk")
                disk.mkdir()
                subprocess.run(
                    ["mount", "-t", "tmpfs", "-o", "size=64k", "tmpfs", disk], check=True, capture_output=True
                )
                mounts.append(disk)
                for item in folder.iterdir():
                    shutil.copy2(item, disk / item.name)
                subprocess.run(["mount", "--bind", disk, folder], check=True, capture_output=True)
                mounts.append(folder)
                with open(folder / "filler", "wb", buffering=0) as handle, contextlib.suppress(OSError):
                    while True:  # to the last byte
                        handle.write(b"\0" * 512)
        except (OSError, subprocess.CalledProcessError) as exc:
            pytest.skip(f"cannot break {folder} ({exc})")
        yield
    finally:
        for mount in reversed(mounts):
            subprocess.run(["umount", "-l", mount], check=False)


def said(client: object, path: str = "/login") -> str:
    page = client.get(path)  # type: ignore[attr-defined]
    text: str = page.get_data(as_text=True)
    return text


@pytest.mark.parametrize("how", ["read-only", "full"])
def test_log_out_everywhere_that_cannot_be_saved_says_so_and_still_ends_every_session_now(
    owner: Page, how: str, caplog: pytest.LogCaptureFixture
) -> None:
    other = logged_in(owner.app)
    copies = [cookie_of(owner.client), cookie_of(other)]
    path = web_dir(owner.data_dir) / "sessions.json"
    with broken(web_dir(owner.data_dir), how), caplog.at_level(logging.ERROR, "moodspeaker_web.sessions"):
        response = owner.client.post("/logout/everywhere", data={"csrf_token": owner.csrf("/settings")})
        page = response.get_data(as_text=True)
        assert response.status_code == 500
        assert "Log out everywhere was not saved" in page and "Logged out everywhere" not in page
        assert f"could not save log out everywhere ({REASONS[how]})" in page
        assert "every login ended now would work again" in page
        assert "Logged out everywhere" not in said(owner.client)
        assert all(refused(phone(owner.app, cookie)) for cookie in copies)  # ended now all the same
        assert f"could not save log out everywhere to {path} ({REASONS[how]})" in caplog.text


@pytest.mark.parametrize("how", ["read-only", "full"])
def test_a_logout_or_login_that_cannot_be_saved_is_said(
    owner: Page, how: str, caplog: pytest.LogCaptureFixture
) -> None:
    copy = cookie_of(owner.client)
    path = web_dir(owner.data_dir) / "sessions.json"
    with broken(web_dir(owner.data_dir), how), caplog.at_level(logging.ERROR, "moodspeaker_web.sessions"):
        log_out(owner.client)
        assert f"could not save the logout ({REASONS[how]})" in said(owner.client)
        assert refused(phone(owner.app, copy))  # ended now
        assert f"could not save the logout to {path}" in caplog.text
        assert owner.login().status_code == 302  # logged in all the same, and told it will not last
        page = said(owner.client, "/")
        assert f"could not save the login ({REASONS[how]})" in page and "log in again" in page
        assert owner.client.get("/settings").status_code == 200


def test_once_the_folder_is_writable_again_the_changes_are_saved(owner: Page) -> None:
    leaving = cookie_of(owner.client)
    with broken(web_dir(owner.data_dir), "read-only"):
        log_out(owner.client)
    assert owner.login().status_code == 302  # the next write saves the whole list, the logout too
    staying = cookie_of(owner.client)
    restart(owner)
    assert refused(phone(owner.app, leaving))
    assert phone(owner.app, staying).get("/").status_code == 200


@needs_chromium
@pytest.mark.timeout(180)
def test_the_browser_is_told_log_out_everywhere_was_not_saved(tmp_path: Path, browser: Browser) -> None:
    with owner_phone(tmp_path, browser, path=None) as (service, _, page, problems):
        page.locator("#s-password").evaluate("e => { e.open = true; }")
        with broken(web_dir(service.data_dir), "read-only"):
            with page.expect_navigation():
                page.click("#logout-everywhere")
            assert page.inner_text("h1") == "Log out everywhere was not saved"
            text = page.inner_text("main")
            assert "could not save log out everywhere (Read-only file system)" in text, text
            assert "Logged out everywhere" not in text
        page.click("text=Back to the speaker")
        page.wait_for_url("**/login*")  # every session has ended all the same
        assert [p for p in problems if not p.startswith(("500 ", "Failed to load resource"))] == []
