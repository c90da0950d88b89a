"""First boot, login, sessions, rate limiting and security headers (Flask test client)."""

from __future__ import annotations

import json
import re
import stat
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from webkit import PASSWORD, Page, setup_code

from moodspeaker.cli import main
from moodspeaker_web.auth import LoginLimiter
from moodspeaker_web.sessions import sessions_path
from moodspeaker_web.setup_code import (
    ALPHABET,
    auth_path,
    code_path,
    ensure_setup_code,
    is_set_up,
    read_setup_code,
)


def test_first_start_makes_a_private_unique_setup_code(page: Page, tmp_path: Path) -> None:
    code = read_setup_code(page.data_dir)
    assert code and len(code) == 11 and code[5] == "-"
    assert all(ch in ALPHABET for ch in code.replace("-", ""))
    assert stat.S_IMODE(code_path(page.data_dir).stat().st_mode) == 0o600
    assert stat.S_IMODE(code_path(page.data_dir).parent.stat().st_mode) == 0o700
    # another device (another data folder) gets another code
    assert ensure_setup_code(tmp_path / "other") != code


def test_every_page_leads_to_setup_before_first_boot(page: Page) -> None:
    for path in ("/", "/login", "/settings", "/privacy", "/health"):
        response = page.client.get(path)
        assert response.status_code == 302 and response.headers["Location"].endswith("/setup"), path
    assert page.client.get("/api/state").status_code == 401


def test_wrong_setup_code_is_refused_and_counted(page: Page) -> None:
    token = page.csrf("/setup")
    response = page.client.post(
        "/setup", data={"csrf_token": token, "code": "AAAAA-AAAAA", "password": PASSWORD, "confirm": PASSWORD}
    )
    assert response.status_code == 400
    assert "setup code is not right" in response.get_data(as_text=True)
    assert not is_set_up(page.data_dir)


@pytest.mark.parametrize(
    ("password", "confirm", "message"),
    [
        ("short", "short", "at least 10"),
        (PASSWORD, PASSWORD + "x", "not the same"),
        ("x" * 300, "x" * 300, "at most"),
    ],
)
def test_weak_or_mismatched_password_is_refused(
    page: Page, password: str, confirm: str, message: str
) -> None:
    token = page.csrf("/setup")
    code = read_setup_code(page.data_dir)
    response = page.client.post(
        "/setup", data={"csrf_token": token, "code": code, "password": password, "confirm": confirm}
    )
    assert response.status_code == 400 and message in response.get_data(as_text=True)
    assert not is_set_up(page.data_dir)


def test_setup_stores_an_argon2_hash_and_uses_up_the_code(page: Page) -> None:
    page.setup_owner()
    record = json.loads(auth_path(page.data_dir).read_text())
    assert record["hash"].startswith("$argon2id$") and PASSWORD not in auth_path(page.data_dir).read_text()
    assert stat.S_IMODE(auth_path(page.data_dir).stat().st_mode) == 0o600
    assert read_setup_code(page.data_dir) is None
    assert page.client.get("/").status_code == 200  # logged in straight away
    # the setup page cannot be used again to take the speaker over
    page.client.post("/logout", data={"csrf_token": page.csrf("/")})
    assert page.client.get("/setup").headers["Location"].endswith("/login")


def test_setup_that_cannot_save_the_session_list_says_so_after_the_redirect(page: Page) -> None:
    """The first boot's "Your speaker is yours now, but ..." was flashed before log_in(), whose fresh
    session dropped it: the new owner was never told the earlier sessions' end was not saved."""
    blocked = sessions_path(page.data_dir)
    (blocked / "in-the-way").mkdir(parents=True)  # a folder where the list goes: its save fails (EISDIR)
    response = page.client.post(
        "/setup",
        data={
            "csrf_token": page.csrf("/setup"),
            "code": read_setup_code(page.data_dir),
            "password": PASSWORD,
            "confirm": PASSWORD,
        },
    )
    assert response.status_code == 302
    told = page.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Your speaker is yours now, but the speaker could not save" in told
    assert "You are logged in, but the speaker could not save the login" in told
    assert "Welcome! Your speaker is yours now." in told


