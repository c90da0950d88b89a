"""The doctor's checks of the hardware attached to the device: camera, TPU, audio, temperature, GPIO.

Absent hardware the appliance can live without (no camera, no Coral, no sound card) is a warning;
hardware the configuration asks for that is broken, or a Pi that overheats or lacks power, fails.
"""

from __future__ import annotations

import contextlib
import importlib
import json
import os
import re
import subprocess
import sys
from pathlib import Path

from moodspeaker.config import Config
from moodspeaker.system import probes
from moodspeaker.system.check_result import CheckResult, Status
from moodspeaker.system.machine import Machine
from moodspeaker.util.program import command


def _picamera2_cameras() -> tuple[list[str], str]:
    """Cameras libcamera sees, through picamera2 (the Pi camera's only boundary); reason when none."""
    try:
        module = importlib.import_module("picamera2")
    except ImportError:
        return [], "picamera2 not installed (Raspberry Pi OS only: apt install python3-picamera2)"
    try:
        info = module.Picamera2.global_camera_info()
    except Exception as exc:  # libcamera raises many kinds; any of them means "no usable camera"
        return [], f"picamera2 failed: {exc}"
    return [str(c.get("Model", "camera")) for c in info], "libcamera found no camera"


def check_camera(config: Config, machine: Machine) -> CheckResult:
    cam = config.camera
    if not cam.enabled:
        return CheckResult("camera", "ok", "camera switched off (privacy): no frame is captured")
    if cam.type == "replay":
        path = Path(os.path.expanduser(cam.replay_path)) if cam.replay_path else None
        if path is not None and path.exists():
            return CheckResult("camera", "ok", f"replay source {path}")
        return CheckResult(
            "camera",
            "fail",
            f"replay source {cam.replay_path or '(empty)'} not found",
            fix="set camera.replay_path to a video file or image folder",
        )
    found: list[str] = []
    reasons: list[str] = []
    if cam.type in {"auto", "picamera2"}:
        models, reason = _picamera2_cameras()
        found += [f"Raspberry Pi camera {m}" for m in models]
        if not models:
            reasons.append(reason)
    if cam.type in {"auto", "v4l2"} and not found:
        webcams = probes.v4l2_cameras(machine.sysfs, machine.dev)
        found += [f"webcam {w.path} ({w.name})" for w in webcams]
        if not webcams:
            reasons.append("no V4L2 webcam in /dev/video*")
    if found:
        return CheckResult("camera", "ok", ", ".join(found), details={"cameras": found})
    fix = (
        "connect the camera ribbon (contacts towards the board on a Pi 4, check the 22/15-pin "
        "adapter on a Pi 5 or Zero 2 W), keep camera_auto_detect=1 in /boot/firmware/config.txt, "
        "reboot, then test with `rpicam-hello --list-cameras`; or plug in a USB webcam"
    )
    status: Status = "warn" if cam.type == "auto" else "fail"
    return CheckResult(
        "camera",
        status,
        "no camera: moods cannot be read (music still plays)",
        fix=fix,
        details={"reasons": reasons},
    )


def check_tpu(config: Config, machine: Machine) -> CheckResult:
    devices = probes.coral_devices(machine.sysfs, machine.dev)
    wants_tpu = config.classifier.type == "edgetpu"
    if not wants_tpu:
        if devices:
            return CheckResult(
                "tpu",
                "warn",
                f"Coral attached ({devices[0]}) but classifier.type = cpu",
                fix=command("config set classifier.type=edgetpu"),
                details={"devices": devices},
            )
        return CheckResult("tpu", "ok", "CPU inference (classifier.type = cpu)")
    if not devices:
        return CheckResult(
            "tpu",
            "warn",
            "no TPU: CPU fallback (no Coral on USB or PCIe)",
            fix="plug the Coral USB Accelerator into a blue USB 3 port (through a powered "
            "hub on a Pi Zero 2 W), or set classifier.type=cpu",
        )
    try:
        machine.load_delegate("libedgetpu.so.1")
    except Exception as exc:  # the loader raises ValueError/OSError/RuntimeError depending on the cause
        return CheckResult(
            "tpu",
            "warn",
            f"Coral attached ({devices[0]}) but its runtime failed: CPU fallback",
            fix="install the runtime: sudo scripts/provision/install.sh --coral std; "
            "then unplug and replug the Coral",
            details={"devices": devices, "error": str(exc)},
        )
    return CheckResult("tpu", "ok", f"Edge TPU ready ({devices[0]})", details={"devices": devices})


