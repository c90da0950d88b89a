"""Small read-only probes of the machine that the doctor's checks are built from.

Each one reads one boundary (sysfs, /proc, /dev, a socket, a library loader) and returns plain
values, so the checks stay simple and tests can point a probe at a prepared folder or a fake
module at exactly that boundary.
"""

from __future__ import annotations

import os
import socket
import ssl
import struct
from dataclasses import dataclass
from pathlib import Path

# the scanner's own list, from a module that loads nothing heavy (the doctor runs without librosa)
from moodspeaker.library.suffixes import AUDIO_SUFFIXES

#: Coral USB Accelerator ids: before its firmware is loaded, and after.
CORAL_USB_IDS = {("1a6e", "089a"): "USB (firmware not loaded yet)", ("18d1", "9302"): "USB"}

#: V4L2 nodes on a Raspberry Pi that are codecs/ISPs, not cameras a person would point at a face.
_PI_INTERNAL_VIDEO = ("bcm2835-codec", "bcm2835-isp", "rpi-hevc", "pispbe", "rp1-cfe", "unicam", "rpivid")


def coral_devices(sysfs: Path, dev: Path) -> list[str]:
    """Coral accelerators attached: USB ones from sysfs ids, PCIe/M.2 ones from /dev/apex_*."""
    found: list[str] = []
    usb = sysfs / "bus" / "usb" / "devices"
    if usb.is_dir():
        for device in sorted(usb.iterdir()):
            try:
                vendor = (device / "idVendor").read_text().strip().lower()
                product = (device / "idProduct").read_text().strip().lower()
            except OSError:
                continue
            kind = CORAL_USB_IDS.get((vendor, product))
            if kind:
                found.append(f"{kind} {vendor}:{product}")
    found.extend(f"PCIe {p.name}" for p in sorted(dev.glob("apex_*")))
    return found


@dataclass(frozen=True)
class VideoDevice:
    path: str
    name: str


def v4l2_cameras(sysfs: Path, dev: Path) -> list[VideoDevice]:
    """V4L2 capture nodes that look like real cameras (webcams, not the Pi's codec/ISP nodes)."""
    cameras: list[VideoDevice] = []
    for node in sorted(dev.glob("video*")):
        name_file = sysfs / "class" / "video4linux" / node.name / "name"
        try:
            name = name_file.read_text().strip()
        except OSError:
            name = "unknown"
        if any(tag in name.lower() for tag in _PI_INTERNAL_VIDEO):
            continue
        # A webcam exposes a second, metadata-only node with index 1; keep the capture one.
        index_file = sysfs / "class" / "video4linux" / node.name / "index"
        try:
            if int(index_file.read_text().strip()) != 0:
                continue
        except (OSError, ValueError):
            pass
        cameras.append(VideoDevice(str(node), name))
    return cameras


def sound_cards(proc: Path) -> list[str]:
    """ALSA cards from /proc/asound/cards, as 'id: description'."""
    try:
        text = (proc / "asound" / "cards").read_text()
    except OSError:
        return []
    cards: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or not line[0].isdigit() or "[" not in line:
            continue
        card_id = line.split("[", 1)[1].split("]", 1)[0].strip()
        description = line.split(" - ", 1)[1].strip() if " - " in line else card_id
        cards.append(f"{card_id}: {description}")
    return cards


def temperatures(sysfs: Path) -> dict[str, float]:
    """Every thermal zone's temperature in degrees Celsius."""
    zones: dict[str, float] = {}
    for zone in sorted((sysfs / "class" / "thermal").glob("thermal_zone*")):
        try:
            milli = int((zone / "temp").read_text().strip())
        except (OSError, ValueError):
            continue
        try:
            kind = (zone / "type").read_text().strip()
        except OSError:
            kind = zone.name
        zones[kind] = milli / 1000.0
    return zones


#: Bits of `vcgencmd get_throttled`: now (low bits) and since boot (high bits).
THROTTLE_NOW = {0: "under-voltage", 1: "ARM frequency capped", 2: "throttled", 3: "soft temperature limit"}
THROTTLE_SINCE_BOOT = {
    16: "under-voltage",
    17: "ARM frequency capped",
    18: "throttled",
    19: "soft temperature limit",
}


def parse_throttled(text: str) -> tuple[list[str], list[str]]:
    """`throttled=0x50005` -> (conditions now, conditions that happened since boot)."""
    value = int(text.strip().split("=", 1)[-1], 16)
    now = [name for bit, name in THROTTLE_NOW.items() if value & (1 << bit)]
    past = [name for bit, name in THROTTLE_SINCE_BOOT.items() if value & (1 << bit)]
    return now, past


def count_audio_files(folder: Path, limit: int = 20000) -> tuple[int, bool]:
    """Audio files below `folder` (those the scan would index: library.suffixes), counted up to
    `limit` (True when the count stopped there)."""
    count = 0
    for _root, _dirs, files in os.walk(folder):
        for name in files:
            if os.path.splitext(name)[1].lower() in AUDIO_SUFFIXES:
                count += 1
                if count >= limit:
                    return count, True
    return count, False


MQTT_CONNACK = {
    0: "accepted",
    1: "refused: unacceptable protocol version",
    2: "refused: client id rejected",
    3: "refused: server unavailable",
    4: "refused: bad user name or password",
    5: "refused: not authorised",
}


def _mqtt_string(value: str) -> bytes:
    data = value.encode("utf-8")
    return struct.pack("!H", len(data)) + data


def _remaining_length(length: int) -> bytes:
    out = bytearray()
    while True:
        byte, length = length % 128, length // 128
        out.append(byte | (0x80 if length else 0))
        if not length:
            return bytes(out)


def mqtt_connect(
    host: str,
    port: int,
    *,
    username: str = "",
    password: str = "",
    tls: bool = False,
    ca_file: str = "",
    cert_file: str = "",
    key_file: str = "",
    timeout: float = 3.0,
    client_id: str = "moodspeaker-doctor",
) -> int:
    """One MQTT 3.1.1 CONNECT/CONNACK exchange; returns the broker's return code (0 = accepted).

    Done by hand rather than with paho because the doctor must work without the `mqtt` extra and
    needs only this one question answered: would the broker take our connection?  Raises OSError
    (refused, unreachable, TLS failure, timeout) or ValueError (not an MQTT broker).
    """
    flags = 0x02  # clean session
    payload = _mqtt_string(client_id)
    if username:
        flags |= 0x80
        payload += _mqtt_string(username)
        if password:
            flags |= 0x40
            payload += _mqtt_string(password)
    variable = _mqtt_string("MQTT") + bytes([4, flags]) + struct.pack("!H", 10)
    body = variable + payload
    packet = b"\x10" + _remaining_length(len(body)) + body
    raw = socket.create_connection((host, port), timeout=timeout)
    sock: socket.socket = raw
    try:
        if tls:
            context = ssl.create_default_context(cafile=ca_file or None)
            if cert_file:
                context.load_cert_chain(cert_file, key_file or None)
            sock = context.wrap_socket(raw, server_hostname=host)
        sock.settimeout(timeout)
        sock.sendall(packet)
        reply = b""
        while len(reply) < 4:
            chunk = sock.recv(4 - len(reply))
            if not chunk:
                break
            reply += chunk
        if len(reply) < 4 or reply[0] != 0x20 or reply[1] != 0x02:
            raise ValueError(f"{host}:{port} answered, but not like an MQTT broker")
        if reply[3] == 0:
            sock.sendall(b"\xe0\x00")  # DISCONNECT, so the broker logs a clean goodbye
        return reply[3]
    finally:
        sock.close()
