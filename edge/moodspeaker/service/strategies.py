"""The Appliance's strategy commands: the active listener's choice (the Now tab's picker, MQTT, the
tell box) and the household default (`recommend.strategy`) changed while the speaker runs.

Kept apart from service.listeners (profiles, calibration, data), whose ListenerCommands builds on it.
A choice is planned with first, then stored, then active, as a switch of listener is: a failure is a
refusal naming it, with the strategy, the queue and the playing track as they were.
"""

from __future__ import annotations

import logging
import sqlite3
import time
from collections.abc import Callable

from moodspeaker.service.control import CommandError
from moodspeaker.service.core import ApplianceCore
from moodspeaker.service.events import StateChanged
from moodspeaker.service.plans import storage_reason

log = logging.getLogger(__name__)


class _SwitchedMeanwhile(Exception):  # noqa: N818  (a switch came first, not a failure)
    """The listener changed while the new default strategy was planned for the previous one."""


class StrategyCommands(ApplianceCore):
    """The active listener's strategy and the household default (see the module doc)."""

    def set_strategy(self, strategy: str) -> None:
        """The active listener's choice, kept with their profile.  Planned with first, then stored,
        then active: a failure at either step is a refusal naming it, with the strategy, the queue
        and the playing track as they were."""

        def store() -> None:
            self._recommender.set_strategy(self.conductor.profile, strategy)

        self._change_strategy(strategy, store)

    def _follow_default_strategy(self, strategy: str) -> None:
        """`recommend.strategy`, the household default, changed while running (Settings, `config
        set`): profiles that never chose their own follow `strategy` from now on, and the active
        listener, when theirs is the default, plays with it at once, planned as the Now tab's picker
        plans a choice (`set_strategy`), but not stored with their profile: they keep following the
        default.  A listener who chose their own keeps it.  When it cannot be planned now (or the
        profile database cannot be read), that is reported and the active listener keeps the strategy
        they had until the next switch or start; the default is changed all the same."""
        self._recommender.set_default_strategy(strategy)
        profile = self.conductor.profile
        try:
            follows = self.conductor.strategy_of(profile)
        except (sqlite3.Error, OSError) as exc:
            self._report("recommender", f"default strategy {strategy!r} not used now: {storage_reason(exc)}")
            return
        if follows == self.conductor.strategy:  # their own choice, or the default already
            return

        def still_theirs() -> None:  # nothing stored: they follow the default; a switch meanwhile
            if self.conductor.profile != profile:  # took the new listener's, the new default too
                raise _SwitchedMeanwhile

        try:
            self._change_strategy(follows, still_theirs)
        except _SwitchedMeanwhile:
            pass
        except CommandError as exc:  # said in health already (_planned, _stored)
            log.warning("the default strategy %r is not in use yet: %s", follows, exc)

    def _change_strategy(self, strategy: str, store: Callable[[], None]) -> None:
        """Plan with `strategy`, `store()` it, make it active (set_strategy; refusals name the step)."""
        what = f"strategy not changed to {strategy!r}"
        # No save in between with the new strategy and the previous queue (`_saving`); under way
        # (for a Play this switch overtakes: service.switches) until its queue is in effect.
        with self._switches.under_way(), self._saving:
            with self._stored(what), self._planned(what):
                queued = self.conductor.change_strategy(self._current_mood, strategy, store)
            if queued is not None:  # the answer and the state saved: the new queue (or it pending)
                self._player_applied("queue", queued)
            self._save()
        self.bus.publish(StateChanged(ts=time.time(), key="strategy", value=strategy))