def check_audio(config: Config, machine: Machine) -> CheckResult:
    driver = machine.environ.get("SDL_AUDIODRIVER", "")
    if driver in {"dummy", "disk"}:
        return CheckResult(
            "audio",
            "warn",
            f"SDL_AUDIODRIVER={driver}: sound goes nowhere",
            fix="unset SDL_AUDIODRIVER outside tests and demos",
        )
    cards = probes.sound_cards(machine.proc)
    if not cards:
        return CheckResult(
            "audio",
            "warn",
            "no sound card",
            fix="enable your DAC HAT's overlay (firmware/boot/), plug in a USB speaker, "
            "or use HDMI audio; check with `aplay -l`",
        )
    wanted = config.player.audio_device
    said = "player.audio_device " + (repr(wanted) if wanted else "(the default output)")
    opened = _open_audio(wanted, machine)
    details: dict[str, object] = {"cards": cards, **opened}
    error = str(opened.get("error", ""))
    if opened.get("ok") or "busy" in error.lower():  # busy: the service (or another) has it open
        if not wanted and _default_misses_a_dac(cards, machine):
            return _default_among_cards(cards, details)
        if opened.get("ok"):
            summary = f"{said} opens ({opened['output']}); sound cards: " + "; ".join(cards)
            return CheckResult("audio", "ok", summary, details=details)
        return CheckResult("audio", "ok", f"{said} is in use ({opened['output']})", details=details)
    return CheckResult(
        "audio",
        "warn",
        f"{said} does not open: {error}",
        fix="set player.audio_device to a card's id or a word of its name (" + "; ".join(cards) + "), "
        "an ALSA device such as plughw:CARD=Device or hdmi:CARD=vc4hdmi0 (list them: aplay -L), "
        "or empty for the default",
        details=details,
    )


def _default_misses_a_dac(cards: list[str], machine: Machine) -> bool:
    """Whether the system default (player.audio_device empty) may well play where the owner does not
    listen: a card other than the Pi's own outputs (a DAC HAT, a USB DAC: what a speaker is built
    for) is there and is not card 0, the one ALSA's default plays on unless its configuration says
    otherwise, and the configuration does not (`_default_set`).  A stock Pi (the jack and HDMI)
    playing on its jack, and a Pi whose asound.conf sets the default, are as they should be."""
    dacs = [card for card in cards[1:] if not _is_hdmi_or_jack(card)]
    return bool(dacs) and not _default_set(machine.alsa_configs)


#: what sets ALSA's default output to a card in its configuration: `defaults.pcm.card N` (ALSA's own
#: variable for the default PCM's card) or `pcm.!default {...}` / `pcm.default` (the default PCM
#: defined anew); a `!` may precede any key.  `ctl.!default` alone sets the mixer, not where sound goes.
_SETS_DEFAULT = re.compile(r"(?<![\w.])(?:defaults\.pcm\.!?card|pcm\.!?default)(?![\w.])")


def _default_set(configs: tuple[Path, ...]) -> bool:
    """Whether one of ALSA's configuration files `configs` (Machine.alsa_configs: /etc/asound.conf,
    the service user's ~/.asoundrc) sets the default output (`_SETS_DEFAULT`, outside comments).  A
    file that is not there or cannot be read sets nothing."""
    for config in configs:
        try:
            text = config.read_text(errors="replace")
        except OSError:
            continue
        if any(_SETS_DEFAULT.search(line.split("#", 1)[0]) for line in text.splitlines()):
            return True
    return False


def _default_among_cards(cards: list[str], details: dict[str, object]) -> CheckResult:
    """player.audio_device empty, a DAC beside the Pi's own outputs and ALSA's default not set
    (`_default_misses_a_dac`): the default is ALSA's card 0, the headphone jack or HDMI, so the music
    may go to an output with nothing plugged in.  Names the cards by the ids the setting takes
    (player.device: a card's id stands for its default device) and the DAC (neither HDMI nor the jack)
    as the example, to name in the setting or as ALSA's default."""
    ids = [card.split(":", 1)[0] for card in cards]
    others = [i for i, card in zip(ids, cards, strict=True) if not _is_hdmi_or_jack(card)]
    example = others[0] if others else ids[0]
    return CheckResult(
        "audio",
        "warn",
        f"player.audio_device is empty (the system default) and ALSA's default is card 0 ({cards[0]}), "
        f"not set to another of the {len(cards)} sound cards ({'; '.join(cards)}): the music may go "
        "to the headphone jack or HDMI rather than your speaker",
        fix=f"name the card to play on: {command(f'config set player.audio_device={example}')} (a card's id: "
        f"{', '.join(ids)}; or an ALSA device from aplay -L), or make it ALSA's default with the line "
        f"'defaults.pcm.card {example}' in /etc/asound.conf; then {command('doctor --only audio')}",
        details=details,
    )