def test_login_logout_and_wrong_password(owner: Page) -> None:
    owner.client.post("/logout", data={"csrf_token": owner.csrf("/")})
    assert owner.client.get("/").headers["Location"].endswith("/login")
    assert owner.login("wrong password!").status_code == 401
    assert owner.login().status_code == 302
    assert owner.client.get("/").status_code == 200


def test_session_cookie_is_httponly_and_samesite(page: Page) -> None:
    token = page.csrf("/setup")
    code = read_setup_code(page.data_dir)
    response = page.client.post(
        "/setup", data={"csrf_token": token, "code": code, "password": PASSWORD, "confirm": PASSWORD}
    )
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Strict" in cookie


def test_login_is_rate_limited_per_client(owner: Page) -> None:
    owner.client.post("/logout", data={"csrf_token": owner.csrf("/")})
    for _ in range(5):
        assert owner.login("not the password").status_code == 401
    blocked = owner.login()  # even the right password waits
    assert blocked.status_code == 429 and int(blocked.headers["Retry-After"]) > 0
    assert owner.client.get("/settings").status_code == 302
    owner.clock.now += 301  # the window has passed
    assert owner.login().status_code == 302


def test_setup_code_guessing_is_rate_limited(page: Page) -> None:
    for _ in range(5):
        token = page.csrf("/setup")
        page.client.post(
            "/setup",
            data={"csrf_token": token, "code": "BBBBB-BBBBB", "password": PASSWORD, "confirm": PASSWORD},
        )
    token = page.csrf("/setup")
    code = read_setup_code(page.data_dir)
    response = page.client.post(
        "/setup", data={"csrf_token": token, "code": code, "password": PASSWORD, "confirm": PASSWORD}
    )
    assert response.status_code == 429
    assert not is_set_up(page.data_dir)


def test_limiter_caps_all_clients_together() -> None:
    limiter = LoginLimiter(max_failures=5, window_s=60, global_max=10)
    for i in range(10):
        assert limiter.attempt(f"10.0.0.{i}", now=100.0) == 0
    assert limiter.retry_after("10.0.0.99", now=101.0) == pytest.approx(59.0)
    assert limiter.attempt("10.0.0.99", now=101.0) == pytest.approx(59.0)  # refused: not counted
    assert limiter.retry_after("10.0.0.99", now=161.0) == 0
    for _ in range(5):
        limiter.attempt("a", 200.0)
    assert limiter.retry_after("a", 200.0) > 0
    limiter.success("a", 200.0)
    assert limiter.retry_after("a", 200.0) == 0


def test_sessions_expire_by_age_and_idleness(owner: Page) -> None:
    owner.clock.now += 6 * 86400  # used within the idle limit: still logged in
    assert owner.client.get("/").status_code == 200
    owner.clock.now += 7 * 86400 + 60  # a week without use
    assert owner.client.get("/").headers["Location"].endswith("/login")
    assert owner.client.get("/api/state").status_code == 401
    owner.login()
    for _ in range(6):  # used every 5 days, but older than 30 days in total
        owner.clock.now += 5 * 86400
        assert owner.client.get("/").status_code == 200
    owner.clock.now += 1 * 86400
    assert owner.client.get("/").status_code == 302


