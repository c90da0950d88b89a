"""`when_idle` gives an event a caller can keep: set only once the player ran what was posted before it.

Why: a command on a busy player (service.pending) answers after a short wait and keeps this event to
learn when its change took effect; an event set early would clear the change's `pending` mark while
`status()` still showed the previous state.  The player thread is held by a real command on its queue.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from playerkit import Recorder

from moodspeaker.player.engine import Player
from polling import until


def test_the_event_is_set_only_after_the_commands_before_it_show(
    make_player: Callable[..., tuple[Player, Recorder]],
) -> None:
    player, _rec = make_player(volume=0.8)
    assert player.wait_idle(30)
    holding, release = threading.Event(), threading.Event()

    def hold() -> None:
        holding.set()
        release.wait(30)

    player._post(hold)
    until(holding.is_set, what="the player thread to be held")
    try:
        player.set_volume(0.3)
        done = player.when_idle()
        assert not done.wait(0.05)  # held: neither the volume nor the event has been reached
        assert player.status().volume == 0.8
    finally:
        release.set()
    until(done.is_set, what="the event once the player ran the commands")
    assert player.status().volume == 0.3  # set only once the status shows the change
