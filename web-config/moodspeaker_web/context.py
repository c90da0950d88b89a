"""What the page's views share: the control API, the config (changeable at run time), and stores.

Kept in `app.extensions["moodspeaker"]`; views reach it with `web()`.  The config is held here and
replaced on every successful save, so settings of the page itself (guest view, retention) act at once;
the service hears about a saved config through `on_config_change`.

The config held here is the one the speaker runs with, which may differ from the file: one-run
overrides (`--set`, `run --no-mqtt`) and whatever `moodspeaker config set` wrote since the start.  So
Settings shows and saves onto the file as it is now (`saved_config`, `save_changes`), and only the
changed settings reach the file and the running speaker.
"""

from __future__ import annotations

import collections
import logging
import threading
import time
import tomllib
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from flask import current_app, request

from moodspeaker.commands.webport import resolve_host
from moodspeaker.config import Config, ConfigError, describe, with_changes
from moodspeaker.config.edit import read, update
from moodspeaker.service.control import ControlAPI
from moodspeaker.service.events import CommandRejected, ErrorReported, Event, EventBus, StateChanged
from moodspeaker.service.restart_rules import (
    in_schema_order,
    kept_until_restart,
    needs_restart,
    waits_for_restart,
)
from moodspeaker.util import jsonsafe
from moodspeaker_web.auth import LoginLimiter, PasswordStore
from moodspeaker_web.forms import SECTION_TITLES
from moodspeaker_web.history import HistoryRecorder, MoodHistory
from moodspeaker_web.sessions import SessionStore

log = logging.getLogger(__name__)

#: State made safe for JSON (util.jsonsafe, which the edge's export uses); the page's modules import it here.
json_safe = jsonsafe.json_safe

DAY_S = 86400.0

#: Settings of this page that only a restart applies (the server listens and announces as it started).
PAGE_RESTART = frozenset(
    info.dotted for info in describe() if info.section == "web" and waits_for_restart(info.dotted)
)


@dataclass(frozen=True)
class Saved:
    """A saved config, and which of the changed settings reach the running speaker only when it
    restarts (the service says which while it applies the new config), so the page can say so."""

    config: Config
    restart: tuple[str, ...] = ()
    changes: Mapping[str, Any] = field(default_factory=dict)  # what was changed ({}: nothing)


