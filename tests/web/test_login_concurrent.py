"""Logins sent at once: each is counted before its password check runs (so the attempt limit holds for
a burst too), and no more than auth.MAX_CHECKS argon2 checks (~19 MiB each) run at the same time."""

from __future__ import annotations

import http.client
import queue
import re
import threading
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

import pytest
from argon2 import PasswordHasher
from webkit import PASSWORD, HomeSpeaker, make_config
from werkzeug.serving import make_server

from moodspeaker.service.control import ControlAPI
from moodspeaker.service.events import EventBus
from moodspeaker_web.app import create_app
from moodspeaker_web.auth import MAX_CHECKS, LoginLimiter
from moodspeaker_web.setup_code import read_setup_code


@dataclass
class Served:
    port: int
    ctx: Any
    cookie: str
    token: str
    gate: threading.Event  # password checks wait here until the test sets it
    entered: threading.Semaphore  # released by each password check as it starts
    results: queue.Queue[tuple[int, str | None]]

    def post(self, path: str, form: dict[str, str]) -> None:
        """POST from another thread; its (status, Retry-After) goes to `results`."""

        def send() -> None:
            conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
            body = urllib.parse.urlencode({"csrf_token": self.token, **form})
            headers = {"Cookie": self.cookie, "Content-Type": "application/x-www-form-urlencoded"}
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            self.results.put((response.status, response.getheader("Retry-After")))
            conn.close()

        threading.Thread(target=send, daemon=True).start()

    def take(self, n: int) -> list[tuple[int, str | None]]:
        return sorted((self.results.get(timeout=20) for _ in range(n)), key=lambda r: r[0])


def _session_cookie(response: http.client.HTTPResponse) -> str:
    """The session cookie the response sets ("" if none): only it, so these logins come from a
    browser the speaker does not know (no device cookie, test_login_lockout)."""
    for header in response.headers.get_all("Set-Cookie") or []:
        if header.startswith("moodspeaker_session_"):
            return header.split(";")[0]
    return ""


def _get(port: int, path: str, cookie: str = "") -> tuple[str, str]:
    """The page's HTML and the session cookie after it."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", path, headers={"Cookie": cookie} if cookie else {})
    response = conn.getresponse()
    html = response.read().decode()
    conn.close()
    return html, _session_cookie(response) or cookie


def _setup_over_http(port: int, code: str) -> str:
    """First boot through the served page: the owner's session cookie."""
    html, cookie = _get(port, "/setup")
    token = re.search(r'name="csrf_token" value="([^"]+)"', html)
    assert token
    form = {"csrf_token": token[1], "code": code, "password": PASSWORD, "confirm": PASSWORD}
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    headers = {"Cookie": cookie, "Content-Type": "application/x-www-form-urlencoded"}
    conn.request("POST", "/setup", body=urllib.parse.urlencode(form), headers=headers)
    response = conn.getresponse()
    response.read()
    conn.close()
    assert response.status == 302
    return _session_cookie(response)


def _serve(tmp_path: Path, limiter: LoginLimiter, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    bus = EventBus()
    data = tmp_path / "data"
    config = make_config(data)
    app = create_app(
        ControlAPI(HomeSpeaker(bus), bus),
        bus,
        config=config,
        config_path=None,
        data_dir=data,
        limiter=limiter,
    )
    ctx = app.extensions["moodspeaker"]
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    gate = threading.Event()
    entered = threading.Semaphore(0)

    class HeldHasher(PasswordHasher):
        def verify(self, hash: str | bytes, password: str | bytes) -> Literal[True]:
            """A real argon2 check, held open (as a slow one would be) until the test lets it end."""
            entered.release()
            assert gate.wait(30), "the test never let the password checks finish"
            return super().verify(hash, password)

    held = HeldHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)  # auth.make_hasher's costs
    monkeypatch.setattr(ctx.passwords, "_hasher", held)
    try:
        cookie = _setup_over_http(server.port, read_setup_code(data) or "")
        html, cookie = _get(server.port, "/settings", cookie)
        token = re.search(r'name="csrf_token" value="([^"]+)"', html)
        assert token, html
        yield Served(server.port, ctx, cookie, token[1], gate, entered, queue.Queue())
    finally:
        gate.set()
        server.shutdown()
        thread.join(timeout=10)
        server.server_close()
        ctx.close()


