"""The first opening of the audio output is announced, as every later change of it is.

Home Assistant's "Audio output" problem sensor (and anything else following `StateChanged("audio")`)
learns the output's state from the announcement and the state read it causes.  The player said "lost"
when the output could not be opened at start, but nothing when it opened: the status went from
"starting" to "ok" unannounced, so the sensor stayed unknown at boot until the next periodic state read
(the MQTT stats, up to a minute later).

Real player on SDL's dummy driver; `wait_idle` runs after the first opening (the player thread opens
the output before it takes its first command), so what was announced by then is all there is.
"""

from __future__ import annotations

from collections.abc import Callable

from playerkit import Recorder, audio_announced

from moodspeaker.player.engine import Player


def test_the_output_opened_at_start_is_announced_ok(
    make_player: Callable[..., tuple[Player, Recorder]],
) -> None:
    player, rec = make_player()
    assert player.wait_idle(30)
    assert player.status().audio == "ok"
    assert audio_announced(rec.events) == ["ok"]


def test_an_output_missing_at_start_is_announced_lost_once(
    make_player: Callable[..., tuple[Player, Recorder]],
) -> None:
    player, rec = make_player(audio_device="no-such-device")
    assert player.wait_idle(30)
    assert player.status().audio == "lost"
    assert audio_announced(rec.events) == ["lost"]  # not "ok": it never opened
