"""Player.close() waits for the player thread to end, also when a busy machine holds it past 3 s.

Why: close() gave up after 3 s and returned with the thread still running; the thread then shut
pygame's mixer down on its way out, under the player the next test (or a restarted service in the same
process) had opened meanwhile: "Fatal Python error: Aborted" in tests/player/test_lan_m4a.py after
test_lan_cached_play on a loaded machine.  The thread is held here in a command of the test's own (a
gate, as a starved machine holds it), released only after close() has been waiting longer than the old
3 s; close() must still be waiting then, and return once the thread has ended.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import Any

from moodspeaker.player.engine import CLOSE_WAIT_S


def test_close_waits_for_a_player_thread_held_past_three_seconds(make_player: Callable[..., Any]) -> None:
    player, _rec = make_player()
    holding, release = threading.Event(), threading.Event()

    def held() -> None:
        holding.set()
        release.wait(60)

    player._post(held)
    assert holding.wait(30), "the player thread never ran the test's command"
    closer = threading.Thread(target=player.close, name="test-close")
    closer.start()
    try:
        time.sleep(3.5)  # past the old limit (not a timing check: close() must simply still wait)
        assert closer.is_alive(), "close() returned while the player thread was still running"
    finally:
        release.set()
    closer.join(CLOSE_WAIT_S + 5)
    assert not closer.is_alive() and not player.alive
