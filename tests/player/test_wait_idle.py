"""`wait_idle` returns only once `status()` shows what the commands before it did.

Why: set_volume (and the profile and strategy switches) answer the page with the state right after
`wait_idle`; the player thread publishes its status after the tick that follows the commands it ran,
so a caller released before that publish answered with the previous volume (seen as a rare failure of
tests/service/test_appliance.py::test_commands_through_the_control_api on a busy machine).  Here the
player thread is held, by real commands on its own queue, right after the wait's command, where a
tick (decoding the next chunk) would be: the waiter must see the new volume all the same.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from playerkit import Recorder

from moodspeaker.player.engine import Player
from polling import until


def test_status_shows_the_commands_once_wait_idle_returns(
    make_player: Callable[..., tuple[Player, Recorder]],
) -> None:
    player, _rec = make_player(volume=0.8)
    assert player.wait_idle(30)
    assert player.status().volume == 0.8
    holding, release, release_after = threading.Event(), threading.Event(), threading.Event()

    def hold() -> None:
        holding.set()
        release.wait(30)

    player._post(hold)  # the player thread is busy with something else
    until(holding.is_set, what="the player thread to be held")
    player.set_volume(0.3)
    seen: list[tuple[bool, float]] = []

    def waiter() -> None:
        idle = player.wait_idle(30)
        seen.append((idle, player.status().volume))

    def hold_again() -> None:
        release_after.wait(30)

    thread = threading.Thread(target=waiter, daemon=True)
    thread.start()
    until(lambda: player._commands.qsize() == 2, what="set_volume and the wait queued behind the hold")
    player._post(hold_again)  # held again right after the wait's command
    release.set()
    try:
        until(lambda: seen, what="wait_idle to return")
        assert seen == [(True, 0.3)]  # not the volume from before the command
    finally:
        release_after.set()
        thread.join(5)
