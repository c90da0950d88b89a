"""`moodspeaker doctor` with present and missing camera, TPU and broker.

Only the Pi camera (the `picamera2` module) and the Edge TPU delegate loader are faked, at their
boundary; the kernel's view (sysfs, /proc, /dev) is a prepared folder; the broker is a real Mosquitto.
"""

from __future__ import annotations

import json
import socket
import sys
import threading
import types
from collections.abc import Callable
from pathlib import Path

import pytest

from doctorkit import PI_WITH_DAC_CARDS, alsa_machine, make_machine
from moodspeaker import cli
from moodspeaker.config import Config, with_changes
from moodspeaker.system import doctor, probes
from moodspeaker.system.doctor import Machine


def cfg(**changes: object) -> Config:
    return with_changes(Config(), changes) if changes else Config()


def add_usb(sysfs: Path, name: str, vendor: str, product: str) -> None:
    dev = sysfs / "bus" / "usb" / "devices" / name
    dev.mkdir(parents=True)
    (dev / "idVendor").write_text(vendor + "\n")
    (dev / "idProduct").write_text(product + "\n")


def add_video(root: Path, node: str, name: str, index: int = 0) -> None:
    (root / "dev" / node).write_text("")
    sys_node = root / "sys" / "class" / "video4linux" / node
    sys_node.mkdir(parents=True)
    (sys_node / "name").write_text(name + "\n")
    (sys_node / "index").write_text(f"{index}\n")


