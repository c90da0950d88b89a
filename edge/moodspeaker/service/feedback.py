"""The feedback the Appliance records by itself, from what the player reports.

Why a module of its own: a listener's commands write their feedback before they answer
(`service.playback`), but most evidence arrives on its own: a track played to the end (with a
listener in view, or left running to an empty room), a track skipped, a track that could not be
opened (an unplugged disk).  Those are recorded here, in a writer thread of their own so the player
thread never waits on the disk; what is still queued is written before shutdown completes, and
dropped by "delete everything", with what a play that ends while it runs gives
(`ApplianceCore._dropping_feedback`: evidence from before it, naming a listener it may delete).
The same evidence keeps health's `library` true between rescans: a track that cannot be opened (a
disk, or a library server out of reach, cleared once that server's track plays), and tracks that
appeared without a rescan (a mirror synced by hand), noticed at the periodic health report.
A row refused because its listener's profile is gone (deleted by another program) is said once and
the speaker carries on with a listener who exists (`_listener_gone`).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from pathlib import Path

from moodspeaker.library.track import artist_title
from moodspeaker.player.fetch import Got, Obtained
from moodspeaker.player.queue import QueueItem
from moodspeaker.recommend.profiles import ProfileError
from moodspeaker.service.component_states import ComponentState
from moodspeaker.service.core import ApplianceCore
from moodspeaker.service.events import Event, HealthReport, TrackEnded, TrackStarted
from moodspeaker.service.file_seen import file_seen
from moodspeaker.service.health import library_state

log = logging.getLogger(__name__)


def _server_trouble(server: str, fetched: Obtained) -> str:
    """Why a library server's track could not be played, as health says it (no track named)."""
    got, said = fetched.got, fetched.said
    if got is Got.AUDIO:
        return f"the download from library server {server} is damaged or not audio (its file there?)"
    if got is Got.GONE:
        return f"library server {server} has no such track any more ({said}): rescan (its library too)"
    if got is Got.REFUSED:
        return f"library server {server} refused the download ({said})"
    if got is Got.CUT_SHORT:
        return f"the download from library server {server} was cut short (it resumes at the next try)"
    if got is Got.TOO_LARGE:
        return f"the track on library server {server} is too large: over {said}"
    return f"library server {server} unreachable? (its tracks play again once it is back)"


def ended_kind(event: TrackEnded, *, camera: bool, face: bool) -> str:
    """The feedback a play's end is evidence of ("" for none): a skip, or a track played to the end,
    which with the camera on but nobody in view (`face` False) means the queue was just left running,
    weaker evidence than a listener who stayed for the whole track."""
    kind = "skip" if event.skipped else ""
    if event.completed:
        kind = "left_running" if camera and not face else "completed"
    return kind


