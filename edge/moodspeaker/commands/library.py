"""`moodspeaker library stats|serve|sync|discover`: the index at a glance, and sharing it on the LAN."""

from __future__ import annotations

import argparse
import json
import signal
import sys
import threading
import time
from pathlib import Path
from typing import TYPE_CHECKING, Any

from moodspeaker.commands import argtypes
from moodspeaker.commands.owner import as_owner_of
from moodspeaker.config import Config, data_dir
from moodspeaker.util.net import mask_url
from moodspeaker.util.program import command

if TYPE_CHECKING:  # imported where used: zeroconf and flask are optional extras (`lan`)
    from moodspeaker.library.lan.announce import Announcer
    from moodspeaker.library.lan.server import LibraryServer


def add_arguments(parser: argparse.ArgumentParser) -> None:
    sub = parser.add_subparsers(dest="action", metavar="ACTION", required=True)
    stats = sub.add_parser("stats", help="tracks by status, failures and scan problems with reasons")
    stats.add_argument("--json", action="store_true", help="print one JSON object")
    serve = sub.add_parser("serve", help="serve the index and the audio on the LAN (HTTP + zeroconf)")
    serve.add_argument("--host", default="0.0.0.0", help="address to listen on")
    serve.add_argument(
        "--port", type=argtypes.port_or_any, help="port (default: library.serve_port; 0 picks a free one)"
    )
    serve.add_argument("--no-zeroconf", action="store_true", help="do not announce the server")
    sync = sub.add_parser("sync", help="mirror a library server's index into the local LAN cache")
    sync.add_argument(
        "url",
        nargs="?",
        help="server URL (default: library.servers, else discovery); the mirror of a server not in "
        "library.servers is deleted at the service's next rescan (add it there to keep it)",
    )
    discover = sub.add_parser("discover", help="list library servers announced on the LAN")
    discover.add_argument("--timeout", type=float, default=3.0, help="seconds to listen")


def run(args: argparse.Namespace, config: Config) -> int:
    # sudo: the index, its journal and the LAN cache stay the service user's, who writes them later
    with as_owner_of(data_dir(config)):
        return _run(args, config)


def _run(args: argparse.Namespace, config: Config) -> int:
    from moodspeaker.library import db_path
    from moodspeaker.library.db import SchemaError
    from moodspeaker.library.index import LibraryIndex

    if args.action == "discover":
        from moodspeaker.library.lan.announce import discover

        for url in discover(args.timeout):
            print(url)
        return 0
    if args.action == "sync":
        return _sync(args, config)
    if args.action == "stats" and not db_path(config).exists():
        return _stats_before_indexing(args.json, config)
    if args.action == "serve" and not db_path(config).exists():
        # said, not made (as `stats`): opening the index would create an empty library.db, its schema
        # and the identity it is served with, in a data folder nothing was indexed in
        print(
            f"library serve: no library indexed yet in {data_dir(config)}, nothing to serve "
            f"(run {command('index')} first)",
            file=sys.stderr,
        )
        return 1
    try:
        index = LibraryIndex(db_path(config))
    except SchemaError as exc:
        print(f"library: {exc}", file=sys.stderr)
        return 2
    with index:
        if args.action == "stats":
            stats = index.stats()
            stats["indexed"] = True
            stats["remotes"] = _remote_stats(data_dir(config) / "lan-cache")
            return _stats(stats, args.json, str(db_path(config)))
        return _serve(index, args, config)


def _stats_before_indexing(as_json: bool, config: Config) -> int:
    """`stats` with no index yet: said, not made (opening the index as the indexer does creates an
    empty library.db and its schema, which a look should not).  The mirrors of LAN servers are
    reported all the same: a speaker playing only from the LAN has none of its own."""
    folder = data_dir(config)
    remotes = _remote_stats(folder / "lan-cache")
    if as_json:
        from moodspeaker.library.index import empty_stats

        print(json.dumps({**empty_stats(), "indexed": False, "remotes": remotes}))
        return 0
    print(f"no library indexed yet in {folder} (run moodspeaker index)")
    _print_remotes(remotes)
    return 0


def _remote_stats(cache_dir: Path) -> list[dict[str, Any]]:
    """Mirrors of LAN/OpenSubsonic servers: tracks, the last sync's outcome, rejected rows, stream errors."""
    from moodspeaker.library.index import LibraryIndex

    out = []
    for db in sorted(cache_dir.glob("*/index.db")):
        try:
            with LibraryIndex(db) as mirror:
                last = json.loads(mirror.meta("last_sync") or "{}")
                s = mirror.stats()
        except Exception as exc:  # a damaged mirror is reported, not fatal
            out.append({"mirror": db.parent.name, "error": str(exc)})
            continue
        out.append({"mirror": db.parent.name, "tracks": s["analysed"], "last_sync": last,
                    "problems": s["problems"]})  # fmt: skip
    return out


def _stats(stats: dict[str, Any], as_json: bool, where: str) -> int:
    if as_json:
        print(json.dumps(stats))
        return 0
    # the index counts files kept out as shorter than library.min_track_s among the failed (`short`
    # of them, as the JSON says); here they are told apart: a ringtone is no failure to look into
    short = [f for f in stats["failures"] if f["status"] == "short"]
    failures = [f for f in stats["failures"] if f["status"] != "short"]
    print(f"library index: {where}")
    print(
        f"tracks: {stats['tracks']} ({stats['analysed']} analysed, {stats['pending']} pending, "
        f"{stats['failed'] - stats['short']} failed, {stats['short']} too short), "
        f"{stats['hours']:.1f} hours of music"
    )
    for source, count in sorted(stats["sources"].items()):
        print(f"  source {source}: {count}")
    if failures:
        print("failed:")
        for f in failures:
            print(f"  {f['path']}: {f['reason']}")
    if short:
        print("too short (not analysed; a lower library.min_track_s indexes them at the next scan):")
        for f in short:
            print(f"  {f['path']}: {f['reason']}")
    if stats["problems"]:
        print("problems found while scanning:")
        for p in stats["problems"]:
            print(f"  [{p['kind']}] {p['path']}: {p['reason']}")
    _print_remotes(stats.get("remotes", []))
    return 0