def test_password_change_ends_other_sessions(owner: Page) -> None:
    other = owner.app.test_client()
    token = owner.csrf("/login")
    assert other.post("/login", data={"csrf_token": _token(other), "password": PASSWORD}).status_code == 302
    assert other.get("/").status_code == 200
    new = "a brand new passphrase"
    token = owner.csrf("/settings")
    response = owner.client.post(
        "/settings/password", data={"csrf_token": token, "current": PASSWORD, "password": new, "confirm": new}
    )
    assert response.status_code == 302
    told = owner.client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Password changed. Other phones will need to log in again." in told  # the new login keeps it
    assert owner.client.get("/").status_code == 200  # this phone stays in
    assert other.get("/").status_code == 302  # the other one is out
    wrong = owner.client.post(
        "/settings/password",
        data={"csrf_token": owner.csrf("/settings"), "current": "nope", "password": new, "confirm": new},
    )
    assert wrong.status_code == 400  # the settings page again, the reason in the password section
    assert "The current password is not right. Nothing changed." in wrong.get_data(as_text=True)
    assert owner.ctx.passwords.verify(new)


def _token(client: FlaskClient) -> str:
    html = client.get("/login").get_data(as_text=True)
    match = re.search(r'name="csrf-token" content="([^"]+)"', html)
    assert match, "no CSRF token on /login"
    return match.group(1)


def test_login_next_only_goes_to_local_pages(owner: Page) -> None:
    owner.client.post("/logout", data={"csrf_token": owner.csrf("/")})
    token = owner.csrf("/login")
    for target, expected in (
        ("/privacy", "/privacy"),
        ("//evil.example/x", "/"),
        ("https://evil.example", "/"),
    ):
        response = owner.client.post(
            f"/login?next={target}", data={"csrf_token": token, "password": PASSWORD}
        )
        assert response.headers["Location"] == expected, target
        owner.client.post("/logout", data={"csrf_token": owner.csrf("/")})
        token = owner.csrf("/login")


def test_security_headers_on_every_kind_of_response(owner: Page) -> None:
    for path in ("/", "/settings", "/api/state", "/static/app.css", "/no-such-page", "/login"):
        response = owner.client.get(path)
        csp = response.headers["Content-Security-Policy"]
        assert "default-src 'self'" in csp and "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "no-referrer"
        assert "camera=()" in response.headers["Permissions-Policy"]
    assert owner.client.get("/").headers["Cache-Control"] == "no-store"


def test_guest_view_is_read_only_and_off_by_default(owner: Page) -> None:
    owner.client.post("/logout", data={"csrf_token": owner.csrf("/")})
    assert owner.client.get("/").headers["Location"].endswith("/login")
    assert owner.client.get("/api/guest").status_code == 403
    owner.ctx.config = owner.ctx.config.__class__(
        **{**owner.ctx.config.__dict__, "web": owner.ctx.config.web.__class__(guest_view=True)}
    )
    page = owner.client.get("/")
    html = page.get_data(as_text=True)
    assert page.status_code == 200 and 'data-page="guest"' in html and "btn-play" not in html
    guest = owner.client.get("/api/guest").get_json()
    assert guest["now_playing"] == {"title": "Clair de lune", "artist": "Debussy"}
    assert "mood" not in guest and "reason" not in json.dumps(guest)
    assert owner.client.get("/api/state").status_code == 401
    assert owner.client.post("/control", data={"command": "pause"}).status_code == 400  # no token, no session


def test_setup_code_command_prints_and_resets(page: Page, capsys: pytest.CaptureFixture[str]) -> None:
    args = ["--set", f"device.data_dir={page.data_dir}", "setup-code"]
    assert main(args) == 0
    assert setup_code(page.data_dir) in capsys.readouterr().out
    page.setup_owner()
    assert main(args) == 0
    assert "already set up" in capsys.readouterr().out
    assert page.client.get("/").status_code == 200
    assert main([*args, "--reset"]) == 0
    new_code = read_setup_code(page.data_dir)
    assert new_code and new_code in capsys.readouterr().out
    # the reset acts on the running page at once: the old session and password are gone
    assert page.client.get("/").headers["Location"].endswith("/setup")


