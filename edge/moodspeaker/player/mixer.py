"""The two decks on pygame's mixer: which item opens next, crossfading, cutting, a lost output.

Why a module of its own: this is the sound-producing half of the player (see `player.engine`'s
module doc for why two decks of short chunks): which item a deck opens next (a restored position
first, then the queue), when the next track starts on the other deck, and how a deck is stopped so
that an interrupted play is reported and an unheard one goes back to the queue.  Feeding the chunks
and following the channels, the same at every tick, is `player.feeder`'s (`ChunkFeeder`, which
`DeckMixer` builds on).  Transport decisions (play, pause, what a command means) stay with the
player thread (`player.loop`); everything here runs on that thread.
"""

from __future__ import annotations

import contextlib
import time
from collections.abc import Callable

import pygame

from moodspeaker.config.schema import PlayerConfig
from moodspeaker.player.deck import CHUNK_S, MIX_AHEAD, RATE, Deck, Play
from moodspeaker.player.declick import DECLICK_S
from moodspeaker.player.decode import DecodeError, open_decoder
from moodspeaker.player.device import open_output
from moodspeaker.player.feeder import MIX_SLACK, ChunkFeeder
from moodspeaker.player.fetch import AUDIO, FetchError, Prefetcher
from moodspeaker.player.hang import PlayerWatch
from moodspeaker.player.history import PlayHistory
from moodspeaker.player.lost import continued, sort_out
from moodspeaker.player.loudness import db_to_linear, gain_db
from moodspeaker.player.queue import PlayQueue, QueueItem

#: The shortest piece a crossfade's fade-out is put off by (`_maybe_crossfade`), and the shortest the
#: chunk after it is: the deck's channel holds such a piece alone once it plays, and a shorter one could
#: run out before the chunk after it is queued (a gap).
MIN_PIECE_S = 0.1
#: How long a track opened mid-track fades in at least (Play after Stop, a restored or resumed track, a
#: queued item put back at a position opened by a Next or the gapless change): as long as the ramp of
#: a resume after Pause.
START_FADE_S = DECLICK_S


