"""The demo's audio probe (commands.demo._audio) keeps ALSA's own lines off stderr without hiding
anything else written there meanwhile.

Why: the probe sent file descriptor 2 to /dev/null while SDL tried the output, to keep libasound's
"ALSA lib ..." lines out; that also swallowed every other thread's log line during the probe.
system.alsa.quiet_alsa (called first) now silences libasound itself, so the redirect is gone.  Real
pygame and SDL in a fresh process with no SDL_AUDIODRIVER, as `moodspeaker demo` probes; pygame's
mixer.init is wrapped so that another thread logs a line, to the real stderr, while the probe runs,
and then opens the output as before.
"""

from __future__ import annotations

import os
import subprocess
import sys

import pytest

LINE = "another thread: said while the demo probes the audio output"

PROBE = f"""
import logging, sys, threading
import pygame
from moodspeaker.commands import demo

logging.basicConfig(stream=sys.stderr, format="%(message)s")
real_init = pygame.mixer.init

def init(*args, **kwargs):
    other = threading.Thread(target=logging.getLogger("elsewhere").warning, args=({LINE!r},))
    other.start()
    other.join()
    return real_init(*args, **kwargs)

pygame.mixer.init = init
print("audio:", demo._audio(""))
"""


@pytest.mark.timeout(120)
def test_the_audio_probe_hides_no_other_line_and_no_alsa_line_shows() -> None:
    env = {k: v for k, v in os.environ.items() if k != "SDL_AUDIODRIVER"}  # the probe's real path
    env["PYGAME_HIDE_SUPPORT_PROMPT"] = "1"
    res = subprocess.run(
        [sys.executable, "-c", PROBE], env=env, capture_output=True, text=True, timeout=100, check=False
    )
    assert res.returncode == 0, res.stdout + res.stderr
    assert res.stdout.startswith("audio: "), res.stdout
    assert LINE in res.stderr, res.stderr  # lost in /dev/null before
    assert "ALSA lib" not in res.stderr, res.stderr  # what the redirect was for stays off stderr
