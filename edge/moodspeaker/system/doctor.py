"""The doctor's checks: what works on this machine and, for what does not, what to do about it.

Usable on any machine: a laptop without camera or TPU gets "no camera" and "no TPU: CPU fallback"
as warnings, not failures, because the appliance still runs there.  A failure means something the
configuration asks for is broken (an enabled broker that refuses us, a replay file that is not
there, a full disk, an overheating or under-powered Pi).
"""

from __future__ import annotations

import contextlib
import importlib
import os
import shutil
import subprocess
import sys
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from moodspeaker.config import Config, data_dir
from moodspeaker.system import probes

Status = Literal["ok", "warn", "fail", "skip"]


@dataclass(frozen=True)
class CheckResult:
    name: str
    status: Status
    summary: str
    fix: str = ""
    details: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {
            "name": self.name,
            "status": self.status,
            "summary": self.summary,
            "fix": self.fix,
            "details": self.details,
        }


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


def check_config(config: Config, source: str) -> CheckResult:
    return CheckResult("config", "ok", f"{source}: valid", details={"source": source})


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
                fix="moodspeaker config set classifier.type=edgetpu",
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


def _model_json(config: Config) -> Path | None:
    """The model the classifier will load: the configured one, else the vision package's default."""
    if config.classifier.model:
        return Path(os.path.expanduser(config.classifier.model))
    try:
        found: Path | None = importlib.import_module("moodspeaker.vision.expression").default_model_json()
    except (ImportError, AttributeError, FileNotFoundError):
        found = None
    if found is not None and found.is_file():
        return found
    # The installer copies the models into the release (<venv>/share/...); a checkout has them at its root.
    candidates = [
        Path(sys.prefix) / "share" / "moodspeaker" / "models" / "edgetpu" / "expression.json",
        Path(__file__).resolve().parents[3] / "models" / "edgetpu" / "expression.json",
    ]
    return next((c for c in candidates if c.is_file()), None)


def check_model(config: Config) -> CheckResult:
    path = _model_json(config)
    if path is None:
        return CheckResult(
            "model",
            "fail",
            "expression model not found",
            fix="reinstall (scripts/provision/update.sh) or set classifier.model",
        )
    if not path.is_file():
        return CheckResult("model", "fail", f"{path}: no such file", fix="fix classifier.model")
    return CheckResult("model", "ok", f"expression model {path}", details={"path": str(path)})


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
    if wanted and not any(wanted.lower() in card.lower() for card in cards):
        return CheckResult(
            "audio",
            "warn",
            f"player.audio_device {wanted!r} is not among the sound cards",
            fix="choose one of: " + "; ".join(cards),
            details={"cards": cards},
        )
    return CheckResult("audio", "ok", "sound cards: " + "; ".join(cards), details={"cards": cards})


def check_library(config: Config) -> CheckResult:
    lib = config.library
    if not lib.folders and not lib.servers:
        return CheckResult(
            "library",
            "warn",
            "no music folders or library servers configured",
            fix="moodspeaker config set library.folders=/path/to/music",
        )
    missing: list[str] = []
    total = 0
    capped = False
    for folder in lib.folders:
        path = Path(os.path.expanduser(folder))
        if not path.is_dir() or not os.access(path, os.R_OK | os.X_OK):
            missing.append(folder)
            continue
        count, hit = probes.count_audio_files(path)
        total += count
        capped = capped or hit
    details: dict[str, Any] = {"files": total, "missing": missing, "servers": list(lib.servers)}
    counted = f"{total}{'+' if capped else ''} audio files"
    servers = f", {len(lib.servers)} LAN server(s)" if lib.servers else ""
    if missing:
        return CheckResult(
            "library",
            "warn",
            f"{counted}; folder(s) not readable: {', '.join(missing)}",
            fix="mount or create them, or change library.folders",
            details=details,
        )
    if total == 0 and not lib.servers:
        return CheckResult(
            "library",
            "warn",
            "no music found in " + ", ".join(lib.folders),
            fix="copy music there, then run `moodspeaker index`",
            details=details,
        )
    return CheckResult("library", "ok", counted + servers, details=details)


def check_broker(config: Config, machine: Machine) -> CheckResult:
    mq = config.mqtt
    if not mq.enabled:
        return CheckResult("broker", "skip", "MQTT off (mqtt.enabled = false)")
    where = f"{mq.host}:{mq.port}"
    try:
        code = probes.mqtt_connect(
            mq.host,
            mq.port,
            username=mq.username,
            password=mq.password,
            tls=mq.tls,
            ca_file=mq.ca_file,
            cert_file=mq.cert_file,
            key_file=mq.key_file,
            timeout=machine.mqtt_timeout_s,
        )
    except (OSError, ValueError) as exc:
        return CheckResult(
            "broker",
            "fail",
            f"MQTT broker {where} not reachable: {exc}",
            fix="start the broker (e.g. Home Assistant's Mosquitto add-on), check mqtt.host/port, "
            "or set mqtt.enabled=false",
        )
    if code != 0:
        return CheckResult(
            "broker",
            "fail",
            f"MQTT broker {where} {probes.MQTT_CONNACK.get(code, code)}",
            fix="check mqtt.username and mqtt.password",
        )
    return CheckResult("broker", "ok", f"MQTT broker {where} accepts the connection")


def check_disk(config: Config) -> CheckResult:
    path = data_dir(config)
    while not path.exists() and path != path.parent:
        path = path.parent
    usage = shutil.disk_usage(path)
    free_mb = usage.free / 2**20
    used = usage.used / usage.total if usage.total else 0.0
    summary = f"{free_mb / 1024:.1f} GiB free on the data disk ({used:.0%} used, at {path})"
    details = {"free_mb": round(free_mb), "used": round(used, 3), "path": str(path)}
    if free_mb < 200:
        return CheckResult(
            "disk", "fail", summary, fix="free space: the index and feedback need room", details=details
        )
    if free_mb < 1024 or used > 0.9:
        return CheckResult("disk", "warn", summary, fix="free some space soon", details=details)
    return CheckResult("disk", "ok", summary, details=details)


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


CHECK_NAMES = (
    "config",
    "camera",
    "tpu",
    "model",
    "audio",
    "library",
    "broker",
    "disk",
    "temperature",
    "gpio",
)


def run_checks(
    config: Config, source: str, machine: Machine | None = None, only: frozenset[str] | None = None
) -> list[CheckResult]:
    """Run the checks (all, or the named ones) in a fixed order; one check's crash never hides the rest."""
    m = machine or Machine()
    table: dict[str, Callable[[], CheckResult]] = {
        "config": lambda: check_config(config, source),
        "camera": lambda: check_camera(config, m),
        "tpu": lambda: check_tpu(config, m),
        "model": lambda: check_model(config),
        "audio": lambda: check_audio(config, m),
        "library": lambda: check_library(config),
        "broker": lambda: check_broker(config, m),
        "disk": lambda: check_disk(config),
        "temperature": lambda: check_temperature(m),
        "gpio": lambda: check_gpio(config, m),
    }
    results: list[CheckResult] = []
    for name in CHECK_NAMES:
        if only and name not in only:
            continue
        try:
            results.append(table[name]())
        except Exception as exc:  # a bug in one probe must not hide the other answers
            results.append(CheckResult(name, "fail", f"the check itself crashed: {exc!r}"))
    return results


def exit_code(results: list[CheckResult]) -> int:
    """0: nothing is broken (warnings are advice); 1: at least one check failed."""
    return 1 if any(r.status == "fail" for r in results) else 0
