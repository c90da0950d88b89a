"""The real `moodspeaker run` service as a subprocess, and its phone page spoken to over real HTTP.

`Service` starts the README's run command (`moodspeaker -c CONFIG run`) in its own process group, so
that `kill()` can shoot the whole group with SIGKILL (the service and its analysis workers), as a
power cut or the OOM killer would.  `Page` is an owner's browser without the browser: a cookie jar,
the page's CSRF token, redirects not followed (a form's 302 is its answer).
"""

from __future__ import annotations

import contextlib
import http.client
import http.cookiejar
import json
import os
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path
from typing import Any

PASSWORD = "correct horse battery"


class _NoRedirect(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, *args: Any, **kwargs: Any) -> None:
        return None  # the 302 itself is the answer of a form post


class Page:
    """The phone page as its owner sees it (login once; the session cookie survives restarts)."""

    def __init__(self, port: int) -> None:
        self.base = f"http://127.0.0.1:{port}"
        self.jar = http.cookiejar.CookieJar()
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(self.jar), _NoRedirect())
        self.token = ""

    def request(
        self,
        method: str,
        path: str,
        *,
        form: dict[str, str] | None = None,
        body: Any = None,
        timeout: float = 60,
    ) -> tuple[int, str, dict[str, str]]:
        """(status, text, headers); raises OSError when the service is not there (killed, not up)."""
        data, headers = None, {}
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif body is not None:
            data = json.dumps(body).encode()
            headers["Content-Type"] = "application/json"
            headers["X-CSRFToken"] = self.token
        req = urllib.request.Request(self.base + path, data=data, method=method, headers=headers)
        try:
            try:
                with self.opener.open(req, timeout=timeout) as r:
                    return r.status, r.read().decode("utf-8", "replace"), dict(r.headers)
            except urllib.error.HTTPError as exc:
                with exc:
                    return exc.code, exc.read().decode("utf-8", "replace"), dict(exc.headers)
        except http.client.HTTPException as exc:  # a half-sent answer (not acknowledged): it died
            raise ConnectionError(f"{method} {path}: {exc!r}") from exc

    def json(self, method: str, path: str, body: Any = None) -> tuple[int, Any]:
        status, text, _ = self.request(method, path, body=body if method == "POST" else None)
        try:
            return status, json.loads(text)
        except ValueError:
            return status, {"unparsed": text[:300]}

    def csrf(self, path: str) -> str:
        status, html, _ = self.request("GET", path)
        match = re.search(r'name="csrf-token" content="([^"]+)"', html)
        assert match, f"no CSRF token on {path} ({status})"
        return match.group(1)

    def set_up(self, data_dir: Path) -> None:
        """First visit: the setup code from the data folder, the owner's password, logged in."""
        from moodspeaker_web.setup_code import read_setup_code  # noqa: PLC0415

        code = read_setup_code(data_dir)
        assert code, "no setup code written by the service"
        form = {"csrf_token": self.csrf("/setup"), "code": code, "password": PASSWORD, "confirm": PASSWORD}
        status, text, _ = self.request("POST", "/setup", form=form)
        assert status == 302, (status, text[:300])
        self.token = self.csrf("/")


class Service:
    """`moodspeaker -c CONFIG run` in its own process group; one log file per start."""

    def __init__(self, config: Path, logs: Path, env: dict[str, str], port: int) -> None:
        self.config, self.logs, self.env, self.port = config, logs, env, port
        self.proc: subprocess.Popen[bytes] | None = None
        self.starts = 0
        self.log_path = logs / "run-0.log"

    def start(self) -> None:
        self.starts += 1
        self.log_path = self.logs / f"run-{self.starts}.log"
        with self.log_path.open("wb") as log:
            self.proc = subprocess.Popen(
                [sys.executable, "-m", "moodspeaker", "-c", str(self.config), "run"],
                stdout=log,
                stderr=subprocess.STDOUT,
                env=self.env,
                start_new_session=True,  # its own process group: kill() reaches the analysis workers too
            )

    def wait_up(self, page: Page, timeout: float = 90.0) -> float:
        """Seconds until the page answers; fails with the log when the process died instead."""
        begin = time.monotonic()
        while time.monotonic() - begin < timeout:
            assert self.proc is not None
            if self.proc.poll() is not None:
                raise AssertionError(f"the service exited ({self.proc.returncode}) at start:\n{self.tail()}")
            try:
                page.request("GET", "/login", timeout=2)
                return time.monotonic() - begin
            except OSError:
                time.sleep(0.05)
        raise AssertionError(f"the page did not answer within {timeout:g} s:\n{self.tail()}")

    def kill(self) -> None:
        """SIGKILL to the whole process group (service and workers), then reap the service."""
        if self.proc is None:
            return
        with contextlib.suppress(ProcessLookupError):
            os.killpg(self.proc.pid, signal.SIGKILL)
        self.proc.wait(30)

    def stop(self) -> int:
        """SIGTERM and wait for the orderly shutdown; the exit code."""
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)
        try:
            return self.proc.wait(60)
        except subprocess.TimeoutExpired:
            self.kill()
            raise AssertionError(f"the service did not stop on SIGTERM:\n{self.tail()}") from None

    def tail(self, n: int = 3000) -> str:
        return self.log_path.read_text(errors="replace")[-n:]
