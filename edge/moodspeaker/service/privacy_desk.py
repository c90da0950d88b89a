"""`moodspeaker privacy export`/`delete-everything` asking the speaker running on the data folder.

Why: "delete everything" must go through the running service, so that what it keeps in memory goes
too (the mood history's generation, the feedback not yet written, the player's explanations, the
MQTT stats), as the page's deletion does; and the export gives what the service keeps in memory (the
tracks started, the flips, the play history) only while it runs.  A speaker run without its page
(`--no-web`, Home Assistant households) had no other door for either.

How, as `config set` reaches it (config.asked): through files in the data folder, which the command
can write whoever runs it (as the folder's owner, commands.owner) and the service looks at every
second (`PrivacyDesk.step`, on a thread of the runner's).  The command writes
`privacy-request-<nonce>.json` (no personal data in it: the action and when); the service takes it
by renaming it (`.taken`: a request the command withdraws after taking is never half-taken), does
what the page does (service.privacy_export) and answers in `privacy-answer-<nonce>.json` (0600: it
holds the export), which the command reads and deletes.  A command that gave up withdraws its
request: when that succeeds the speaker never saw it, so "nothing was deleted" is true; when the
request was already taken the command says the deletion may still be under way.  Answers nobody
read (a command interrupted) are deleted after ANSWER_KEPT_S, and by a deletion at once.
"""

from __future__ import annotations

import contextlib
import json
import logging
import re
import secrets
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from moodspeaker.util.atomic import atomic_write_text
from moodspeaker.util.passes import every

log = logging.getLogger(__name__)

REQUEST_PREFIX = "privacy-request-"
ANSWER_PREFIX = "privacy-answer-"
ACTIONS = ("export", "delete")
#: How long an answer nobody read is kept (a command interrupted while the speaker worked).
ANSWER_KEPT_S = 600.0
_NONCE = re.compile(r"[0-9a-f]{16,64}")

Handle = Callable[[str], dict[str, Any]]


class NoAnswerError(Exception):
    """The running speaker did not answer in time; `taken` says whether it had taken the request."""

    def __init__(self, message: str, taken: bool) -> None:
        super().__init__(message)
        self.taken = taken


def ask(data_dir: Path, action: str, timeout_s: float, poll_s: float = 0.1) -> dict[str, Any]:
    """Ask the speaker running on `data_dir` to `action` ("export" or "delete") and return its answer
    ({"ok": bool, ...}).  NoAnswerError when none came within `timeout_s`; OSError when the request
    cannot be written.  An interrupted wait (Ctrl-C) withdraws the request if it was not taken."""
    nonce = secrets.token_hex(16)
    request = data_dir / f"{REQUEST_PREFIX}{nonce}.json"
    answer = data_dir / f"{ANSWER_PREFIX}{nonce}.json"
    body = {"action": action, "asked_at": time.time()}
    atomic_write_text(request, json.dumps(body), mode=0o644)  # no personal data; the service reads it
    answered = False
    try:
        deadline = time.monotonic() + timeout_s
        while time.monotonic() < deadline:
            got = _read_answer(answer)
            if got is not None:
                answered = True
                return got
            time.sleep(poll_s)
        taken = not _withdraw(request)
        got = _read_answer(answer)  # answered as it gave up
        if got is not None:
            answered = True
            return got
        where = f"the speaker running on {data_dir}"
        if taken:
            raise NoAnswerError(
                f"{where} took the request but did not answer within {timeout_s:g} s; it may still be "
                "working on it: see its health and log",
                taken=True,
            )
        raise NoAnswerError(f"{where} did not answer within {timeout_s:g} s", taken=False)
    finally:
        if not answered:
            _withdraw(request)


def _withdraw(request: Path) -> bool:
    """Delete the request unless the service took it; whether it was still there."""
    try:
        request.unlink()
    except FileNotFoundError:
        return False
    return True


def _read_answer(path: Path) -> dict[str, Any] | None:
    try:
        text = path.read_text("utf-8")
    except FileNotFoundError:
        return None
    with contextlib.suppress(FileNotFoundError):
        path.unlink()
    got = json.loads(text)
    return got if isinstance(got, dict) else {"ok": False, "error": f"{path}: not an answer"}


class PrivacyDesk:
    """The requests in `data_dir`, each answered by `handle(action)` (its dict, with ok: true; what
    it raises is answered as the error, with ok: false)."""

    def __init__(self, data_dir: Path, handle: Handle) -> None:
        self.data_dir = Path(data_dir)
        self._handle = handle

    def follow(self, stop: threading.Event, every_s: float) -> threading.Thread:
        """Step every `every_s` seconds on a thread of its own until `stop` is set (a deletion waits
        on storage and the player, which the runner's watchdog pings must not)."""
        return every(
            stop, every_s, self.step, "privacy-requests", f"answering the privacy requests in {self.data_dir}"
        )

    def step(self) -> int:
        """Answer every request there is; returns how many."""
        answered = 0
        for request in sorted(self.data_dir.glob(f"{REQUEST_PREFIX}*.json")):
            nonce = request.name[len(REQUEST_PREFIX) : -len(".json")]
            taken = request.with_name(f"{REQUEST_PREFIX}{nonce}.taken")
            try:
                request.replace(taken)
            except FileNotFoundError:  # withdrawn meanwhile
                continue
            try:
                if _NONCE.fullmatch(nonce) is None:
                    log.warning("%s: not a request of `moodspeaker privacy`; ignored", request)
                    continue
                self._answer(taken, self.data_dir / f"{ANSWER_PREFIX}{nonce}.json")
                answered += 1
            finally:
                taken.unlink(missing_ok=True)
        self._tidy()
        return answered

    def _answer(self, taken: Path, answer: Path) -> None:
        try:
            action = json.loads(taken.read_text("utf-8")).get("action")
        except (OSError, ValueError, AttributeError) as exc:
            action, problem = None, f"{taken}: unreadable request ({exc})"
        else:
            problem = "" if action in ACTIONS else f"unknown privacy request {str(action)[:40]!r}"
        if problem:
            body: dict[str, Any] = {"ok": False, "error": problem}
        else:
            log.info("privacy request from the command line: %s", action)
            try:
                body = {"ok": True, **self._handle(str(action))}
            except Exception as exc:
                log.exception("privacy request %s failed", action)
                body = {"ok": False, "error": str(exc) or type(exc).__name__}
        if action == "delete":  # an export nobody read holds what was just deleted
            self._tidy(0.0)
        atomic_write_text(answer, json.dumps(body), mode=0o600)

    def _tidy(self, older_than_s: float = ANSWER_KEPT_S) -> None:
        """Delete answers nobody read, older than `older_than_s`."""
        now = time.time()
        for path in self.data_dir.glob(f"{ANSWER_PREFIX}*.json"):
            with contextlib.suppress(FileNotFoundError):
                if now - path.stat().st_mtime >= older_than_s:
                    path.unlink()
