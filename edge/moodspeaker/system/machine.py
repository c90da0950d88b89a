"""The machine boundaries the doctor's checks read (sysfs, /proc, /dev, environment, TPU loader,
vcgencmd), gathered in one object so tests can point every check at a fake tree instead."""

from __future__ import annotations

import importlib
import os
import shutil
import subprocess
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path


def _real_load_delegate(library: str) -> object:
    """The real Edge TPU boundary: the same call the vision runtime makes (imported lazily: heavy)."""
    interpreter = importlib.import_module("ai_edge_litert.interpreter")
    return interpreter.load_delegate(library)


def _real_vcgencmd() -> str | None:
    exe = shutil.which("vcgencmd")
    if exe is None:
        return None
    try:
        done = subprocess.run([exe, "get_throttled"], capture_output=True, text=True, timeout=5, check=False)
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip() if done.returncode == 0 else None


#: the user the service runs as (firmware/systemd/moodspeaker.service's User=; scripts/provision makes it)
SERVICE_USER = "moodspeaker"


def _alsa_configs() -> tuple[Path, ...]:
    """Where the service's ALSA default output may be set: /etc/asound.conf and the service user's
    ~/.asoundrc (the running user's where there is no service user: a speaker started by hand)."""
    home = os.path.expanduser(f"~{SERVICE_USER}")
    if home.startswith("~"):  # no such user
        home = os.path.expanduser("~")
    return (Path("/etc/asound.conf"), Path(home) / ".asoundrc")


@dataclass(frozen=True)
class Machine:
    """The boundaries the checks read; the defaults are this machine, tests point them elsewhere."""

    sysfs: Path = Path("/sys")
    proc: Path = Path("/proc")
    dev: Path = Path("/dev")
    environ: Mapping[str, str] = field(default_factory=lambda: dict(os.environ))
    load_delegate: Callable[[str], object] = _real_load_delegate
    vcgencmd: Callable[[], str | None] = _real_vcgencmd
    mqtt_timeout_s: float = 3.0
    alsa_configs: tuple[Path, ...] = field(default_factory=_alsa_configs)
