"""What listeners asked of the music playing now: "calmer" or "livelier" (the Tell box, the `steer`
command).  Per profile, how far its plans move their aim along arousal (`targets.steered`).

Why not a dislike: asking for calmer music says nothing against the track playing (it may be a calm
one already), so nothing is recorded against it; the request moves the aim of the next picks instead.
Requests in a row add up (two "calmer" go twice as far, "livelier" after "calmer" takes it back), at
most STEER_MAX either way.  A request lasts as long as the mood it was made in: a new mood (read by
the camera or told) is a new situation, and its plans aim where the strategy says again.  The mood is
the room's, so a plan for any listener in another mood ends every request made in the mood before
(Kim's "calmer" when happy does not come back when she does, after the mood went sad and happy again
while Bo listened).  It does not end with a switch of listener: it is Kim's, and never aims Bo's
plans; nor after a time: a mood that lasts is the same situation.  Kept in
memory only (a restart forgets it), like the mood itself.  Not thread-safe: the Recommender's lock
guards it.
"""

from __future__ import annotations

from moodspeaker.recommend.targets import STEER_MAX


class Steers:
    """By profile: the mood a request was made in and how far the aim moves (below 0: calmer)."""

    def __init__(self) -> None:
        self._asked: dict[str, tuple[str, float]] = {}

    def add(self, profile: str, mood: str, by: float) -> float:
        """`profile` asked in `mood` for music `by` further along arousal; returns the move now in
        force (what was asked before in the same mood, plus `by`, within STEER_MAX)."""
        before = self.now(profile, mood)
        total = round(min(STEER_MAX, max(-STEER_MAX, before + by)), 6)
        if total:
            self._asked[profile] = (mood, total)
        else:
            self._asked.pop(profile, None)
        return total

    def now(self, profile: str, mood: str) -> float:
        """The move in force for `profile`'s plans in `mood`: 0 when none was asked, or when it was
        asked in another mood (which has ended: the requests made in it, anyone's, are forgotten)."""
        if any(asked[0] != mood for asked in self._asked.values()):
            self._asked = {p: asked for p, asked in self._asked.items() if asked[0] == mood}
        asked = self._asked.get(profile)
        return 0.0 if asked is None else asked[1]

    def forget(self, profile: str) -> None:
        """The profile was deleted."""
        self._asked.pop(profile, None)
