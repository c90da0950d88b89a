"""A guard against test files that leave a service running (loaded by the root conftest.py).

After the last test of each test file (its module fixtures torn down too), a thread of the service or
its faces (the player, housekeeping, feedback, retention, watchdog, inference, rescan, MQTT, page
history, library server threads) that was started during the file and is still alive is reported
with a warning on that test (in the run's warnings summary), naming the file and the threads.  Why:
a real service left running in pytest's process (its player on pygame's mixer) crashed a later test's
service in CI (a segfault), and each one left keeps its whole appliance, decoded audio and databases
for the rest of the suite.  A warning, not a failure: some leaks depend on timing (a player thread
that outlives its close() on a busy machine), and a guard must not turn a green run red at random.
Threads that are ending get GRACE_S to end first; threads named otherwise (a stuck step a test
abandons on purpose) are not judged.
"""

from __future__ import annotations

import re
import threading
import time
import warnings

import pytest

#: the names the service's threads are started with (edge/moodspeaker, web-config/moodspeaker_web)
SERVICE_THREADS = re.compile(
    r"player|housekeeping|feedback|retention|rescan|web-history|mqtt-bridge|mqtt-commands|library-server"
    r"|watchdog-.+|inference-\d+"
)
GRACE_S = 10.0


class LeftRunning(pytest.PytestWarning):
    """A test file left a service's threads running."""


#: the service threads alive when each test file's first test was set up, by file
_before: dict[str, set[threading.Thread]] = {}


def service_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if SERVICE_THREADS.fullmatch(t.name)}


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_setup(item: pytest.Item) -> None:
    _before.setdefault(str(item.path), service_threads())


@pytest.hookimpl(trylast=True)
def pytest_runtest_teardown(item: pytest.Item, nextitem: pytest.Item | None) -> None:
    if nextitem is not None and nextitem.path == item.path:
        return
    started = service_threads() - _before.pop(str(item.path), set())
    deadline = time.monotonic() + GRACE_S
    for thread in started:
        thread.join(max(0.0, deadline - time.monotonic()))
    left = sorted(t.name for t in started if t.is_alive())
    if left:
        warnings.warn(
            LeftRunning(
                f"{item.path.name} left service threads running after its tests: {', '.join(left)}; "
                "stop what the tests start (Appliance.stop(), the page app's close(), the bridge's stop())"
            ),
            stacklevel=1,
        )
