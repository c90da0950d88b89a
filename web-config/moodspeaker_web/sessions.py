"""The owner's live sessions, kept on the speaker so that logging out ends a session for good.

The session cookie is signed, not secret from whoever holds it: a copy (another phone, a shared
browser's history, a stolen cookie) was valid until it expired.  Each login now gets a random id that
the cookie carries and this store lists; a cookie whose id is not listed is refused.  Log out removes
the id, "log out everywhere" (and a password change, and a new owner after a reset) empties the list.

The list lives in memory (the page is one process) and is written through to data_dir/web/sessions.json
(atomic, mode 0600) on each login and logout, never per request, so a restart keeps live sessions and
revives no ended one.  An unreadable file counts as empty: everyone logs in again, nobody gets in
unasked.  Ids are stored as they are: the signing key that a reader of this folder would also have is
what makes a cookie, so hashing them would protect nothing.
"""

from __future__ import annotations

import json
import logging
import secrets
import threading
from pathlib import Path

from moodspeaker.util.atomic import atomic_write_text
from moodspeaker_web.setup_code import private_dir, web_dir

log = logging.getLogger(__name__)

#: More live logins than a household has phones and browsers; past it the oldest login ends.
MAX_SESSIONS = 64


def sessions_path(data_dir: Path) -> Path:
    return web_dir(data_dir) / "sessions.json"


class SessionStore:
    """Session id -> login time, for the sessions that have not logged out or expired."""

    def __init__(self, data_dir: Path) -> None:
        self._data_dir = Path(data_dir)
        self._path = sessions_path(self._data_dir)
        self._lock = threading.Lock()
        self._live: dict[str, float] = self._load()

    def _load(self) -> dict[str, float]:
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
        return {
            str(sid): float(at)
            for sid, at in live.items()
            if isinstance(at, int | float) and not isinstance(at, bool)
        }

    def _save(self) -> None:
        """Called with the lock held.  A failed write is logged: the change holds until a restart."""
        try:
            private_dir(self._data_dir)
            atomic_write_text(self._path, json.dumps({"sessions": self._live}), mode=0o600)
        except OSError as exc:
            log.error(
                "could not save the session list to %s (%s): a restart would undo the last login or logout",
                self._path,
                exc,
            )

    def begin(self, now: float, keep_s: float, replacing: str | None = None) -> str:
        """A new session's id, listed as live; `replacing` (this browser's earlier session) ends.
        Sessions older than `keep_s` are dropped from the list on the way."""
        sid = secrets.token_urlsafe(24)
        with self._lock:
            self._live = {s: at for s, at in self._live.items() if now - at <= keep_s and s != replacing}
            self._live[sid] = now
            while len(self._live) > MAX_SESSIONS:
                del self._live[min(self._live, key=self._live.__getitem__)]
            self._save()
        return sid

    def is_live(self, sid: str) -> bool:
        with self._lock:
            return sid in self._live

    def end(self, sid: str) -> None:
        with self._lock:
            if self._live.pop(sid, None) is not None:
                self._save()

    def end_all(self) -> None:
        with self._lock:
            self._live = {}
            self._save()
