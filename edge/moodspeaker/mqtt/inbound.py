"""CommandInbox: the MQTT bridge's command side, from `…/<command>/set` messages to ControlAPI calls.

Inbound messages (for this speaker or `<base>/all/…` for every speaker) are queued by paho's network
thread and run, one at a time, on the inbox's own thread: a slow command (re-planning, a fade) never
delays publishing.  Each payload is parsed and handed to ControlAPI.execute, the one place that
validates commands; an empty payload is no command (an empty retained message is how MQTT deletes a
retained one, and a running speaker gets it as a live message) and is ignored; a bad payload, a
retained command, a full queue or a failure inside the speaker is answered with a CommandRejected
event on the bus (which the bridge publishes) and changes nothing.
Every answer the inbox gives is built by one helper (`_reject`): a topic level may be 65535 bytes
long, so the echoed name is always cut to MAX_NAME_CHARS (an answer echoing all of it would be over the
bridge's publish limit, and the caller would get no answer at all), and a name that long is refused
here, since no command has one.  A command's resulting state goes to `answered`: the bridge alone owns
the state topics.
"""

from __future__ import annotations

import contextlib
import logging
import queue
import threading
import time
from collections.abc import Callable, Mapping, MutableMapping
from typing import Any

from moodspeaker.mqtt.payloads import PayloadError, parse_command
from moodspeaker.mqtt.topics import Topics
from moodspeaker.service.control import MAX_NAME_CHARS, CommandError, ControlAPI
from moodspeaker.service.events import CommandRejected, EventBus

__all__ = [
    "COMMAND_QUEUE_SIZE",
    "GROUP_SOURCE",
    "MAX_ERROR_CHARS",
    "MAX_NAME_CHARS",
    "SOURCE",
    "CommandInbox",
]

log = logging.getLogger(__name__)

#: Commands waiting to run; more than this at once are refused (a flood must not grow memory).
COMMAND_QUEUE_SIZE = 100
#: A rejection echoes at most MAX_NAME_CHARS of the command name (ControlAPI's limit, shared so its own
#: rejections and the inbox's agree) and says why in at most MAX_ERROR_CHARS; longer names are refused
#: before ControlAPI sees them.
MAX_ERROR_CHARS = 500
#: How much of a topic a rejection's log line shows.
_LOGGED_TOPIC_CHARS = 200

#: `source` of a command that came on this speaker's own topics, and on the group's.
SOURCE = "mqtt"
GROUP_SOURCE = "mqtt-group"


class CommandInbox:
    """Queues inbound command messages and runs them on one thread; start() returns at once.

    `counters` is the bridge's stats dict: the inbox counts into its `commands` and `rejected` keys,
    so the stats topic keeps one flat set of counters.
    """

    def __init__(
        self,
        topics: Topics,
        control: ControlAPI,
        bus: EventBus,
        counters: MutableMapping[str, int],
        answered: Callable[[Mapping[str, Any]], None],
        *,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self._topics = topics
        self._control = control
        self._bus = bus
        self._counters = counters
        self._answered = answered
        self._clock = clock  # timestamps of the rejections
        self._stopping = threading.Event()
        self._queue: queue.Queue[tuple[str, bytes, bool] | None] = queue.Queue(maxsize=COMMAND_QUEUE_SIZE)
        self._thread: threading.Thread | None = None

    def start(self) -> None:
        """Start the command thread."""
        self._stopping.clear()
        self._thread = threading.Thread(target=self._run, name="mqtt-commands", daemon=True)
        self._thread.start()

    def stop(self) -> None:
        """Tell the command thread to end after the command it runs (does not wait: see join)."""
        self._stopping.set()
        with contextlib.suppress(queue.Full):
            self._queue.put_nowait(None)

    def join(self, timeout: float) -> None:
        """Wait up to `timeout` seconds for the command thread to end."""
        if self._thread is not None:
            self._thread.join(timeout)
            self._thread = None

    def offer(self, topic: str, payload: bytes, retained: bool) -> None:
        """Queue a command message (any thread, never blocks); a full queue refuses it at once."""
        try:
            self._queue.put_nowait((topic, payload, retained))
        except queue.Full:
            parsed = self._topics.command_of(topic)
            name, group = parsed if parsed else (topic, False)
            self._reject(
                topic, name, group, f"too many commands at once ({COMMAND_QUEUE_SIZE} waiting); try again"
            )

    def _run(self) -> None:
        while not self._stopping.is_set():
            item = self._queue.get()
            if item is None:  # stop()'s wake-up; one left over from an earlier stop is skipped
                if self._stopping.is_set():
                    return
                continue
            try:
                self.handle(*item)
            except Exception:
                log.exception("MQTT command handling failed; carrying on")

    def handle(self, topic: str, raw: bytes, retained: bool) -> None:
        """Parse and run one command message on the calling thread (topics not a command are ignored)."""
        parsed = self._topics.command_of(topic)
        if parsed is None:
            return
        name, group = parsed
        if not raw:  # how MQTT clears a retained message: reaches a live subscriber as a live message
            log.debug("MQTT command %s with an empty payload (a retained one cleared): ignored", name[:100])
            return
        source = GROUP_SOURCE if group else SOURCE
        self._counters["commands"] += 1
        try:
            if retained:
                raise PayloadError("retained commands are ignored: publish commands without the retain flag")
            args = parse_command(self._control.commands().get(name), name, raw)
            if len(name) > MAX_NAME_CHARS:  # no command is named so; ControlAPI's answer would echo it all
                raise PayloadError(f"unknown command (a name of {len(name)} characters)")
        except PayloadError as exc:
            self._reject(topic, name, group, str(exc))
            return
        try:
            state = self._control.execute(name, args, source=source)
        except CommandError:
            self._counters["rejected"] += 1  # ControlAPI already published CommandRejected on the bus
            return
        except Exception as exc:  # a bug in the speaker: the caller still gets an answer
            self._reject(
                topic, name, group, f"failed inside the speaker: {type(exc).__name__}: {exc}", bug=True
            )
            return
        self._answered(state)

    def _reject(self, topic: str, name: str, group: bool, why: str, *, bug: bool = False) -> None:
        """Count, log once and answer a refused command: every refusal the inbox makes goes through here,
        so its answer always has the same shape (`<name>: <why>`, the name cut to MAX_NAME_CHARS).

        A speaker bug (`bug`) is logged as an error with its traceback (call it inside the `except`),
        anything the sender got wrong only at info level: it is the sender's mistake, and already
        answered on the broker.
        """
        self._counters["rejected"] += 1
        command = name[:MAX_NAME_CHARS]
        error = f"{command}: {why}"[:MAX_ERROR_CHARS]
        shown = topic if len(topic) <= _LOGGED_TOPIC_CHARS else f"{topic[:_LOGGED_TOPIC_CHARS]}…"
        level = logging.ERROR if bug else logging.INFO
        log.log(level, "MQTT command on %s rejected: %s", shown, error, exc_info=bug)
        source = GROUP_SOURCE if group else SOURCE
        self._bus.publish(CommandRejected(ts=self._clock(), command=command, error=error, source=source))
