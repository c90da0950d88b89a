"""DiscoveryFeed: what Home Assistant is told about the speaker's entities, as the bridge publishes it.

The device discovery message (discovery.py builds it) goes out with every announcement and again when
the household's profiles change (the profile select's options).  With discovery switched off an empty
one goes out instead, which removes the device from HA.

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
from typing import Any

from moodspeaker.mqtt.client import Connection
from moodspeaker.mqtt.discovery import discovery_config, stale_components
from moodspeaker.mqtt.payloads import encode
from moodspeaker.mqtt.topics import Topics
from moodspeaker.service.control import ControlAPI

log = logging.getLogger(__name__)


class DiscoveryFeed:
    """The profile select's options are `control`'s profiles (`default_profile` when it has none or
    cannot say); the worker thread calls all."""

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

    def _read_profiles(self) -> list[str]:
        try:
            profiles = [p for p in self._control.profiles() if isinstance(p, str) and p]
        except Exception:
            log.exception("could not read the profile list for discovery")
            profiles = []
        return profiles or [self._default_profile]

    def config(self) -> dict[str, Any]:
        return discovery_config(self._topics, name=self._name, profiles=self.profiles, web_url=self._web_url)

    def announce(self, connect: int | None = None) -> None:
        """At an announcement: the profiles read again, the discovery sent ahead (`at_once`)."""
        self.profiles = self._read_profiles()
        self.publish(connect)

    def publish(self, connect: int | None = None) -> None:
        if not self.enabled:
            self._conn.clear(self._topics.discovery, connect)  # discovery switched off: HA forgets it
            return
        body = encode(self.config(), "discovery")
        self._conn.publish(self._topics.discovery, body, retain=True, at_once=True, connect=connect)

    def check_profiles(self) -> None:
        """A profile added or removed: HA's select must follow (before a new profile's state goes out:
        HA refuses a state that is not one of the select's options)."""
        profiles = self._read_profiles()
        if profiles != self.profiles:
            self.profiles = profiles
            if self._conn.connected:
                self.publish()

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
        self._conn.publish(self._topics.discovery, encode(config, "discovery"), retain=True)
