"""Which settings the running speaker applies at once, and which wait for a restart.

The one rule for it: the service says which saved settings wait when it applies a new config
(`Appliance.apply_config`, its `restart_needed` event), and the page lists those still waiting
(`moodspeaker_web.context.WebContext.restart_waiting`) and says which of its own do after a save.
"""

from __future__ import annotations

import functools
from collections.abc import Collection, Iterable

from moodspeaker.config import Config, describe
from moodspeaker.config.follow import values
from moodspeaker.config.load import to_mapping

#: Settings applied while running (prefixes end in "."; the rest need a restart).  Not all of web.:
#: the page keeps its address, port, on/off and mDNS announcement until the service restarts.
LIVE_SETTINGS = (
    "player.",
    "camera.interval_s",
    "camera.enabled",
    "recommend.strategy",  # the household default: service.listeners._follow_default_strategy
    "recommend.queue_length",
    "recommend.profiles",
    "web.guest_view",
    "web.allowed_hosts",
    "web.session_days",
    "privacy.",
)

#: Under a live prefix but still waiting for a restart: the player opens its audio output once.
RESTART_ONLY = frozenset({"player.audio_device"})


def waits_for_restart(key: str) -> bool:
    """Whether a changed setting ("section.key") reaches the running speaker only when it restarts."""
    return key in RESTART_ONLY or not key.startswith(LIVE_SETTINGS)


@functools.cache
def _waiting_kind() -> tuple[tuple[str, str, str], ...]:
    """(dotted, section, key) of every setting that waits for a restart, in the schema's order (the
    schema does not change while running; describe() reads its type hints each time)."""
    return tuple(
        (info.dotted, info.section, info.key) for info in describe() if waits_for_restart(info.dotted)
    )


def needs_restart(old: Config, new: Config) -> list[str]:
    """The settings that differ between `old` and `new` and wait for a restart, in the schema's order."""
    if old == new:
        return []
    before, after = to_mapping(old, include_defaults=True), to_mapping(new, include_defaults=True)
    return [
        dotted
        for dotted, section, key in _waiting_kind()
        if before.get(section, {}).get(key) != after.get(section, {}).get(key)
    ]


@functools.cache
def _schema_order() -> dict[str, int]:
    return {info.dotted: index for index, info in enumerate(describe())}


def in_schema_order(keys: Iterable[str]) -> list[str]:
    """`keys` ("section.key") in the schema's order (an unknown one last)."""
    order = _schema_order()
    return sorted(keys, key=lambda dotted: order.get(dotted, len(order)))


def kept_until_restart(
    started: Config, file_at_start: Config, running: Config, file_now: Config, set_now: Collection[str]
) -> list[str]:
    """The live settings the running speaker keeps until it restarts although its config file says
    otherwise: those whose line is gone from the file (`set_now`: the settings the file sets now),
    which the running speaker keeps as they are (config.follow) and whose default (`file_now`'s
    value) its next start takes.  A one-run override (`--set`) still in force is not counted: its
    value is the one the speaker `started` with, which the file never held.  In the schema's order."""
    if running == file_now:
        return []
    run, now, start, first = values(running), values(file_now), values(started), values(file_at_start)
    return [
        dotted
        for dotted in _schema_order()
        if not waits_for_restart(dotted)
        and dotted not in set_now
        and run.get(dotted) != now.get(dotted)
        and not (run.get(dotted) == start.get(dotted) != first.get(dotted))
    ]
