"""Run the appliance with its outside faces (web page, MQTT) until SIGTERM/SIGINT, then shut down cleanly.

Shared by `moodspeaker run` (the device) and `moodspeaker demo` (any machine).  The page and MQTT
are additions: if one cannot start (port taken, package missing, no broker) the speaker still plays
and the reason is printed and recorded in health.
"""

from __future__ import annotations

import logging
import signal
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import FrameType
from typing import Any

from moodspeaker.config.asked import say_followed, say_stopped
from moodspeaker.config.schema import Config
from moodspeaker.service.app import Appliance
from moodspeaker.service.component_states import ComponentState
from moodspeaker.service.control import ControlAPI
from moodspeaker.service.events import EventBus, StateChanged
from moodspeaker.service.file_settings import FollowedFile
from moodspeaker.service.privacy_desk import PrivacyDesk
from moodspeaker.service.privacy_export import answering
from moodspeaker.system import sdnotify
from moodspeaker.system.broker_exposure import open_broker
from moodspeaker.system.gpio import make_privacy_button
from moodspeaker.util.net import route_source_address

log = logging.getLogger(__name__)

Say = Callable[[str], None]


@dataclass
class Faces:
    """What the runner started besides the appliance (each may be None)."""

    web: Any = None
    mqtt: Any = None
    gpio: Any = None  # the privacy button and LED (gpio.enabled)


