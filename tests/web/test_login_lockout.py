"""A neighbour guessing from many addresses locks the login page for strangers, not for the owner: a
browser holding the device cookie of an earlier login is counted on its own (OWASP's device cookies).
A password change or "log out everywhere" revokes the device cookies (a lost phone is not trusted on).
IPv6 clients are counted per address, not per /64 (a home LAN is one /64).  Each request's address is
set with environ_base."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from flask.testing import FlaskClient
from webkit import PASSWORD, AppPage, HomeSpeaker, Page, make_config, setup_code

from moodspeaker.service.control import ControlAPI
from moodspeaker.service.events import EventBus
from moodspeaker_web.app import create_app
from moodspeaker_web.guard import cookie_names
from moodspeaker_web.setup_code import reset_owner


def _login(client: FlaskClient, address: str, password: str) -> Any:
    env = {"REMOTE_ADDR": address}
    html = client.get("/login", environ_base=env).get_data(as_text=True)
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token, html
    return client.post("/login", data={"csrf_token": token[1], "password": password}, environ_base=env)


def _lock_everyone_out(page: Page) -> None:
    """30 wrong passwords (the cap over all clients) from six addresses, five each (each one's limit)."""
    for i in range(6):
        stranger = page.app.test_client()
        for _ in range(5):
            assert _login(stranger, f"10.0.0.{i + 1}", "a wrong guess").status_code == 401
    assert _login(page.app.test_client(), "10.0.0.99", PASSWORD).status_code == 429


def _log_out(page: Page) -> None:
    page.client.post("/logout", data={"csrf_token": page.csrf("/")})
    assert page.client.get("/").status_code == 302


def _device_cookie(page: Page) -> str:
    return cookie_names(str(page.app.secret_key))[1]


def test_a_login_leaves_a_signed_device_cookie(owner: Page) -> None:
    cookie = owner.client.get_cookie(_device_cookie(owner))
    assert cookie is not None and cookie.http_only and cookie.same_site == "Strict"
    _log_out(owner)
    assert owner.client.get_cookie(_device_cookie(owner)) is not None  # the browser stays known after log out


def test_the_owners_browser_logs_in_while_strangers_are_locked_out(owner: Page) -> None:
    _log_out(owner)
    _lock_everyone_out(owner)
    # before: 429 for the owner too, for as long as the neighbour kept guessing
    assert _login(owner.client, "192.168.1.20", PASSWORD).status_code == 302
    assert owner.client.get("/").status_code == 200


def test_the_owners_browser_still_has_its_own_limit(owner: Page) -> None:
    _log_out(owner)
    for _ in range(5):
        assert _login(owner.client, "192.168.1.20", "a wrong guess").status_code == 401
    assert _login(owner.client, "192.168.1.21", PASSWORD).status_code == 429  # by device, not address
    # its wrong guesses are not in the cap over everyone: a stranger at its old address may try
    assert _login(owner.app.test_client(), "192.168.1.20", "a wrong guess").status_code == 401
    owner.clock.now += 301
    assert _login(owner.client, "192.168.1.20", PASSWORD).status_code == 302


def test_a_made_up_device_cookie_counts_for_nothing(owner: Page) -> None:
    _log_out(owner)
    _lock_everyone_out(owner)
    forger = owner.app.test_client()
    forger.set_cookie(_device_cookie(owner), "someone-elses-device")
    assert _login(forger, "10.0.0.50", PASSWORD).status_code == 429


def test_ipv6_addresses_in_one_64_are_counted_apart(owner: Page) -> None:
    _log_out(owner)
    stranger = owner.app.test_client()
    for _ in range(5):
        assert _login(stranger, "2001:db8:1:2::1", "a wrong guess").status_code == 401
    assert _login(stranger, "2001:db8:1:2::1", "a wrong guess").status_code == 429
    # before: the whole /64 (every device on the home LAN) was one client and locked out with it
    assert _login(owner.app.test_client(), "2001:db8:1:2::2", "a wrong guess").status_code == 401
    assert _login(owner.app.test_client(), "fe80::2", "a wrong guess").status_code == 401


def _change_password(page: Page, new: str) -> None:
    form = {"csrf_token": page.csrf("/settings"), "current": PASSWORD, "password": new, "confirm": new}
    assert page.client.post("/settings/password", data=form).status_code == 302


def test_a_password_change_revokes_the_old_device_cookies(owner: Page) -> None:
    lost_phone = owner.app.test_client()
    assert _login(lost_phone, "192.168.1.30", PASSWORD).status_code == 302
    new = "a brand new password"
    _change_password(owner, new)
    _log_out(owner)
    _lock_everyone_out(owner)
    # before: the lost phone's cookie stayed trusted, past the cap over all strangers
    assert _login(lost_phone, "192.168.1.30", new).status_code == 429
    # this browser logged in with the new password (the change): its fresh cookie is trusted
    assert _login(owner.client, "192.168.1.20", new).status_code == 302


def test_log_out_everywhere_revokes_the_device_cookies(owner: Page) -> None:
    lost_phone = owner.app.test_client()
    assert _login(lost_phone, "192.168.1.30", PASSWORD).status_code == 302
    everywhere = owner.client.post("/logout/everywhere", data={"csrf_token": owner.csrf("/")})
    assert everywhere.status_code == 302
    _lock_everyone_out(owner)
    assert _login(lost_phone, "192.168.1.30", PASSWORD).status_code == 429  # before: 302
    assert _login(owner.client, "192.168.1.20", PASSWORD).status_code == 429  # revoked here too
    owner.clock.now += 301
    assert _login(owner.client, "192.168.1.20", PASSWORD).status_code == 302
    _log_out(owner)
    _lock_everyone_out(owner)
    assert _login(owner.client, "192.168.1.20", PASSWORD).status_code == 302  # a fresh login's cookie


def test_a_reset_and_new_setup_revoke_the_device_cookies_even_with_the_same_password(owner: Page) -> None:
    store = owner.app.extensions["moodspeaker"].passwords
    before = store.device_token()
    reset_owner(owner.data_dir)  # `moodspeaker setup-code --reset`
    store.set_password(PASSWORD, PASSWORD)  # the generation starts at 1 again; the hash's salt is new
    assert store.device_token() not in ("", before)


def test_a_second_speaker_on_the_same_host_leaves_this_ones_cookies_alone(
    owner: Page, tmp_path: Path
) -> None:
    """The demo and the real speaker on one machine (one host name, two ports): a browser keeps cookies
    per host, not per port, so what the demo sets lands in the same jar as the speaker's cookies."""
    bus = EventBus()
    demo_dir = tmp_path / "demo"
    app = create_app(
        ControlAPI(HomeSpeaker(bus), bus),
        bus,
        config=make_config(demo_dir),
        config_path=None,
        data_dir=demo_dir,
    )
    try:
        demo = AppPage(app, app.test_client(), bus, demo_dir, tmp_path / "demo.toml", [])
        form = {"code": setup_code(demo_dir), "password": PASSWORD, "confirm": PASSWORD}
        response = demo.client.post("/setup", data={"csrf_token": demo.csrf("/setup"), **form})
        assert response.status_code == 302
        for header in response.headers.get_all("Set-Cookie"):  # into the owner's browser's jar
            name, value = header.split(";")[0].split("=", 1)
            owner.client.set_cookie(name, value)
    finally:
        app.extensions["moodspeaker"].close()
    assert owner.client.get("/").status_code == 200  # before: the demo's session cookie replaced this one
    _log_out(owner)
    _lock_everyone_out(owner)
    assert _login(owner.client, "192.168.1.20", PASSWORD).status_code == 302  # still a known device
