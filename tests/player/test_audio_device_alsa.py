"""`player.audio_device` takes an ALSA name (`default`, `plug:fakedac`, a defined PCM, a card's word),
not only SDL's exact description of a device.

pygame passed the setting to SDL as its device name, and SDL's ALSA driver looks that up among its
descriptions ("bcm2835 Headphones, bcm2835 Headphones"): `default`, `hw:1,0`, a PCM from asound.conf
or `hifiberry` (what firmware's config-audio.txt and the doctor told owners to set) all failed "No
such device." and the player stayed "lost" for good.

Real pygame on SDL's ALSA driver against a fake ALSA configuration (a null default and a null PCM
`fakedac`, in ~/.asoundrc under a temporary HOME), in a process of its own: libasound reads its
configuration once per process.  Skipped where SDL's ALSA driver or ALSA's configuration is missing.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from doctorkit import PI_WITH_DAC_CARDS
from moodspeaker.player.device import alsa_device, sound_cards

ASOUNDRC = """\
pcm.!default { type null; hint { show on; description "Fake Default" } }
pcm.fakedac { type null; hint { show on; description "Fake USB DAC" } }
"""

SCENARIO = """
import json, sys
from moodspeaker.config.schema import PlayerConfig
from moodspeaker.player.engine import Player
from moodspeaker.service.events import EventBus
from moodspeaker.commands.demo import _audio
said = {}
for device in json.loads(sys.argv[1]):
    player = Player(PlayerConfig(audio_device=device), EventBus().publish, retry_s=30.0)
    player.start()
    assert player.wait_idle(60)
    status = player.status()
    said[device] = [status.audio.value, status.audio_error]
    player.close()
said["demo"] = _audio("fakedac")
print(json.dumps(said))
"""


def _alsa_env(tmp_path: Path) -> dict[str, str]:
    if not Path("/usr/share/alsa/alsa.conf").exists():
        pytest.skip("ALSA's configuration (/usr/share/alsa/alsa.conf) is not installed")
    home = tmp_path / "home"
    home.mkdir()
    (home / ".asoundrc").write_text(ASOUNDRC)
    env = {k: v for k, v in os.environ.items() if k not in {"AUDIODEV", "ALSA_CONFIG_PATH"}}
    env.update(HOME=str(home), SDL_AUDIODRIVER="alsa", PYGAME_HIDE_SUPPORT_PROMPT="1")
    return env


def test_alsa_names_open_on_sdls_alsa_driver(tmp_path: Path) -> None:
    env = _alsa_env(tmp_path)
    devices = ["", "default", "fakedac", "plug:fakedac", "Fake Default", "no-such-pcm"]
    run = subprocess.run(
        [sys.executable, "-c", SCENARIO, json.dumps(devices)],
        env=env,
        check=False,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr
    said = json.loads(run.stdout.strip().splitlines()[-1])
    if said[""][0] != "ok":
        pytest.skip(f"SDL's ALSA driver cannot open ALSA's default here: {said['']}")
    for device in ["default", "fakedac", "plug:fakedac", "Fake Default"]:  # ALSA's names, SDL's name
        assert said[device] == ["ok", ""], (device, said[device])
    state, error = said["no-such-pcm"]  # still lost, saying what was tried
    assert state == "lost"
    assert "ALSA device no-such-pcm" in error, error
    assert said["demo"] == "the system's audio output"  # the demo's probe opens it too, not the dummy


def test_a_cards_word_is_that_cards_default_or_hdmi_device(tmp_path: Path) -> None:
    (tmp_path / "asound").mkdir()
    (tmp_path / "asound" / "cards").write_text(
        PI_WITH_DAC_CARDS  # and a USB DAC
        + " 3 [Device         ]: USB-Audio - USB Audio Device\n"
        "                      Generic USB Audio Device at usb-0000:01:00.0-1.3, full speed\n"
    )
    cards = sound_cards(tmp_path)
    assert [c.id for c in cards] == ["Headphones", "sndrpihifiberry", "vc4hdmi0", "Device"]
    mapped = {w: alsa_device(w, cards) for w in ["hifiberry", "Device", "usb", "vc4hdmi0", "Headphones"]}
    assert mapped == {
        "hifiberry": "default:CARD=sndrpihifiberry",
        "Device": "default:CARD=Device",
        "usb": "default:CARD=Device",
        "vc4hdmi0": "hdmi:CARD=vc4hdmi0",
        "Headphones": "default:CARD=Headphones",
    }
    for as_is in ["default", "fakedac", "hw:1,0", "plughw:CARD=Device", "hdmi:CARD=vc4hdmi0,DEV=0"]:
        assert alsa_device(as_is, cards) == as_is
