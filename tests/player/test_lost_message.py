"""The log line of a lost audio output says when the player tries again, sub-second intervals too.

It read "retrying every %.0f s", so the first retry 0.3 s on (a short back-off) was logged as
"retrying every 0 s"; the interval also grows after each failed try, so "every" was not right either.

The interval a loss starts retrying at is the configured one every time: it grew 1.5x after each
failed reopening (up to 30 s) and was never set back once the output was open again, so after one
long outage the next blip of a USB DAC left the speaker silent for up to half a minute.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from playerkit import Recorder, audio_back
from test_next_while_lost import plug_back, unplug

from moodspeaker.player.engine import Player
from moodspeaker.service.events import ErrorReported, Event, StateChanged
from polling import until


def test_the_lost_output_log_says_the_sub_second_retry(
    make_player: Callable[..., tuple[Player, Recorder]], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="moodspeaker.player.loop")
    _player, rec = make_player(audio_device="no-such-device")  # the kit's player retries after 0.3 s
    rec.wait(lambda e: isinstance(e, ErrorReported) and e.component == "audio")
    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("audio output lost")]
    assert line.endswith("; retrying in 0.3 s, then less often"), line


def lost(event: Event) -> bool:
    return isinstance(event, StateChanged) and event.key == "audio" and event.value == "lost"


def test_a_second_loss_retries_at_the_first_interval_again(
    make_player: Callable[..., tuple[Player, Recorder]], caplog: pytest.LogCaptureFixture
) -> None:
    """First outage long enough for a reopening to fail (the interval grows), the output back, then
    a second loss: its log line gives the configured 0.3 s, not the grown interval."""
    caplog.set_level(logging.ERROR, logger="moodspeaker.player.loop")
    player, rec = make_player()  # the kit's player retries after 0.3 s
    assert player.wait_idle(30)
    unplug(player, rec)
    # A reopening failed (its reason replaced the first one's): the interval has grown by then, since
    # the loop grows it in the same step, before the status showing that reason is published.
    until(lambda: player.status().audio_error.startswith("cannot open audio device"), what="a failed retry")
    plug_back(player)
    audio_back(rec)
    unplug(player, rec)  # (its wait for a "lost" is met by the first one: the second is waited for here)
    until(lambda: len([e for e in rec.of("state_changed") if lost(e)]) == 2, what="the second loss")
    lines = [r.getMessage() for r in caplog.records if r.getMessage().startswith("audio output lost")]
    assert len(lines) == 2, lines
    assert lines[1].endswith("; retrying in 0.3 s, then less often"), lines
