"""A decoder that never returns does not silence the speaker for ever.

Why: the player thread decodes every chunk itself, so a decode call that never returns (ffmpeg sent
into a loop by a corrupt or hostile M4A) blocked it for good: the music stopped, the status froze
and nothing inside that thread could notice.  A watchdog outside it (player.hang) now finds a pass of
the player loop stuck past 30 s, kills the hung ffmpeg, and the player skips that track as a failed
one and plays on.  When the thread cannot be freed the player counts as stuck (the service is then
restarted) and the hung track leaves the status the saves read, a failure of the play history (kept
in the status the thread publishes should it come back, the export, the retention).  The hang is
real (an `ffmpeg` on PATH that never writes: hungkit); the watchdog runs on a clock the test moves:
no timed assertions.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from playerkit import Recorder, item, tone

from hungkit import HANGS, HANGS_FOR_GOOD, Clock, HungFfmpeg, alive, not_audio
from moodspeaker.config.schema import PlayerConfig
from moodspeaker.player.engine import Player
from moodspeaker.player.hang import STUCK_S
from moodspeaker.player.queue import QueueItem
from moodspeaker.service.events import ErrorReported, EventBus, TrackStarted
from polling import until

PERIOD_S = 0.5


@pytest.fixture
def player() -> Iterator[tuple[Player, Recorder, Clock]]:
    """A real player whose watchdog ticks only when the test ticks it, on the test's clock."""
    bus = EventBus()
    rec = Recorder(bus)
    clock = Clock(1000.0)
    player = Player(PlayerConfig(crossfade_s=0.0), bus.publish, retry_s=0.3, watch_clock=clock)
    player.start()
    player.watch.stop()  # its own ticks would race the test's
    try:
        yield player, rec, clock
    finally:
        player.close()


def hung_on(player: Player, clock: Clock, ffmpeg: HungFfmpeg, hung: QueueItem, next_up: QueueItem) -> None:
    """Play `hung` then `next_up`; return once the player thread is blocked reading `hung`."""
    player.set_queue([hung, next_up])
    player.play()
    until(lambda: ffmpeg.started(1), what="the fake ffmpeg to start")
    until(
        lambda: (call := player.watch.doing()) is not None and call.decoder is not None and call.item is hung,
        what="the player thread to read the hung decoder",
    )


def ticks(player: Player, clock: Clock, seconds: float) -> int:
    """The watchdog ticks on time for `seconds`; how many ticks found the player stuck."""
    tripped = 0
    for _ in range(round(seconds / PERIOD_S)):
        clock.now += PERIOD_S
        tripped += player.watch.watchdog.check(clock.now)
    return tripped


def errors(rec: Recorder) -> list[str]:
    return [e.message for e in rec.of("error") if isinstance(e, ErrorReported)]


def test_a_hung_ffmpeg_is_killed_and_its_track_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, player: tuple[Player, Recorder, Clock]
) -> None:
    ffmpeg = HungFfmpeg(tmp_path / "bin", monkeypatch, HANGS)
    the_player, rec, clock = player
    hung, next_up = item(not_audio(tmp_path / "hostile.m4a"), "hostile"), tone(tmp_path, "b", 550, 5.0)
    try:
        hung_on(the_player, clock, ffmpeg, hung, next_up)
        assert ticks(the_player, clock, STUCK_S) == 0  # decoding may take this long
        assert ticks(the_player, clock, PERIOD_S) == 1  # past the bound: found stuck
        rec.wait(lambda e: isinstance(e, TrackStarted) and e.track_id == "b")  # the music goes on
        (pid,) = ffmpeg.pids()
        until(lambda: not alive(pid), what="the hung ffmpeg to end")
        status = the_player.status()
        assert [f["track_id"] for f in status.failures] == ["hostile"]
        assert "its decoder gave nothing for 30 s (hung?); it was stopped" in status.failures[0]["error"]
        assert status.current is not None and status.current.track.id == "b"
        assert the_player.stuck == "" and the_player.watch.recoveries == 1
        assert the_player.watch.state() == ("ok", "recovered from 1 hang")
        assert not [e for e in rec.of("track_started") if getattr(e, "track_id", "") == "hostile"]
        said = errors(rec)
        stopped = (
            "player thread stuck for 30.5 s; stopped the decoder on tone - hostile: the track is skipped"
        )
        assert f"{stopped} (hang #1)" in said  # a hang counted, not a restart: nothing was restarted
        assert any(m.startswith("skipped hostile: ") for m in said)
    finally:
        ffmpeg.kill_all()


