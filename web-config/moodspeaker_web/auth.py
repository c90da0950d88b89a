"""The owner's password (argon2id) and a login rate limiter.

One owner account: the speaker has one household page, and guests get the read-only view.  The
password hash lives in data_dir/web/auth.json with a `generation` number that is bumped on every
password change, so that sessions made with the old password stop working at once.  The limiter is
pure (time passed in) so its behaviour is tested without sleeping.
"""

from __future__ import annotations

import hashlib
import json
import logging
import secrets
import threading
import time
from collections import deque
from pathlib import Path
from typing import Any

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

from moodspeaker.util.atomic import atomic_write_text
from moodspeaker_web.setup_code import auth_path, discard_setup_code

log = logging.getLogger(__name__)

MIN_PASSWORD = 10
MAX_PASSWORD = 256
#: argon2 runs at once (each ~19 MiB); a login past them is told to try again in a moment
MAX_CHECKS = 2


def make_hasher() -> PasswordHasher:
    """argon2id at OWASP's recommended minimum (19 MiB, 2 passes, 1 lane).

    The library's default (64 MiB, 4 lanes) is meant for servers; on a Pi Zero 2 W with 512 MB it
    would take seconds and an eighth of the memory per login.  These figures still make each guess
    cost ~19 MiB of memory, which is what defeats GPU cracking, and logins are rate-limited besides.
    """
    return PasswordHasher(time_cost=2, memory_cost=19 * 1024, parallelism=1)


class PasswordError(ValueError):
    """The chosen password is not acceptable; the message says why."""


def check_new_password(password: str, confirm: str) -> None:
    if len(password) < MIN_PASSWORD:
        raise PasswordError(f"The password needs at least {MIN_PASSWORD} characters.")
    if len(password) > MAX_PASSWORD:
        raise PasswordError(f"The password can have at most {MAX_PASSWORD} characters.")
    if password != confirm:
        raise PasswordError("The two passwords are not the same.")


class PasswordBusyError(RuntimeError):
    """MAX_CHECKS password checks are running already: this one was not made (try again shortly)."""