@dataclass
class WebContext:
    control: ControlAPI
    bus: EventBus
    config: Config
    config_path: Path | None
    data_dir: Path
    passwords: PasswordStore
    sessions: SessionStore
    limiter: LoginLimiter
    history: MoodHistory
    clock: Callable[[], float] = time.time
    on_config_change: Callable[[Config], None] | None = None
    #: The page's own reactions to a saved config (e.g. renaming the zeroconf announcement).
    config_listeners: list[Callable[[Config], None]] = field(default_factory=list)
    idle_timeout_s: float = 7 * DAY_S
    errors: collections.deque[dict[str, Any]] = field(default_factory=lambda: collections.deque(maxlen=50))
    recorder: HistoryRecorder | None = None
    #: Library rescan as seen from here: the service's last "scan" event, or, from a speaker that
    #: reports none, started by the page and finished by its "library" event.
    scan: dict[str, Any] = field(default_factory=dict)
    #: Looks up the page address a save changes (a host name: DNS), before the save takes its lock.
    resolve_host: Callable[[str], str] = resolve_host
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _unsubscribe: Callable[[], None] | None = None
    #: What the speaker started with: its running config, and the config file as it was then.
    _started: Config | None = None
    _file_at_start: Config | None = None
    #: The config file's last parse: (its bytes, None when missing; the config or None; why not;
    #: the settings it sets, "section.key").
    _file_cache: tuple[bytes | None, Config | None, str, frozenset[str]] | None = None
    #: The last restart_waiting: (the config then, the config now, the running one, the settings waiting).
    _waiting: tuple[Config, Config, Config, tuple[str, ...]] | None = None

    @property
    def session_lifetime_s(self) -> float:
        return self.config.web.session_days * DAY_S

    def start(self) -> None:
        """Subscribe to errors for the health page and start the history writer with the history's
        retention."""
        self._started, self._file_at_start = self.config, self._file_now()
        self._unsubscribe = self.bus.subscribe(self._on_event)
        self.recorder = HistoryRecorder(self.history, self.bus, housekeeping=self.enforce_retention)

    def _on_event(self, event: Event) -> None:
        if isinstance(event, ErrorReported):
            self.errors.appendleft({"ts": event.ts, "component": event.component, "message": event.message})
        elif isinstance(event, StateChanged) and event.key == "scan" and isinstance(event.value, dict):
            self.scan = dict(event.value)  # the service's own account, merged passes included
        elif isinstance(event, StateChanged) and event.key == "library" and "pass" not in self.scan:
            # a speaker that does not report its scans: its library event is the only "done" there is
            self.scan = {"running": False, "finished": event.ts, "result": str(event.value)[:200]}
        elif isinstance(event, CommandRejected):
            self.errors.appendleft(
                {"ts": event.ts, "component": f"command from {event.source}", "message": event.error}
            )

    def state(self, *, restart_waiting: bool = False) -> dict[str, Any]:
        """The service's state made JSON-safe; a failing service gives {"unavailable": reason}, not a 500.
        With `restart_waiting` (the owner's /api/state), also which saved settings wait for a restart:
        only there, as the other callers (the guest view, the status pages) never show it."""
        try:
            snapshot = json_safe(self.control.state())
        except Exception as exc:
            log.exception("the speaker's state could not be read")
            return {"unavailable": f"the speaker is not answering ({type(exc).__name__})"}
        if not isinstance(snapshot, dict):
            return {}
        if restart_waiting:
            waiting = self.restart_waiting()
            snapshot["restart_waiting"] = {"settings": waiting, "text": waiting_text(waiting)}
        return snapshot

    def _file_read(self) -> tuple[Config | None, str]:
        """The config file as it is now and "", or None and why it cannot be read ("" without a file).

        Parsed only when its bytes differ from the last parse's (the owner's status page asks every
        two seconds): the bytes, not its (mtime, size, inode), as a save replaces the file within the
        clock's tick, often at the same size and an inode number just freed.  The bytes are read
        before the parse, so a file changed in between is parsed again at the next call."""
        if self.config_path is None:
            return None, ""
        try:
            key: bytes | None = self.config_path.read_bytes()
        except FileNotFoundError:
            key = None  # read(missing_ok=True): the defaults
        except OSError as exc:
            return None, str(exc)
        cached = self._file_cache
        if cached is not None and cached[0] == key:
            return cached[1], cached[2]
        try:
            parsed: tuple[Config | None, str] = read(self.config_path, missing_ok=True), ""
        except (ConfigError, OSError) as exc:
            parsed = None, str(exc)
        self._file_cache = (key, *parsed, _set_in(key) if parsed[0] is not None else frozenset())
        return parsed

    def _file_now(self) -> Config | None:
        """The config file as it is now; None without one or when it cannot be read."""
        config, why = self._file_read()
        if why:
            log.debug("the config file cannot be read now: %s", why)
        return config

    def restart_waiting(self) -> list[str]:
        """The settings saved since the speaker started that it applies only when it restarts
        ("web.port", …; the service's own rule, service.restart_rules), in the schema's order: the
        config file now against the file as it was at the start (one-run overrides such as `--set`
        are in neither), or the page's own saves when the file cannot be read.  With them, the live
        settings whose line is gone from the file: the running speaker keeps them as they are, and
        its next start takes their default (restart_rules.kept_until_restart).  Worked out again only
        when a config is another (all are frozen, and the file's is kept while it is unchanged)."""
        now, then, running = self._file_now(), self._file_at_start, self.config
        read = now is not None and then is not None
        if now is None or then is None:
            now, then = running, self._started or running
        cached = self._waiting
        if cached is not None and cached[0] is then and cached[1] is now and cached[2] is running:
            return list(cached[3])
        waiting = needs_restart(then, now)
        if read and self._file_cache is not None:
            gone = kept_until_restart(self._started or running, then, running, now, self._file_cache[3])
            waiting = in_schema_order([*waiting, *gone])
        self._waiting = (then, now, running, tuple(waiting))
        return waiting

    def profiles(self) -> list[str]:
        """The profiles to pick from; when the speaker cannot read them now (its storage failed), the
        last list its state shows, so the page keeps its picker instead of an empty one."""
        try:
            return [str(p) for p in self.control.profiles()]
        except Exception as exc:
            log.warning("the speaker's profiles could not be read: %s", exc)
            known = self.state().get("profiles")
            return [str(p) for p in known] if isinstance(known, list) else []

    def scan_state(self, state: dict[str, Any]) -> dict[str, Any]:
        """The scan progress: the service's own figures when it reports them, else what we saw."""
        reported = state.get("scan")
        if isinstance(reported, dict) and reported:
            return reported
        return dict(self.scan)

    def enforce_retention(self) -> None:
        """Delete the page's own mood history older than privacy.retention_days.  Only that: the
        speaker's data (feedback, the pick explanations, the moods tracks were picked for) is deleted
        by the service itself, at its start and hourly, whether or not the page runs
        (moodspeaker.service.retention).  The service prunes this history too, but only while no page
        in its process holds it open (moodspeaker.service.mood_history): a speaker without its page
        still forgets old moods."""
        before = self.clock() - self.config.privacy.retention_days * DAY_S
        gone = self.history.prune(before)
        if gone:
            log.info(
                "retention: deleted %d mood samples older than %d days",
                gone,
                self.config.privacy.retention_days,
            )

    def for_this_run(self) -> dict[str, Any]:
        """The settings the speaker runs with other than the file says because it was started so (a
        one-run override: `--set`, `run --no-mqtt`, the demo's own such as camera.type = replay):
        {"section.key": the running value}.  Settings saved since, waiting for a restart, are not
        among them (the file changed, not the start); nor is one saved since over its override."""
        now, started, then = self._file_now(), self._started, self._file_at_start
        if now is None or started is None or then is None:
            return {}
        found = {}
        for info in describe():
            if info.secret:
                continue
            values = [getattr(getattr(c, info.section), info.key) for c in (started, then, self.config, now)]
            if values[0] != values[1] and values[2] != values[3]:
                found[info.dotted] = values[2]
        return found

    def saved_config(self) -> Config:
        """The settings as the config file holds them now: what Settings shows, and saves onto.  The
        running config when there is no file to save to, or it does not load (a save then says why)."""
        config, why = self._file_read()
        if config is None:
            if why:
                log.warning("the config file cannot be read now: %s", why)
            return self.config
        return config

    def save_changes(self, changes: Mapping[str, Any] | Callable[[Config], Mapping[str, Any]]) -> Saved:
        """Apply `changes` ({"section.key": value}, or worked out by a function from the file's config
        as it is now) onto the file as it is now, under its lock (config.edit.update), then onto the
        running config, and tell the service.  All or nothing: raises ConfigError (a change refused, or
        the file does not load now), OSError (not saved), or what the function raises."""
        applied: dict[str, Any] = {}

        def change(now: Config) -> Config:
            applied.update(changes(now) if callable(changes) else changes)
            return with_changes(now, applied, source="web page")

        with self._lock:
            if self.config_path is None:
                change(self.config)
                if applied:
                    raise OSError(
                        "the speaker was started without a config file, so settings cannot be saved"
                    )
                return Saved(self.config)
            update(self.config_path, change, missing_ok=True)
            if not applied:
                return Saved(self.config)
            new = with_changes(self.config, applied, source="web page")
            self.config = new
            log.info("settings changed from the web page: %s", ", ".join(sorted(applied)))
            return self._tell(new, applied)

    def apply_changes(self, changes: Callable[[Config], Mapping[str, Any]], source: str) -> Saved:
        """Apply the changes `changes` works out from the running config onto it and tell the
        service, as `save_changes` does, without writing the file: for settings the config file holds
        already (the running speaker following its file, service.file_settings).  `changes` runs under
        the lock a save holds, so a save never lands between its reading of the file and the change
        it makes; it may take the file's lock (config.edit.locked), as a save does after this one.
        Raises ConfigError (a change refused: nothing changes) or what `changes` raises."""
        with self._lock:
            applied = dict(changes(self.config))
            if not applied:
                return Saved(self.config)
            # held: what the file holds, taken as its load takes it (config.rules.kept)
            new = with_changes(self.config, applied, source=source, held=True)
            self.config = new
            return self._tell(new, applied)

    def _tell(self, new: Config, applied: dict[str, Any]) -> Saved:
        """Tell the page's listeners and the service about `new` (`applied` changed); which of them
        wait for a restart, as the service names them while it applies the config.  Called under the
        lock that set `new`, so the service hears the configs in the order they were made (told after
        the lock, a save's older config could reach the service after a newer one and undo it)."""
        restart = set(PAGE_RESTART & applied.keys())

        def heard(event: Event) -> None:  # the service names what waits, while it applies the config
            if isinstance(event, StateChanged) and event.key == "restart_needed":
                waiting = event.value if isinstance(event.value, list) else []
                restart.update(str(key) for key in waiting if key in applied)

        unsubscribe = self.bus.subscribe(heard)
        try:
            listeners = [*self.config_listeners, *([self.on_config_change] if self.on_config_change else [])]
            for listener in listeners:
                try:
                    listener(new)
                except Exception:
                    log.exception("the new settings could not all be applied at once (%r)", listener)
        finally:
            unsubscribe()
        return Saved(new, tuple(sorted(self._differ_from_start(restart, new))), applied)

    def _differ_from_start(self, keys: set[str], new: Config) -> set[str]:
        """Of settings that apply at a restart, those `new` sets otherwise than the speaker started
        with: one put back as it started (a port saved as 80, then as 8080 again) waits for nothing,
        and "Port takes effect when the speaker restarts" was said with a save of the guest view."""
        started = self._started
        if started is None:
            return keys
        return {key for key in keys if _value(new, key) != _value(started, key)}

    def close(self) -> None:
        if self._unsubscribe is not None:
            self._unsubscribe()
        if self.recorder is not None:
            self.recorder.stop()
        self.history.close()


