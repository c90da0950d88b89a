"""The privacy page and its actions: the camera switch, the data export and delete-everything.

Kept apart from views.py (the status, settings and health pages) so each stays short; the routes are
added to the same "views" blueprint by `add_privacy_pages`, so their endpoints (views.privacy,
views.camera, views.export, views.delete_everything) and URLs are what they were.
"""

from __future__ import annotations

import json
import logging
from typing import Any

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from moodspeaker.config import Config, ConfigError
from moodspeaker.config.load import to_mapping
from moodspeaker.config.schema import RecommendConfig
from moodspeaker.service.control import CommandError
from moodspeaker.service.listeners import PartlyDeletedError
from moodspeaker.util.export_dates import dated
from moodspeaker.util.net import mask_url
from moodspeaker_web import forms
from moodspeaker_web.context import json_safe, web
from moodspeaker_web.guard import owner_required

log = logging.getLogger("moodspeaker_web.views")


def add_privacy_pages(blueprint: Blueprint) -> None:
    """Route the privacy pages on `blueprint` (the pages' blueprint, whose name the templates use)."""
    blueprint.add_url_rule("/privacy", "privacy", privacy, methods=["GET"])
    blueprint.add_url_rule("/privacy/camera", "camera", camera, methods=["POST"])
    blueprint.add_url_rule("/privacy/export", "export", export, methods=["GET"])
    blueprint.add_url_rule("/privacy/delete", "delete_everything", delete_everything, methods=["POST"])


@owner_required
def privacy() -> str:
    ctx = web()
    state = ctx.state()
    return render_template(
        "privacy.html",
        camera=bool(state.get("camera", ctx.config.camera.enabled)),
        interval=ctx.config.camera.interval_s,
        retention=ctx.config.privacy.retention_days,
        samples=ctx.history.count(),
    )


@owner_required
def camera() -> BaseResponse:
    enabled = request.form.get("enabled") == "on"
    try:
        web().control.execute("set_camera", {"enabled": enabled}, source="web")
    except CommandError as exc:
        flash(str(exc), "error")
    else:
        flash("Camera on." if enabled else "Camera off: no pictures are taken from now on.")
    return redirect(url_for("views.privacy"))


@owner_required
def export() -> Response:
    ctx = web()
    if ctx.recorder is not None:
        ctx.recorder.flush()
    body = {
        "exported_at": ctx.clock(),
        "speaker": ctx.config.device.name,
        "note": "Everything this speaker keeps about its listeners. It never stores pictures. "
        "Times are ISO 8601 dates in UTC, except inside the files given as they are on disk "
        "(saved_state, calibration, text).",
        "mood_history": ctx.history.export(),
        "speaker_data": json_safe(ctx.control.export_data()),
        "explanations": _explanations(ctx.state()),
        "settings": _settings_for_export(ctx.config),
    }
    return Response(
        json.dumps(dated(body), indent=1),
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="moodspeaker-my-data.json"'},
    )


def _explanations(state: dict[str, Any]) -> dict[str, Any]:
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


def _settings_for_export(config: Any) -> dict[str, Any]:
    """The settings with secrets hidden, including passwords inside server URLs."""
    data = to_mapping(config, hide_secrets=True)
    for dotted in forms.URL_LISTS:
        section, key = dotted.split(".")
        if key in data.get(section, {}):
            data[section][key] = [mask_url(url) for url in data[section][key]]
    return data


def _profiles_reset(now: Config, running: Config) -> dict[str, Any]:
    """The default profile names, when the config file as it is now (`now`, as save_changes reads it)
    or the `running` speaker's config lists others; {} when neither does.  The file, not only the
    running config: names `moodspeaker config set` (or an edit by hand) wrote since the start would
    stay in Settings, and make their profiles again at the next start."""
    defaults = RecommendConfig()
    listed = {(c.recommend.profiles, c.recommend.profile) for c in (now, running)}
    if listed == {(defaults.profiles, defaults.profile)}:
        return {}
    return {"recommend.profiles": list(defaults.profiles), "recommend.profile": defaults.profile}


@owner_required
def delete_everything() -> BaseResponse:
    ctx = web()
    if request.form.get("confirm", "").strip().lower() != "delete":
        flash("Type the word delete to confirm; nothing was deleted.", "error")
        return redirect(url_for("views.privacy"))
    # the config's profiles first: the speaker makes again the profiles its config lists
    if ctx.config_path is not None:
        try:
            ctx.save_changes(lambda now: _profiles_reset(now, ctx.config))
        except (ConfigError, OSError) as exc:
            log.warning("the profiles of the config file could not be reset: %s", exc)
    try:
        # the service's deletion includes the page's mood history (service.mood_history.clear_file:
        # what the page's recorder queued before it, and the "mood unknown" it ends with, are dropped)
        # and the copies of state files it could not read at a start (they quote moods too); when the
        # history file refuses its deletion (another program writing it), only those copies stay, or
        # deleted data is still in a database's log (a reader kept it busy), the rest is deleted and
        # the page says so
        ctx.control.delete_data(None)
    except PartlyDeletedError as exc:
        said = str(exc)
        flash(said[:1].upper() + said[1:], "error")
    # and the listener chosen on the Now tab goes too: left active, its name stays in the picker and
    # the next track's feedback makes its profile again
    listener = ctx.config.recommend.profile
    if ctx.state().get("profile") not in (None, listener):
        try:
            ctx.control.execute("set_profile", {"profile": listener}, source="web")
        except CommandError as exc:
            flash(f"The listener could not be switched back to {listener}: {exc}", "error")
    log.warning("all personal data deleted from the web page")
    flash(
        "Everything is deleted: mood history, feedback, profiles, neutral-face calibrations, what played, "
        "the downloaded tracks (but those playing or up next) and the recent problems."
    )
    return redirect(url_for("views.privacy"))
