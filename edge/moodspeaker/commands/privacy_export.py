"""`moodspeaker privacy export`: everything the speaker keeps about its listeners, as one JSON document:
the page's Privacy export, also for a speaker run without its page or whose page's password is lost.

From the speaker running on the data folder when one does (what it keeps in memory too), else from
the folder's files (service.privacy_data).  The JSON is the page's (service.privacy_export).
"""

from __future__ import annotations

import argparse
import json
import sqlite3
import sys
import time
from pathlib import Path
from typing import Any

from moodspeaker.commands.owner import as_owner_of
from moodspeaker.commands.privacy_folder import add_timeout, held
from moodspeaker.config import Config
from moodspeaker.config.load import data_dir
from moodspeaker.util.atomic import atomic_write_text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "-o",
        "--output",
        metavar="FILE",
        help="write the export to FILE, readable by you only (default: standard output)",
    )
    add_timeout(parser)


def run(args: argparse.Namespace, config: Config) -> int:
    from moodspeaker.service.privacy_desk import NoAnswerError, ask

    folder = data_dir(config)
    if not folder.is_dir():
        print(
            f"moodspeaker privacy export: no data folder {folder}: nothing is kept there (check "
            "device.data_dir, or give the speaker's config with --config)",
            file=sys.stderr,
        )
        return 1
    try:
        with held(folder) as free, as_owner_of(folder):
            body = _from_files(config, folder) if free else _asked(folder, args.timeout, ask)
    except NoAnswerError as exc:
        print(f"moodspeaker privacy export: {exc}; nothing was exported", file=sys.stderr)
        return 1
    except (OSError, sqlite3.Error, ValueError, RuntimeError) as exc:  # RuntimeError: the speaker refused
        print(f"moodspeaker privacy export: {folder}: {exc}", file=sys.stderr)
        return 1
    text = json.dumps(body, indent=1)
    if args.output is None:
        print(text)
        return 0
    try:
        atomic_write_text(Path(args.output), text + "\n", mode=0o600)  # personal data: yours only
    except OSError as exc:
        print(
            f"moodspeaker privacy export: cannot write {args.output}: {exc.strerror or exc}", file=sys.stderr
        )
        return 1
    print(f"exported to {args.output}", file=sys.stderr)
    return 0


def _from_files(config: Config, folder: Path) -> dict[str, Any]:
    from moodspeaker.service import privacy_data
    from moodspeaker.service.mood_history import export_file
    from moodspeaker.service.privacy_export import export_body

    return export_body(
        config,
        exported_at=time.time(),
        mood_history=export_file(folder),
        speaker_data=privacy_data.export_data(config, folder),
        state=privacy_data.state_of(folder),
    )


def _asked(folder: Path, timeout_s: float, ask: Any) -> dict[str, Any]:
    answer = ask(folder, "export", timeout_s)
    if not answer.get("ok") or not isinstance(answer.get("export"), dict):
        raise RuntimeError(f"the running speaker could not export: {answer.get('error', 'no export given')}")
    body: dict[str, Any] = answer["export"]
    return body
