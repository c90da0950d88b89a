"""`moodspeaker doctor` warns when player.audio_device is empty (the system default), the machine has
a sound card besides the Pi's own outputs (a DAC HAT, a USB DAC) that ALSA's default is not, and
ALSA's default is not set to a card.

Why: on a Pi with a DAC HAT, ALSA's default is card 0 unless an asound.conf says otherwise, and card 0
is the headphone jack or HDMI, so the music went to an output with nothing plugged in while the
doctor said the audio was fine.  The warning names the cards found by the ids player.audio_device
takes (player.device) and the command that sets it.  It said so also where all was right (8b5dd68): a
stock Pi 4 (the jack and two HDMI outputs: several cards, none a DAC) playing on the jack, and a Pi
whose /etc/asound.conf (or the service user's ~/.asoundrc) sets the default to the DAC.  The cards
come from a fake /proc/asound/cards and the configuration from files of the test's own
(Machine.alsa_configs: the boundaries, as the other doctor tests); the device is opened for real, by
SDL's ALSA driver on a fake ALSA configuration (doctorkit.alsa_machine).
"""

from __future__ import annotations

from pathlib import Path

import pytest

from doctorkit import PI4_STOCK_CARDS, PI_WITH_DAC_CARDS, alsa_machine
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


def test_a_stock_pi_4_playing_on_its_jack_is_fine(tmp_path: Path) -> None:
    """Three cards, the jack and HDMI: no DAC the owner could have meant instead of the jack."""
    result = doctor.check_audio(Config(), alsa_machine(tmp_path, PI4_STOCK_CARDS))
    _opened(result)
    assert result.status == "ok"


def test_default_output_beside_a_dac_warns_and_names_the_cards(tmp_path: Path) -> None:
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
    assert "defaults.pcm.card sndrpihifiberry" in result.fix  # or ALSA's default, for every program
    # named, the same machine is fine
    named = doctor.check_audio(with_changes(Config(), {"player.audio_device": "fakedac"}), machine)
    assert named.status == "ok"


@pytest.mark.parametrize(
    ("where", "text"),
    [
        (0, "# the DAC HAT\ndefaults.pcm.card 1\ndefaults.ctl.card 1\n"),
        (0, 'pcm.!default {\n  type hw\n  card "sndrpihifiberry"\n}\nctl.!default { type hw card 1 }\n'),
        (1, 'pcm.!default { type plug slave.pcm "hw:sndrpihifiberry" }\n'),
        (1, "defaults.pcm.!card sndrpihifiberry\n"),
    ],
)
def test_a_default_set_in_alsas_configuration_is_fine(tmp_path: Path, where: int, text: str) -> None:
    """/etc/asound.conf (0) or the service user's ~/.asoundrc (1) sets the default: the DAC plays."""
    machine = alsa_machine(tmp_path, PI_WITH_DAC_CARDS)
    config = machine.alsa_configs[where]
    config.parent.mkdir(parents=True, exist_ok=True)
    config.write_text(text)
    result = doctor.check_audio(Config(), machine)
    _opened(result)
    assert result.status == "ok", result.summary


def test_a_configuration_that_sets_no_default_still_warns(tmp_path: Path) -> None:
    """Commented out, or only a named device and the mixer's default: card 0 still plays."""
    machine = alsa_machine(tmp_path, PI_WITH_DAC_CARDS)
    machine.alsa_configs[0].parent.mkdir(parents=True)
    machine.alsa_configs[0].write_text(
        "# defaults.pcm.card 1\n#pcm.!default { type hw card 1 }\npcm.dac { type hw card 1 }\n"
        "ctl.!default { type hw card 1 }\n"
    )
    result = doctor.check_audio(Config(), machine)
    _opened(result)
    assert result.status == "warn"


def test_a_dac_that_is_card_0_is_the_default_already(tmp_path: Path) -> None:
    """ALSA's default is card 0: a DAC listed first plays without being named."""
    cards = ONE_CARD + (
        " 1 [Headphones     ]: bcm2835_headpho - bcm2835 Headphones\n"
        "                      bcm2835 Headphones\n"
        " 2 [vc4hdmi0       ]: vc4-hdmi - vc4-hdmi-0\n"
        "                      vc4-hdmi-0\n"
    )
    result = doctor.check_audio(Config(), alsa_machine(tmp_path, cards))
    _opened(result)
    assert result.status == "ok"
