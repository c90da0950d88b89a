"""The log line of a lost audio output says when the player tries again, sub-second intervals too.

It read "retrying every %.0f s", so the first retry 0.3 s on (a short back-off) was logged as
"retrying every 0 s"; the interval also grows after each failed try, so "every" was not right either.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import pytest
from playerkit import Recorder

from moodspeaker.player.engine import Player
from moodspeaker.service.events import ErrorReported


def test_the_lost_output_log_says_the_sub_second_retry(
    make_player: Callable[..., tuple[Player, Recorder]], caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.ERROR, logger="moodspeaker.player.loop")
    _player, rec = make_player(audio_device="no-such-device")  # the kit's player retries after 0.3 s
    rec.wait(lambda e: isinstance(e, ErrorReported) and e.component == "audio")
    [line] = [r.getMessage() for r in caplog.records if r.getMessage().startswith("audio output lost")]
    assert line.endswith("; retrying in 0.3 s, then less often"), line
