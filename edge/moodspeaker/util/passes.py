"""A pass made every few seconds on a thread of its own, until told to stop: how the running speaker
follows its config file (service.file_settings) and answers `moodspeaker privacy` (service.privacy_desk).

On a thread of its own, not in the runner's main loop: a pass can wait on storage or on a lock a page
save holds, and the main loop's watchdog pings must not.  A pass that raises is logged and the next
one is made all the same (a bug in one pass does not end the following)."""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable

log = logging.getLogger(__name__)


def every(
    stop: threading.Event, every_s: float, step: Callable[[], object], name: str, what: str
) -> threading.Thread:
    """Call `step` every `every_s` seconds until `stop` is set, on a daemon thread named `name` (it
    is returned, started, to be joined); a failed pass is logged as "`what` failed"."""

    def loop() -> None:
        while not stop.wait(every_s):
            try:
                step()
            except Exception:
                log.exception("%s failed", what)

    thread = threading.Thread(target=loop, name=name, daemon=True)
    thread.start()
    return thread