class DeckMixer(ChunkFeeder):
    """Two decks on two reserved mixer channels, the next item to open, and the output volume."""

    def __init__(
        self,
        queue: PlayQueue,
        prefetch: Prefetcher,
        history: PlayHistory,
        settings: Callable[[], PlayerConfig],
        volume: float,
        *,
        watch: PlayerWatch | None = None,
    ) -> None:
        super().__init__(history, volume)
        self._queue = queue
        self._prefetch = prefetch
        self._settings = settings  # the [player] settings in force (they change while running)
        #: The item to open before the queue, at a position (restored after a restart or a lost device).
        self.resume: tuple[QueueItem, float] | None = None
        #: The play a lost device interrupted (heard, its end not announced), while it waits to resume
        #: with the device.  A command that decides its end meanwhile (Next, a switch, Stop) announces
        #: that end (`end_interrupted`); resumed, it continues (`lost.continued`): one play, announced
        #: as started once, its end counting the time heard before and after the loss.
        self.interrupted: Play | None = None
        self.watch = watch or PlayerWatch(on_stuck=lambda _item, _error: None)  # what a hang blocks in

    # ---- the output device ---------------------------------------------------------------------
    def open(self, device: str) -> None:
        """(Re)open the mixer on `device` ("" for the default); raises pygame.error."""
        if pygame.mixer.get_init():
            pygame.mixer.quit()
        open_output(device, frequency=RATE, buffer=MIX_AHEAD)  # SDL's name for it, or an ALSA one
        self.device.opened()
        self.channels.open(self.channel_volume)

    def drop(self, now: float) -> None:
        """The device is gone at monotonic time `now`: empty both decks and let go of the mixer.

        What was decided before the device went stands (the plays are sorted out by `lost.sort_out`).
        The play still going on (the one not being faded out) is resumed where it was heard when the
        device is back, the same play continuing (`resume`, `interrupted`; its end, should a command
        decide it first, is `end_interrupted`'s to announce).  A play whose end
        was already decided is over: one faded out by a Next, a switch or a crossfade, or decoded to
        its end with only its last chunks left.  Its end is announced now, skipped, cut or completed
        as decided, and it is not resumed: else the skipped track came back with the device and the
        listener's Next was undone.  An item opened but never heard (taken as the next track just as
        the device went) is put back where it came from: at the head of the queue, or as the item to
        resume when it was opened at a position (a restored one); else it would be lost."""
        left = sort_out(self.decks, self.active, now)
        for deck in self.decks:
            deck.reset()
        for play in left.over:
            self._history.ended(play)
        if left.going_on is not None:
            self.interrupted, heard_at = left.going_on
            self.resume = (self.interrupted.item, heard_at)
        for item, start_s in reversed(left.unheard):
            if start_s > 0 and self.resume is None:
                self.resume = (item, start_s)
            else:
                self._queue.push_front(item.at(start_s))
        self.channels.close()
        self.device.closed()
        with contextlib.suppress(Exception):
            pygame.mixer.quit()

    def end_interrupted(self, *, skipped: bool) -> None:
        """A command decided the end of the play the lost device interrupted (a Next: `skipped`; a
        switch or a Stop: cut) before it could resume: announce that end now, as it would have been
        announced with the device there; else the skip a Next recorded would have no play ending."""
        play, self.interrupted = self.interrupted, None
        if play is not None:
            play.completed, play.skipped = False, skipped
            self._history.ended(play)

    def shutdown(self) -> None:
        """Stop both decks (reporting what was playing, or what the lost device interrupted) and close
        the mixer."""
        self.cut_all()
        self.end_interrupted(skipped=False)
        with contextlib.suppress(Exception):
            pygame.mixer.quit()

    # ---- where playback is ---------------------------------------------------------------------
    def position(self, now: float) -> tuple[QueueItem, float] | None:
        """The item heard at monotonic time `now` and its position (else the one to resume)."""
        deck = self.decks[self.active]
        chunk = deck.playing
        if chunk is None:
            other = self.decks[1 - self.active]
            chunk, deck = other.playing, other
        if chunk is None:
            return self.resume
        return chunk.play.item, chunk.offset_s + min(chunk.dur_s, max(0.0, now - deck.chunk_started))

    def now_playing(self, now: float) -> tuple[QueueItem, float] | None:
        """`position`, or else the item opened on the active deck whose first chunk is not out yet."""
        current = self.position(now)
        opened = self.decks[self.active]
        if current is None and opened.play is not None:
            # Opened but its first chunk not out yet (the decoder failed at once, say): it is what
            # plays now; "playing" with no current track would show a title-less "Playing".
            current = (opened.play.item, opened.decoded_s)
        return current

    # ---- playing on (once per tick) -----------------------------------------------------------
    def play_on(self) -> bool:
        """Keep both decks fed, crossfade near a track's end, and start the next item when both ran
        dry.  False when nothing is left that can be played."""
        held = self.decks[self.active]
        if held.held and self.decks[1 - self.active].heard_fading():
            held.held = False  # the outgoing fade is heard now: the next track rises against it
        for deck in self.decks:
            self.feed(deck)
        self._maybe_crossfade()
        active = self.decks[self.active]
        if active.play is None and active.playing is None:
            other = self.decks[1 - self.active]
            if other.play is None and other.playing is None:
                if not self.start_next(active, 0.0):
                    return False
                self.feed(active)  # audible (and the current track) in this tick, not the next
        return True

    def start_next(self, deck: Deck, fade_in_s: float, item: QueueItem | None = None) -> bool:
        """Open the next item (or `item`) on `deck`; on failure skip to the one after. True if started.
        It fades in over `fade_in_s` (a crossfade's rise, as long as the fade-out it sums with), or,
        with none, over `START_FADE_S` when it opens past its start, whichever path opens it (Play, a
        Next or switch with no crossfade, the gapless change at a track's end, a skip past a failed
        track): at its level there, with no fade-in it began on a step from silence or from the end
        of the track before (a click).
        The item to resume comes first; it continues the play the lost device interrupted, if any.
        A queued item put back at a position (`QueueItem.start_s`) opens there; the play holds the item
        without the position, so the track heard, replayed or put back later starts from 0 again."""
        while True:
            start_s, play = 0.0, None  # play: the one it continues (else a new one)
            if item is None and self.resume is not None:
                item, start_s = self.resume
                play = continued(self.interrupted, item)
                if play is None:  # a restored item, not the interrupted play: that one is over (cut)
                    self.end_interrupted(skipped=False)
                self.resume, self.interrupted = None, None
            if item is None:
                item = self._queue.pop()
                start_s = 0.0 if item is None else item.start_s
            if item is None:
                return False
            item = item.at(0.0) if play is None else item
            upcoming = self._queue.peek()
            if upcoming is not None:
                self._prefetch.want(upcoming.track)
            try:
                with self.watch.during(item):
                    source = self._prefetch.open(item.track)
                    track, skipped = item.track, deck.skipped  # skipped: past a damaged stretch
                    decoder = open_decoder(
                        source,
                        RATE,
                        start_s=start_s,
                        name=track.title,
                        duration_s=track.duration_s,
                        on_skip=skipped,
                    )
            except (FetchError, DecodeError) as exc:
                fetched = exc.obtained if isinstance(exc, FetchError) else AUDIO
                self._history.failed(item, str(exc), missing=True, fetched=fetched)
                if play is not None:  # it cannot continue: its end (cut) is announced with what was heard
                    self._history.ended(play)
                item = None
                continue
            gain = db_to_linear(gain_db(item.track, self._settings().target_lufs))
            fade = fade_in_s if fade_in_s > 0 else (START_FADE_S if start_s > 0 else 0.0)
            deck.begin(self.watch.watched(decoder, item), item, start_s, gain, fade, play=play)
            self.active = deck.index
            return True

    # ---- changing track ------------------------------------------------------------------------
    def _maybe_crossfade(self) -> None:
        """Near the end of the active track, open the next one on the other deck, held until the
        outgoing fade-out is heard (`Deck.held`): both fades then span the same stretch.

        Decided once the fade begins within the next chunk (less `MIN_PIECE_S`), the fade-out is put
        off to the frame it begins at (`Deck.fade_out`'s `after_s`: the deck decodes up to there as a
        piece of its own, so the fading chunks, whose start releases the next track, fade from their
        first frame).  Decided at whole chunks, the crossfade ran up to a chunk (0.4 s) shorter than
        set, and one shorter than a chunk faded the outgoing track over a whole chunk: it ended
        partway down its ramp, a step, while the next track had barely risen (the level summed fell
        to half a track's or less).  A track shorter than the crossfade fades over its rest; a fade
        put off by less than `MIN_PIECE_S` starts at once (the crossfade up to that much longer)."""
        fade = self._settings().crossfade_s
        deck = self.decks[self.active]
        if fade <= 0 or deck.decoder is None or deck.play is None or deck.env_stop_at_zero or deck.held:
            return
        duration = deck.decoder.duration_s
        left = duration - deck.decoded_s
        if duration <= 0 or left > fade + CHUNK_S - MIN_PIECE_S:
            return
        if self._queue.peek() is None and self.resume is None:
            return
        if left <= 0:  # decoded past its stated length: what is left of it is unknown
            length, after = CHUNK_S, 0.0
        elif left - fade >= MIN_PIECE_S:
            length, after = fade, left - fade
        else:  # the rest of a track shorter than the crossfade, or a fade put off by too little
            length, after = left, 0.0
        deck.fade_out(length, after_s=after)
        other = self.decks[1 - deck.index]
        self._stop(other, soft=True)  # the tail of an earlier fade: it ends as decided then
        other.held = self.start_next(other, length)
        deck.play.completed = True

    def switch(self, item: QueueItem | None, fade: float, *, skipped: bool) -> None:
        """While playing: start `item` (else the next one), crossfading over `fade` seconds (0: cut).

        The change is about the play heard, the one the status shows as current (`_heard`): only
        that one ends as the command says (skipped by a Next, else cut).  Every other play sounding
        ends as was decided before: a track a crossfade or an earlier switch is fading out was
        completed, skipped or cut then, and a later Next must not turn it into a skip the listener
        never gave.  In the gap of a gapless change (the deck has opened the next track while the
        last chunk of the one heard still plays, `Deck.in_gap`) the track heard is cut: a fade cannot reach
        chunks already handed to the mixer, and at most 0.8 s of it is left.  The track opened after
        it was never heard: it goes back to the head of the queue, so a Next plays it from its start
        (fading in); a fade of the whole deck would fade it out instead, announced as skipped.  Unless
        it is the repeat of the track skipped (`QueueItem.again`): a Next moves on from that track.
        A track shown as current whose first chunk is not out yet (`now_playing`: opened in place of
        one that failed to decode) is what a Next skips: it does not go back to the queue.
        While a crossfade holds its next track (`Deck.held`) the track heard is not stopped: it fades
        from the level heard as the item opened rises (`fade_out_held`), the level summed kept."""
        current = self.decks[self.active]
        other = self.decks[1 - self.active]
        heard = self._heard()
        if heard is not None:
            heard.completed, heard.skipped = False, skipped
        gap, held = current.in_gap(), current.held  # held: a crossfade's next track, unheard yet
        if held and fade > 0:  # the track heard, on the other deck, fades from its level (not stopped)
            self._stop(current, soft=True)  # the held track is unheard: back to the queue, reopened
            if skipped and heard is not None:
                self._queue.drop_again(heard.item.track.id)
            fade = self.fade_out_held(other, fade, time.monotonic())  # the next track rises as long
            if self.start_next(current, fade, item):  # it rises as the track heard falls: no dip
                self.decks[self.active].lead = MIX_SLACK
            self.feed(self.decks[self.active])
            return
        self._stop(other, soft=True)  # a fading tail (a Next mid-crossfade) ramps down, no click
        fading = fade > 0 and current.playing is not None and not gap
        if not fading:  # shown as current before its first chunk was out, it is skipped too (not put back)
            unheard = heard if heard is not None and not heard.started else None
            self._stop(current, skipped=unheard if skipped else None, soft=True)
        if skipped and heard is not None:  # a Next moves on from a track on repeat: its repeat goes,
            self._queue.drop_again(heard.item.track.id)  # also one opened in the gap (back in the queue)
        if fading:
            self.fade_out_heard(current, fade, time.monotonic())
            if self.start_next(other, fade, item):  # silent up to where the fade-out is written
                self.decks[self.active].lead = MIX_SLACK
        else:
            self.start_next(current, fade if gap or held else 0.0, item)
        self.feed(self.decks[self.active])  # audible at once, not at the next tick

    def _heard(self) -> Play | None:
        """The play the status shows as current (`now_playing`): the one whose chunk is heard, else
        the one the active deck decodes (its next chunk not out yet on a busy machine, or none yet:
        opened in place of a track that failed to decode)."""
        chunk = self.decks[self.active].playing or self.decks[1 - self.active].playing
        return chunk.play if chunk is not None else self.decks[self.active].play

    def start_over(self) -> bool:
        """From stopped: empty the active deck and open the next item on it. False if there is none.
        Opened mid-track (where Stop left it, restored after a restart, back with a lost device), it
        fades in over `START_FADE_S` (`start_next`), as Play after Pause ramps up
        (`declick.VolumeRamp`).  From its start it is the track's own."""
        deck = self.decks[self.active]
        self.cut(deck, completed=False, skipped=False)
        return self.start_next(deck, 0.0)

    def cut_all(self, *, soft: bool = False) -> None:
        for deck in self.decks:
            self.cut(deck, completed=False, skipped=False, soft=soft)

    def cut(self, deck: Deck, *, completed: bool, skipped: bool, soft: bool = False) -> None:
        """Stop a deck now (`soft`: ramped down, see `_stop`); the interrupted plays are reported (as
        `completed`, `skipped`), an unstarted one goes back to the queue."""
        for play in deck.plays():
            play.completed, play.skipped = completed, skipped
        self._stop(deck, soft=soft)

    def _stop(self, deck: Deck, *, skipped: Play | None = None, soft: bool = False) -> None:
        """Stop a deck now; its plays are reported as their end was decided, an unstarted one goes
        back to the queue, at the position it was opened at (a restored track resumes there), unless
        it is the play a Next skipped (`skipped`).  `soft` (a change while playing): its channel
        ramps down (`declick`; a step clicked, e.g. a crossfade's tail a Next cut short) and the deck
        goes on at once on a spare channel."""
        chunk, now = deck.playing, time.monotonic()
        elapsed = 0.0 if chunk is None else min(chunk.dur_s, max(0.0, now - deck.chunk_started))
        if deck.index < len(self.channels):  # left_s: whether the chunk playing ends within a ramp
            with contextlib.suppress(Exception):
                left_s = None if chunk is None else chunk.dur_s - elapsed
                self.channels.stop(deck.index, soft=soft, volume=self.channel_volume, left_s=left_s)
        plays = deck.plays()
        if chunk is not None:
            chunk.play.played_s += elapsed
        for play in plays:
            if play.started:
                self._history.ended(play)
            elif play is not skipped:  # opened but never heard: it is still next
                self._queue.push_front(play.item.at(play.from_s))
        deck.reset()
