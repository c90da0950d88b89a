"""The Appliance's playback commands: play, pause, next, replay, like, dislike, mood, steer, volume,
camera.

Why a module of its own: these are the `Speaker` commands a listener gives about what is playing
now.  Each one either happens or is refused with the reason (CommandError), and the feedback it
carries (a skip, a like, a replay, a mood correction) is written before the command returns, so a
kill -9 right after the page's answer loses nothing that was acknowledged.
"""

from __future__ import annotations

import dataclasses
import logging
import sqlite3
import time

from moodspeaker.library.track import Track
from moodspeaker.mood.circumplex import to_valence_arousal
from moodspeaker.mood.filter import MoodState
from moodspeaker.player.engine import PlayerStatus
from moodspeaker.player.queue import QueueItem
from moodspeaker.recommend.profiles import ProfileError
from moodspeaker.recommend.targets import STEER_STEP
from moodspeaker.service.component_states import ComponentState
from moodspeaker.service.control import CommandError
from moodspeaker.service.core import PLAYER_WAIT_S, ApplianceCore
from moodspeaker.service.events import (
    MOOD_ASKED,
    MOOD_CAMERA,
    MOOD_CORRECTED,
    MoodChanged,
    StateChanged,
    mood_source,
)
from moodspeaker.service.plans import OvertakenError
from moodspeaker.service.policy import replan_on

log = logging.getLogger(__name__)

#: A replay this soon after a track began (plus the crossfade, while the last one was still fading
#: out) means the listener wants the track that just ended, as a music player's "previous" button.
REPLAY_PREVIOUS_S = 4.0
#: The camera's health detail while its privacy button holds it off (`set_camera_at_speaker`)...
CAMERA_HELD_DETAIL = "switched off at the speaker: press its button to switch it on"
#: ...and the answer to switching it on from the page, the API or MQTT (`set_camera`).
CAMERA_HELD_REFUSAL = f"set_camera: the camera was {CAMERA_HELD_DETAIL}"


