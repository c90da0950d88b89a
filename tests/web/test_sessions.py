"""Sessions end on the speaker, not only in the browser: a copied session cookie (another phone, a shared
browser's history, a stolen cookie) stops working when its session logs out, "Log out everywhere" ends
every session, and a restart of the page neither revives an ended session nor ends a live one (Flask's
test client: the cookie is copied by hand, which is what a browser cannot show)."""

from __future__ import annotations

import re
import stat

from flask import Flask
from flask.testing import FlaskClient
from webkit import PASSWORD, Page

from moodspeaker.config import load
from moodspeaker.service.control import ControlAPI
from moodspeaker_web.app import create_app
from moodspeaker_web.setup_code import reset_owner, web_dir


def cookie_of(client: FlaskClient) -> str:
    cookie = client.get_cookie(client.application.config["SESSION_COOKIE_NAME"])
    assert cookie is not None, "no session cookie"
    return cookie.value


def phone(app: Flask, cookie: str) -> FlaskClient:
    """Another client carrying a copy of a session cookie."""
    client = app.test_client()
    client.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie)
    return client


def token(client: FlaskClient, path: str) -> str:
    html = client.get(path).get_data(as_text=True)
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def log_out(client: FlaskClient) -> None:
    assert client.post("/logout", data={"csrf_token": token(client, "/")}).status_code == 302


def logged_in(app: Flask) -> FlaskClient:
    """A second phone that logs in with the password."""
    client = app.test_client()
    assert (
        client.post("/login", data={"csrf_token": token(client, "/login"), "password": PASSWORD}).status_code
        == 302
    )
    assert client.get("/").status_code == 200
    return client


def refused(client: FlaskClient) -> bool:
    page = client.get("/settings")
    to_login = page.status_code == 302 and "/login" in page.headers["Location"]
    return to_login and client.get("/api/state").status_code == 401


def restart(page: Page) -> None:
    """The speaker restarted: the app closed and a new one made on the same data folder and config."""
    page.app.extensions["moodspeaker"].close()
    page.app = create_app(
        ControlAPI(page.speaker, page.bus),
        page.bus,
        config=load(page.config_path),
        config_path=page.config_path,
        data_dir=page.data_dir,
        clock=page.clock,
    )
    page.client = page.app.test_client()


def test_a_copied_cookie_stops_working_when_its_session_logs_out(owner: Page) -> None:
    copy = phone(owner.app, cookie_of(owner.client))
    assert copy.get("/").status_code == 200  # while the session lives, a copy is as good as the original
    log_out(owner.client)
    assert refused(copy)
    assert owner.login().status_code == 302 and owner.client.get("/").status_code == 200


def test_logging_out_one_phone_leaves_the_others_in(owner: Page) -> None:
    other = logged_in(owner.app)
    copy = phone(owner.app, cookie_of(other))
    log_out(other)
    assert refused(copy)
    assert owner.client.get("/").status_code == 200


def test_log_out_everywhere_ends_every_session(owner: Page) -> None:
    other = logged_in(owner.app)
    mine = cookie_of(owner.client)
    response = owner.client.post("/logout/everywhere", data={"csrf_token": owner.csrf("/settings")})
    assert response.status_code == 302 and response.headers["Location"].endswith("/login")
    assert "Logged out everywhere" in owner.client.get("/login").get_data(as_text=True)
    assert refused(other) and refused(owner.client) and refused(phone(owner.app, mine))
    assert owner.login().status_code == 302 and owner.client.get("/").status_code == 200


def test_a_restart_revives_no_ended_session_and_ends_no_live_one(owner: Page) -> None:
    staying = cookie_of(owner.client)
    leaving_phone = logged_in(owner.app)
    leaving = cookie_of(leaving_phone)
    log_out(leaving_phone)
    restart(owner)
    assert phone(owner.app, staying).get("/").status_code == 200
    assert refused(phone(owner.app, leaving))


def test_log_out_everywhere_holds_across_a_restart(owner: Page) -> None:
    copies = [cookie_of(owner.client), cookie_of(logged_in(owner.app))]
    owner.client.post("/logout/everywhere", data={"csrf_token": owner.csrf("/settings")})
    restart(owner)
    assert all(refused(phone(owner.app, cookie)) for cookie in copies)


def test_a_damaged_session_list_logs_everyone_out_and_login_still_works(owner: Page) -> None:
    """Unreadable means no session is known to be live: the page fails closed, not open."""
    cookie = cookie_of(owner.client)
    sessions = web_dir(owner.data_dir) / "sessions.json"
    assert stat.S_IMODE(sessions.stat().st_mode) == 0o600  # the ids are as good as the cookies
    sessions.write_text("{not json", encoding="utf-8")
    restart(owner)
    assert refused(phone(owner.app, cookie))
    assert owner.login().status_code == 302 and owner.client.get("/").status_code == 200
    assert phone(owner.app, cookie_of(owner.client)).get("/").status_code == 200


def test_a_new_owner_after_a_reset_inherits_no_session(owner: Page) -> None:
    """`moodspeaker setup-code --reset` starts the password generation over, so a cookie from before
    the reset carried the same generation as the new owner's first sessions."""
    old = cookie_of(owner.client)
    reset_owner(owner.data_dir)
    owner.client = owner.app.test_client()
    owner.setup_owner("another long passphrase")
    assert owner.client.get("/").status_code == 200
    assert refused(phone(owner.app, old))