def test_a_thread_that_cannot_be_freed_counts_as_stuck_and_drops_the_track(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, player: tuple[Player, Recorder, Clock]
) -> None:
    ffmpeg = HungFfmpeg(tmp_path / "bin", monkeypatch, HANGS_FOR_GOOD)
    the_player, rec, clock = player
    hung, next_up = item(not_audio(tmp_path / "hostile.m4a"), "hostile"), tone(tmp_path, "b", 550, 5.0)
    try:
        hung_on(the_player, clock, ffmpeg, hung, next_up)
        until(lambda: ffmpeg.started(2), what="the fake ffmpeg's helper to start")
        assert ticks(the_player, clock, STUCK_S + PERIOD_S) == 1  # ffmpeg killed: to no avail
        assert the_player.stuck == ""
        assert ticks(the_player, clock, STUCK_S) == 0  # timed again from the kill
        assert ticks(the_player, clock, PERIOD_S) == 1
        assert the_player.stuck.startswith("the player thread is stuck on tone - hostile")
        assert the_player.watch.state()[0] == "stuck"
        status = the_player.status()  # what a save writes before the service is restarted
        assert status.current is None and [i.track.id for i in status.queue] == ["b"]
        assert [f["track_id"] for f in status.failures] == ["hostile"]
        assert status.state == "playing"  # the restarted service plays on, with b
        assert any(m.startswith("skipped hostile: the player hung on it") for m in errors(rec))
        # a failure of the play history, not of the status alone: the export has it (and the retention)
        assert [(f["track_id"], f["error"]) for f in the_player.plays()["failed"]] == [
            ("hostile", status.failures[0]["error"])
        ]
        assert (
            errors(rec).count(
                "player thread stuck for 30.5 s; cannot free the thread: the player counts as stuck "
                "(systemd restarts the service) (hang #2)"
            )
            == 1
        )
        ffmpeg.kill_all()  # what holds the read ends after all: the thread is back, and plays on
        rec.wait(lambda e: isinstance(e, TrackStarted) and e.track_id == "b")
        until(lambda: the_player.stuck == "", what="the player to count as not stuck")
        assert the_player.watch.state() == ("ok", "recovered from 2 hangs")
        # the thread's own status keeps the hang's entry; the play failing as it comes back is that
        # same failure, not a second one
        failures = the_player.status().failures
        assert [(f["track_id"], f["error"]) for f in failures] == [("hostile", status.failures[0]["error"])]
        assert [m for m in errors(rec) if m.startswith("skipped hostile")] == [
            f"skipped hostile: {status.failures[0]['error']}"
        ]
    finally:
        ffmpeg.kill_all()


def test_a_pass_the_whole_process_stood_still_through_is_not_a_hang(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, player: tuple[Player, Recorder, Clock]
) -> None:
    """A suspend (or swap) during a long decode: the watcher's next tick comes late, the decoder is
    left alone, and only time watched on time counts towards the bound."""
    ffmpeg = HungFfmpeg(tmp_path / "bin", monkeypatch, HANGS)
    the_player, _rec, clock = player
    hung, next_up = item(not_audio(tmp_path / "hostile.m4a"), "hostile"), tone(tmp_path, "b", 550, 5.0)
    try:
        hung_on(the_player, clock, ffmpeg, hung, next_up)
        assert ticks(the_player, clock, 20.0) == 0
        clock.now += 600.0  # the host slept through the decode: the next tick is late
        assert not the_player.watch.watchdog.check(clock.now)
        assert ticks(the_player, clock, STUCK_S) == 0  # counted again from the resume
        (pid,) = ffmpeg.pids()
        assert alive(pid) and the_player.watch.recoveries == 0
        assert ticks(the_player, clock, PERIOD_S) == 1  # still hung, watched on time: stopped
        until(lambda: not alive(pid), what="the hung ffmpeg to end")
    finally:
        ffmpeg.kill_all()
