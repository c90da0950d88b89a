"""A real Player on SDL's dummy (or disk) driver, closed after each test."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from playerkit import Recorder

from moodspeaker.config.schema import PlayerConfig
from moodspeaker.player.engine import Player
from moodspeaker.player.fetch import StreamCache
from moodspeaker.player.history import OnMissing
from moodspeaker.service.events import EventBus


@pytest.fixture
def make_player() -> Iterator[Callable[..., tuple[Player, Recorder]]]:
    players: list[Player] = []

    def make(
        caches: StreamCache | None = None,
        on_missing: OnMissing | None = None,
        **settings: Any,
    ) -> tuple[Player, Recorder]:
        """`settings`: PlayerConfig's; `caches`: the download caches it plays LAN tracks from;
        `on_missing`: told each track that could not be opened (the service's "missing" mark)."""
        bus = EventBus()
        rec = Recorder(bus)
        cfg = PlayerConfig(**{"crossfade_s": 0.0, **settings})
        player = Player(cfg, bus.publish, retry_s=0.3, caches=caches, on_missing=on_missing)
        players.append(player)
        player.start()
        return player, rec

    yield make
    for p in players:
        p.close()