def _value(config: Config, dotted: str) -> Any:
    section, _, key = dotted.partition(".")
    return getattr(getattr(config, section), key)


def _set_in(data: bytes | None) -> frozenset[str]:
    """The settings ("section.key") a config file's bytes set (none for a missing file)."""
    try:
        raw = tomllib.loads(data.decode("utf-8")) if data is not None else {}
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return frozenset()
    return frozenset(
        f"{section}.{key}" for section, body in raw.items() if isinstance(body, dict) for key in body
    )


def web() -> WebContext:
    ctx: WebContext = current_app.extensions["moodspeaker"]
    return ctx


def waiting_text(waiting: list[str]) -> str:
    """ "Waiting for a restart: Port (This page), Workers (Music library)." for `restart_waiting`; empty
    when nothing waits."""
    if not waiting:
        return ""
    infos = {info.dotted: info for info in describe()}
    shown = [infos[key] for key in waiting if key in infos]
    names = [
        f"{info.label} ({SECTION_TITLES.get(info.section, info.section)}){WAITS_IN_PART.get(info.dotted, '')}"
        for info in shown
    ]
    return f"Waiting for a restart: {', '.join(names)}."


#: Settings of which only a part waits for the restart (edits.SAID_APART says the rest at the save): a
#: new name is this page's and its LAN announcement's at once; "Waiting for a restart: Name (Speaker)"
#: under the note saying so told the owner both.
WAITS_IN_PART = {"device.name": " in Home Assistant"}


def listening_port() -> int | None:
    """The port this request came in on: the page's own (None under a test client, no socket)."""
    connection = request.environ.get("werkzeug.socket")
    try:
        return int(connection.getsockname()[1]) if connection is not None else None
    except (OSError, AttributeError, IndexError, TypeError, ValueError):
        return None
