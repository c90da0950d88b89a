"""DiscoveryFeed: what Home Assistant is told about the speaker's entities, as the bridge publishes it.

The device discovery message (discovery.py builds it) goes out with every announcement and again when
the household's profiles change (the profile select's options).  With discovery switched off an empty
one goes out instead, which removes the device from HA.  Profiles too many or too long for the message
to fit the publish limit are left out of the select (fit_profiles: the active one is always offered);
a message that cannot be published at all is logged, and the rest of the announcement (the state,
the stats) goes out all the same.

At each connect the broker hands back the discovery message it kept (the bridge subscribes to its own
discovery topic; the broker sends a retained message with the subscription, flagged as such, before
anything published later).  When that one named components this speaker no longer announces as they
were (an older version's unique ids, a component gone), they are removed once: a message listing
just their platforms, then the discovery again, which adds them anew (stale_components says why).
The broker already keeps the announcement's discovery by then, so a connection lost before the
removal reached it must not lose the removal: the connection keeps it apart (Connection.precede)
and sends it ahead of the discovery on each connection until the broker acknowledges it.
Only a Home Assistant running at that moment can take the removal: one started afterwards never
learnt the old ids, and their registry entries stay orphaned until removed in its settings.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from typing import Any

from moodspeaker.mqtt.client import Connection
from moodspeaker.mqtt.discovery import discovery_config
from moodspeaker.mqtt.discovery_updates import fit_profiles, stale_components
from moodspeaker.mqtt.payloads import PayloadError, encode
from moodspeaker.mqtt.topics import Topics
from moodspeaker.service.control import ControlAPI

log = logging.getLogger(__name__)


def active_profile(state: Mapping[str, Any] | None) -> str | None:
    """The active profile a state snapshot names, if any."""
    profile = state.get("profile") if state is not None else None
    return profile if isinstance(profile, str) and profile else None


class DiscoveryFeed:
    """The profile select's options are `control`'s profiles (`default_profile` when it has none or
    cannot say), as many as fit with the active one (`follow`); the worker thread calls all."""

    def __init__(
        self,
        conn: Connection,
        topics: Topics,
        *,
        enabled: bool,
        name: str,
        web_url: str,
        control: ControlAPI,
        default_profile: str,
    ) -> None:
        self._conn = conn
        self._topics = topics
        self.enabled = enabled
        self._name = name
        self._web_url = web_url
        self._control = control
        self._default_profile = default_profile
        self.profiles: list[str] = []
        self.active = default_profile  # the active profile as last heard (`follow`)
        self._options: list[str] = []  # the select's options as last published
        self._fitted: tuple[tuple[str, ...], str, list[str]] = ((), "", [])  # (profiles, active) -> options

    def _read_profiles(self) -> list[str]:
        try:
            profiles = [p for p in self._control.profiles() if isinstance(p, str) and p]
        except Exception:
            log.exception("could not read the profile list for discovery")
            profiles = []
        return profiles or [self._default_profile]

    def options(self) -> list[str]:
        """The profile select's options: the profiles that fit the message, the active one first."""
        profiles, active, options = self._fitted
        if (profiles, active) != (tuple(self.profiles), self.active):
            profiles, active = tuple(self.profiles), self.active
            options = fit_profiles(
                self._topics, name=self._name, profiles=profiles, web_url=self._web_url, keep=active
            )
            self._fitted = (profiles, active, options)
        return options

    def config(self) -> dict[str, Any]:
        return discovery_config(self._topics, name=self._name, profiles=self.options(), web_url=self._web_url)

    def _encoded(self, config: dict[str, Any]) -> bytes | None:
        """`config` as published, or None (logged: what and why) when it cannot be."""
        try:
            return encode(config, "discovery")
        except PayloadError as exc:
            log.error(
                "Home Assistant discovery not published on %s (the speaker's entities are not announced; "
                "state and stats still go out): %s",
                self._topics.discovery,
                exc,
            )
            return None

    def announce(self, connect: int | None = None, active: Callable[[], str | None] | None = None) -> None:
        """At an announcement: the profiles read again, the discovery sent ahead (`at_once`).  When
        not every profile fits, the select offers the active profile `active()` reads (the state the
        announcement sends next), else the one last heard: fitted to the default profile, a cut list
        went out twice on the first connect (the state's `follow` re-published it)."""
        self.profiles = self._read_profiles()
        if active is not None and len(self.options()) < len(self.profiles):
            self.active = active() or self.active
        self.publish(connect)

    def publish(self, connect: int | None = None, *, at_once: bool = True) -> None:
        if not self.enabled:
            self._conn.clear(self._topics.discovery, connect)  # discovery switched off: HA forgets it
            return
        config = self.config()
        body = self._encoded(config)
        if body is None:
            return
        options = config["cmps"]["profile"]["options"]
        if options != self._options and len(options) < len(self.profiles):
            log.warning(
                "Home Assistant's profile select offers %d of the %d profiles: all of them would put the "
                "discovery message over the publish limit (the others can be chosen on the page)",
                len(options),
                len(self.profiles),
            )
        self._options = options
        self._conn.publish(self._topics.discovery, body, retain=True, at_once=at_once, connect=connect)

    def check_profiles(self) -> None:
        """A profile added or removed: HA's select must follow (before a new profile's state goes out:
        HA refuses a state that is not one of the select's options)."""
        profiles = self._read_profiles()
        if profiles != self.profiles:
            self.profiles = profiles
            if self._conn.connected:
                self.publish()

    def follow(self, active: str | None) -> None:
        """The active profile as a state snapshot says it (before that state goes out): when the
        select cannot offer every profile, it must offer this one.  Not `at_once`: between a connect
        and its announcement it would go out before `online` (the announcement sends its own)."""
        if not active or active == self.active:
            return
        self.active = active
        if self.enabled and self._conn.connected and self.options() != self._options:
            self.publish(at_once=False)

    def kept(self, payload: bytes) -> None:
        """The discovery message the broker kept from before this connection: its components that are
        not announced as they were go first (a removal), then the discovery again."""
        try:
            announced = json.loads(payload)
        except ValueError:  # not ours, or truncated: nothing to compare, the announcement stands
            log.warning("the discovery message kept on %s is not JSON; left as it is", self._topics.discovery)
            return
        if not self.profiles:  # read by the announcement, which comes first: never an empty select
            self.profiles = self._read_profiles()
        config = self.config()
        stale = stale_components(announced, config) if isinstance(announced, dict) else {}
        if not stale or not self.enabled:
            return
        log.info(
            "Home Assistant: removing %d entities announced before with other unique ids (%s), then "
            "announcing them again",
            len(stale),
            ", ".join(sorted(stale)),
        )
        removal = {"dev": config["dev"], "o": config["o"], "cmps": stale}
        # Ahead of the discovery, retained as it is (the discovery then replaces it on the broker),
        # until acknowledged: from a connection lost meanwhile, the next one's announcement sends it
        # ahead of its own discovery, even with no old discovery kept on the broker any more.
        self._conn.precede(self._topics.discovery, encode(removal, "discovery"))
        body = self._encoded(config)
        if body is not None:
            self._conn.publish(self._topics.discovery, body, retain=True)