def _print_remotes(remotes: list[dict[str, Any]]) -> None:
    for remote in remotes:
        if "error" in remote:
            print(f"server mirror {remote['mirror']}: unreadable ({remote['error']})")
            continue
        last = remote["last_sync"]
        when = time.strftime("%Y-%m-%d %H:%M", time.localtime(last["at"])) if last.get("at") else "never"
        outcome = f"failed: {last['error']}" if last.get("error") else "ok"
        print(f"server mirror {remote['mirror']}: {remote['tracks']} tracks, last sync {when} ({outcome})")
        for p in remote["problems"]:
            print(f"  [{p['kind']}] {p['path']}: {p['reason']}")


def _serve(index: Any, args: argparse.Namespace, config: Config) -> int:
    from moodspeaker.library.lan.server import LibraryServer

    port = config.library.serve_port if args.port is None else args.port
    try:
        # the page's extra host names too (web.allowed_hosts): a NAS reached as nas.fritz.box is refused
        # by the DNS-rebinding guard unless its owner names it there
        name, hosts = f"{config.device.name} library", config.web.allowed_hosts
        server = LibraryServer(index, args.host, port, name=name, allowed_hosts=hosts).start()
    except OSError as exc:
        from moodspeaker.system.listen import in_use

        why = (
            f"port {port} is already in use by another program; stop it, or serve on another port "
            "with --port N (or the library.serve_port setting)"
            if in_use(exc)
            else f"cannot listen on {args.host}:{port}: {exc.strerror or exc}"
        )
        print(f"library serve: {why}", file=sys.stderr)
        return 2
    announcer = None if args.no_zeroconf else _announce(server, config)
    stop = threading.Event()
    # before saying it serves: a stop from then on is a clean one
    signal.signal(signal.SIGTERM, lambda *_: stop.set())
    print(f"serving {index.stats()['analysed']} tracks on {server.url} (Ctrl-C to stop)", flush=True)
    try:  # Ctrl-C's KeyboardInterrupt goes on to cli.main ("interrupted", exit 130); SIGTERM returns 0
        stop.wait()
    finally:
        if announcer is not None:
            announcer.close()
        server.stop()
    return 0


def _announce(server: LibraryServer, config: Config) -> Announcer | None:
    """The started zeroconf announcement of `server`, or None.  A server on one address is announced on
    that address's interface only, naming that address only: announced on every interface, it sent
    phones and speakers on other networks to a server they cannot reach (util.net.one_address)."""
    from moodspeaker.library.lan.announce import Announcer
    from moodspeaker.util.net import local_addresses, one_address

    only = one_address(server.address)
    if only is not None and ":" in only:  # the announcement is IPv4 only (Announcer): it cannot name it
        print(
            f"library serve: not announced on the LAN (zeroconf): it listens on {only} only, and the "
            "announcement names IPv4 addresses only (serve on 0.0.0.0 or an IPv4 address to announce it)",
            file=sys.stderr,
        )
        return None
    # `only` None: every interface, every local address (a server on 0.0.0.0, "" or ::)
    interfaces = None if only is None else [only]
    addresses = interfaces or local_addresses()
    announcer = Announcer(f"{config.device.name} library", server.port, addresses, interfaces=interfaces)
    try:
        announcer.start()
    except Exception as exc:  # zeroconf problems must not stop the server itself
        print(f"library serve: zeroconf announcement failed: {exc}", file=sys.stderr)
        return None
    return announcer


def _sync(args: argparse.Namespace, config: Config) -> int:
    from moodspeaker.library import numba_cache_dir
    from moodspeaker.library.lan.sources import SyncError, open_remote, sync_remote

    urls = [args.url] if args.url else list(config.library.servers)
    if not urls:
        from moodspeaker.library.lan.announce import discover

        urls = discover(3.0)
    if not urls:
        print("library sync: no server given, configured or found on the LAN", file=sys.stderr)
        return 1
    status = 0
    for url in urls:
        shown = mask_url(url)  # an OpenSubsonic server's URL carries its password: never printed
        try:
            # the JIT cache every analyser shares: an OpenSubsonic sync analyses its songs here
            cache_mb = config.library.server_cache_mb
            lan = open_remote(url, data_dir(config) / "lan-cache", cache_mb, numba_cache_dir(config))
        except ValueError as exc:
            print(f"library sync: {exc}", file=sys.stderr)
            status = 2
            continue
        try:
            result = sync_remote(lan)  # the service's rescan syncs the same way
            changed = getattr(result, "updated", getattr(result, "analysed", 0))
            print(f"{shown}: {changed} new or updated, {result.removed} removed, {len(lan.tracks())} cached")
            for tid, reason in getattr(result, "rejected", getattr(result, "failed", [])):
                print(f"  rejected {tid}: {reason}")
        except SyncError as exc:
            status = 1
            print(f"{shown}: sync failed ({exc.reason}); " + (
                "nothing kept" if exc.kept is None else f"{exc.kept} tracks still usable from the cache"
            ))  # fmt: skip
        finally:
            lan.close()
    return status
