"""The privacy page and its actions: the camera switch, the data export and delete-everything.

Kept apart from views.py (the status, settings and health pages) so each stays short; the routes are
added to the same "views" blueprint by `add_privacy_pages`, so their endpoints (views.privacy,
views.camera, views.export, views.delete_everything) and URLs are what they were.
"""

from __future__ import annotations

import json
import logging

from flask import Blueprint, Response, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from moodspeaker.service.control import CommandError
from moodspeaker.service.privacy_export import DELETED, export_body
from moodspeaker.service.privacy_export import delete_everything as delete_everything_asked
from moodspeaker.util.program import command
from moodspeaker_web.context import web
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
        calibrate=command("calibrate-neutral"),  # as it can be typed on the speaker (util.program)
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
    body = export_body(
        ctx.config,
        exported_at=ctx.clock(),
        mood_history=ctx.history.export(),
        speaker_data=ctx.control.export_data(),
        state=ctx.state(),
    )
    return Response(
        json.dumps(body, indent=1),
        mimetype="application/json",
        headers={"Content-Disposition": 'attachment; filename="moodspeaker-my-data.json"'},
    )


@owner_required
def delete_everything() -> BaseResponse:
    ctx = web()
    if request.form.get("confirm", "").strip().lower() != "delete":
        flash("Type the word delete to confirm; nothing was deleted.", "error")
        return redirect(url_for("views.privacy"))
    # the steps and their order are the command line's too (service.privacy_export); the service's
    # deletion includes the page's mood history (what the page's recorder queued before it is
    # dropped) and the copies of state files it could not read at a start; what it could not delete
    # (a history file another program writes, a database log a reader keeps busy) is said
    save = ctx.save_changes if ctx.config_path is not None else None
    for problem in delete_everything_asked(ctx.control, lambda: ctx.config, save, source="web"):
        flash(problem, "error")
    log.warning("all personal data deleted from the web page")
    flash(DELETED)
    return redirect(url_for("views.privacy"))
