"""A page that listens on the loopback only is not announced on the LAN.

With web.host = 127.0.0.1 (the owner keeps the page to this machine) the speaker still announced
"Moodspeaker (<room>)" and http://<host>.local:<port>/ by mDNS on every interface: a page nobody on
the LAN can open, and an announcement of the speaker (its room name, its host) the owner did not
want.  Seen in a real `moodspeaker run --set web.host=127.0.0.1`.  The real page server (`serve`, as
the service calls it: no `advertise` given), on a free loopback port.
"""

from __future__ import annotations

import urllib.request
from pathlib import Path

from webkit import HomeSpeaker, make_config

from moodspeaker.config import save
from moodspeaker.service.control import ControlAPI
from moodspeaker.service.events import EventBus
from moodspeaker_web.server import serve


def test_loopback_page_is_not_announced(tmp_path: Path) -> None:
    config = make_config(tmp_path / "data", **{"web.host": "127.0.0.1", "web.zeroconf": True})
    save(config, tmp_path / "config.toml")
    bus = EventBus()
    server = serve(
        ControlAPI(HomeSpeaker(bus), bus),
        bus,
        config=config,
        config_path=tmp_path / "config.toml",
        data_dir=tmp_path / "data",
        port=0,
    )
    try:
        assert server.advertiser is None
        with urllib.request.urlopen(f"http://127.0.0.1:{server.port}/login", timeout=30) as answer:
            assert answer.status == 200  # the page itself is served
    finally:
        server.stop()