def broker_answers(host: str, port: int, timeout: float = 0.5) -> bool:
    """True when something accepts TCP connections at host:port (a quick check before MQTT)."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def start_web(
    app: Appliance,
    *,
    control: ControlAPI,
    bus: EventBus,
    config: Config,
    data_dir: Path,
    config_path: Path | None,
    say: Say,
    port: int | None = None,
) -> Any:
    if not config.web.enabled:
        app.health.set_state("web", ComponentState.OFF, "web.enabled = false")
        return None
    try:
        from moodspeaker_web.server import serve  # noqa: PLC0415 (optional extra)
    except ImportError as exc:
        say(f"web page: not available ({exc}); install the 'web' extra")
        app.health.set_state("web", ComponentState.OFF, str(exc))
        return None
    try:
        server = serve(
            control,
            bus,
            config=config,
            config_path=config_path,
            data_dir=data_dir,
            port=port,
            on_config_change=app.apply_config,
        )
    except OSError as exc:
        say(f"web page: cannot listen on port {port or config.web.port} ({exc.strerror}); running without it")
        app.health.set_state("web", ComponentState.ERROR, str(exc))
        return None
    app.health.set_state("web", ComponentState.OK, server.url)
    say(f"web page: {server.url}")
    lan = lan_url(server.port, config.web.host)
    if lan:  # 127.0.0.1 opens only on this machine: a phone on the Wi-Fi needs the LAN address
        say(f"web page from a phone on the same network: {lan}")
    return server


def lan_url(port: int, host: str) -> str:
    """The page's URL on the LAN when it listens on every interface (web.host 0.0.0.0, ::, empty),
    else '' (a host of its own is in the page's URL already).  The LAN address is the one the MQTT
    announcement gives Home Assistant (mqtt.identity.lan_address: the default route's source)."""
    if host.strip().strip("[]") not in {"0.0.0.0", "", "::"}:
        return ""
    lan = route_source_address()
    return f"http://{lan}:{port}/" if lan else ""


def start_mqtt(
    app: Appliance, *, control: ControlAPI, bus: EventBus, config: Config, say: Say, web_url: str = ""
) -> Any:
    cfg = config.mqtt
    if not cfg.enabled:
        app.health.set_state("broker", ComponentState.OFF, "mqtt.enabled = false")
        return None
    try:
        from moodspeaker.mqtt.bridge import MqttBridge  # noqa: PLC0415 (optional extra)
    except ImportError as exc:
        say(f"MQTT: not available ({exc}); install the 'mqtt' extra")
        app.health.set_state("broker", ComponentState.OFF, str(exc))
        return None
    try:
        bridge = MqttBridge(config, control, bus, web_url=web_url)
    except ValueError as exc:  # MqttSetupError / TopicError: settings that cannot work together
        say(f"MQTT: {exc}; running without it")
        app.health.set_state("broker", ComponentState.ERROR, str(exc))
        return None
    bridge.start()
    # A broker on the network without a login or TLS: said at the start and in the broker's detail,
    # for as long as it runs so (system.broker_exposure; `moodspeaker doctor` warns of it too).
    problem, fix = open_broker(cfg)
    warning = f"; warning: {problem}: {fix}" if problem else ""
    app.health.set_state("broker", ComponentState.CONNECTING, f"{cfg.host}:{cfg.port}{warning}")
    say(f"MQTT: connecting to {cfg.host}:{cfg.port} (topics under {cfg.base_topic}/{bridge.device_id}/)")
    if problem:
        say(f"MQTT: warning: {problem}: {fix}")

    def track(_event: Any) -> None:
        state = ComponentState.OK if bridge.connected else ComponentState.DISCONNECTED
        error = "" if bridge.connected else str(bridge.stats().get("last_error", ""))
        detail = f"{cfg.host}:{cfg.port}" + (f": {error}" if error else "") + warning  # e.g. refused login
        if app.health.set_state("broker", state, detail):
            bus.publish(StateChanged(ts=_event.ts, key="broker", value=state))

    bus.subscribe(lambda e: track(e) if e.kind == "health" else None)
    return bridge


def start_gpio(app: Appliance, *, control: ControlAPI, bus: EventBus, config: Config, say: Say) -> Any:
    """The privacy button and LED; None when gpio.enabled is false (the default) or they cannot start.
    Without a working button, a camera the button held off (state.json) is let go of: nothing else
    could switch it on (`Appliance.release_camera_hold`); it stays off until switched on."""
    try:
        button = make_privacy_button(config.gpio, control, bus)
    except RuntimeError as exc:
        say(f"privacy button: {exc}; running without it")
        app.health.set_state("gpio", ComponentState.ERROR, str(exc))
        app.release_camera_hold(f"the privacy button could not start: {exc}")
        return None
    if button is None or not button.has_button:
        app.release_camera_hold("gpio.enabled = false" if not config.gpio.enabled else "gpio.button_pin = -1")
    if button is not None:
        app.health.set_state(
            "gpio", ComponentState.OK, f"button {config.gpio.button_pin}, LED {config.gpio.led_pin}"
        )
        say(f"privacy button: GPIO {config.gpio.button_pin}")
    return button


def serve_until_signal(
    app: Appliance,
    control: ControlAPI,
    bus: EventBus,
    config: Config,
    data_dir: Path,
    *,
    config_path: Path | None = None,
    web_port: int | None = None,
    say: Say = print,
    stop: threading.Event | None = None,
    ready: Callable[[Faces], None] | None = None,
    tick_s: float = 1.0,
) -> int:
    """Start everything, block until SIGTERM/SIGINT (or `stop`), then stop in reverse order.

    SIGTERM (systemd's stop) and `stop` return 0.  SIGINT (Ctrl-C) stops just as cleanly, then
    raises KeyboardInterrupt, so that the command line ends it as every command's Ctrl-C ends:
    "moodspeaker: interrupted", exit 130 (it returned 0, which a script took for a normal end).

    Under systemd (Type=notify, WatchdogSec=) the main loop sends a watchdog ping after each pass
    that found the appliance healthy (`Appliance.liveness_problem`), every `tick_s` seconds; while
    it is not, the pings stop and systemd restarts the service.

    Meanwhile the settings changed in the config file at `config_path` (`moodspeaker config set`, a
    hand edit) are applied as the page applies a save, every `tick_s` (service.file_settings); and
    `moodspeaker privacy export`/`delete-everything` are answered (service.privacy_desk).
    """
    stop = stop or threading.Event()
    followed = FollowedFile(config_path, app, data_dir) if config_path is not None else None
    received: list[int] = []  # the signals that stopped it, in order

    def on_signal(signum: int, _frame: FrameType | None) -> None:
        say(f"{signal.Signals(signum).name}: shutting down")
        received.append(signum)
        stop.set()

    previous = {}
    if threading.current_thread() is threading.main_thread():
        for sig in (signal.SIGTERM, signal.SIGINT):
            previous[sig] = signal.signal(sig, on_signal)
    faces = Faces()
    following: threading.Thread | None = None  # the config file's follower, until `done`
    desk: threading.Thread | None = None  # the privacy requests' answerer, until `done`
    done = threading.Event()
    say_followed(data_dir, config_path)  # for `config set`: which file this speaker takes (config.asked)
    try:
        app.start()
        faces.web = start_web(
            app,
            control=control,
            bus=bus,
            config=config,
            data_dir=data_dir,
            config_path=config_path,
            say=say,
            port=web_port,
        )
        web_url = faces.web.url if faces.web else ""
        if followed is not None:
            followed.web = faces.web
        faces.mqtt = start_mqtt(app, control=control, bus=bus, config=config, say=say, web_url=web_url)
        faces.gpio = start_gpio(app, control=control, bus=bus, config=config, say=say)
        sdnotify.ready()
        if ready is not None:
            ready(faces)
        if followed is not None:
            following = followed.follow(done, tick_s)
        answer = answering(app, control, data_dir, config_path, lambda: faces.web)
        desk = PrivacyDesk(data_dir, answer).follow(done, tick_s)
        _main_loop(app, stop, tick_s, say)
    finally:
        sdnotify.stopping()
        done.set()
        for thread in (following, desk):  # a change or deletion under way ends before what it acts on stops
            if thread is not None:
                thread.join(30)
        if faces.gpio is not None:
            try:
                faces.gpio.close()
            except Exception:
                log.exception("releasing the GPIO pins failed")
        for name, part in (("MQTT", faces.mqtt), ("web page", faces.web)):
            if part is not None:
                try:
                    part.stop()
                except Exception:
                    log.exception("stopping the %s failed", name)
        app.stop()
        say_stopped(data_dir)
        for sig, handler in previous.items():
            signal.signal(sig, handler)
        say("stopped")
    if received and received[0] == signal.SIGINT:
        raise KeyboardInterrupt  # after the orderly stop above; cli.main says "interrupted", exit 130
    return 0


def _main_loop(app: Appliance, stop: threading.Event, tick_s: float, say: Say) -> None:
    """Ping systemd's watchdog after every pass that found the appliance healthy (never from a
    timer thread: a wedged process must go quiet); say when the pings stop and when they resume."""
    silent = ""
    while not stop.wait(tick_s):
        problem = app.liveness_problem()
        if problem and not silent:
            log.error("not telling systemd we are alive: %s", problem)
            say(f"watchdog: not telling systemd we are alive: {problem}")
        elif not problem:
            if silent:
                say("watchdog: healthy again")
            sdnotify.watchdog()
        silent = problem
