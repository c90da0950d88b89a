"""`moodspeaker doctor` warns when player.audio_device is empty (the system default) and the machine
has several sound cards.

Why: on a Pi with a DAC HAT, ALSA's default is card 0 unless an asound.conf says otherwise, and card 0
is the headphone jack or HDMI, so the music went to an output with nothing plugged in while the
doctor said the audio was fine.  The warning names the cards found by the ids player.audio_device
takes (player.device) and the command that sets it.  The cards come from a fake /proc/asound/cards
(the kernel boundary, as the other doctor tests); the device is opened for real, by SDL's ALSA driver
on a fake ALSA configuration (doctorkit.alsa_machine).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from doctorkit import PI_WITH_DAC_CARDS, alsa_machine
from moodspeaker.config import Config, with_changes
from moodspeaker.system import doctor

ONE_CARD = (
    " 0 [sndrpihifiberry]: simple-card - snd_rpi_hifiberry_dac\n                      snd_rpi_hifiberry_dac\n"
)


def _opened(result: doctor.CheckResult) -> None:
    if not result.details.get("ok"):
        pytest.skip(f"SDL's ALSA driver cannot open ALSA's default here: {result.summary}")


def test_default_output_with_one_card_is_fine(tmp_path: Path) -> None:
    result = doctor.check_audio(Config(), alsa_machine(tmp_path, ONE_CARD))
    _opened(result)
    assert result.status == "ok"


def test_default_output_among_three_cards_warns_and_names_them(tmp_path: Path) -> None:
    machine = alsa_machine(tmp_path, PI_WITH_DAC_CARDS)
    result = doctor.check_audio(Config(), machine)
    _opened(result)
    assert result.status == "warn"
    said = result.summary + " " + result.fix
    for card in ("Headphones", "sndrpihifiberry", "vc4hdmi0"):
        assert card in said
    assert "player.audio_device" in result.summary
    # the DAC, neither HDMI nor the jack, is the example given to set
    assert "moodspeaker config set player.audio_device=sndrpihifiberry" in result.fix
    # named, the same machine is fine
    named = doctor.check_audio(with_changes(Config(), {"player.audio_device": "fakedac"}), machine)
    assert named.status == "ok"
