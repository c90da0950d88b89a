"""The data export and "delete everything" as the owner asks for them: one body and one order of steps
for the page's Privacy tab and `moodspeaker privacy export` / `delete-everything` alike.

Why a module of its own, in the edge package: the page (web-config) built the export's JSON and ran
the deletion's steps itself, so a speaker run without the page (`--no-web`, Home Assistant households)
or whose page's password was lost had no way to export or delete its personal data.  The command line
gives the same JSON from the same code (`export_body`), and a deletion asked of a running speaker runs
the page's steps (`delete_everything`) in the service (service.privacy_desk).
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Any

from moodspeaker.config import Config, ConfigError, with_changes
from moodspeaker.config.edit import update
from moodspeaker.config.load import to_mapping
from moodspeaker.config.schema import RecommendConfig
from moodspeaker.service.control import CommandError, ControlAPI
from moodspeaker.service.listeners import PartlyDeletedError
from moodspeaker.service.mood_history import export_file as export_mood_history
from moodspeaker.util.export_dates import dated
from moodspeaker.util.jsonsafe import json_safe
from moodspeaker.util.net import URL_LISTS, mask_url

if TYPE_CHECKING:  # the page imports this module, and needs no Appliance
    from moodspeaker.service.app import Appliance

log = logging.getLogger(__name__)

NOTE = (
    "Everything this speaker keeps about its listeners. It never stores pictures. "
    "Times are ISO 8601 dates in UTC, except inside the files given as they are on disk "
    "(saved_state, calibration, text)."
)

#: What the owner is told once everything is deleted (the page's message, the command's last line).
DELETED = (
    "Everything is deleted: mood history, feedback, profiles, neutral-face calibrations, what played, "
    "the downloaded tracks (but those playing or up next) and the recent problems."
)

SaveChanges = Callable[[Callable[[Config], Mapping[str, Any]]], object]


def export_body(
    config: Config,
    *,
    exported_at: float,
    mood_history: list[dict[str, Any]],
    speaker_data: Mapping[str, Any],
    state: Mapping[str, Any],
) -> dict[str, Any]:
    """The data export, JSON-ready with its times as ISO 8601 dates (util.export_dates)."""
    body = {
        "exported_at": exported_at,
        "speaker": config.device.name,
        "note": NOTE,
        "mood_history": mood_history,
        "speaker_data": json_safe(dict(speaker_data), max_items=None),  # all of it: none left out
        "explanations": explanations(state),
        "settings": settings_for_export(config),
    }
    return dict(dated(body))


def explanations(state: Mapping[str, Any]) -> dict[str, Any]:
    """Why the tracks playing, queued and started last were picked, as the speaker reports them.  Each
    quotes the mood read then and what was learned ("you look sad (80% sure)"): kept by the speaker
    (its state file, health's "why these tracks") and taken back by delete-everything and the
    retention, so the export gives them too (it gave only the mood history, feedback and profiles)."""

    def pick(item: Any) -> dict[str, Any] | None:
        if not isinstance(item, dict) or not item.get("reason"):
            return None
        return {key: item.get(key) for key in ("track_id", "title", "artist", "reason")}

    queue = state.get("queue")
    health = state.get("health")
    recent = health.get("reasons") if isinstance(health, dict) else None
    return {
        "now_playing": pick(state.get("now_playing")),
        "queue": [p for p in map(pick, queue if isinstance(queue, list) else []) if p],
        "started_last": [
            {key: r.get(key) for key in ("ts", "track_id", "title", "reason")}
            for r in (recent if isinstance(recent, list) else [])
            if isinstance(r, dict) and r.get("reason")
        ],
    }


def settings_for_export(config: Config) -> dict[str, Any]:
    """The settings with secrets hidden, including passwords inside server URLs."""
    data = to_mapping(config, hide_secrets=True)
    for dotted in URL_LISTS:
        section, key = dotted.split(".")
        if key in data.get(section, {}):
            data[section][key] = [mask_url(url) for url in data[section][key]]
    return data


def profiles_reset(now: Config, running: Config) -> dict[str, Any]:
    """The default profile names, when the config file as it is now (`now`, as save_changes reads it)
    or the `running` speaker's config lists others; {} when neither does.  The file, not only the
    running config: names `moodspeaker config set` (or an edit by hand) wrote since the start would
    stay in Settings, and make their profiles again at the next start."""
    defaults = RecommendConfig()
    listed = {(c.recommend.profiles, c.recommend.profile) for c in (now, running)}
    if listed == {(defaults.profiles, defaults.profile)}:
        return {}
    return {"recommend.profiles": list(defaults.profiles), "recommend.profile": defaults.profile}


def delete_everything(
    control: ControlAPI, running: Callable[[], Config], save_changes: SaveChanges | None, source: str
) -> list[str]:
    """The page's "delete everything", wherever it is asked: the config's profile names first (the
    speaker makes again the profiles its config lists; `save_changes` writes the file and applies it
    to the running speaker, None: no file), then the service's deletion (ControlAPI.delete_data, which
    includes the mood history and the set-aside state copies), then the listener chosen meanwhile
    switched back to the configured one (left active, its name stays in the pickers and the next
    track's feedback makes its profile again).  Returns the problems to tell the owner, each a
    sentence naming what was left ([]: everything went); `source` names the asker ("web").  Raises
    CommandError when nothing could be deleted (a refusing profile database: the speaker's sentence)."""
    problems: list[str] = []
    if save_changes is not None:
        try:
            save_changes(lambda now: profiles_reset(now, running()))
        except (ConfigError, OSError) as exc:
            log.warning("the profiles of the config file could not be reset: %s", exc)
    try:
        control.delete_data(None)
    except PartlyDeletedError as exc:
        said = str(exc)
        problems.append(said[:1].upper() + said[1:])
    listener = running().recommend.profile
    if control.state().get("profile") not in (None, listener):
        try:
            control.execute("set_profile", {"profile": listener}, source=source)
        except CommandError as exc:
            problems.append(f"The listener could not be switched back to {listener}: {exc}")
    return problems


def file_saver(path: Path, app: Appliance) -> SaveChanges:
    """The page's save_changes for a speaker running without its page: the changes written onto the
    config file as it is now (under its lock, config.edit.update) and applied to the running speaker."""

    def save(changes: Callable[[Config], Mapping[str, Any]]) -> object:
        applied: dict[str, Any] = {}

        def change(now: Config) -> Config:
            applied.update(changes(now))
            return with_changes(now, applied, source="privacy delete-everything")

        update(path, change, missing_ok=True)
        if applied:
            app.apply_config(with_changes(app.config, applied, source=str(path)))
        return applied

    return save


def answering(
    app: Appliance, control: ControlAPI, data_dir: Path, config_path: Path | None, web: Callable[[], Any]
) -> Callable[[str], dict[str, Any]]:
    """What the running speaker does for `moodspeaker privacy` (service.privacy_desk): "export" gives
    the page's export (its mood history through the page when it runs here, `web()`'s WebServer, else
    from the file), "delete" runs the page's deletion; a page running here saves the config as its
    own save does."""

    def handle(action: str) -> dict[str, Any]:
        ctx = getattr(web(), "ctx", None)
        if action == "export":
            if ctx is not None and ctx.recorder is not None:
                ctx.recorder.flush()
            history = ctx.history.export() if ctx is not None else export_mood_history(data_dir)
            config = ctx.config if ctx is not None else app.config
            body = export_body(
                config,
                exported_at=time.time(),
                mood_history=history,
                speaker_data=control.export_data(),
                state=control.state(),
            )
            return {"export": body}
        if ctx is not None:
            save = ctx.save_changes if ctx.config_path is not None else None
            problems = delete_everything(control, lambda: ctx.config, save, source="command line")
        else:
            save = file_saver(config_path, app) if config_path is not None else None
            problems = delete_everything(control, lambda: app.config, save, source="command line")
        log.warning("all personal data deleted from the command line")
        return {"deleted": DELETED, "problems": problems}

    return handle
