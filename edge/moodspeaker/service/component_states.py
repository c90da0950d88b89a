"""The states a part of the speaker is reported in (health's `components`), declared once.

Why one declaration: the Health tab draws each state as a badge of its meaning (the page's
`badge-<state>` styles), MQTT's audio topic and Home Assistant's "Audio output" sensor read the
player's, and the tests check that every state has a style.  A state written as a bare string at
the place that sets it showed as the grey badge of a state nobody knows, and nothing failed.  So
`Health.set_state` takes only a `ComponentState`, and each state says what it means to the owner
(`Meaning`, `MEANINGS`), which is how the page groups the badges' colours.
"""

from __future__ import annotations

from collections.abc import Mapping
from enum import StrEnum
from typing import Final


class Meaning(StrEnum):
    """What a state means to the owner of the speaker: one badge look each on the Health tab."""

    GOOD = "good"
    """The part does its job."""
    ON_ITS_WAY = "on its way"
    """The part is being opened or connected; nothing to do yet."""
    WARNING = "warning"
    """The part works, but not as asked or not wholly."""
    ERROR = "error"
    """The part does not do its job (it may come back by itself)."""
    ALARM = "alarm"
    """Only a restart of the service helps."""
    IDLE = "idle"
    """Idle on purpose or for good: nothing to act on."""


class ComponentState(StrEnum):
    """A part's state as health records it and the page, MQTT's stats and the `health` command show it
    (the string value, plain in health's snapshot).  Who sets each is said at the member."""

    OK = "ok"
    """Good: working (every part)."""
    STARTING = "starting"
    """On its way: the audio output being opened for the first time (player loop)."""
    CONNECTING = "connecting"
    """On its way: the MQTT broker being connected to (runner)."""
    FALLBACK = "fallback"
    """Warning: the CPU runs the classifier instead of the Edge TPU asked for (health.tpu_state)."""
    EMPTY = "empty"
    """Warning: no tracks (library) or nothing the recommender may offer (plans)."""
    MISSING = "missing"
    """Warning: a music folder whose tracks are indexed is gone or left empty, or a queued track's file
    could not be opened (library: health.library_state, the feedback on a missing track)."""
    RETRYING = "retrying"
    """Warning: a live camera dropped out and is reopened with back-off (inference)."""
    ERROR = "error"
    """Error: the part failed (camera, vision, storage, recommender, web, broker, gpio)."""
    LOST = "lost"
    """Error: the audio output device is gone; retried with back-off (player loop)."""
    DISCONNECTED = "disconnected"
    """Error: the MQTT broker connection is down; reconnected by itself (runner)."""
    STUCK = "stuck"
    """Alarm: the player thread hangs in a call its watcher could not end (player.hang)."""
    OFF = "off"
    """Idle: switched off (camera by the privacy switch, tpu, web, broker, recommender's strategy)."""
    ENDED = "ended"
    """Idle: a replayed frame source has no more frames (inference)."""


#: Each state's meaning (every state has one: tests/web/test_badge_states checks it).
MEANINGS: Final[Mapping[ComponentState, Meaning]] = {
    ComponentState.OK: Meaning.GOOD,
    ComponentState.STARTING: Meaning.ON_ITS_WAY,
    ComponentState.CONNECTING: Meaning.ON_ITS_WAY,
    ComponentState.FALLBACK: Meaning.WARNING,
    ComponentState.EMPTY: Meaning.WARNING,
    ComponentState.MISSING: Meaning.WARNING,
    ComponentState.RETRYING: Meaning.WARNING,
    ComponentState.ERROR: Meaning.ERROR,
    ComponentState.LOST: Meaning.ERROR,
    ComponentState.DISCONNECTED: Meaning.ERROR,
    ComponentState.STUCK: Meaning.ALARM,
    ComponentState.OFF: Meaning.IDLE,
    ComponentState.ENDED: Meaning.IDLE,
}

#: What `Health.state_of` says of a part that was never set, and the page's badge for an entry without
#: a state: not a state a part is put in (so not a ComponentState), and it has no style of its own
#: (the plain grey badge).
UNKNOWN: Final = "unknown"


def by_meaning() -> dict[Meaning, tuple[ComponentState, ...]]:
    """The states of each meaning, in declaration order (the page's badge groups)."""
    return {meaning: tuple(s for s in ComponentState if MEANINGS[s] is meaning) for meaning in Meaning}
