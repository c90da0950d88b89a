"""The Flask app factory: security settings, sessions and the pieces shared by all views.

Security choices (ETSI EN 303 645 and OWASP habits for a LAN appliance):
- no default password: a per-device setup code, then an owner password hashed with argon2id;
- session cookie HttpOnly + SameSite=Strict, signed with a per-device random key kept in the data
  folder; sessions end after web.session_days, after a week without use, at once when the
  password changes (generation number), and on the speaker at log out (a live-session list in the
  data folder, so a copied cookie ends with its session; "log out everywhere" ends them all);
- CSRF tokens (Flask-WTF) on every state-changing request, including the page's JSON calls;
- login, setup-code and password-change attempts rate-limited, each counted before it is checked, at
  most two argon2 checks at once; a browser the owner logged in with (device cookie) has its own limit
  and is not locked out by others' guessing; bodies over 64 KiB refused;
- connections time out when silent and are capped (server.py); no versions or data folder for strangers;
- a strict Content-Security-Policy (everything from the speaker itself, no inline script), no framing;
- requests for host names that are not the speaker's are refused, so a web site that re-points its
  own name at the speaker's address (DNS rebinding) cannot talk to the page from a visitor's browser.
"""

from __future__ import annotations

import logging
import secrets
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify, render_template, request
from flask_wtf.csrf import CSRFError, CSRFProtect
from werkzeug.exceptions import HTTPException

from moodspeaker.config import Config
from moodspeaker.service import mood_history
from moodspeaker.service.control import ControlAPI
from moodspeaker.service.events import EventBus
from moodspeaker.util.atomic import atomic_write_text
from moodspeaker.util.net import host_allowed
from moodspeaker_web.api import api
from moodspeaker_web.auth import LoginLimiter, PasswordStore
from moodspeaker_web.auth_views import auth
from moodspeaker_web.context import WebContext
from moodspeaker_web.guard import cookie_names
from moodspeaker_web.history import MoodHistory
from moodspeaker_web.sessions import SessionStore
from moodspeaker_web.setup_code import ensure_setup_code, setup_code_command, web_dir
from moodspeaker_web.views import views

log = logging.getLogger(__name__)

MAX_BODY = 64 * 1024

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'none'; "
    "form-action 'self'; frame-ancestors 'none'"
)

SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Frame-Options": "DENY",
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "no-referrer",
    "Permissions-Policy": "camera=(), microphone=(), geolocation=(), interest-cohort=()",
    "Cross-Origin-Opener-Policy": "same-origin",
    "Cross-Origin-Resource-Policy": "same-origin",
}


def _secret_key(data_dir: Path) -> str:
    """The per-device session signing key, made once and kept (mode 0600) in the data folder."""
    path = web_dir(data_dir) / "session.key"
    try:
        key = path.read_text(encoding="utf-8").strip()
        if len(key) >= 32:
            return key
    except (OSError, UnicodeDecodeError):
        pass
    key = secrets.token_hex(32)
    atomic_write_text(path, key + "\n", mode=0o600)
    return key


def _retention_follows(ctx: WebContext) -> Callable[[Config], None]:
    """A saved privacy.retention_days applies to the page's mood history at once (before the page is
    answered), not at the history's next hourly housekeeping: a shorter period deletes more, now, as
    the service does with its own data (service.retention.run_now)."""
    days = ctx.config.privacy.retention_days

    def follow(config: Config) -> None:
        nonlocal days
        if config.privacy.retention_days != days:
            days = config.privacy.retention_days
            ctx.enforce_retention()  # reads the new config: ctx holds it before its listeners run

    return follow


def create_app(
    control: ControlAPI,
    bus: EventBus,
    *,
    config: Config,
    config_path: Path | None,
    data_dir: Path,
    on_config_change: Callable[[Config], None] | None = None,
    clock: Callable[[], float] = time.time,
    limiter: LoginLimiter | None = None,
) -> Flask:
    """The page as a WSGI app.  Call `app.extensions["moodspeaker"].close()` when done with it.

    `config_path` is where settings are saved (None: settings are read-only); `on_config_change`
    is called with the new Config after each save, so the service can apply what it can at once.
    """
    data_dir = Path(data_dir)
    app = Flask(__name__)
    secret_key = _secret_key(data_dir)
    app.config.update(
        SECRET_KEY=secret_key,
        MAX_CONTENT_LENGTH=MAX_BODY,
        MAX_FORM_MEMORY_SIZE=MAX_BODY,
        SESSION_COOKIE_NAME=cookie_names(secret_key)[0],  # this speaker's own (guard.cookie_names)
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Strict",
        # Plain HTTP on the home LAN (no certificate a phone would trust), so no Secure flag.
        SESSION_COOKIE_SECURE=False,
        PERMANENT_SESSION_LIFETIME=30 * 86400,
        WTF_CSRF_TIME_LIMIT=None,  # tied to the session; a page left open overnight still works
        WTF_CSRF_SSL_STRICT=False,
        JSON_SORT_KEYS=False,
        TEMPLATES_AUTO_RELOAD=False,
    )
    CSRFProtect(app)
    ctx = WebContext(
        control=control,
        bus=bus,
        config=config,
        config_path=Path(config_path) if config_path else None,
        data_dir=data_dir,
        passwords=PasswordStore(data_dir),
        sessions=SessionStore(data_dir),
        limiter=limiter or LoginLimiter(),
        history=MoodHistory(data_dir / mood_history.FILE_NAME),
        clock=clock,
        on_config_change=on_config_change,
    )
    app.extensions["moodspeaker"] = ctx
    ctx.start()
    ctx.config_listeners.append(_retention_follows(ctx))

    app.config["MOODSPEAKER_SETUP_COMMAND"] = command = setup_code_command(data_dir, public=True)
    if ensure_setup_code(data_dir):  # the code itself never in the log: the journal is read by more people
        log.warning("the web page is not set up yet: a setup code exists: run `%s` to see it", command)

    app.register_blueprint(auth)
    app.register_blueprint(views)
    app.register_blueprint(api)

    @app.before_request
    def _check_host() -> Any:
        if not host_allowed(request.host, ctx.config.web.allowed_hosts):
            log.warning("refused a request for host %r (not this speaker's name)", request.host[:100])
            return Response("Unknown host name for this speaker.\n", status=421, mimetype="text/plain")
        return None

    @app.after_request
    def _headers(response: Response) -> Response:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        if not request.path.startswith("/static/"):
            response.headers["Cache-Control"] = "no-store"
        return response

    def _wants_json() -> bool:
        return request.path.startswith("/api/")

    @app.errorhandler(CSRFError)
    def _csrf(exc: CSRFError) -> tuple[Any, int]:
        log.info("refused a request without a valid CSRF token: %s %s", request.method, request.path)
        message = "This request did not carry the page's security token. Reload the page and try again."
        if _wants_json():
            return jsonify(ok=False, error=message), 400
        return render_template("error.html", title="Please reload", message=message), 400

    @app.errorhandler(HTTPException)
    def _http_error(exc: HTTPException) -> tuple[Any, int]:
        code = exc.code or 500
        messages = {
            404: "There is no such page on this speaker.",
            405: "That is not something this page accepts.",
            413: "That request is too large for the speaker.",
        }
        message = messages.get(code, exc.description or "Something went wrong.")
        if _wants_json():
            return jsonify(ok=False, error=message), code
        return render_template("error.html", title=exc.name, message=message), code

    return app