def _is_hdmi_or_jack(card: str) -> bool:
    """A Pi's own outputs in /proc/asound/cards ("vc4hdmi0: vc4-hdmi-0", "Headphones: bcm2835
    Headphones"): not where a DAC HAT or a USB speaker plays."""
    text = card.lower()
    return "hdmi" in text or "headphones" in text


def _open_audio(wanted: str, machine: Machine) -> dict[str, object]:
    """Open `wanted` as the player does (`player.device`), in a process of its own with the machine's
    environment (SDL's driver and ALSA's configuration are the ones the player would have)."""
    command = [sys.executable, "-m", "moodspeaker.player.device", "--proc", str(machine.proc), wanted]
    try:
        run = subprocess.run(
            command, env=dict(machine.environ), capture_output=True, text=True, timeout=60, check=False
        )
    except subprocess.TimeoutExpired:
        return {"ok": False, "error": "opening it did not finish in 60 s", "output": wanted}
    except OSError as exc:
        return {"ok": False, "error": f"the audio probe did not start: {exc}", "output": wanted}
    try:
        answer = json.loads(run.stdout.strip().splitlines()[-1])
    except (ValueError, IndexError):
        answer = None
    if not isinstance(answer, dict):
        failed = f"the audio probe failed: {run.stderr.strip()[-300:]}"
        return {"ok": False, "error": failed, "output": wanted}
    return answer


def check_temperature(machine: Machine) -> CheckResult:
    zones = probes.temperatures(machine.sysfs)
    throttled = machine.vcgencmd()
    now: list[str] = []
    past: list[str] = []
    if throttled:
        with contextlib.suppress(ValueError):  # an unknown answer format: report temperatures only
            now, past = probes.parse_throttled(throttled)
    if not zones and not throttled:
        return CheckResult("temperature", "skip", "no temperature sensor here (not a Raspberry Pi?)")
    hottest = max(zones.values()) if zones else None
    summary = f"{hottest:.0f} °C" if hottest is not None else "temperature unknown"
    details = {"zones": zones, "throttled_now": now, "throttled_since_boot": past}
    power_fix = (
        "use the official power supply (5.1 V 3 A for a Pi 4, 5 A for a Pi 5) and a powered USB hub "
        "for the Coral, which draws up to 900 mA"
    )
    heat_fix = "add a heatsink or fan and give the case air (hardware/POWER_THERMAL.md)"
    if "under-voltage" in now:
        return CheckResult(
            "temperature", "fail", f"{summary}, under-voltage now", fix=power_fix, details=details
        )
    if hottest is not None and hottest >= 80:
        return CheckResult("temperature", "fail", f"{summary}: throttling", fix=heat_fix, details=details)
    if (hottest is not None and hottest >= 70) or now:
        return CheckResult(
            "temperature",
            "warn",
            f"{summary}, {', '.join(now) or 'running hot'}",
            fix=heat_fix,
            details=details,
        )
    if past:
        return CheckResult(
            "temperature",
            "warn",
            f"{summary}; since boot: {', '.join(past)}",
            fix=power_fix if "under-voltage" in past else heat_fix,
            details=details,
        )
    return CheckResult("temperature", "ok", summary, details=details)


def check_gpio(config: Config, machine: Machine) -> CheckResult:
    if not config.gpio.enabled:
        return CheckResult("gpio", "skip", "privacy button and LED not used (gpio.enabled = false)")
    chips = sorted(p.name for p in machine.dev.glob("gpiochip*"))
    if not chips:
        return CheckResult(
            "gpio",
            "fail",
            "gpio.enabled but this machine has no GPIO (/dev/gpiochip*)",
            fix="set gpio.enabled=false off a Raspberry Pi",
        )
    try:
        importlib.import_module("gpiozero")
    except ImportError:
        return CheckResult(
            "gpio", "fail", "gpiozero is not installed", fix="sudo apt install python3-gpiozero python3-lgpio"
        )
    return CheckResult(
        "gpio",
        "ok",
        f"button on GPIO{config.gpio.button_pin}, LED on GPIO{config.gpio.led_pin}",
        details={"chips": chips},
    )
