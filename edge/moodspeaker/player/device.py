"""The audio output device: which one `player.audio_device` names, and whether it is still there.

Why a module of its own: pygame's mixer takes a device as SDL's own description of it ("bcm2835
Headphones, bcm2835 Headphones" on SDL's ALSA driver) and fails "No such device." on anything else,
while an owner names a card as ALSA and `aplay` do (`hw:1,0`, `plughw:CARD=Device`, a PCM defined in
asound.conf, or a word of the card's name).  `choose` turns the setting into what SDL opens: SDL's
own name as it is; on SDL's ALSA driver anything else is an ALSA device, given to SDL through the
AUDIODEV variable its ALSA driver reads when no SDL name is passed; a card's id or a word of its name
(`/proc/asound/cards`) stands for that card's `default:CARD=<id>` device (HDMI: `hdmi:CARD=<id>`,
which an HDMI card needs).  `open_output`
opens the mixer so, for the player, the demo and the doctor alike.

And an unplugged USB DAC: SDL marks the device disconnected but keeps calling the mixer at real-time
pace, so the chunks move on and the player's stall check never trips.  `DeviceWatch` asks SDL for the
opened device's status (`SDL_GetAudioDeviceStatus`: a disconnected device reads as stopped) through
ctypes on the libSDL2 pygame loaded; where that library cannot be found the watch says so in the log
and the stall check is all there is.

Run as `python -m moodspeaker.player.device [--proc DIR] DEVICE`, it opens DEVICE as the player
would and prints what it opened, or why not, as JSON (the doctor's probe, in a process of its own).
"""

from __future__ import annotations

import argparse
import contextlib
import ctypes
import ctypes.util
import json
import logging
import os
import re
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pygame
from pygame._sdl2 import audio as sdl2_audio

from moodspeaker.system.alsa import quiet_alsa

log = logging.getLogger(__name__)

_SDL_INIT_AUDIO = 0x10
_SDL_AUDIO_STOPPED = 0
_MAX_DEVICE_ID = 16  # SDL2 numbers opened devices from 1 (2 and up for SDL_OpenAudioDevice)
#: ALSA PCM names that are never a card's word.
_ALSA_NAMES = {"default", "sysdefault", "null", "dmix", "dsnoop", "plug", "pulse", "pipewire", "jack"}


@dataclass(frozen=True)
class Card:
    """An ALSA card as /proc/asound/cards lists it."""

    id: str  # "sndrpihifiberry"
    driver: str  # "simple-card"
    name: str  # "snd_rpi_hifiberry_dac"
    longname: str = ""


def sound_cards(proc: Path = Path("/proc")) -> list[Card]:
    """The ALSA cards in `proc`/asound/cards (none when it cannot be read)."""
    try:
        lines = (proc / "asound" / "cards").read_text().splitlines()
    except OSError:
        return []
    cards: list[Card] = []
    for i, line in enumerate(lines):
        found = re.match(r"\s*\d+\s*\[([^\]]+)\]:\s*(\S+)\s*-\s*(.*)$", line)
        if found:
            following = lines[i + 1].strip() if i + 1 < len(lines) else ""
            cards.append(Card(found[1].strip(), found[2], found[3].strip(), following))
    return cards


def _card(wanted: str, cards: list[Card]) -> Card | None:
    """The card `wanted` names: its id, else a word of its id, driver or names, else a part of them."""
    key = wanted.lower()
    texts = [f"{c.id} {c.driver} {c.name} {c.longname}".lower() for c in cards]
    for test in (
        lambda c, _t: c.id.lower() == key,
        lambda _c, t: key in re.split(r"[^a-z0-9]+", t),
        lambda _c, t: key in t,
    ):
        for card, text in zip(cards, texts, strict=True):
            if test(card, text):
                return card
    return None


def alsa_device(wanted: str, cards: list[Card]) -> str:
    """The ALSA device string for `wanted`: an ALSA device (`hw:1,0`, `plughw:CARD=Device`) or PCM
    name as it is; a card's id or a word of its name as that card's `default:CARD=<id>`, or
    `hdmi:CARD=<id>` for an HDMI card."""
    if ":" in wanted or wanted in _ALSA_NAMES:
        return wanted
    card = _card(wanted, cards)
    if card is None:
        return wanted
    kind = "hdmi" if "hdmi" in f"{card.id} {card.driver} {card.name}".lower() else "default"
    return f"{kind}:CARD={card.id}"


# ---- libSDL2 through ctypes -----------------------------------------------------------------------
_sdl: list[ctypes.CDLL | None] = []  # the library once looked for (None: not found)


def _sdl_candidates() -> list[str]:
    """libSDL2 files this process may have loaded: the one mapped in (Linux), pygame's bundled copy,
    the system's."""
    names: list[str] = []
    with contextlib.suppress(OSError):
        for line in Path("/proc/self/maps").read_text().splitlines():
            path = line.split(maxsplit=5)[-1]
            if os.path.basename(path).startswith("libSDL2-") and path not in names:
                names.append(path)
    bundled = Path(pygame.__file__).parent.parent / "pygame.libs"
    names += [str(p) for p in sorted(bundled.glob("libSDL2-*.so*"))]
    names += [n for n in (ctypes.util.find_library("SDL2-2.0"), "libSDL2-2.0.so.0") if n]
    return names