class PasswordStore:
    """Reads the hash from disk on each check, so `moodspeaker setup-code --reset` acts at once."""

    def __init__(self, data_dir: Path) -> None:
        self._path = auth_path(data_dir)
        self._data_dir = data_dir
        self._hasher = make_hasher()
        self._lock = threading.Lock()
        # each argon2 run takes ~19 MiB: a burst of logins must not add up to the Pi's memory
        self._checks = threading.BoundedSemaphore(MAX_CHECKS)

    def _read(self) -> dict[str, Any] | None:
        try:
            data = json.loads(self._path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            return None
        except (OSError, ValueError) as exc:
            log.error("%s is unreadable (%s); the page stays locked until it is reset", self._path, exc)
            return {"hash": "", "generation": -1}
        return data if isinstance(data, dict) else {"hash": "", "generation": -1}

    def is_set(self) -> bool:
        return self._read() is not None

    def generation(self) -> int:
        data = self._read()
        return int(data.get("generation", 0)) if data else -1

    def device_token(self) -> str:
        """What the device cookies (guard.known_device) are signed with besides the page's key: a digest
        of the stored hash (new with every password, its salt being random, a reset and new setup among
        them) and of `devices` (new at "log out everywhere": forget_devices).  "" while no password is set."""
        data = self._read()
        if not data or not data.get("hash"):
            return ""
        seed = f"{data['hash']}\n{data.get('devices', '')}"
        return hashlib.sha256(seed.encode()).hexdigest()[:32]

    def forget_devices(self) -> None:
        """Make every browser's device cookie count for nothing ("log out everywhere": a lost phone is no
        longer trusted by the login limiter).  Raises OSError when auth.json cannot be written."""
        with self._lock:
            data = self._read()
            if not data or not data.get("hash"):
                return
            data["devices"] = secrets.token_hex(16)
            atomic_write_text(self._path, json.dumps(data), mode=0o600)

    def set_password(self, password: str, confirm: str) -> int:
        """Store a new password (raises PasswordError); returns the new session generation."""
        check_new_password(password, confirm)
        with self._checks:  # waits for a slot: only the owner (or the setup code's holder) gets here
            hashed = self._hasher.hash(password)
        with self._lock:
            old = self._read()
            generation = (int(old.get("generation", 0)) + 1) if old else 1
            record = {"hash": hashed, "generation": generation, "set_at": time.time()}
            atomic_write_text(self._path, json.dumps(record), mode=0o600)
        discard_setup_code(self._data_dir)
        return generation

    def verify(self, password: str) -> bool:
        """Is this the owner's password?  Raises PasswordBusyError, without checking, while MAX_CHECKS
        other checks run (each holds ~19 MiB; waiting would pile up threads and their memory)."""
        data = self._read()
        if not data or not data.get("hash") or len(password) > MAX_PASSWORD:
            return False
        if not self._checks.acquire(blocking=False):
            raise PasswordBusyError(f"{MAX_CHECKS} password checks are running already")
        try:
            try:
                self._hasher.verify(str(data["hash"]), password)
            except (VerificationError, InvalidHashError):
                return False
            if self._hasher.check_needs_rehash(str(data["hash"])):  # cost settings changed: upgrade
                data["hash"] = self._hasher.hash(password)
                with self._lock:
                    atomic_write_text(self._path, json.dumps(data), mode=0o600)
        finally:
            self._checks.release()
        return True


class LoginLimiter:
    """At most `max_failures` attempts per client in `window_s`, and a cap over all clients.

    An attempt is counted when it starts (`attempt`, atomically with the check), so requests sent at
    once cannot all pass the check before the first is counted; a right one is taken back
    (`success`), as is one the speaker did not get to check (`undo`).  The global cap stops a
    neighbour who rotates addresses; it locks the page for every client the speaker does not know.
    A browser the owner logged in with before (a device cookie, guard.limit_key) is `trusted`: only
    its own count applies, so a neighbour's guessing cannot lock the owner out (OWASP's device
    cookies).
    """

    def __init__(self, max_failures: int = 5, window_s: float = 300.0, global_max: int = 30) -> None:
        self.max_failures = max_failures
        self.window_s = window_s
        self.global_max = global_max
        self._per_client: dict[str, deque[float]] = {}
        self._all: deque[tuple[float, str]] = deque()  # (time, client) of untrusted clients' attempts
        self._lock = threading.Lock()

    def _trim(self, times: deque[float], now: float) -> None:
        while times and times[0] <= now - self.window_s:
            times.popleft()

    def _wait(self, client: str, now: float, trusted: bool) -> float:
        waits = [0.0]
        if not trusted:
            while self._all and self._all[0][0] <= now - self.window_s:
                self._all.popleft()
            if len(self._all) >= self.global_max:
                waits.append(self._all[0][0] + self.window_s - now)
        times = self._per_client.get(client)
        if times is not None:
            self._trim(times, now)
            if len(times) >= self.max_failures:
                waits.append(times[0] + self.window_s - now)
        return max(waits)

    def retry_after(self, client: str, now: float, trusted: bool = False) -> float:
        """Seconds until `client` may try again; 0 when it may try now."""
        with self._lock:
            return self._wait(client, now, trusted)

    def attempt(self, client: str, now: float, trusted: bool = False) -> float:
        """Count an attempt by `client` at `now` if it may make one: 0 (counted: call success() when
        it was right, undo() when it was not made), else the seconds to wait (nothing counted)."""
        with self._lock:
            wait = self._wait(client, now, trusted)
            if wait > 0:
                return wait
            self._per_client.setdefault(client, deque()).append(now)
            if not trusted:
                self._all.append((now, client))
            if len(self._per_client) > 1000:  # forget the oldest clients; memory stays bounded
                self._per_client.pop(next(iter(self._per_client)))
            return 0.0

    def undo(self, client: str, now: float) -> None:
        """Take back the attempt `client` made at `now` (it was not checked)."""
        with self._lock:
            times = self._per_client.get(client)
            if times is not None and now in times:
                times.remove(now)
            if (now, client) in self._all:
                self._all.remove((now, client))

    def success(self, client: str, now: float) -> None:
        """The attempt at `now` was right: it does not count, nor do the client's wrong ones."""
        with self._lock:
            self._per_client.pop(client, None)
            if (now, client) in self._all:
                self._all.remove((now, client))
