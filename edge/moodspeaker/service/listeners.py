"""The Appliance's listener commands: profiles, their calibration and their data (their strategies:
service.strategies, the base of ListenerCommands).

Why a module of its own: who is listening decides whose feedback is learned, whose calibration
corrects the camera and which strategy plans the music.  A switch of profile or strategy plans first
and saves before it becomes active, so a failure (an unreadable library index or profile database, a
full or read-only disk) is a refusal with the reason while the music and the queue carry on; and a
profile database that cannot be read leaves the speaker playing on what it knew.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from typing import Any

from moodspeaker.player.queue import QueueItem
from moodspeaker.service import plays
from moodspeaker.service.calibration import FollowedCalibration, delete_calibrations, export_calibrations
from moodspeaker.service.control import STRATEGIES, CommandError
from moodspeaker.service.events import StateChanged
from moodspeaker.service.forget import delete_set_aside_states, export_saved_states
from moodspeaker.service.mood_history import FILE_NAME as MOOD_HISTORY
from moodspeaker.service.mood_history import clear_file as clear_mood_history
from moodspeaker.service.mood_history import prune_file as prune_mood_history
from moodspeaker.service.plans import storage_reason
from moodspeaker.service.retention import Expired
from moodspeaker.service.strategies import StrategyCommands

log = logging.getLogger(__name__)


class PartlyDeletedError(CommandError):
    """Delete everything did not finish one part, which the message names: a caller may say so and
    still report the rest deleted, which it is."""


class StateCopiesNotDeletedError(PartlyDeletedError):
    """Delete everything deleted all but the copies of unreadable state files (`state.json.corrupt-*`,
    service.forget)."""


class NotScrubbedError(PartlyDeletedError):
    """Delete everything deleted the feedback and the mood history, but another program reading a
    database kept its log busy: the deleted rows stay readable in the -wal until a later deletion or the
    next retention run scrubs it (util.sqlitefiles.scrub_or_owe)."""


class ListenerCommands(StrategyCommands):
    """Profiles, strategies, calibration and the household's data (see the module doc)."""

    _calibration: FollowedCalibration  # the active listener's, followed as its file changes

    def _ensure_profiles(self, names: tuple[str, ...]) -> None:
        """Create the listed profiles the recommender does not know yet, so they can be picked.  A
        profile that cannot be created (a refused name, a storage error) is reported, not raised: the
        settings that listed it are saved all the same, and the profile appears once storage works."""
        try:
            known = set(self._recommender.profiles())
        except (sqlite3.Error, OSError) as exc:
            self._report("recommender", f"profiles {', '.join(names)} not checked: {storage_reason(exc)}")
            return
        for name in names:
            if name.strip() in known:
                continue
            try:
                self._recommender.create_profile(name, time.time())
            except ValueError as exc:  # ProfileError: a name the recommender refuses
                self._report("recommender", f"profile {name!r} not created: {exc}")
            except (sqlite3.Error, OSError) as exc:
                self._report("recommender", f"profile {name!r} not created: {storage_reason(exc)}")

    def _follow_profile(self, saved: str = "") -> None:
        """Make the active strategy the active profile's (what it chose, else `recommend.strategy`)
        and say so when that changed it.  When the profile database cannot be read, `saved` (the
        strategy in the state file) stands in, and that is reported: the speaker keeps playing."""
        before = self.conductor.strategy
        try:
            self.conductor.follow_profile()
        except (sqlite3.Error, OSError) as exc:
            if saved in STRATEGIES:
                self.conductor.strategy = saved
            self._report(
                "recommender",
                f"the strategy of profile {self.conductor.profile!r} cannot be read: {storage_reason(exc)};"
                f" using {self.conductor.strategy!r}",
            )
        self._say_strategy_if_changed(before)

    def _say_strategy_if_changed(self, before: str) -> None:
        """Publish the active strategy when it is no longer `before`: a switch of profile, the state
        restored at start or the profile's data deleted can change it without a set_strategy."""
        if self.conductor.strategy != before:
            self.bus.publish(StateChanged(ts=time.time(), key="strategy", value=self.conductor.strategy))

    def _use_calibration(self, profile: str) -> None:
        if self.parts.classes is None:  # no expression model: nothing to calibrate
            return
        self._calibration.use(profile, self.parts.classes)

    def _follow_calibration(self) -> None:
        """The active listener's calibration as their file is now (housekeeping): one saved while
        the service runs (`calibrate-neutral`) corrects the readings from then on."""
        self._calibration.check()

    def set_profile(self, profile: str) -> None:
        """Switch the listener, or refuse naming what failed with the previous profile still active: a
        storage error or a failed plan for them, or a state file that cannot be written (disk full,
        card read-only).  An unsaved switch would be undone by the next restart, and the feedback given
        until then would silently count for the wrong person.  The strategy follows the listener:
        theirs, else `recommend.strategy` (the household default).  A profile deleted since the
        ControlAPI checked its name ("delete everything" ran in between) is refused naming it: made
        active, it named a listener that does not exist, whose feedback the recommender refuses."""
        self._switch_listener(profile)

    def _switch_listener(self, profile: str, replacing: str | None = None) -> bool:
        """`set_profile`'s switch; with `replacing`, made only while that listener is the active one
        (checked under `_listener_changes`): False, nothing done, when another switch came first."""
        what = f"profile not changed to {profile!r}"
        strategy = self.conductor.strategy
        # One save, with the new listener's queue, and none in between (the housekeeping's would show
        # the new listener with the previous one's queue): after a power cut the speaker comes back
        # as it was before the switch or as it is after it.
        saved: list[list[QueueItem] | None] = [None]

        def save(upcoming: list[QueueItem] | None) -> bool:
            saved[0] = upcoming
            return self._save(upcoming)

        # The profile checked again, and made active, where "delete everything" cannot delete it
        # meanwhile (`_listener_changes`); under way (for a Play this switch overtakes:
        # service.switches) until its queue is in effect.
        with self._listener_changes, self._switches.under_way(), self._saving:
            if replacing is not None and self.conductor.profile != replacing:
                return False
            with self._stored(what, (profile,)), self._planned(what, (profile,)):
                if profile not in self._recommender.profiles():
                    raise CommandError(
                        f"{what}: no profile named {profile!r} (it was deleted meanwhile)",
                        listeners=(profile,),
                    )
                switched = self.conductor.switch_profile(self._current_mood, profile, save)
            if switched and saved[0] is not None:  # the answer shows the queue saved, or it pending
                self._player_applied("queue", saved[0])
        if not switched:
            why = self.store.last_error or "the state could not be saved"
            message = f"{what}: {why}"
            log.error("the listener was not changed: %s", why)  # no name: the journal outlives the data
            self._report("storage", message)
            raise CommandError(message, listeners=(profile,))
        self._use_calibration(profile)
        self.bus.publish(StateChanged(ts=time.time(), key="profile", value=profile))
        self._say_strategy_if_changed(strategy)
        return True

    def _replace_listener(self, gone: str, instead: str) -> None:
        """`gone`, the active listener, was deleted by another program (service.feedback): `instead`
        is made active as a switch makes a listener active (planned for, saved, announced: the page,
        MQTT, state.json); when that switch is refused (a failed plan, a refusing disk: it says so),
        without a plan, as "delete everything" falls back (`_fall_back_to`), and saved.  Nothing when
        `gone` is no longer active (a switch came first).  On the feedback writer's thread: nothing
        held here waits for that thread (`_listener_changes` is taken here, not held around it)."""
        try:
            self._switch_listener(instead, replacing=gone)
            return
        except CommandError:
            pass
        with self._listener_changes:
            if self.conductor.profile != gone:
                return
            self._fall_back_to(instead)
            self._follow_profile()
        self._save()

    def export_data(self) -> dict[str, Any]:
        """Each profile's feedback and what was learned, every listener's neutral-face calibration
        (fitted to their face: what "delete everything" deletes, the export gives), the mood each
        track playing or queued was picked for, and when (`picked_for`, `picked_at`: mood readings the
        state file keeps, service.picked; `picked_notes`: every such note kept, and when each
        explanation was queued), and what was played when (service.plays: the tracks started, when a
        mood changed the music, the player's play history), and state.json and the copies of unreadable
        ones as they are on disk (service.forget)."""
        profiles = self._recommender.profiles()
        status = self._status()  # the restore at start applied, or as a save sees it (service.restored)
        moods, times = self.conductor.picked.saved(i for i in (status.current, *status.queue) if i)
        return {
            "profiles": {p: self._recommender.export_profile(p) for p in profiles},
            "neutral_calibrations": export_calibrations(self._data_dir, profiles),
            "picked_for": moods,
            "picked_at": times,
            "picked_notes": self.conductor.picked.export(),  # also of tracks no longer held
            **plays.export(
                self.started_tracks, self.conductor.flips, self.player, self._forgotten, self.parts.downloads
            ),
            **export_saved_states(self._data_dir),  # state.json and set-aside copies, as on disk
        }

    def delete_data(self, before: float | None = None) -> None:
        """Forget the feedback before `before` (retention), what was learned from it, the pick
        explanations recorded before it (health's "why these tracks": they quote the moods read then)
        and the moods the tracks were picked for before it (service.picked), saved at once without
        them; or, with None ("delete everything"), every profile, the configured ones created again
        empty, every listener's neutral-face calibration (fitted to their face; the running correction
        goes too) and the page's mood history, page or no page (service.mood_history).  Either way the
        records of what was played when go too (service.plays: before the cut-off, or all of them; the
        library servers' downloads too), and health's incidents and a detail naming a track
        (service.health).  The active listener then is one that exists: theirs if configured, else
        `recommend.profile`.  With None the copies of unreadable state files go last
        (StateCopiesNotDeletedError if they cannot: the rest is deleted);
        then PartlyDeletedError if the mood history file refused its deletion, else NotScrubbedError if
        the deleted feedback or readings are still in a database's log."""
        if before is not None:
            self._expire(before)
            return
        # what the writer has queued is dropped, and so is the feedback of a play that ends before the
        # active listener is one that exists: it names the deleted one (service.core)
        # no switch of listener meanwhile (`_listener_changes`): one made after the profiles went would
        # make a deleted one active; one made before is the active listener the fallback replaces
        with self._dropping_feedback(), self._listener_changes:
            with self._stored("data not deleted"):
                calibrations = delete_calibrations(self._data_dir)  # first: a refusal leaves the rest
                self._calibration.clear()
                for profile in self._recommender.profiles():
                    self._recommender.delete_profile(profile)
                kept = dict.fromkeys((*self.config.recommend.profiles, self.config.recommend.profile))
                for profile in kept:
                    self._recommender.create_profile(profile, time.time())
            log.info(  # how many, not the files: their names hold the listeners' (the journal keeps them)
                "delete everything: every profile and its feedback deleted, and %s",
                f"{len(calibrations)} neutral-face calibrations"
                if calibrations
                else "no neutral-face calibration",
            )
            self._forget_moods()
            plays.forget(self.started_tracks, self._lock, self.player)  # what was played when (service.plays)
            plays.forget_downloads(self.parts.downloads)  # and the library servers' downloads, in their times
            self.player.watch.reports()  # dropped, not made incidents: they name tracks (counted: recoveries)
            self.health.forget()  # the incidents (naming tracks, listeners) and a detail naming a track
            if self.conductor.profile not in kept:
                self._fall_back_to(self.config.recommend.profile)
            self._follow_profile()  # the profile's chosen strategy went with its data
        self._save()
        # Whoever shows the state reads it again (the MQTT bridge republishes its retained topics,
        # whose now playing still quoted the explanations taken back).
        self.bus.publish(StateChanged(ts=time.time(), key="data_deleted", value=True))
        refused, owed = self._clear_mood_history()  # what is left of the page's mood history, said
        unscrubbed = self._unscrubbed(*owed)  # said now: a refusal of the copies' deletion raises first
        self._delete_set_aside_states()
        if refused:
            raise PartlyDeletedError("; ".join(m for m in (refused, unscrubbed) if m))
        if unscrubbed:
            raise NotScrubbedError(unscrubbed)

    def _clear_mood_history(self) -> tuple[str, tuple[str, ...]]:
        """Delete everything's part of the page's mood history (service.mood_history.clear_file: also
        when no page runs, or one runs that did not ask; the only clear, the page's included: a page
        of this process drops what it queued before, the "mood unknown" `_forget_moods` published
        too).  Returns why the file refused the deletion (reported; "" when it did not) and the file
        when a reader kept its scrub owed."""
        path = self._data_dir / MOOD_HISTORY
        try:
            return "", () if clear_mood_history(self._data_dir) else (str(path),)
        except (sqlite3.Error, OSError) as exc:
            message = f"the mood history ({path}) could not be deleted: {storage_reason(exc)}"
            log.error("%s", message)
            self._report("storage", message)
            return message, ()

    def _unscrubbed(self, *also: str) -> str:
        """The files a deletion's scrub is still owed in (the feedback database's, or `also`: a reader
        of another program kept its log busy, util.sqlitefiles.scrub_or_owe): reported in health and
        returned in a sentence; "" when none."""
        store = self._recommender.store
        files = [store.path] if store.scrub_due else []
        files += also
        if not files:
            return ""
        message = (
            f"deleted data is still in the log of {', '.join(files)}: another program is reading it; "
            "the next retention run (within the hour) scrubs it again"
        )
        log.warning("%s", message)
        self._report("storage", message)
        return message

    def _delete_set_aside_states(self) -> None:
        """Delete everything's last step: the copies of state files unreadable at a start
        (service.forget) quote moods as state.json does.  Here, not in the page, so every caller of
        `delete_data(None)` (the page, MQTT, a command line) deletes them; last, so a card that
        refuses it leaves nothing else behind.  A refusal raises StateCopiesNotDeletedError."""
        try:
            gone = delete_set_aside_states(self._data_dir)
        except OSError as exc:
            message = (
                "copies of an unreadable state file in the data folder could not be deleted: "
                + storage_reason(exc)
            )
            log.error("%s", message)
            self._report("storage", message)
            raise StateCopiesNotDeletedError(message) from exc
        if gone:
            log.info("delete everything: %s deleted", ", ".join(p.name for p in gone))

    def _expire(self, before: float) -> Expired:
        """The privacy retention (`delete_data(before)`; run by the service itself, service.retention):
        what is kept in memory goes first, so a database that refuses the deletion (its CommandError)
        leaves nothing else behind.  The tracks playing and queued carry on, without an explanation
        made before the cut-off (service.forget) from now on, and state.json is saved at once without
        them and their notes; the conductor's flips and the records of plays (service.plays) made
        before it go, and the copies of unreadable state files set aside before it (service.forget),
        and the page's mood history older than it when no page here prunes it (service.mood_history).
        Returns what went, counted."""
        explanations, picks = self._expire_in_memory(before)
        flips = self.conductor.forget_flips(before)  # not restored at start: this run is enough
        played = plays.forget(self.started_tracks, self._lock, self.player, before)  # nor these
        played += plays.forget_downloads(self.parts.downloads, before)  # their file times say when
        incidents = self.health.forget(before)  # they can name a track or a listener, with when
        self._save()  # unchanged, it is not written again
        try:
            with self._stored("data not deleted"):  # and forget what was learned from it, at once
                feedback = self._recommender.forget_before(before)
                # the set-aside copies of unreadable state files quote moods as state.json does
                copies = len(delete_set_aside_states(self._data_dir, before))
                samples, scrubbed = prune_mood_history(self._data_dir, before)  # unless a page here keeps it
        finally:
            # Whoever shows the state reads it again (the MQTT bridge republishes its retained topics,
            # whose now playing may quote an explanation expired now); once the run is over, so whoever
            # waits for it finds the feedback gone too.
            self.bus.publish(StateChanged(ts=time.time(), key="data_expired", value=before))
        self._unscrubbed(*(() if scrubbed else (str(self._data_dir / MOOD_HISTORY),)))
        return Expired(
            feedback=feedback,
            explanations=explanations,
            picks=picks,
            flips=flips,
            plays=played,
            state_copies=copies,
            mood_samples=samples,
            incidents=incidents,
        )

    def _expire_in_memory(self, before: float) -> tuple[int, int]:
        """The retention's cut-off applied to what the service keeps in memory: health's explanations
        and the notes of the picks made before `before` go, and from now on an explanation made
        before it is reported as none.  Also at start, on what was restored, before anything of it
        plays or is reported (the first run, on the retention's thread, saves and deletes the rest).
        Returns (explanations, notes) that went."""
        explanations = self.health.forget_reasons(before, self.conductor.picked.made_since)
        picks = self.conductor.picked.forget_before(before)
        self._forgotten.expire(before)
        return explanations, picks

    def _forget_moods(self) -> None:
        """What the service derived from the moods it read goes with the data: the explanations of
        the picks (kept out of every report from now on, service.forget), the mood in force and the
        filter's history (the reading ends: `_end_reading`, a capture under way is dropped), the
        conductor's flips and the plans under way.  The listener is told: the mood is unknown until
        the camera reads it again."""
        status = self._status()  # the restored track and queue too, before the player shows them
        held = [status.current, *status.queue, self._pending.values().get("now_playing")]
        kept = [i.reason for i in held if i is not None]
        self._forgotten.forget([*kept, *self.health.reasons()])
        self.health.forget_reasons()
        self._end_reading()
        self.conductor.forget_moods()

    def _fall_back_to(self, profile: str) -> None:
        """Make `profile` the listener without a plan first: the one active was deleted, and any
        listener that exists is better than one that does not (whose feedback would go nowhere).
        The queue is left to the next mood or refill."""
        self.conductor.profile = profile
        self.conductor.retry_soon()
        self._use_calibration(profile)
        log.info("the active listener was deleted; another listener is active now")  # no names
        self.bus.publish(StateChanged(ts=time.time(), key="profile", value=profile))