@pytest.fixture
def no_picamera2(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(sys.modules, "picamera2", None)  # import fails, as on any non-Pi machine


def fake_picamera2(monkeypatch: pytest.MonkeyPatch, cameras: list[dict[str, object]]) -> None:
    module = types.ModuleType("picamera2")

    class Picamera2:
        @staticmethod
        def global_camera_info() -> list[dict[str, object]]:
            return cameras

    module.Picamera2 = Picamera2  # type: ignore[attr-defined]
    monkeypatch.setitem(sys.modules, "picamera2", module)


# --- camera -----------------------------------------------------------------------------------


@pytest.mark.usefixtures("no_picamera2")
def test_missing_camera_is_a_warning_on_auto_and_a_failure_when_asked_for(tmp_path: Path) -> None:
    machine = make_machine(tmp_path)
    add_video(tmp_path, "video10", "bcm2835-codec-decode")  # Pi-internal node: not a camera
    result = doctor.check_camera(cfg(), machine)
    assert result.status == "warn"
    assert "no camera" in result.summary
    assert "rpicam-hello" in result.fix
    assert doctor.check_camera(cfg(**{"camera.type": "v4l2"}), machine).status == "fail"
    assert doctor.check_camera(cfg(**{"camera.type": "picamera2"}), machine).status == "fail"


def test_pi_camera_present_through_picamera2(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    fake_picamera2(monkeypatch, [{"Model": "imx708", "Location": 2}])
    result = doctor.check_camera(cfg(), make_machine(tmp_path))
    assert result.status == "ok"
    assert "imx708" in result.summary


def test_picamera2_installed_but_no_sensor_falls_back_to_webcams(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    fake_picamera2(monkeypatch, [])
    machine = make_machine(tmp_path)
    add_video(tmp_path, "video0", "HD Pro Webcam C920")
    add_video(tmp_path, "video1", "HD Pro Webcam C920", index=1)  # its metadata node
    result = doctor.check_camera(cfg(), machine)
    assert result.status == "ok"
    assert result.details["cameras"] == [f"webcam {tmp_path}/dev/video0 (HD Pro Webcam C920)"]


def test_camera_switched_off_and_replay(tmp_path: Path) -> None:
    machine = make_machine(tmp_path)
    assert doctor.check_camera(cfg(**{"camera.enabled": False}), machine).status == "ok"
    video = tmp_path / "clip.mp4"
    video.write_bytes(b"x")
    ok = doctor.check_camera(cfg(**{"camera.type": "replay", "camera.replay_path": str(video)}), machine)
    assert ok.status == "ok"
    gone = cfg(**{"camera.type": "replay", "camera.replay_path": str(tmp_path / "nope.mp4")})
    assert doctor.check_camera(gone, machine).status == "fail"


# --- TPU --------------------------------------------------------------------------------------


def test_no_tpu_means_cpu_fallback(tmp_path: Path) -> None:
    machine = make_machine(tmp_path)
    result = doctor.check_tpu(cfg(**{"classifier.type": "edgetpu"}), machine)
    assert result.status == "warn"
    assert result.summary.startswith("no TPU: CPU fallback")
    assert doctor.check_tpu(cfg(), machine).status == "ok"


def test_tpu_present_and_its_runtime_loads(tmp_path: Path) -> None:
    loaded: list[str] = []

    def load_delegate(lib: str) -> object:
        loaded.append(lib)
        return object()

    machine = make_machine(tmp_path, load_delegate=load_delegate)
    add_usb(machine.sysfs, "2-1", "18d1", "9302")
    result = doctor.check_tpu(cfg(**{"classifier.type": "edgetpu"}), machine)
    assert result.status == "ok", result
    assert "Edge TPU ready (USB 18d1:9302)" in result.summary
    assert loaded == ["libedgetpu.so.1"]


# ai-edge-litert's Delegate.__del__ trips over its own half-built object when the library is missing.
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_tpu_before_firmware_load_and_runtime_missing(tmp_path: Path) -> None:
    # Default loader: the real ai-edge-litert load_delegate, which fails here (no libedgetpu).
    machine = make_machine(tmp_path, load_delegate=Machine().load_delegate)
    add_usb(machine.sysfs, "1-1.3", "1a6e", "089a")
    result = doctor.check_tpu(cfg(**{"classifier.type": "edgetpu"}), machine)
    assert result.status == "warn"
    assert "runtime failed: CPU fallback" in result.summary
    assert "--coral std" in result.fix
    assert result.details["error"]


def test_tpu_attached_but_not_used(tmp_path: Path) -> None:
    machine = make_machine(tmp_path)
    (machine.dev / "apex_0").write_text("")
    result = doctor.check_tpu(cfg(), machine)
    assert result.status == "warn"
    assert "classifier.type=edgetpu" in result.fix


# --- broker -----------------------------------------------------------------------------------


def test_broker_present(tmp_path: Path, mosquitto: Callable[..., int]) -> None:
    port = mosquitto()
    result = doctor.check_broker(
        cfg(**{"mqtt.enabled": True, "mqtt.host": "127.0.0.1", "mqtt.port": port}), make_machine(tmp_path)
    )
    assert result.status == "ok", result
    assert f"127.0.0.1:{port} accepts" in result.summary


def test_broker_refuses_anonymous(tmp_path: Path, mosquitto: Callable[..., int]) -> None:
    port = mosquitto(anonymous=False)
    result = doctor.check_broker(
        cfg(**{"mqtt.enabled": True, "mqtt.host": "127.0.0.1", "mqtt.port": port}), make_machine(tmp_path)
    )
    assert result.status == "fail"
    assert "not authorised" in result.summary


def test_broker_missing(tmp_path: Path, free_port: Callable[[], int]) -> None:
    port = free_port()  # nothing listens there
    config = cfg(**{"mqtt.enabled": True, "mqtt.host": "127.0.0.1", "mqtt.port": port})
    result = doctor.check_broker(config, make_machine(tmp_path))
    assert result.status == "fail"
    assert "not reachable" in result.summary
    assert doctor.check_broker(cfg(), make_machine(tmp_path)).status == "skip"


def test_mqtt_probe_rejects_a_server_that_is_not_a_broker(tmp_path: Path) -> None:
    server = socket.socket()
    server.bind(("127.0.0.1", 0))
    server.listen(1)

    def answer() -> None:
        conn, _ = server.accept()
        conn.recv(100)
        conn.sendall(b"HTTP/1.1 400 Bad Request\r\n\r\n")
        conn.close()

    threading.Thread(target=answer, daemon=True).start()
    with pytest.raises(ValueError, match="not like an MQTT broker"):
        probes.mqtt_connect("127.0.0.1", server.getsockname()[1], timeout=30)
    server.close()


# --- audio, library, disk, temperature ---------------------------------------------------------


def test_audio(tmp_path: Path) -> None:
    assert doctor.check_audio(cfg(), make_machine(tmp_path)).status == "warn"
    dummy = make_machine(tmp_path, environ={"SDL_AUDIODRIVER": "dummy"})
    assert "sound goes nowhere" in doctor.check_audio(cfg(), dummy).summary
    # The check opens the device as the player would: SDL's ALSA driver, a fake ALSA configuration.
    machine = alsa_machine(tmp_path, "".join(PI_WITH_DAC_CARDS.splitlines(keepends=True)[:4]))
    result = doctor.check_audio(cfg(), machine)
    if not result.details.get("ok"):
        pytest.skip(f"SDL's ALSA driver cannot open ALSA's default here: {result.summary}")
    assert result.details["cards"] == [
        "Headphones: bcm2835 Headphones",
        "sndrpihifiberry: snd_rpi_hifiberry_dac",
    ]
    assert doctor.check_audio(cfg(**{"player.audio_device": "fakedac"}), machine).status == "ok"
    hifiberry = doctor.check_audio(cfg(**{"player.audio_device": "hifiberry"}), machine)
    assert hifiberry.status == "warn"  # the card's default device: that card is not really here
    assert "ALSA device default:CARD=sndrpihifiberry" in hifiberry.summary
    assert doctor.check_audio(cfg(**{"player.audio_device": "usb"}), machine).status == "warn"


def test_library(tmp_path: Path) -> None:
    music = tmp_path / "music"
    (music / "album").mkdir(parents=True)
    (music / "album" / "a.FLAC").write_bytes(b"")
    (music / "album" / "b.mp3").write_bytes(b"")
    (music / "cover.jpg").write_bytes(b"")
    ok = doctor.check_library(cfg(**{"library.folders": [str(music)]}))
    assert ok.status == "ok"
    assert ok.details["files"] == 2
    missing = doctor.check_library(cfg(**{"library.folders": [str(music), str(tmp_path / "usb")]}))
    assert missing.status == "warn"
    assert str(tmp_path / "usb") in missing.summary
    (tmp_path / "empty").mkdir()
    assert (
        "no music found"
        in doctor.check_library(cfg(**{"library.folders": [str(tmp_path / "empty")]})).summary
    )


def test_disk(tmp_path: Path) -> None:
    result = doctor.check_disk(cfg(**{"device.data_dir": str(tmp_path / "not" / "yet")}))
    assert result.status in {"ok", "warn"}
    assert result.details["path"] == str(tmp_path)


def test_temperature_and_throttling(tmp_path: Path) -> None:
    machine = make_machine(tmp_path)
    assert doctor.check_temperature(machine).status == "skip"
    zone = machine.sysfs / "class" / "thermal" / "thermal_zone0"
    zone.mkdir(parents=True)
    (zone / "type").write_text("cpu-thermal\n")
    (zone / "temp").write_text("48312\n")
    assert doctor.check_temperature(machine).summary == "48 °C"
    (zone / "temp").write_text("83000\n")
    assert doctor.check_temperature(machine).status == "fail"
    (zone / "temp").write_text("50000\n")
    weak = make_machine(tmp_path, vcgencmd=lambda: "throttled=0x50005")
    result = doctor.check_temperature(weak)
    assert result.status == "fail"
    assert "under-voltage" in result.summary
    assert "900 mA" in result.fix
    earlier = make_machine(tmp_path, vcgencmd=lambda: "throttled=0x10000")
    assert doctor.check_temperature(earlier).status == "warn"


def test_gpio_check(tmp_path: Path) -> None:
    machine = make_machine(tmp_path)
    assert doctor.check_gpio(cfg(), machine).status == "skip"
    assert doctor.check_gpio(cfg(**{"gpio.enabled": True}), machine).status == "fail"
    (machine.dev / "gpiochip0").write_text("")
    assert doctor.check_gpio(cfg(**{"gpio.enabled": True}), machine).status == "ok"


# --- the command --------------------------------------------------------------------------------


def test_command_json_and_exit_code(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    mosquitto: Callable[..., int],
    free_port: Callable[[], int],
) -> None:
    port = mosquitto()
    config = tmp_path / "config.toml"
    config.write_text(f'[mqtt]\nenabled = true\nhost = "127.0.0.1"\nport = {port}\n')
    code = cli.main(["--config", str(config), "doctor", "--json", "--only", "broker", "--only", "disk"])
    out = json.loads(capsys.readouterr().out)
    assert [c["name"] for c in out["checks"]] == ["broker", "disk"]
    assert out["checks"][0]["status"] == "ok"
    assert code == 0
    assert out["ok"] is True

    dead = free_port()
    code = cli.main(["--config", str(config), "--set", f"mqtt.port={dead}", "doctor", "--only", "broker"])
    text = capsys.readouterr().out
    assert code == 1
    assert "[FAIL] broker" in text
    assert "fix: start the broker" in text
    assert "1 failure(s): something needs fixing." in text


def test_command_runs_every_check_on_this_machine(capsys: pytest.CaptureFixture[str]) -> None:
    code = cli.main(["doctor"])
    text = capsys.readouterr().out
    for name in doctor.CHECK_NAMES:
        assert f"] {name}" in text
    assert code in {0, 1}


def test_library_says_missing_for_a_folder_that_is_not_there(tmp_path: Path) -> None:
    """A folder that does not exist was reported as "not readable", which sends the owner looking at
    permissions instead of at an unplugged USB stick or a mistyped path."""
    result = doctor.check_library(cfg(**{"library.folders": [str(tmp_path / "usb")]}))
    assert result.status == "warn"
    assert f"folder(s) missing: {tmp_path / 'usb'}" in result.summary
    assert "not readable" not in result.summary
    (tmp_path / "file").write_text("")  # there, but not a folder
    result = doctor.check_library(cfg(**{"library.folders": [str(tmp_path / "file")]}))
    assert (
        f"not a folder: {tmp_path / 'file'}" in result.summary and "folder(s) missing" not in result.summary
    )
