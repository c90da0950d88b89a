"""Who this speaker is on the network: its device id and a page URL that other machines can open.

The two functions here touch the system (the machine id file, the routing table); everything that
decides something from their answers is pure and lives in topics.py.
"""

from __future__ import annotations

import socket
from collections.abc import Callable
from urllib.parse import urlsplit, urlunsplit

from moodspeaker.config.schema import Config
from moodspeaker.mqtt.topics import machine_id, resolve_device_id
from moodspeaker.util.net import is_loopback, route_source_address

__all__ = ["device_id_of", "is_loopback", "lan_address", "reachable_url"]  # is_loopback: util.net's


def device_id_of(config: Config) -> str:
    """The configured device id, else one derived from the machine id (else from the host name)."""
    return resolve_device_id(config.device.id, machine_id(), socket.gethostname())


def lan_address() -> str | None:
    """This machine's address on its LAN (the source address of its default route), if it has one."""
    return route_source_address()


def reachable_url(url: str, address: Callable[[], str | None]) -> str:
    """The page's URL as Home Assistant (on another machine) can open it: loopback -> the LAN address.

    Without a LAN address there is none: '' (a loopback link in HA would open the viewer's own machine).
    """
    parts = urlsplit(url)
    if not is_loopback(parts.hostname or ""):
        return url
    lan = address()
    if not lan:
        return ""
    netloc = f"{lan}:{parts.port}" if parts.port else lan
    return urlunsplit(parts._replace(netloc=netloc))
