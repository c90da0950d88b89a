"""The machine the doctor's checks read, pointed at a prepared folder (sysfs, /proc, /dev) instead of
this machine's; and one whose sound cards are a fake /proc/asound/cards while SDL opens devices
through its real ALSA driver on a fake ALSA configuration (the doctor's audio tests)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from moodspeaker.system.machine import Machine


def make_machine(tmp_path: Path, **kw: object) -> Machine:
    for part in ("sys", "proc", "dev"):
        (tmp_path / part).mkdir(exist_ok=True)
    defaults: dict[str, Any] = {
        "sysfs": tmp_path / "sys",
        "proc": tmp_path / "proc",
        "dev": tmp_path / "dev",
        "environ": {},
        "vcgencmd": lambda: None,
        "mqtt_timeout_s": 30.0,  # a real local broker's answer: generous for a loaded machine
        # where ALSA's default output may be set (the doctor reads them): none written unless a test does
        "alsa_configs": (tmp_path / "etc" / "asound.conf", tmp_path / "service-home" / ".asoundrc"),
    }
    defaults.update(kw)
    return Machine(**defaults)


#: /proc/asound/cards of a Pi 4 with a HiFiBerry DAC HAT: the jack, the DAC and HDMI
PI_WITH_DAC_CARDS = (
    " 0 [Headphones     ]: bcm2835_headpho - bcm2835 Headphones\n"
    "                      bcm2835 Headphones\n"
    " 1 [sndrpihifiberry]: simple-card - snd_rpi_hifiberry_dac\n"
    "                      snd_rpi_hifiberry_dac\n"
    " 2 [vc4hdmi0       ]: vc4-hdmi - vc4-hdmi-0\n"
    "                      vc4-hdmi-0\n"
)

#: /proc/asound/cards of a stock Pi 4: the headphone jack and the two HDMI outputs, no DAC
PI4_STOCK_CARDS = (
    " 0 [Headphones     ]: bcm2835_headpho - bcm2835 Headphones\n"
    "                      bcm2835 Headphones\n"
    " 1 [vc4hdmi0       ]: vc4-hdmi - vc4-hdmi-0\n"
    "                      vc4-hdmi-0\n"
    " 2 [vc4hdmi1       ]: vc4-hdmi - vc4-hdmi-1\n"
    "                      vc4-hdmi-1\n"
)


def alsa_machine(tmp_path: Path, cards: str) -> Machine:
    """A machine whose /proc/asound/cards reads `cards` and whose SDL opens devices through its real
    ALSA driver on a fake ALSA configuration (a null default and a null `fakedac`, in ~/.asoundrc
    under a temporary HOME: what SDL opens, not where the doctor looks for the default being set,
    which is `Machine.alsa_configs`, none written); skips where ALSA's own configuration is not
    installed."""
    if not Path("/usr/share/alsa/alsa.conf").exists():
        pytest.skip("ALSA's configuration (/usr/share/alsa/alsa.conf) is not installed")
    home = tmp_path / "home"
    home.mkdir(exist_ok=True)
    (home / ".asoundrc").write_text("pcm.!default { type null }\npcm.fakedac { type null }\n")
    machine = make_machine(tmp_path, environ={"HOME": str(home), "SDL_AUDIODRIVER": "alsa"})
    (machine.proc / "asound").mkdir(exist_ok=True)
    (machine.proc / "asound" / "cards").write_text(cards)
    return machine
