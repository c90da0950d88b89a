"""The one configuration schema: every setting, its type, its default and its help text, stated once.

Each section is a frozen dataclass (wyoming-satellite style); each field is declared with
`setting(...)` (config.declare), which records the help text and bounds that the loader, the CLI and
the web form all read.  Nothing else in the project may repeat a default: read it from here.

Adding a setting: add a field to the right section with `setting(...)`; the vision sections (camera,
detector, classifier, mood) are declared in config.vision_schema and imported here.  Types understood
by the validator: bool, int, float, str, Literal[...] (a choice), tuple[str, ...] (a TOML list of
strings).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Literal

from moodspeaker.config.declare import setting
from moodspeaker.config.vision_schema import CameraConfig, ClassifierConfig, DetectorConfig, MoodConfig

__all__ = [
    "CameraConfig",
    "ClassifierConfig",
    "Config",
    "DetectorConfig",
    "DeviceConfig",
    "GpioConfig",
    "LibraryConfig",
    "MoodConfig",
    "MqttConfig",
    "PlayerConfig",
    "PrivacyConfig",
    "RecommendConfig",
    "WebConfig",
]


@dataclass(frozen=True)
class DeviceConfig:
    name: str = setting("Moodspeaker", "Friendly name shown on the LAN and in Home Assistant.", required=True)
    id: str = setting(
        "",
        "Unique device id used in MQTT topics; empty derives a stable one from the machine id.",
        advanced=True,
    )
    data_dir: str = setting(
        "~/.local/share/moodspeaker",
        "Where state, the library index, feedback and logs live (/var/lib/moodspeaker on the device).",
        absolute=True,
    )


@dataclass(frozen=True)
class LibraryConfig:
    folders: tuple[str, ...] = setting(
        ["~/Music"], "Folders with the household's music (local disk, USB stick, SMB/NFS mounts)."
    )
    servers: tuple[str, ...] = setting(
        [],
        "LAN library servers (http://host:port) or OpenSubsonic servers "
        "(subsonic+http://user:password@host:4533) to use besides local folders.",
    )
    workers: int = setting(2, "Analysis worker processes.", min=1, max=16)
    excerpt_s: float = setting(
        20.0,
        "Seconds analysed per excerpt (three excerpts per track).",
        min=5.0,
        max=120.0,
        unit="s",
        advanced=True,
    )
    # Why a minimum at all: households keep ringtones, jingles, sound effects and voice memos next to
    # their music (a phone's backup, a podcast's intro), and a 0.5 s ringtone was picked and played
    # as music.  Why 30 s: shorter than almost any song (a punk single or an interlude aside) and
    # longer than almost every ringtone, jingle and effect; 0 indexes every file.
    min_track_s: float = setting(
        30.0,
        "Files shorter than this are not indexed as music (ringtones, jingles, sound effects); "
        "0 indexes every file. Applies to files indexed before at the next scan.",
        min=0.0,
        max=600.0,
        unit="s",
        advanced=True,
        label="Minimum track length",
    )
    serve_port: int = setting(8765, "Port of `moodspeaker library serve`.", min=1, max=65535, advanced=True)
    # Why a bound: the speaker's SD card is shared with the system and the databases, and downloads
    # from a LAN server were kept for ever.  2 GB holds a few hundred songs of MP3 (about a hundred
    # of FLAC), a day or more of listening without the server.
    server_cache_mb: int = setting(
        2048,
        "Disk space for audio downloaded from each LAN library server; the least recently played "
        "downloads are deleted beyond it (downloads of tracks gone from the server go at each sync). "
        "A single file larger than this is refused: that track cannot be played from that server.",
        min=50,
        max=1_000_000,
        unit="MB",
        advanced=True,
    )


@dataclass(frozen=True)
class RecommendConfig:
    strategy: Literal["match", "uplift", "steady", "off"] = setting(
        "uplift",
        "Default strategy of profiles that never chose their own (a choice on the page or over MQTT "
        "is kept with the active profile). Match my mood (`match`): music that fits the mood; Lift gently "
        "(`uplift`): start there and lift it gently; Ignore mood (`steady`): moods are ignored; No auto "
        "picks (`off`): no automatic picks.",
        words=dict(match="Match my mood", uplift="Lift gently", steady="Ignore mood", off="No auto picks"),
    )
    profile: str = setting(
        "default",
        "Listener profile the speaker starts with (a change applies at the next start; the page "
        "and MQTT switch the active listener at once).",
    )
    profiles: tuple[str, ...] = setting(["default"], "Household listener profiles.")
    queue_length: int = setting(5, "Tracks planned ahead.", min=1, max=50, advanced=True)
    no_repeat_window: int = setting(
        30,
        "A track is not repeated within this many picks (a smaller library goes round, the track "
        "heard longest ago first); 0 allows repeats.",
        min=0,
        max=1000,
        advanced=True,
    )
    half_life_days: float = setting(
        14.0,
        "How fast old feedback fades; shorter follows a listener who changes faster.",
        min=0.1,
        max=3650.0,
        unit="days",
        advanced=True,
    )
    alpha_min: float = setting(
        0.8,
        "Lowest share of the content score once much feedback exists (the rest is collaborative).",
        min=0.0,
        max=1.0,
        advanced=True,
    )
    alpha_half_events: float = setting(
        40.0,
        "Feedback events at which the collaborative share is half of its maximum (cold start = content).",
        min=1.0,
        max=100000.0,
        advanced=True,
    )
    uplift_steps: int = setting(
        4, "Tracks taken by Lift gently (`uplift`) from the mood to its goal.", min=1, max=20, advanced=True
    )


@dataclass(frozen=True)
class PlayerConfig:
    audio_device: str = setting(
        "",
        "Audio output device; empty uses the system default. A card's id or a word of its name "
        "(sndrpihifiberry, hifiberry, Device: that card's default device), an ALSA device "
        "(default:CARD=sndrpihifiberry, plughw:CARD=Device, hdmi:CARD=vc4hdmi0; `aplay -L` lists them) "
        "or SDL's own name for a device. `moodspeaker doctor --only audio` tries it.",
    )
    volume: float = setting(
        0.85,
        "The volume the speaker starts at, at every start. Saving it leaves the volume playing now as "
        "it is: the Now tab's slider changes that one until the speaker restarts.",
        min=0.0,
        max=1.0,
        label="Start volume",
    )
    crossfade_s: float = setting(3.0, "Crossfade between tracks; 0 for none.", min=0.0, max=15.0, unit="s")
    target_lufs: float = setting(
        -16.0, "Loudness every track is normalised to.", min=-40.0, max=-5.0, unit="LUFS", advanced=True
    )
    switch_on_clash: bool = setting(
        True, "Crossfade away from the current track when it clearly clashes with a new mood."
    )
    clash_distance: float = setting(
        0.8,
        "How far (valence/arousal distance, 0..2.8) the current track must be from the best pick "
        "for the new mood before it is cut.",
        min=0.0,
        max=3.0,
        advanced=True,
    )
    switch_fade_s: float = setting(
        1.5, "Crossfade used when a clash or a skip cuts a track.", min=0.0, max=10.0, unit="s", advanced=True
    )
    autoplay: bool = setting(True, "Start playing by itself once a mood is read (else wait for Play).")


@dataclass(frozen=True)
class MqttConfig:
    enabled: bool = setting(False, "Publish mood events and accept commands over MQTT.")
    host: str = setting("localhost", "Broker host name or address.", required=True)
    port: int = setting(1883, "Broker port (8883 is usual with TLS).", min=1, max=65535)
    username: str = setting("", "Broker user name (set together with the password).")
    password: str = setting("", "Broker password.", secret=True)
    tls: bool = setting(False, "Connect with TLS.")
    ca_file: str = setting("", "CA certificate file for TLS; empty uses the system store.", advanced=True)
    cert_file: str = setting("", "Client certificate for TLS client authentication.", advanced=True)
    key_file: str = setting("", "Client key for TLS client authentication.", advanced=True)
    base_topic: str = setting("moodspeaker", "Topic prefix; the device id is added below it.", topic=True)
    discovery: bool = setting(True, "Announce entities to Home Assistant (MQTT discovery).")
    discovery_prefix: str = setting(
        "homeassistant", "Home Assistant discovery prefix.", advanced=True, topic=True
    )
    stats_interval_s: float = setting(
        60.0, "Seconds between stats messages.", min=1.0, max=3600.0, unit="s", advanced=True
    )
    keepalive_s: int = setting(
        30,
        "Keep-alive interval; the broker declares the speaker offline about 1.5x this after a power cut.",
        min=5,
        max=600,
        unit="s",
        advanced=True,
    )
    reconnect_max_s: float = setting(
        60.0,
        "Longest wait between reconnection attempts (the wait doubles from 1 s up to this).",
        min=1.0,
        max=600.0,
        unit="s",
        advanced=True,
    )
    outbox_size: int = setting(
        200,
        "Events kept while the broker is unreachable (oldest dropped first; state is always re-sent).",
        min=10,
        max=10000,
        advanced=True,
    )


@dataclass(frozen=True)
class WebConfig:
    enabled: bool = setting(True, "Serve the setup and control page.")
    host: str = setting("0.0.0.0", "Address the page listens on.", advanced=True, required=True)
    port: int = setting(8080, "Port of the page.", min=1, max=65535)
    zeroconf: bool = setting(True, "Advertise the page on the LAN (mDNS/zeroconf).")
    guest_view: bool = setting(False, "Allow a read-only view of what is playing without logging in.")
    allowed_hosts: tuple[str, ...] = setting(
        [],
        "Extra host names the page (and `library serve`) answers to, besides IP addresses, localhost, the "
        "device's name and home-network names (*.local, *.lan, *.home.arpa); others are refused "
        "(DNS-rebinding guard). E.g. nas.fritz.box for a library server reached by that name.",
        advanced=True,
    )
    session_days: int = setting(
        30, "Days a login lasts on a phone (it also ends after 7 days unused).", min=1, max=365, unit="days"
    )


@dataclass(frozen=True)
class PrivacyConfig:
    retention_days: int = setting(
        30,
        "Mood history, feedback, pick explanations, what played when, library-server downloads not played "
        "since and health's recent problems older than this are deleted (also without the page running).",
        min=1,
        max=3650,
        unit="days",
    )


@dataclass(frozen=True)
class GpioConfig:
    enabled: bool = setting(
        False, "Use the optional privacy button and status LED on the GPIO header (hardware/WIRING.md)."
    )
    button_pin: int = setting(
        17,
        "BCM number of the privacy button's pin (the button shorts it to ground); -1 for none.",
        min=-1,
        max=27,
        advanced=True,
    )
    led_pin: int = setting(
        27,
        "BCM number of the status LED's pin (lit while the camera is on); -1 for none.",
        min=-1,
        max=27,
        advanced=True,
    )


@dataclass(frozen=True)
class Config:
    """The whole configuration; one attribute per TOML table."""

    device: DeviceConfig = field(default_factory=DeviceConfig)
    camera: CameraConfig = field(default_factory=CameraConfig)
    detector: DetectorConfig = field(default_factory=DetectorConfig)
    classifier: ClassifierConfig = field(default_factory=ClassifierConfig)
    mood: MoodConfig = field(default_factory=MoodConfig)
    library: LibraryConfig = field(default_factory=LibraryConfig)
    recommend: RecommendConfig = field(default_factory=RecommendConfig)
    player: PlayerConfig = field(default_factory=PlayerConfig)
    mqtt: MqttConfig = field(default_factory=MqttConfig)
    web: WebConfig = field(default_factory=WebConfig)
    privacy: PrivacyConfig = field(default_factory=PrivacyConfig)
    gpio: GpioConfig = field(default_factory=GpioConfig)
