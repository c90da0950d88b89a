"""Who may see what: owner sessions (with expiry) and the optional read-only guest view.

An owner session is a signed cookie with the password generation, its login and last-use times, and
a session id that the speaker must still list as live (sessions.py): logging out ends the session on
the speaker, so a copy of the cookie stops working too.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import jsonify, redirect, request, session, url_for

from moodspeaker_web.context import web
from moodspeaker_web.setup_code import is_set_up

F = TypeVar("F", bound=Callable[..., Any])

#: `seen` is refreshed at most this often, so that polling does not rewrite the cookie every time.
_TOUCH_S = 60.0


def _sid() -> str | None:
    sid = session.get("sid")
    return sid if isinstance(sid, str) else None


def log_in() -> None:
    """A new session (new id) for this browser; its earlier session, if any, ends."""
    ctx = web()
    now = ctx.clock()
    sid = ctx.sessions.begin(now, ctx.session_lifetime_s, replacing=_sid())
    session.clear()  # a fresh session on login: no fixation of a pre-login session
    session.permanent = True
    session["sid"] = sid
    session["gen"] = ctx.passwords.generation()
    session["login_at"] = now
    session["seen"] = now


def log_out(everywhere: bool = False) -> None:
    """End this browser's session on the speaker (or every session), not only its cookie."""
    sessions = web().sessions
    sid = _sid()
    if everywhere:
        sessions.end_all()
    elif sid is not None:
        sessions.end(sid)
    session.clear()


def is_owner() -> bool:
    """A valid, unexpired owner session made with the current password."""
    ctx = web()
    if "gen" not in session:
        return False
    now = ctx.clock()
    try:
        login_at = float(session.get("login_at", 0))
        seen = float(session.get("seen", 0))
        gen = int(session["gen"])
    except (TypeError, ValueError):
        session.clear()
        return False
    sid = _sid()
    if (
        sid is None
        or not ctx.sessions.is_live(sid)
        or gen != ctx.passwords.generation()
        or now - login_at > ctx.session_lifetime_s
        or now - seen > ctx.idle_timeout_s
    ):
        session.clear()
        return False
    if now - seen > _TOUCH_S:
        session["seen"] = now
    return True


def guest_allowed() -> bool:
    return web().config.web.guest_view


def owner_required(view: F) -> F:
    """Pages: send strangers to setup or login.  /api/: answer 401 with JSON."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        if is_owner():
            return view(*args, **kwargs)
        if request.path.startswith("/api/"):
            return jsonify(ok=False, error="Please log in again."), 401
        if not is_set_up(web().data_dir):
            return redirect(url_for("auth.setup"))
        return redirect(url_for("auth.login", next=request.path))

    return wrapper  # type: ignore[return-value]


def client_key() -> str:
    return request.remote_addr or "unknown"
