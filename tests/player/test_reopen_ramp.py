"""A track opened mid-track by a Next, or by the gapless change at the end of the track before it,
fades in, as Play after Stop does.

A queued item put back at a position (`QueueItem.start_s`: a restored track that a switch cut before it
was heard, a saved queue) opens there, at its level there.  71486be faded in only Play after Stop and
a restore (`start_over`); a Next with no crossfade and the gapless change still started it on a step
from silence (a click).  The bytes are what SDL's disk driver wrote; the track before is silence and
the track reopened a constant level, so a start on a step shows as one step of that size."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from diskkit import heard_next, steady, to_disk, written
from playerkit import SR, Recorder, item

from moodspeaker.player.engine import Player
from moodspeaker.player.queue import QueueItem
from moodspeaker.service.events import TrackStarted
from polling import until

LEVEL = 0.4  # the reopened track's constant level: a start on a step shows as a step this size


def _gapless(player: Player, rec: Recorder, quiet: QueueItem, loud: QueueItem) -> None:
    """`quiet` (1 s) plays to its end; `loud` follows it on the same deck, at 2 s."""
    del rec
    player.set_queue([quiet, loud.at(2.0)])
    player.play()


def _next(player: Player, rec: Recorder, quiet: QueueItem, loud: QueueItem) -> None:
    """A Next with no crossfade, `quiet` heard for a while, opens `loud` at 2 s."""
    player.set_queue([quiet, loud.at(2.0)])
    player.play()
    rec.wait(lambda e: isinstance(e, TrackStarted) and e.track_id == "quiet")
    until(lambda: player.status().position_s >= 0.5, what="the quiet track did not play on")
    player.next(fade_s=0.0)


@pytest.mark.parametrize("change", [pytest.param(_gapless, id="gapless"), pytest.param(_next, id="next")])
def test_a_track_reopened_mid_track_ramps_in(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    make_player: Callable[..., tuple[Player, Recorder]],
    change: Callable[[Player, Recorder, QueueItem, QueueItem], None],
) -> None:
    out = to_disk(tmp_path, monkeypatch)
    quiet = item(steady(tmp_path / "quiet.wav", 0.0, 1.0 if change is _gapless else 10.0), "quiet")
    loud = item(steady(tmp_path / "loud.wav", LEVEL, 10.0), "loud")
    player, rec = make_player(volume=1.0, target_lufs=-16.0)
    until(lambda: written(out) > 0, what="the output did not open")
    mark = written(out)
    change(player, rec, quiet, loud)
    rec.wait(lambda e: isinstance(e, TrackStarted) and e.track_id == "loud")
    x = heard_next(out, written(out) - mark + SR, start=mark)  # past the moment `loud` came in
    loud_at = np.flatnonzero(np.abs(x) > 0.9 * LEVEL)
    assert len(loud_at), "the reopened track played at its level"
    assert np.abs(x[:64]).max() < 1e-3, "silent before"
    steps = np.abs(np.diff(x[: loud_at[0] + 1]))
    at = int(np.argmax(steps))
    assert steps[at] < LEVEL / 3, f"the track came in on a step of {steps[at]:.2f} (a click) at frame {at}"
