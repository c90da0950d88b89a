"""Whether the MQTT settings leave the speaker open on the network: a broker on another machine reached
without a login or without TLS.

Why it matters: whoever can publish on such a broker sends the speaker commands (the music, the
volume, the camera switch unless its privacy button holds the camera off), and whoever can read it
reads the listener's moods; without TLS the password crosses the network readable too.  A
broker on this machine (loopback) is out of the network's reach.  Said by `moodspeaker doctor` (a
warning) and in the running service's health (the broker's detail).  No paho here: the doctor works
without the `mqtt` extra.
"""

from __future__ import annotations

from moodspeaker.config.schema import MqttConfig
from moodspeaker.util.net import is_loopback


def open_broker(mq: MqttConfig) -> tuple[str, str]:
    """(what is open, the settings to change) for a broker on the network reached without a login (a
    user name and password, or a TLS client certificate) or without TLS; ("", "") when it is not."""
    if is_loopback(mq.host):
        return "", ""
    login = bool(mq.username and mq.password) or (mq.tls and bool(mq.cert_file))
    missing = [what for what, lacking in (("no login", not login), ("no TLS", not mq.tls)) if lacking]
    if not missing:
        return "", ""
    where = f"{mq.host}:{mq.port}"
    fixes = []
    if not login:
        fixes.append("set mqtt.username and mqtt.password (and have the broker require a login)")
    if not mq.tls:
        fixes.append("set mqtt.tls = true (the broker's TLS port, usually mqtt.port = 8883)")
    problem = (
        f"MQTT broker {where} is on the network with {' and '.join(missing)}: anyone who can reach it "
        "can read the speaker's moods and send it commands"
        + ("" if mq.tls else ", and what is sent crosses the network readable")
    )
    fix = "; ".join(fixes) + ", or use a broker on this machine (mqtt.host = localhost)"
    return problem, fix
