"""JSON endpoints for the page's script: state, mood history, commands, "tell the speaker" and the
files the library leaves out.

All of them need the owner's session except `/api/guest` (when the guest view is on).  POSTs carry
the CSRF token in the X-CSRFToken header.  The page polls `/api/state` every two seconds; that is
simpler and lighter on a Pi Zero than keeping a streaming connection per phone.
"""

from __future__ import annotations

import logging
from typing import Any

from flask import Blueprint, jsonify, request
from flask.typing import ResponseReturnValue

from moodspeaker.service.control import CommandError
from moodspeaker_web.context import json_safe, web
from moodspeaker_web.guard import guest_allowed, is_owner, owner_required
from moodspeaker_web.left_out import left_out_page
from moodspeaker_web.tell import interpret
from moodspeaker_web.tell_outcome import told

log = logging.getLogger(__name__)

api = Blueprint("api", __name__, url_prefix="/api")

#: What the guest view may show: what is playing, nothing about anyone's mood; `unavailable` when the
#: speaker does not answer (WebContext.state), for it to say so as the status page does.
GUEST_KEYS = ("playing", "now_playing", "volume", "unavailable")


def _body() -> dict[str, Any]:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        raise CommandError("the request body must be a JSON object")
    return data


@api.get("/state")
@owner_required
def state() -> ResponseReturnValue:
    ctx = web()
    snapshot = ctx.state(restart_waiting=True)  # the owner's status page; the guest view never shows it
    snapshot["profiles"] = ctx.profiles()
    snapshot["speaker_name"] = ctx.config.device.name
    snapshot["scan"] = ctx.scan_state(snapshot)
    return jsonify(snapshot)


@api.get("/guest")
def guest() -> ResponseReturnValue:
    if not (guest_allowed() or is_owner()):
        return jsonify(ok=False, error="The guest view is off."), 403
    snapshot = web().state()
    now = snapshot.get("now_playing") or {}
    if isinstance(now, dict):
        snapshot["now_playing"] = {k: now.get(k) for k in ("title", "artist")}
    return jsonify({k: snapshot[k] for k in GUEST_KEYS if k in snapshot})


@api.get("/history")
@owner_required
def history() -> ResponseReturnValue:
    ctx = web()
    try:
        minutes = min(24 * 60, max(1, int(request.args.get("minutes", "60"))))
    except ValueError:
        return jsonify(ok=False, error="minutes must be a whole number"), 400
    now = ctx.clock()
    return jsonify(now=now, minutes=minutes, samples=ctx.history.since(now - minutes * 60))


@api.post("/command")
@owner_required
def command() -> ResponseReturnValue:
    ctx = web()
    try:
        body = _body()
        name = body.get("command")
        args = body.get("args") or {}
        if not isinstance(name, str) or not isinstance(args, dict):
            raise CommandError('expected {"command": name, "args": {...}}')
        new_state = ctx.control.execute(name, args, source="web")
    except CommandError as exc:
        return jsonify(ok=False, error=str(exc)), 400
    return jsonify(ok=True, state=json_safe(new_state))


@api.post("/tell")
@owner_required
def tell() -> ResponseReturnValue:
    ctx = web()
    try:
        text = _body().get("text")
        if not isinstance(text, str) or not text.strip() or len(text) > 200:
            raise CommandError("say something short (1 to 200 characters)")
    except CommandError as exc:
        return jsonify(ok=False, error=str(exc)), 400
    current = ctx.state()
    volume = current.get("volume")
    meaning = interpret(
        text,
        volume=float(volume) if isinstance(volume, int | float) else None,
        strategy=str(current.get("strategy") or ""),
        now_playing=now if isinstance(now := current.get("now_playing"), dict) else None,
        # the mood asked for in force: "stop playing happy songs" ends it (`ask_mood camera`)
        asked_mood=str(current.get("mood")) if current.get("mood_source") == "asked" else None,
    )
    done: list[dict[str, Any]] = []
    refused: dict[int, str] = {}  # by the action's index: the speaker's reason
    for index, action in enumerate(meaning.actions):
        try:
            ctx.control.execute(action.command, action.args, source="web:tell")
            done.append({"command": action.command, "args": action.args})
        except CommandError as exc:
            refused[index] = str(exc)
    errors = list(refused.values())  # said in the reply too (tell_outcome): "could not ...: why"
    reply = told(meaning, refused)
    return jsonify(ok=meaning.understood and not errors, reply=reply, done=done, errors=errors)


@api.post("/rescan")
@owner_required
def rescan() -> ResponseReturnValue:
    ctx = web()
    try:
        new_state = ctx.control.execute("rescan", {}, source="web")
    except CommandError as exc:
        return jsonify(ok=False, error=str(exc)), 400
    if ctx.scan.get("running") is not True and "pass" not in ctx.scan:  # a speaker reporting no scans
        ctx.scan = {"running": True, "started": ctx.clock()}
    return jsonify(ok=True, scan=ctx.scan_state(json_safe(new_state)))


@api.get("/left-out")
@owner_required
def left_out() -> ResponseReturnValue:
    """The files the library leaves out and the tracks held back, with why (left_out_page): the
    library section's "Show files left out"."""
    try:
        answer = left_out_page(web().control, request.args)
    except ValueError as exc:
        return jsonify(ok=False, error=str(exc)), 400
    except Exception:  # the index or the feedback store could not be read now (a disk error)
        log.exception("the files left out of the library could not be listed")
        return jsonify(ok=False, error="The speaker could not read its library just now."), 503
    return jsonify(ok=True, **answer)