def sdl() -> ctypes.CDLL | None:
    """The libSDL2 pygame uses, already loaded (never a second copy: its state would not be
    pygame's); None, said once in the log, where it cannot be found."""
    if _sdl:
        return _sdl[0]
    found: ctypes.CDLL | None = None
    tried = _sdl_candidates()
    for name in tried:
        try:
            lib = ctypes.CDLL(name, mode=os.RTLD_NOLOAD | os.RTLD_NOW)
            lib.SDL_GetAudioDeviceStatus.restype = ctypes.c_int
            lib.SDL_GetCurrentAudioDriver.restype = ctypes.c_char_p
        except (OSError, AttributeError):
            continue
        found = lib
        break
    if found is None:
        log.warning(
            "cannot find the libSDL2 pygame loaded (tried %s): an unplugged audio device is noticed only "
            "when its output stalls, and player.audio_device must be SDL's own name for a device",
            ", ".join(tried) or "nothing",
        )
    _sdl.append(found)
    return found


def _sdl_outputs() -> tuple[str | None, list[str]]:
    """SDL's audio driver and its output devices' names; (None, []) when SDL cannot say."""
    lib = sdl()
    if lib is None or lib.SDL_InitSubSystem(_SDL_INIT_AUDIO) != 0:
        return None, []
    try:
        driver = lib.SDL_GetCurrentAudioDriver()
        names = sdl2_audio.get_audio_device_names(False)
    except pygame.error:
        return None, []
    finally:
        lib.SDL_QuitSubSystem(_SDL_INIT_AUDIO)
    return (driver.decode() if driver else None), list(names)


# ---- opening ------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Output:
    """What SDL is asked to open for a `player.audio_device` value."""

    wanted: str
    devicename: str | None = None  # SDL's name for the device (None: the driver's default)
    alsa: str | None = None  # the ALSA device SDL's ALSA driver opens (through AUDIODEV)
    driver: str | None = None  # SDL's audio driver, when known
    known: list[str] = field(default_factory=list)  # SDL's output devices, when the name is not one

    def __str__(self) -> str:
        if self.alsa is not None:
            return f"ALSA device {self.alsa}"
        return self.devicename or "the default output"


def choose(wanted: str, proc: Path = Path("/proc")) -> Output:
    """What to open for `wanted` (the mixer closed): see the module's doc."""
    if not wanted:
        return Output(wanted)
    driver, names = _sdl_outputs()
    if driver is None or wanted in names:
        return Output(wanted, devicename=wanted, driver=driver)
    if driver == "alsa":
        return Output(wanted, alsa=alsa_device(wanted, sound_cards(proc)), driver=driver)
    return Output(wanted, devicename=wanted, driver=driver, known=names)


@contextlib.contextmanager
def _audiodev(value: str | None) -> Iterator[None]:
    """AUDIODEV set to `value` (None: as it is) while SDL opens the device."""
    before = os.environ.get("AUDIODEV")
    if value is not None:
        os.environ["AUDIODEV"] = value
    try:
        yield
    finally:
        if value is not None and before is None:
            os.environ.pop("AUDIODEV", None)
        elif value is not None and before is not None:
            os.environ["AUDIODEV"] = before


def open_output(wanted: str, *, frequency: int, buffer: int, proc: Path = Path("/proc")) -> Output:
    """Open pygame's mixer (closed) on `wanted` ("" for the default); raises pygame.error saying what
    was tried."""
    return open_chosen(choose(wanted, proc), frequency=frequency, buffer=buffer)


def open_chosen(output: Output, *, frequency: int, buffer: int) -> Output:
    """Open pygame's mixer (closed) on what `choose` chose; raises pygame.error saying what."""
    with _audiodev(output.alsa):
        try:
            pygame.mixer.init(
                frequency=frequency,
                size=-16,
                channels=2,
                buffer=buffer,
                devicename=output.devicename,
                allowedchanges=0,
            )
        except pygame.error as exc:
            said = f"{output}: {exc}" if output.alsa is not None else str(exc)
            if output.known:
                said += f" (SDL's {output.driver} driver has: {'; '.join(output.known)})"
            raise pygame.error(said) from exc
    return output


class DeviceWatch:
    """Whether the device the mixer opened is still there, as SDL says."""

    def __init__(self) -> None:
        self._id: int | None = None

    def opened(self) -> None:
        """The mixer was just opened: find its SDL device (the one playing)."""
        lib = sdl()
        self._id = None
        if lib is None:
            return
        for dev in [*range(2, _MAX_DEVICE_ID + 1), 1]:
            if lib.SDL_GetAudioDeviceStatus(dev) != _SDL_AUDIO_STOPPED:
                self._id = dev
                return
        log.warning("no SDL audio device plays after opening the mixer: an unplugged one is not noticed")

    def closed(self) -> None:
        self._id = None

    def gone(self) -> bool:
        """SDL marked the opened device disconnected (it reads as stopped)."""
        lib = _sdl[0] if _sdl else None
        return (
            lib is not None
            and self._id is not None
            and (lib.SDL_GetAudioDeviceStatus(self._id) == _SDL_AUDIO_STOPPED)
        )


def probe(wanted: str, proc: Path = Path("/proc")) -> dict[str, str | bool]:
    """Open `wanted` as the player would, and close it: what it opened, or the error."""
    output = choose(wanted, proc)
    try:
        open_chosen(output, frequency=44100, buffer=1024)
    except pygame.error as exc:
        return {"ok": False, "error": str(exc), "output": str(output)}
    pygame.mixer.quit()
    return {"ok": True, "error": "", "output": str(output), "driver": output.driver or ""}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="open an audio device as the player would")
    parser.add_argument("device", nargs="?", default="")
    parser.add_argument("--proc", type=Path, default=Path("/proc"))
    args = parser.parse_args(argv)
    quiet_alsa()  # libasound's own lines: the answer says what failed
    sys.stdout.write(json.dumps(probe(args.device, args.proc)) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
