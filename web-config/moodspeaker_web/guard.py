"""Who may see what: owner sessions (with expiry) and the optional read-only guest view.

An owner session is a signed cookie with the password generation and a session id that the speaker
must still list as live (sessions.py): logging out ends the session on the speaker, so a copy of the
cookie stops working too.  The session's age and last use are the speaker's record, not the cookie's
(which said when it was last used, so a replayed copy could claim a use that never happened).

Logging in and out write the session list; when that fails (disk full, read-only data folder) the
change holds until a restart and SessionSaveError reaches the view, which tells the person.
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar

from flask import after_this_request, current_app, flash, jsonify, redirect, request, session, url_for
from itsdangerous import BadSignature, URLSafeSerializer
from werkzeug.wrappers import Response

from moodspeaker.util.net import client_network
from moodspeaker_web.context import web
from moodspeaker_web.sessions import SessionSaveError
from moodspeaker_web.setup_code import is_set_up

log = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

#: What the login page says to a browser whose login ended without its asking (run out, logged out
#: everywhere or on a copy of its cookie, a new password): the bare login page said nothing, so a phone
#: whose status page went to it could not tell why.
LOGIN_ENDED = "Your login has ended: log in again to go on."

#: A browser the owner logged in with: signed id, kept a year (limit_key); named by cookie_names
DEVICE_DAYS = 365


def cookie_names(secret_key: str) -> tuple[str, str]:
    """The (session, device) cookie names of the speaker whose page signs with `secret_key`.

    A browser keeps cookies per host name, not per port, so the demo and the real speaker on one
    machine (or two speakers reached as one name on different ports) would overwrite each other's
    cookies under one name: logging in to one logged out of the other and cost the owner's browser its
    trusted status there.  A short digest of the speaker's own key (not the key) keeps them apart."""
    tag = hashlib.sha256(f"moodspeaker cookie name {secret_key}".encode()).hexdigest()[:10]
    return f"moodspeaker_session_{tag}", f"moodspeaker_device_{tag}"


def _device_cookie() -> str:
    return cookie_names(str(current_app.secret_key))[1]


def _sid() -> str | None:
    sid = session.get("sid")
    return sid if isinstance(sid, str) else None


def log_in() -> None:
    """A new session (new id) for this browser; its earlier session, if any, ends.

    Raises SessionSaveError when the session list could not be written: this browser is logged in
    all the same (until the page restarts), and the view says so."""
    ctx = web()
    now = ctx.clock()
    unsaved: SessionSaveError | None = None
    try:
        sid = ctx.sessions.begin(now, ctx.session_lifetime_s, ctx.idle_timeout_s, replacing=_sid())
    except SessionSaveError as exc:
        assert exc.sid is not None  # begin always names the session it made
        sid, unsaved = exc.sid, exc
    session.clear()  # a fresh session on login: no fixation of a pre-login session
    session.permanent = True
    session["sid"] = sid
    session["gen"] = ctx.passwords.generation()
    _remember_device()
    if unsaved is not None:
        raise unsaved


def log_out(everywhere: bool = False) -> None:
    """End this browser's session on the speaker (or every session), not only its cookie.

    The cookie goes either way; SessionSaveError (raised after) means the speaker ended the session(s)
    only until it restarts."""
    ctx = web()
    sessions = ctx.sessions
    sid = _sid()
    session.clear()
    if everywhere:
        try:  # every browser's device cookie too: a lost phone stops being trusted by the limiter
            ctx.passwords.forget_devices()
        except OSError as exc:
            log.error("could not forget the known browsers in %s (%s)", ctx.data_dir, exc)
            sessions.end_all()
            raise SessionSaveError("log out everywhere", ctx.data_dir, str(exc)) from exc
        sessions.end_all()
    elif sid is not None:
        sessions.end(sid)


def is_owner() -> bool:
    """A live owner session made with the current password, neither too old nor unused too long
    (both by the speaker's own record of the session)."""
    ctx = web()
    if "gen" not in session:  # a visitor (its session may hold the login form's CSRF token)
        return False
    sid = _sid()
    try:
        gen = int(session["gen"])
    except (TypeError, ValueError):
        session.clear()
        return False
    if sid is None:
        session.clear()
        return False
    if gen != ctx.passwords.generation() or not ctx.sessions.check(
        sid, ctx.clock(), ctx.session_lifetime_s, ctx.idle_timeout_s
    ):
        session.clear()
        flash(LOGIN_ENDED)  # said once, on the login page this browser is sent to (by a page or its script)
        return False
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
    """The client's address (util.net.client_network: an IPv6 one counted on its own, not per /64)."""
    return client_network(request.remote_addr or "unknown")


def _devices() -> URLSafeSerializer:
    """Signs with the page's key and the current password's device token (PasswordStore.device_token),
    so a password change, a reset and "log out everywhere" make every earlier device cookie invalid."""
    token = web().passwords.device_token()
    return URLSafeSerializer(str(current_app.secret_key), salt=f"moodspeaker-device {token}")


def known_device() -> str | None:
    """This browser's device id, when it holds the device cookie of a login with the current password
    since the last "log out everywhere" (signed with the speaker's key, so it cannot be made up or
    guessed; a lost phone's cookie is revoked by either), else None."""
    raw = request.cookies.get(_device_cookie())
    if not raw:
        return None
    try:
        device = _devices().loads(raw)
    except BadSignature:
        return None
    return device if isinstance(device, str) and device else None


def _remember_device() -> None:
    """Give this browser a device cookie (keeping the one it has): a right password was entered here."""
    device = known_device() or secrets.token_urlsafe(16)

    @after_this_request
    def set_cookie(response: Response) -> Response:
        response.set_cookie(
            _device_cookie(),
            _devices().dumps(device),
            max_age=DEVICE_DAYS * 86400,
            httponly=True,
            samesite="Strict",
        )
        return response


def limit_key() -> tuple[str, bool]:
    """Whose attempts a login counts against (LoginLimiter), and whether that one is trusted.

    OWASP's device cookies: a browser where the owner logged in before is counted by its own device id
    only, not by its address nor in the cap over all clients, so a neighbour guessing from many
    addresses locks out strangers but not the owner's phone (which still gets only its own few tries)."""
    device = known_device()
    if device is not None:
        return f"device {device}", True
    return client_key(), False