class FeedbackRecording(ApplianceCore):
    """Turns TrackStarted/TrackEnded and unopenable tracks into recorded feedback (module doc)."""

    #: what the last health report read of the library (`_library_followed`): the feature matrix's
    #: ids (the very list: a new one once the library changed) and the music folders, each with
    #: whether it was there; only the housekeeping thread reads and sets it
    _library_seen: tuple[list[str], tuple[tuple[str, bool], ...]] | None = None
    #: what health's library last said of a library server's failure (`_server_missing`: the server
    #: and the reason, no track), warned of then; only the player thread reads and sets it
    _server_warned = ""

    def _on_event(self, event: Event) -> None:
        if isinstance(event, TrackStarted):
            self.started_tracks.append((time.monotonic(), event.track_id))
            self._recorded_skips.started(event.track_id)
            self.health.reason(event.track_id, event.title, event.reason)
            self._server_back(event.source)
        elif isinstance(event, HealthReport):
            self._library_followed()
        elif isinstance(event, TrackEnded):
            if self._recorded_skips.ended(event.track_id):
                return  # the command that skipped this play recorded it already
            since = self._feedback_since()  # first: a deletion from now on drops the row
            mood, profile = self._current_mood(), self.conductor.profile
            kind = ended_kind(event, camera=self.stage.enabled, face=mood.face)
            if kind:
                self._queue_feedback(
                    self._naming(
                        profile,
                        lambda: self._recommender.feedback(
                            profile, event.track_id, kind, mood, event.ts, played_s=event.played_s
                        ),
                    ),
                    since,
                )

    def _on_missing(self, item: QueueItem, error: str, fetched: Obtained) -> None:
        """A queued track could not be opened (file gone, server down or answering no such track, no
        audio decoded: `fetched`, player.history.OnMissing): the recommender keeps it out of the plans
        for a while ("missing" says nothing about taste).  On the player thread."""
        # The file as it was when the track failed (a rescan lifts the mark once a file is there that
        # was not, or another file: service.file_seen), looked at now: the player has just looked for
        # it (player.fetch) or opened it, so this costs what that did.  Looked at when the writer
        # thread wrote the mark, a disk back meanwhile made a file not found read as there, unchanged,
        # and no rescan lifted the mark: a good track held back for the feedback horizon.
        seen = file_seen(item.track.location) if "://" not in item.track.source else None
        # Health says so too (page, MQTT), with the file: an unplugged disk is reported once as the
        # library's problem, not only as one skipped-track line per track; a rescan resets it.
        if "://" not in item.track.source:  # a file of this speaker's, not "lan:<url>", "subsonic:<url>"
            self._local_missing(error)
        else:
            named = artist_title(item.track.title, item.track.artist) or item.track.id
            self._server_missing(item.track.source, error, fetched, named)
        since = self._feedback_since()  # before the listener: a deletion from now on drops the row
        mood, profile, track, ts = self._current_mood(), self.conductor.profile, item.track, time.time()

        def record() -> None:
            self._recommender.feedback(profile, track.id, "missing", mood, ts, seen=seen)

        self._queue_feedback(self._naming(profile, record), since)

    def _naming(self, profile: str, write: Callable[[], None]) -> Callable[[], None]:
        """`write`, a row naming the listener `profile`, as the writer thread runs it: refused because
        that profile is gone (ProfileError), it is `_listener_gone`'s to say, not an error each time."""

        def guarded() -> None:
            try:
                write()
            except ProfileError as exc:
                self._listener_gone(profile, exc)

        return guarded

    def _listener_gone(self, profile: str, exc: ProfileError) -> None:
        """A row naming `profile` was refused: there is no such profile.  The service's own deletion
        and switches never leave a deleted listener active (service.listeners, `_listener_changes`),
        but another program on the same feedback database can delete it (a second process, sqlite3 by
        hand); every track's end then failed, logged as an error with its traceback and added to
        health's incidents, without end.  Said once (a warning and an incident naming it) while
        `profile` is the active listener, who is replaced (`_replace_listener`, as a switch does) by
        the configured start profile if it exists, else the first configured listener who does, else
        the first profile there is (else the start profile, made again).  The rows of `profile`
        queued meanwhile are dropped, logged only."""
        if self.conductor.profile != profile:  # replaced by an earlier row's fallback, or a switch
            log.info("a row of a deleted listener's profile dropped; another listener is active now")
            return
        profiles = self._recommender.profiles()
        if profile in profiles:  # made again since: the listener exists, this row is lost
            log.warning("a row of a listener's profile was refused: it was deleted and made again since")
            return
        recommend = self.config.recommend
        instead = next((p for p in (recommend.profile, *recommend.profiles) if p in profiles), "")
        if not instead:
            instead = profiles[0] if profiles else recommend.profile
        if instead not in profiles:
            self._recommender.create_profile(instead, time.time())
        message = f"{exc}: the profile was deleted by another program; the listener is {instead!r} now"
        # the page's incident names them; the journal, which outlives "delete everything", does not
        log.warning(
            "the active listener's profile was deleted by another program; another listener is active now"
        )
        self._report("recommender", message)
        self._replace_listener(profile, instead)

    def _local_missing(self, error: str) -> None:
        """A file of a music folder could not be opened: a disk to plug back in, or a file to put
        back or replace (a damaged one: service.file_seen), and a rescan."""
        hint = "disk unplugged, files moved or damaged? (rescan once they are back or replaced)"
        detail = f"cannot open {error}; {hint}"
        first = self.health.state_of("library") != ComponentState.MISSING
        # (a deletion of the listening data keeps the state, not which track was to play: Health.forget)
        redacted = f"a track could not be opened; {hint}"
        self.health.set_state("library", ComponentState.MISSING, detail, redacted=redacted)
        if first:
            log.warning("library: %s", detail)
            self._report("library", detail)

    def _server_missing(self, source: str, error: str, fetched: Obtained, named: str) -> None:
        """A library server's track (`named` as a log names it; `source` "lan:<url>") could not be
        played, for the reason `fetched` gives (player.fetch.Obtained): the server off or out of
        reach, no disk of the speaker's; or it answered, so saying "unreachable?" sent the owner to
        check a server that works: no such track any more (a 404: a rescan), another refusal, a
        download cut short, one too large, or a download that arrived and held no audio that could be
        decoded.  Said with the server, and over once a track of that server plays again
        (`_server_back`) or a rescan sets the library's state.  Warned of when the server or the
        reason changes, not at each track.  A folder's problem already shown stays shown: it needs a
        rescan, this clears by itself."""
        state, cause = self.health.state_of("library"), self.health.cause_of("library")
        if state == ComponentState.MISSING and not cause:
            return
        server = source.partition(":")[2] or source
        note = _server_trouble(server, fetched)
        if fetched.got is Got.AUDIO:
            detail = f"cannot decode the download of {named} ({error}); {note}"
            redacted = f"a track could not be decoded; {note}"
        else:
            detail, redacted = f"cannot download {error}; {note}", f"a track could not be downloaded; {note}"
        self.health.set_state("library", ComponentState.MISSING, detail, redacted=redacted, cause=source)
        if cause != source or note != self._server_warned:
            self._server_warned = note
            log.warning("library: %s", detail)
            self._report("library", detail)

    def _server_back(self, source: str) -> None:
        """A track of `source` started: the library's state set when that server was out of reach
        is over; it says what a rescan would (the count, a folder gone)."""
        if "://" not in source or self.health.cause_of("library") != source:
            return
        state = library_state(self._recommender.source, self.config.library.folders)
        self.health.set_state("library", *state)
        log.info("library: %s is back", source)

    def _library_followed(self) -> None:
        """At each periodic health report (housekeeping): the library's state and count follow the
        index.  `moodspeaker library sync URL` or a scan run by hand changes the index (or the mirror)
        the service reads, which plans from those tracks at once, without a rescan of the service's to
        set the state: "empty", or the old count, stayed until the next one.  Only from "empty" or
        "ok": a "missing" (a file that could not be opened, a server out of reach) is for a rescan or
        a track of that server playing to clear.  And only if no state was set since this report
        began reading (`Health.set_state`'s `unset_since`): a rescan's state set meanwhile, with a
        newer count, stays.

        Cheap when nothing changed, as it runs every HEALTH_INTERVAL_S on the thread that also
        refills and saves, over libraries of tens of thousands of tracks: the count is the length of
        the feature matrix's ids, which the index (and `Libraries`) keep, rebuilt only when a change
        counter moves, and the same list object until then; while it is the same one and the music
        folders are where they were, the state is the one worked out last time (library_state's
        queries and the track list are skipped)."""
        library = self._recommender.source
        sets = self.health.sets_of("library")  # before the library is read (see set_state)
        ids, _ = library.feature_matrix()
        folders = tuple((f, Path(f).expanduser().is_dir()) for f in self.config.library.folders)
        seen = self._library_seen
        if seen is not None and seen[0] is ids and seen[1] == folders:
            return
        self._library_seen = (ids, folders)
        state = library_state(library, self.config.library.folders, ids)
        ok = (ComponentState.EMPTY, ComponentState.OK)
        if self.health.set_state("library", *state, replacing=ok, unset_since=sets):
            log.info("library: %s (found at a health report: synced or scanned by hand?)", state[1])

    def _feedback_pending(self) -> bool:
        """Feedback queued but not written yet.  A refill waits for it (a tick): the track that just
        ended counts as recently played only once its play is recorded, and planned before that it
        could come straight back (in a small library it is the one heard longest ago before)."""
        return self._feedback.unfinished_tasks > 0

    def _feedback_loop(self) -> None:
        while True:
            job = self._feedback.get()
            if job is None:
                return
            try:
                job()
            except Exception as exc:
                log.exception("recording feedback failed")
                self._report("recommender", f"could not record feedback: {exc}")
            finally:
                self._feedback.task_done()
