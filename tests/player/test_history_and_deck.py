"""The pure parts of the player: the replay choice (PlayHistory) and a deck's fade envelope."""

from __future__ import annotations

import numpy as np

from moodspeaker.library.track import Track
from moodspeaker.player.deck import RATE, Chunk, Deck, Play
from moodspeaker.player.history import HISTORY, PlayHistory
from moodspeaker.player.queue import QueueItem
from moodspeaker.service.events import ErrorReported, Event, TrackEnded, TrackStarted


def qi(track_id: str) -> QueueItem:
    return QueueItem(
        Track(id=track_id, location=f"/music/{track_id}.flac", title=track_id, artist="tone"), "test"
    )


def heard(history: PlayHistory, *ids: str) -> None:
    for track_id in ids:
        history.began(Play(qi(track_id)))


def test_replay_restarts_the_current_track_once_it_has_played_a_while() -> None:
    history = PlayHistory(lambda _e: None, None)
    heard(history, "a", "b")
    assert history.replay_choice((qi("b"), 30.0), previous_within_s=4.0) == (qi("b"), None)
    assert [i.track.id for i in history.started] == ["a"]  # "b" is added again as it starts


def test_replay_just_after_a_track_began_goes_back_and_requeues_the_interrupted_one() -> None:
    history = PlayHistory(lambda _e: None, None)
    heard(history, "a", "b")
    assert history.replay_choice((qi("b"), 1.0), previous_within_s=4.0) == (qi("a"), qi("b"))
    assert not history.started


def test_replay_with_nothing_current_plays_the_last_heard_and_nothing_at_first() -> None:
    history = PlayHistory(lambda _e: None, None)
    assert history.replay_choice(None, previous_within_s=4.0) is None
    heard(history, "a", "b")
    assert history.replay_choice(None, previous_within_s=4.0) == (qi("b"), None)
    # early in the very first track, there is nothing before it: the track itself restarts
    history = PlayHistory(lambda _e: None, None)
    heard(history, "a")
    assert history.replay_choice((qi("a"), 0.5), previous_within_s=4.0) == (qi("a"), None)


def test_plays_are_announced_once_and_the_history_is_bounded() -> None:
    events: list[Event] = []
    history = PlayHistory(events.append, None)
    play = Play(qi("a"))
    history.began(play)
    history.began(play)
    play.played_s, play.completed = 12.345, True
    history.ended(play)
    history.ended(play)
    assert [type(e) for e in events] == [TrackStarted, TrackEnded]
    ended = events[1]
    assert isinstance(ended, TrackEnded) and ended.played_s == 12.35 and ended.completed
    heard(history, *(f"t{i}" for i in range(HISTORY + 5)))
    assert len(history.started) == HISTORY and history.started[-1].track.id == f"t{HISTORY + 4}"


def test_failed_track_is_recorded_and_only_an_unopenable_one_counts_as_missing() -> None:
    missing: list[str] = []
    history = PlayHistory(lambda _e: None, lambda item, _error, _fetched: missing.append(item.track.id))
    history.failed(qi("a"), "corrupt frame", missing=False)
    history.failed(qi("b"), "no such file", missing=True)
    assert missing == ["b"]
    assert [f["track_id"] for f in history.failures] == ["a", "b"]


def test_a_play_given_up_on_that_goes_on_leaves_a_later_failure_of_its_item_recorded() -> None:
    """The player thread given up on (stuck) on an item comes back and the play goes on: the hang's
    failure stays the only one of that play, but the same item failing later (a replay hands the
    item back) is a failure of its own, recorded and reported.  It was swallowed: the mark of the
    hang was cleared only by a failure of the item."""
    events: list[Event] = []
    history = PlayHistory(events.append, None)
    for goes_on in ("began", "ended"):  # back before its first chunk, or in the middle of the play
        item = qi(goes_on)
        play = Play(item)
        if goes_on == "ended":
            history.began(play)
        history.gave_up(item, "its decoder gave nothing for 30 s (hung?); it was stopped")
        if goes_on == "began":
            history.began(play)
        history.ended(play)
        replayed = history.replay_choice(None, previous_within_s=4.0)
        assert replayed is not None and replayed[0] is item
        history.failed(item, "corrupt frame", missing=False)
        assert [f["error"] for f in history.failures if f["track_id"] == goes_on][-1] == "corrupt frame"
        reported = [e for e in events if isinstance(e, ErrorReported)]
        assert reported[-1].message == f"skipped {goes_on}: corrupt frame", reported
    assert len(history.failures) == 4  # each hang and each failure after it, once


def test_deck_envelope_fades_in_then_out_to_silence_and_stays_within_0_1() -> None:
    deck = Deck(0)
    deck.env, deck.env_step = 0.0, 1.0 / (0.5 * RATE)  # as begin() with a 0.5 s fade-in
    first = deck.envelope(RATE // 4)
    assert first[0] == 0.0 and np.all(np.diff(first) > 0) and abs(deck.env - 0.5) < 1e-3
    deck.envelope(RATE)
    assert deck.env == 1.0
    deck.fade_out(1.0)
    assert deck.env_stop_at_zero
    ramp = deck.envelope(2 * RATE)
    assert ramp.min() >= 0.0 and ramp.max() <= 1.0 and deck.env == 0.0


def test_deck_lists_each_play_once_and_resets_to_full_level() -> None:
    deck = Deck(1)
    a, b = Play(qi("a")), Play(qi("b"))
    deck.playing, deck.queued, deck.play = Chunk(a, 0.0, 0.4), Chunk(a, 0.4, 0.4), b
    assert deck.plays() == [a, b]
    deck.fade_out(1.0)
    deck.reset()
    assert deck.plays() == [] and deck.env == 1.0 and not deck.env_stop_at_zero
