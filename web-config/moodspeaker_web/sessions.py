"""The owner's live sessions, kept on the speaker so that logging out ends a session for good.

The session cookie is signed, not secret from whoever holds it: a copy (another phone, a shared
browser's history, a stolen cookie) was valid until it expired.  Each login now gets a random id that
the cookie carries and this store lists; a cookie whose id is not listed is refused.  Log out removes
the id, "log out everywhere" (and a password change, and a new owner after a reset) empties the list.

Each session's login time and last use are the speaker's own record, not the cookie's: the cookie
said when it was last used, and so a replayed copy (or one written with the device key) could claim
a use that never happened.  A session unused for the idle time, or older than its lifetime, ends here.

The list lives in memory (the page is one process) and is written through to data_dir/web/sessions.json
(atomic, mode 0600) on each login and logout, so a restart keeps live sessions and revives no ended
one.  The last use is written at most once an hour per session (not per request), so after a restart
a session may end up to an hour early, never late.  A write that fails (disk full, read-only data
folder) is logged with what and where and raised as SessionSaveError: the change holds in memory (a
logout has ended the session now) but a restart would undo it, and the page must say so instead of
claiming it done.  An unreadable file counts as empty: everyone logs in again, nobody gets in unasked.
Ids are stored as they are: the signing key that a reader of this folder would also have is what makes
a cookie, so hashing them would protect nothing.
"""

from __future__ import annotations

import contextlib
import json
import logging
import secrets
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from moodspeaker.util.atomic import atomic_write_text
from moodspeaker_web.setup_code import private_dir, web_dir

log = logging.getLogger(__name__)

#: More live logins than a household has phones and browsers; past it the oldest login ends.
MAX_SESSIONS = 64

#: A session's last use is written to the file when it is this much newer than the one written.
SEEN_SAVE_S = 3600.0


def sessions_path(data_dir: Path) -> Path:
    return web_dir(data_dir) / "sessions.json"


class SessionSaveError(Exception):
    """A change to the session list holds now but could not be written, so a restart would undo it.

    `change` says which ("the login", "the logout", "log out everywhere"), `path` where, `reason` why
    (the system's words: "No space left on device"); `sid` is the new session of a login."""

    def __init__(self, change: str, path: Path, reason: str, sid: str | None = None) -> None:
        self.change, self.path, self.reason, self.sid = change, path, reason, sid
        super().__init__(f"could not save {change} to {path} ({reason})")


@dataclass
class _Session:
    login: float
    seen: float
    saved_seen: float  # the last use as the file has it


def _time(value: Any) -> float | None:
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else None


def _record(value: Any) -> _Session | None:
    """One entry of the file: {"login": t, "seen": t}, or the login time alone (before last use was
    kept here: its last use is taken to be its login, which can only end it sooner)."""
    if isinstance(value, dict):
        login, seen = _time(value.get("login")), _time(value.get("seen"))
    else:
        login = seen = _time(value)
    return None if login is None or seen is None else _Session(login, seen, seen)


class SessionStore:
    """Session id -> login time and last use, for the sessions that have not logged out or expired."""

    def __init__(self, data_dir: Path) -> None:
        self._data_dir = Path(data_dir)
        self._path = sessions_path(self._data_dir)
        self._lock = threading.Lock()
        self._live: dict[str, _Session] = self._load()

    def _load(self) -> dict[str, _Session]:
        try:
            data = json.loads(self._path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return {}
        except (OSError, ValueError) as exc:
            log.error("%s is unreadable (%s): every phone has to log in again", self._path, exc)
            return {}
        live = data.get("sessions") if isinstance(data, dict) else None
        if not isinstance(live, dict):
            log.error("%s is not a session list: every phone has to log in again", self._path)
            return {}
        records = {str(sid): _record(value) for sid, value in live.items()}
        return {sid: record for sid, record in records.items() if record is not None}

    def _save(self, change: str, sid: str | None = None) -> None:
        """Write the list (called with the lock held); raise SessionSaveError when it cannot be."""
        body = {s: {"login": r.login, "seen": r.seen} for s, r in self._live.items()}
        try:
            private_dir(self._data_dir)
            atomic_write_text(self._path, json.dumps({"sessions": body}), mode=0o600)
        except OSError as exc:
            reason = exc.strerror or str(exc)
            log.error(
                "could not save %s to %s (%s): it holds until the page restarts, which would undo it",
                change,
                self._path,
                reason,
            )
            raise SessionSaveError(change, self._path, reason, sid) from exc
        for record in self._live.values():
            record.saved_seen = record.seen

    def _expired(self, record: _Session, now: float, keep_s: float, idle_s: float) -> bool:
        return now - record.login > keep_s or now - record.seen > idle_s

    def begin(self, now: float, keep_s: float, idle_s: float, replacing: str | None = None) -> str:
        """A new session's id, listed as live; `replacing` (this browser's earlier session) ends.
        Sessions older than `keep_s` or unused for `idle_s` are dropped from the list on the way.
        Raises SessionSaveError (carrying the id) when the list cannot be written: the login holds
        until a restart."""
        sid = secrets.token_urlsafe(24)
        with self._lock:
            self._live = {
                s: r
                for s, r in self._live.items()
                if s != replacing and not self._expired(r, now, keep_s, idle_s)
            }
            self._live[sid] = _Session(now, now, now)
            while len(self._live) > MAX_SESSIONS:
                del self._live[min(self._live, key=lambda s: self._live[s].seen)]
            self._save("the login", sid)
        return sid

    def check(self, sid: str, now: float, keep_s: float, idle_s: float) -> bool:
        """Is `sid` a live session that is neither too old nor unused too long?  A yes counts as a use.

        An expired session ends here (in memory; the file catches up with the next write, and its
        record there is as expired after a restart)."""
        with self._lock:
            record = self._live.get(sid)
            if record is None:
                return False
            if self._expired(record, now, keep_s, idle_s):
                del self._live[sid]
                log.info(
                    "a session of the page ended: %s", "too old" if now - record.login > keep_s else "unused"
                )
                return False
            record.seen = max(record.seen, now)
            if record.seen - record.saved_seen >= SEEN_SAVE_S:
                with contextlib.suppress(SessionSaveError):  # logged; after a restart it may end early
                    self._save("the last use of a session")
            return True

    def end(self, sid: str) -> None:
        """End one session; raises SessionSaveError when the list cannot be written (it has ended
        until a restart, which would revive it)."""
        with self._lock:
            if self._live.pop(sid, None) is not None:
                self._save("the logout")

    def end_all(self) -> None:
        """End every session; raises SessionSaveError as `end` does."""
        with self._lock:
            self._live = {}
            self._save("log out everywhere")