@pytest.fixture
def limited(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    """Two attempts per client; the cap over all clients out of the way."""
    yield from _serve(tmp_path, LoginLimiter(max_failures=2, window_s=300, global_max=100), monkeypatch)


@pytest.fixture
def roomy(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Served]:
    """Four attempts per client, more than the speaker checks at once."""
    yield from _serve(tmp_path, LoginLimiter(max_failures=4, window_s=300, global_max=100), monkeypatch)


def test_wrong_logins_sent_at_once_are_counted_before_they_are_checked(limited: Served) -> None:
    for _ in range(8):
        limited.post("/login", {"password": "wrong guess!"})
    # six are refused at once, while the first two are still being checked (before: all eight were
    # let through to a password check each and answered 401 only once those ended)
    early = limited.take(6)
    assert [status for status, _ in early] == [429] * 6
    assert all(after and int(after) > 0 for _, after in early)
    limited.gate.set()
    assert [status for status, _ in limited.take(2)] == [401, 401]


def test_no_more_than_max_checks_run_at_once_and_a_busy_refusal_is_not_counted(roomy: Served) -> None:
    assert MAX_CHECKS == 2
    for _ in range(2):
        roomy.post("/login", {"password": "wrong guess!"})
    for _ in range(2):
        assert roomy.entered.acquire(timeout=20), "two password checks should be running"
    # a third while two run: told the speaker is busy, at once, and not counted (before: a third argon2
    # check ran alongside, and every login sent at once added its own)
    for _ in range(3):
        roomy.post("/login", {"password": "wrong guess!"})
        status, retry_after = roomy.take(1)[0]
        assert status == 503 and retry_after and int(retry_after) > 0
    roomy.gate.set()
    assert [status for status, _ in roomy.take(2)] == [401, 401]
    # two counted (of four allowed), not five: the right password still logs in
    roomy.post("/login", {"password": PASSWORD})
    assert roomy.take(1)[0][0] == 302


def test_password_changes_sent_at_once_are_counted_before_they_are_checked(limited: Served) -> None:
    """The password change (settings) shares the limit with the login and the setup code."""
    for _ in range(5):
        form = {"current": "wrong guess!", "password": "x" * 12, "confirm": "x" * 12}
        limited.post("/settings/password", form)
    assert [status for status, _ in limited.take(3)] == [429] * 3
    limited.gate.set()
    assert [status for status, _ in limited.take(2)] == [400, 400]
    assert limited.ctx.passwords.verify(PASSWORD)


def test_the_limiter_counts_attempts_made_at_once_one_by_one() -> None:
    limiter = LoginLimiter(max_failures=5, window_s=60, global_max=7)
    start = threading.Barrier(20)
    waits: queue.Queue[float] = queue.Queue()

    def attempt(i: int) -> None:
        start.wait()
        waits.put(limiter.attempt(f"10.0.0.{i % 2}", 100.0))

    threads = [threading.Thread(target=attempt, args=(i,)) for i in range(20)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    allowed = [w for w in (waits.get() for _ in range(20)) if w == 0]
    assert len(allowed) == 7  # the cap over all clients, each counted as it was let through
    limiter.success("10.0.0.0", 100.0)  # a right one: that client's count goes, and its attempt
    assert limiter.attempt("10.0.0.0", 100.0) == 0
    limiter.undo("10.0.0.0", 100.0)  # one not checked is taken back
    assert limiter.attempt("10.0.0.9", 100.0) == 0  # six counted, so one more
    assert limiter.attempt("10.0.0.8", 100.0) == pytest.approx(60.0)