@pytest.mark.parametrize(
    ("host", "allowed"),
    [
        ("localhost", True),
        ("127.0.0.1:8080", True),
        ("192.168.1.20", True),
        ("[fe80::1]:8080", True),
        ("kitchen-speaker.local", True),
        ("kitchen-speaker.local.", True),
        ("kitchen", True),
        ("speaker.home.arpa:8080", True),
        ("speaker.fritz.box", False),
        ("evil.example", False),
        ("evil.example:8080", False),
        ("127.0.0.1.nip.io", False),
        ("", False),
    ],
)
def test_only_the_speakers_own_names_are_answered(owner: Page, host: str, allowed: bool) -> None:
    response = owner.client.get("/", headers={"Host": host})
    assert (response.status_code != 421) is allowed, response.status_code


def test_extra_host_names_can_be_allowed(owner: Page) -> None:
    assert owner.client.get("/", headers={"Host": "speaker.fritz.box"}).status_code == 421
    token = owner.csrf("/settings")
    response = owner.client.post(
        "/settings/web", data={"csrf_token": token, "web.allowed_hosts": "speaker.fritz.box"}
    )
    assert response.status_code == 302
    # answered now (a redirect to the login page: the cookie belongs to the other name)
    assert owner.client.get("/", headers={"Host": "speaker.fritz.box"}).status_code == 302


def test_session_length_follows_the_setting(owner: Page) -> None:
    token = owner.csrf("/settings")
    owner.client.post("/settings/web", data={"csrf_token": token, "web.session_days": "2"})
    owner.clock.now += 1.5 * 86400
    assert owner.client.get("/").status_code == 200
    owner.clock.now += 1 * 86400
    assert owner.client.get("/").status_code == 302


def test_password_change_attempts_are_rate_limited(owner: Page) -> None:
    for _ in range(5):
        token = owner.csrf("/settings")
        owner.client.post(
            "/settings/password",
            data={"csrf_token": token, "current": "guess", "password": "x" * 12, "confirm": "x" * 12},
        )
    token = owner.csrf("/settings")
    response = owner.client.post(
        "/settings/password",
        data={"csrf_token": token, "current": PASSWORD, "password": "y" * 12, "confirm": "y" * 12},
    )
    assert response.status_code == 429
    assert owner.ctx.passwords.verify(PASSWORD)


def test_setup_code_command_explains_an_unusable_data_folder(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocked = tmp_path / "file-not-folder"
    blocked.write_text("x")
    assert main(["--set", f"device.data_dir={blocked}", "setup-code"]) == 1
    assert "cannot use" in capsys.readouterr().err


#: Routes a stranger may reach (each checked by its own tests); every other route needs the owner.
PUBLIC = {"/setup", "/login", "/api/guest", "/static/<path:filename>"}


def test_every_route_needs_the_owner_except_the_public_ones(owner: Page) -> None:
    owner.client.post("/logout", data={"csrf_token": owner.csrf("/")})
    rules = [r for r in owner.app.url_map.iter_rules() if r.rule not in PUBLIC]
    assert {r.rule for r in rules} >= {"/", "/settings", "/privacy", "/health", "/api/state", "/api/command"}
    for rule in rules:
        path = rule.rule.replace("<section>", "camera")
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            token = owner.csrf(
                "/login"
            )  # a stranger's own valid token: CSRF passes, the owner check must not
            if method == "GET":
                response = owner.client.get(path)
            elif path.startswith("/api/"):
                response = owner.client.post(path, json={"command": "pause"}, headers={"X-CSRFToken": token})
            else:
                response = owner.client.post(
                    path, data={"csrf_token": token, "confirm": "delete", "enabled": "off"}
                )
            if path == "/logout":
                assert response.status_code == 302
                continue
            if path.startswith("/api/"):
                assert response.status_code == 401, (method, path)
            else:
                assert response.status_code == 302, (method, path, response.status_code)
                assert "/login" in response.headers["Location"], (method, path)
    assert owner.speaker.camera and not owner.speaker.feedback  # nothing happened
