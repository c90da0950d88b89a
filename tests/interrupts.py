"""Start a command the way a terminal would, so a Ctrl-C (SIGINT) reaches it as a KeyboardInterrupt.

Why: a shell starts background jobs (`make test &`, `nohup ... &`, some CI runners) with SIGINT ignored,
every child inherits that, and Python installs no KeyboardInterrupt handler when SIGINT is ignored at
its start: a test that sends SIGINT then waits forever for a command that never sees it.  The child here
gets SIGINT's default back before it starts, as from an interactive terminal, in a session of its own so
the test can signal its whole process group (workers included).
"""

from __future__ import annotations

import signal
import subprocess
from collections.abc import Sequence


def _sigint_as_in_a_terminal() -> None:
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def start_interruptible(cmd: Sequence[str]) -> subprocess.Popen[str]:
    return subprocess.Popen(
        list(cmd),
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        start_new_session=True,
        preexec_fn=_sigint_as_in_a_terminal,  # noqa: PLW1509  (single-threaded at this point in the test)
    )