class PlaybackCommands(ApplianceCore):
    """The `Speaker` commands about the music playing now (see the module doc)."""

    def play(self) -> None:
        """Play, planning first when nothing is playing or queued; refused when that plan has no
        picks, with its own reason (the recommender's `status` is the last plan's on any thread:
        a refill or another command's may have replaced it meanwhile).  A plan overtaken by a switch
        of listener or strategy is never queued (`Conductor.plan_to_play`); when both of Play's plans
        were, the music the last switch queued is played (`_music_in_effect`), else Play is refused.
        What was restored at start counts as playing or queued (`_status`): Play never plans over it."""
        self.conductor.user_paused = False
        status = self._status()
        shown = self.player.status().state  # what the answer shows (a restore not applied: not playing)
        if status.current is None and not status.queue:
            try:
                plan = self.conductor.plan_to_play(self._current_mood, self.config.recommend.queue_length)
            except OvertakenError as exc:
                if not self._music_in_effect():
                    raise CommandError(f"nothing to play: {exc.reason}") from exc
            else:
                if not plan.items:
                    raise CommandError(f"nothing to play: {plan.detail}")
        self.player.play()
        if shown != "playing":  # answered once playing (or pending): see `_player_applied`
            self._player_applied("playing", True)

    def _music_in_effect(self) -> bool:
        """Whether there is music to play now that switches overtook Play's plans: the last switch's
        queue (or one a refill added since).  The switch that overtook Play may still be under way:
        this waits (bounded) until no switch is (`service.switches`), so its queue is where this reads
        it, applied or pending; without the wait Play was refused ("try again") while the switch was
        queuing music for it to play."""
        if not self._switches.wait():
            log.warning("a switch of listener or strategy is still under way; Play answers without it")
        pending = self._pending.values()  # before the status: see PendingChanges.values
        status = self._status()
        return bool(status.current or status.queue or pending.get("queue"))

    def pause(self) -> None:
        self.conductor.user_paused = True
        status = self._status()
        self.player.pause()
        if status.state == "playing":
            self._player_applied("playing", False)

    def _move_on(self, status: PlayerStatus, recorded: str | None) -> None:
        """Skip what `status` shows as current (a Next, a Dislike) and answer once the player has
        moved on: the answer shows the track that now plays, or names it under `pending` while the
        player is too busy (`_player_applied`), never the skipped one as if nothing happened.

        `recorded`: the track whose skip (or dislike) the command wrote; its play is marked so that
        its end, announced as skipped, is not recorded again (`service.skips`).  The mark is set on
        the player thread as the Next runs there (`Player.next`'s `before`): the status is published
        before the events it shows, and marked from here, between the two, a track whose start was
        not handled yet was taken for one already over: the mark was dropped and the skip recorded
        twice (on a loaded machine).

        The Next is for the track `status` shows (`Player.next`'s `on`): should that track end on its
        own before the player runs the Next, the track after it plays on, not skipped as well (which
        recorded a second skip, of a track the listener never skipped)."""
        skips = self._recorded_skips
        mark = None if recorded is None else lambda: skips.mark(recorded)
        on = status.current.track.id if status.current is not None else None
        self.player.next(fade_s=self.config.player.switch_fade_s, skipped=True, before=mark, on=on)
        self._player_applied("now_playing", _up_next(status))

    def next_track(self) -> None:
        """Skip the current track.  The skip is feedback the listener gave, so it is written before the
        command returns (a kill -9 right after the page's answer must not lose it) and the TrackEnded
        that follows is not recorded again; a storage failure is reported but the music still moves on
        (the listener asked to skip, not to record anything)."""
        status = self._status()  # a restored track not resumed yet is the one skipped
        recorded = None
        # While the audio output is gone (`waiting_for_audio`) the track shown is the one interrupted,
        # resuming with the device: a Next skips it all the same (the player announces its end, skipped).
        if status.current is not None and (status.state == "playing" or status.waiting_for_audio):
            track = status.current.track
            self._tell_anyway(track, "skip", "skip", played_s=status.position_s)
            recorded = track.id
        self._move_on(status, recorded)

    def replay(self) -> None:
        """Play the current track again from its start, or the previous one when the current one has
        only just begun (`Player.replay`).  The replayed track gets `replayed` feedback, once per replay,
        written before the command returns; a storage failure is reported but does not stop the music
        (the listener asked to hear the track, not to record anything)."""
        self.conductor.user_paused = False
        try:
            item = self.player.replay(
                previous_within_s=REPLAY_PREVIOUS_S + self.config.player.crossfade_s,
                fade_s=self.config.player.switch_fade_s,
            )
        except TimeoutError as exc:
            raise CommandError(f"replay: {exc}") from exc
        if item is None:
            raise CommandError("replay: nothing has been played yet")
        self._tell_anyway(item.track, "replayed", "replay")

    def _tell_anyway(self, track: Track, kind: str, label: str, played_s: float | None = None) -> None:
        """Feedback riding on a command that happens whatever the disk says (a skip, a replay): written
        before the command returns; a storage failure is logged and reported, never raised, and so is
        the listener's profile gone (ProfileError: a listener another program deleted is replaced at
        once).  Dropped when "delete everything" runs or ran since the listener was read
        (`_write_feedback`)."""
        since = self._feedback_since()  # first: a deletion from now on drops the row
        profile, mood = self.conductor.profile, self._current_mood()
        try:
            self._write_feedback(
                lambda: self._recommender.feedback(
                    profile, track.id, kind, mood, time.time(), played_s=played_s
                ),
                since,
            )
        except ProfileError as exc:  # "no profile named 'X': the skip was not recorded"
            self._listener_gone(profile, exc)  # said, and a deleted listener replaced now
        except (sqlite3.Error, OSError) as exc:
            log.error("%s of %s not recorded: %s", label, track.title, exc)
            self._report("recommender", f"{label} was not recorded: {exc}")

    def _current_track_id(self, action: str, status: PlayerStatus | None = None) -> str:
        """The track `status` (by default the status now) shows as current; refused when none."""
        current = (status or self._status()).current
        if current is None:
            raise CommandError(f"{action}: nothing is playing")
        return current.track.id

    def _tell(
        self, track_id: str, kind: str, mood: MoodState, since: int | None, corrected_mood: str | None = None
    ) -> None:
        """Feedback from a command: committed to disk before the command returns (or refused).  Not
        recorded when "delete everything" runs or ran since `since` (`_feedback_since`, read by the
        caller before the mood, here before the listener): the command answers all the same, as if
        given just before the deletion, which deleted its row (`_write_feedback`).  The listener's
        profile gone (a switch that raced the deletion) is a refusal too: the recommender's ProfileError
        names it, and feedback never makes the profile again."""
        label = "mood correction" if kind == "wrong_mood" else kind
        profile = self.conductor.profile
        with self._stored(f"{label} was not recorded"):
            try:
                self._write_feedback(
                    lambda: self._recommender.feedback(
                        profile, track_id, kind, mood, time.time(), corrected_mood=corrected_mood
                    ),
                    since,
                )
            except ProfileError as exc:
                self._listener_gone(profile, exc)  # a deleted listener replaced now, not at a track's end
                raise CommandError(str(exc), listeners=(profile,)) from exc

    def like(self) -> None:
        since = self._feedback_since()  # first: a deletion from now on drops the row
        self._tell(self._current_track_id("like"), "like", self._current_mood(), since)

    def dislike(self) -> None:
        """The track shown is disliked and skipped: the one read of the status decides both (read
        twice, a track ending in between had the next one disliked and the Next aimed at the one
        before it, over already)."""
        since = self._feedback_since()  # first: a deletion from now on drops the row
        status = self._status()
        track_id = self._current_track_id("dislike", status)
        self._tell(track_id, "dislike", self._current_mood(), since)
        self._move_on(status, track_id)

    def correct_mood(self, mood: str) -> None:
        """The listener says the mood the camera read is wrong, and is `mood`: recorded against the
        track playing (a "wrong_mood" row, which teaches the listener's camera-correction mapping) and
        held as the mood in force (`_hold_mood`).  It always corrects what the camera read last: made
        while a mood told holds (music of a mood asked for, `ask_mood`, or a correction before it), it
        is not of that mood, which was no reading.  With no reading (the camera off, no face read) the
        row says "unknown", which the mapping learns nothing from (recommend.feedback)."""
        since = self._feedback_since()  # first: a deletion from now on drops the row
        current = self._status().current
        seen = self._read_mood()
        if current is not None:
            self._tell(current.track.id, "wrong_mood", seen, since, corrected_mood=mood)
        self._hold_mood(mood, seen, asked=False)

    def ask_mood(self, mood: str) -> None:
        """The listener asks for music of `mood` ("play happy songs"): held as the mood in force and
        announced as a correction is (`_hold_mood`), but no correction: the camera may well have read
        the face right, so nothing is recorded (no feedback row, nothing against the track playing)
        and the camera-correction mapping learns nothing.  `mood` MOOD_CAMERA ("camera") asks for
        the camera's mood again: the mood told ends now (`_follow_camera`), not at the next change
        the camera reads (Home Assistant's "Music mood" select offers it beside the moods)."""
        if mood == MOOD_CAMERA:
            self._follow_camera()
            return
        self._hold_mood(mood, self._current_mood(), asked=True)

    def _follow_camera(self) -> None:
        """The mood told (asked for or corrected) ends and the camera's reading is in force again:
        announced as a change from the mood told (`source` camera; with the camera off or nothing
        read, a change to unknown), or, when the camera reads that very mood, as the state's
        `mood_source` changing back (no mood changed); planned for at once (nothing to plan for an
        unknown mood: the plans under way, made for the mood told, are dropped)."""
        with self._lock:  # the events under it, in the order the mood in force changed (`_hold_mood`)
            told, self._override = self._override, None
            seen = self._current_mood()
            now = time.time()
            if told is not None and told.mood != seen.mood:
                self.bus.publish(
                    MoodChanged(
                        ts=now,
                        mood=seen.mood,
                        previous=told.mood,
                        confidence=round(seen.confidence, 3),
                        valence=round(seen.valence, 3),
                        arousal=round(seen.arousal, 3),
                        source=MOOD_CAMERA,
                    )
                )
            elif told is not None:
                self.bus.publish(StateChanged(ts=now, key="mood_source", value=MOOD_CAMERA))
        if told is None:
            return  # nothing told: the camera's mood is in force already
        if replan_on(seen.mood, True):
            self.conductor.react(seen)
        else:
            self.conductor.drop_plans()

    def _read_mood(self) -> MoodState:
        """The mood the camera read, under a mood told since (camera off said as `_current_mood` says it)."""
        with self._lock:
            mood = self._mood
        return mood if self.stage.enabled else dataclasses.replace(mood, camera=False)

    def _hold_mood(self, mood: str, seen: MoodState, *, asked: bool) -> None:
        """`mood` in force (told: the listener's, not a reading) until the camera reads a change (`app.
        _on_result`), announced as a change from the mood announced last, taken with the mood it
        replaces (a reading handled meanwhile is not skipped over), and planned for at once.  `seen`:
        the mood read before it (whether a face is in view stays the camera's); `asked`: told as music
        asked for, not as a feeling (the picks' reasons say which).  The mood in force already (happy
        asked for while the camera reads happy) is no change of mood: no MoodChanged (Home Assistant's
        Mood changed event, and the automations on it, would fire for nothing), only the state's
        `mood_source` changing (MQTT's mood topics say it), as `_follow_camera` does the other way."""
        valence, arousal = to_valence_arousal({mood: 1.0})
        source = MOOD_ASKED if asked else MOOD_CORRECTED
        with self._lock:
            previous = self._announced_mood
            told = self._override
            corrected = MoodState(
                mood,
                1.0,
                valence,
                arousal,
                face=seen.face,
                changed=True,
                previous=previous,
                told=True,
                asked=asked,
            )
            self._override = corrected
            # under the lock, as a reading's events are (`app._on_result`): published in the order the
            # mood in force changed
            if mood != previous:
                self.bus.publish(
                    MoodChanged(
                        ts=time.time(),
                        mood=mood,
                        previous=previous,
                        confidence=1.0,
                        valence=valence,
                        arousal=arousal,
                        source=source,
                    )
                )
            elif mood_source(told=told is not None, asked=told is not None and told.asked) != source:
                self.bus.publish(StateChanged(ts=time.time(), key="mood_source", value=source))
        self.conductor.react(corrected)

    def steer(self, direction: str) -> None:
        """Calmer or livelier music ("calmer", "livelier"): the next picks aim lower or higher arousal
        while the mood now lasts (recommend.steers), and the queue is planned again at once as for a
        new mood (the track playing is cut only when it clearly clashes with the new first pick and
        was not picked for this mood: `Conductor.react`).  No feedback: the track playing is not
        disliked, it may well be a calm one.  Refused when the listener's profile is gone (deleted
        by another program: the recommender keeps no request for a name with no profile), and the
        listener replaced at once, as a Like refused so is."""
        mood, profile = self._current_mood(), self.conductor.profile
        try:
            self._recommender.steer(profile, mood, -STEER_STEP if direction == "calmer" else STEER_STEP)
        except ProfileError as exc:
            self._listener_gone(profile, exc)
            raise CommandError(str(exc), listeners=(profile,)) from exc
        self.conductor.react(mood)
        # the answer shows the new queue once the player has it; a busy player's shows it at the next
        # read (the queue is nobody's pending change: nothing was asked of it but a new plan)
        self.player.when_idle().wait(PLAYER_WAIT_S)

    def set_volume(self, volume: float) -> None:
        """Answered with the new volume once the player applied it; a player too busy to do so within
        PLAYER_WAIT_S leaves the volume in effect in the answer and the new one under `pending`,
        published by the housekeeping once it is in effect (`core._player_applied`)."""
        self.player.set_volume(volume)
        if self._player_applied("volume", volume):
            self.bus.publish(StateChanged(ts=time.time(), key="volume", value=volume))
        self._save()  # the new volume either way, for the record (a restart plays at player.volume)

    def set_camera(self, enabled: bool) -> None:
        """The privacy switch, as the page, the API and MQTT use it (ControlAPI): a camera switched off
        at the speaker (its privacy button, `set_camera_at_speaker`) is not switched on from here:
        refused, saying to press the button, as a smart speaker's microphone-mute button is the only
        way to unmute it.  Off is always done."""
        self._switch_camera(enabled, at_speaker=False)

    def set_camera_at_speaker(self, enabled: bool) -> None:
        """The privacy switch pressed at the speaker (control.PrivacySwitch): off holds the camera off
        until the button switches it on again, across restarts (saved with the state: a power cut does
        not switch it on); on is always done."""
        self._switch_camera(enabled, at_speaker=True)

    def _switch_camera(self, enabled: bool, *, at_speaker: bool) -> None:
        """Off ends the mood reading (`_end_reading`): the mood is unknown, new picks are planned as for
        an unknown mood, the music playing carries on; on reads afresh (a mood told while it was off
        goes: `_start_reading`).  Under `_camera_switch`: the check of the hold and the switch are one step
        (a press and an MQTT command at once never leave the camera on behind the button)."""
        with self._camera_switch:
            if enabled and self._camera_held and not at_speaker:
                raise CommandError(CAMERA_HELD_REFUSAL)
            # off at the speaker holds it off; off from elsewhere keeps a hold the button made
            self._camera_held = not enabled and (at_speaker or self._camera_held)
            if enabled and not self.stage.enabled:
                self._start_reading()  # before the switch: the state never says on with the told mood
            self.stage.set_enabled(enabled)
            if self._camera_held:  # the camera's state says why it is off, and how to switch it on
                self.health.set_state("camera", ComponentState.OFF, CAMERA_HELD_DETAIL)
            if not enabled:
                self._end_reading()
            self.bus.publish(StateChanged(ts=time.time(), key="camera", value=enabled))
        self._save()  # after the lock: a save waits for a switch of listener planning (`_saving`)


def _up_next(status: PlayerStatus) -> QueueItem | None:
    """What a Next given at `status` leads to: the head of the queue while playing (less a repeat
    of the skipped track, which a Next drops); nothing when not playing (paused, stopped, waiting for
    the audio output: the skipped track is let go and the queue's head plays on Play)."""
    if status.state != "playing":
        return None
    skipped = status.current.track.id if status.current is not None else None
    return next((i for i in status.queue if not (i.again and i.track.id == skipped)), None)
