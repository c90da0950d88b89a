"""`moodspeaker run`: the appliance service (camera, mood, music, page, MQTT) until stopped."""

from __future__ import annotations

import argparse
import sys

from moodspeaker.commands import argtypes
from moodspeaker.config import Config


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--port", type=argtypes.port, help="web page port (overrides web.port)")
    parser.add_argument("--no-web", action="store_true", help="do not serve the page")
    parser.add_argument("--no-mqtt", action="store_true", help="do not connect to MQTT")


def run(args: argparse.Namespace, config: Config) -> int:
    import dataclasses

    from moodspeaker.commands.webport import web_port_problem
    from moodspeaker.config.follow import config_set_of
    from moodspeaker.config.load import config_path, data_dir
    from moodspeaker.service.app import Appliance
    from moodspeaker.service.components import PartError, build_parts
    from moodspeaker.service.control import ControlAPI
    from moodspeaker.service.datalock import FolderInUseError, hold_data_folder
    from moodspeaker.service.events import EventBus
    from moodspeaker.service.runner import serve_until_signal
    from moodspeaker.system.alsa import quiet_alsa
    from moodspeaker.system.nodump import no_core_dumps
    from moodspeaker.util.program import command

    no_core_dumps()  # frames stay in memory: no core dump, also when started by hand (system.nodump)
    # libasound's own lines on each try of a missing output (8 a try, retried for as long as it is
    # missing) drown the log; the player says once what is wrong ("audio output lost: ...")
    quiet_alsa()

    if args.no_web:
        config = dataclasses.replace(config, web=dataclasses.replace(config.web, enabled=False))
    if args.no_mqtt:
        config = dataclasses.replace(config, mqtt=dataclasses.replace(config.mqtt, enabled=False))
    folder = data_dir(config)
    try:  # one speaker per data folder (service.datalock), before anything in it is opened
        held = hold_data_folder(folder)
    except (FolderInUseError, OSError) as exc:
        print(f"moodspeaker run: {exc}", file=sys.stderr)
        return 1
    with held:
        # refuse to start rather than run on without the page (see commands.webport)
        # said as typed here (util.program), with --config when `config set` would set another file
        followed = config_path(args.config)
        hint = f"`{config_set_of(followed) if followed else command('config set')} web.port=N`"
        problem = web_port_problem(config, args.port, setting_hint=hint)
        if problem:
            print(f"moodspeaker run: {problem}", file=sys.stderr)
            return 1
        try:
            parts = build_parts(config, folder)
        except (PartError, OSError) as exc:
            print(f"moodspeaker run: {exc}", file=sys.stderr)
            return 1
        bus = EventBus()
        app = Appliance(config, bus, parts, folder)
        return serve_until_signal(
            app,
            ControlAPI(app, bus),
            bus,
            config,
            folder,
            config_path=config_path(args.config),
            web_port=args.port,
            # catch up with files and LAN servers, in the background
            ready=lambda _faces: app.rescan_library(),
        )
