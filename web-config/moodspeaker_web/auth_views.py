"""Login pages: first-boot setup, login, log out and log out everywhere.

Kept apart from views.py (the household's pages) so the session handling reads in one place: each
login gets an id the speaker lists as live (sessions.py, guard.py), and logging out ends that id on
the speaker, not only the browser's cookie.  The setup-code and password forms share one
per-client rate limiter with the password change (settings), so `counted_check` is used there too.

A login or logout the speaker could not write down (disk full, read-only data folder) holds until the
page restarts; the person is told so (`unsaved`), and "log out everywhere" then does not claim success.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

from flask import Blueprint, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from moodspeaker_web.auth import MIN_PASSWORD, PasswordBusyError, PasswordError
from moodspeaker_web.context import web
from moodspeaker_web.guard import client_key, is_owner, limit_key, log_in, log_out, owner_required
from moodspeaker_web.sessions import SessionSaveError
from moodspeaker_web.setup_code import check_setup_code, is_set_up, plain_command

log = logging.getLogger(__name__)

auth = Blueprint("auth", __name__)

#: Retry-After (seconds) when the speaker is busy checking other passwords
BUSY_RETRY_S = 2

Page = str | BaseResponse | tuple[str, int] | tuple[str, int, dict[str, str]]

#: What a restart would undo, by the change SessionSaveError names.
UNDONE = {
    "the login": "after a restart this browser will have to log in again",
    "the logout": "if the speaker restarts before it can, a copy of this login would work again",
    "log out everywhere": "if the speaker restarts before it can, every login ended now would work again",
}


def unsaved(exc: SessionSaveError, done: str) -> str:
    """`done` ("You are logged in"), and why it may not last: the reason and what a restart undoes."""
    undone = UNDONE.get(exc.change, "a restart would undo it")
    return (
        f"{done}, but the speaker could not save {exc.change} ({exc.reason}): {undone}. "
        "Free some space on the speaker (or make its data folder writable), then try again."
    )


def _wait_page(wait: float) -> tuple[str, int, dict[str, str]]:
    """The "please wait" page (429) for a client with too many attempts."""
    minutes = max(1, round(wait / 60))
    message = f"Too many wrong attempts. Please wait about {minutes} minute(s) and try again."
    page = render_template("error.html", title="Please wait", message=message)
    return page, 429, {"Retry-After": str(int(wait) + 1)}


def _busy_page() -> tuple[str, int, dict[str, str]]:
    """503: the speaker is checking other passwords (PasswordBusyError); nothing was counted."""
    message = "The speaker is busy checking other passwords. Please try again in a moment."
    page = render_template("error.html", title="Please try again", message=message)
    return page, 503, {"Retry-After": str(BUSY_RETRY_S)}


def counted_check(check: Callable[[], bool]) -> bool | tuple[str, int, dict[str, str]]:
    """Run `check` (a password or setup code) as one attempt of this client, counted before it runs:
    whether it was right, else the page to answer with (429 while the client must wait; 503 while
    the speaker runs as many password checks as it allows, that attempt not counted)."""
    ctx = web()
    key, trusted = limit_key()
    now = ctx.clock()
    wait = ctx.limiter.attempt(key, now, trusted=trusted)
    if wait > 0:
        return _wait_page(wait)
    try:
        right = check()
    except PasswordBusyError:
        ctx.limiter.undo(key, now)
        log.warning("a password check from %s was refused: the speaker is checking others", client_key())
        return _busy_page()
    if right:
        ctx.limiter.success(key, now)
    return right


@auth.route("/setup", methods=["GET", "POST"])
def setup() -> Page:
    ctx = web()
    if is_set_up(ctx.data_dir):
        return redirect(url_for("auth.login"))
    error = ""
    wrong_code = False  # setup.html then says the command that shows the code
    code = ""  # shown again after a refused password: the visitor need not look it up twice
    if request.method == "POST":
        code = request.form.get("code", "")
        right = counted_check(lambda: check_setup_code(ctx.data_dir, code))
        if not isinstance(right, bool):
            return right
        if not right:
            log.warning("wrong setup code entered from %s", client_key())
            error, wrong_code = "That setup code is not right.", True
        else:
            try:
                ctx.passwords.set_password(request.form.get("password", ""), request.form.get("confirm", ""))
            except PasswordError as exc:
                error = str(exc)
            else:
                not_saved: list[tuple[SessionSaveError, str]] = []
                try:
                    ctx.sessions.end_all()  # a new owner (after a reset): nobody's earlier session lives on
                except SessionSaveError as exc:
                    not_saved.append((exc, "Your speaker is yours now"))
                try:
                    log_in()
                except SessionSaveError as exc:
                    not_saved.append((exc, "You are logged in"))
                # flashed after the new login: its fresh session would drop a message put before
                for failure, done in not_saved:
                    flash(unsaved(failure, done), "error")
                log.info("the owner password was set from %s; the setup code is used up", client_key())
                if ctx.config_path is None:  # settings cannot be saved (moodspeaker demo): the music
                    flash("Welcome! Your speaker is yours now.")
                    return redirect(url_for("views.index"))
                flash("Welcome! Your speaker is yours now. Check the settings below.")
                return redirect(url_for("views.settings"))
    status = 400 if error else 200
    command, hidden = _reset_command()  # nobody owns it yet: anyone on the LAN reads this page
    return render_template(
        "setup.html",
        error=error,
        wrong_code=wrong_code,
        code=code.strip()[:20],
        command=command,
        folder_hidden=hidden,
        min_password=MIN_PASSWORD,
    ), status


def _setup_command() -> str:
    """`moodspeaker setup-code` as this page's speaker needs it (setup_code.setup_code_command)."""
    return str(current_app.config.get("MOODSPEAKER_SETUP_COMMAND") or plain_command(public=True))


#: What the login page shows a stranger instead of the speaker's data folder in the reset command
FOLDER = "FOLDER"


def _reset_command() -> tuple[str, str]:
    """The setup-code command the login page names, and the placeholder it uses for the folder ("" if
    none).  The plain command, or the one naming this page's folder (setup_code_command) for the
    owner; a stranger gets the folder as FOLDER: the path tells anyone on the LAN the speaker's user
    and layout, and the person resetting the password is at the speaker, which names it (its console,
    its log)."""
    command = _setup_command()
    program, named, _ = command.partition(" --set device.data_dir=")
    if not named or is_owner():
        return command, ""
    return f"{program} --set device.data_dir={FOLDER} setup-code", FOLDER


def _safe_next(target: str | None) -> str:
    """Only local paths: a login link must not bounce the person to another site.  No backslash, space
    or control character either: browsers drop tabs and line breaks from a Location they read, so
    "/<TAB>/evil.example" went out as a local path and was followed as //evil.example (another site,
    right after the person typed the password: a phishing page's cue), and a line break made the
    header invalid (an error page after a good login)."""
    if (
        target
        and target.startswith("/")
        and not target.startswith("//")
        and not any(c == "\\" or ord(c) <= 0x20 or ord(c) == 0x7F for c in target)
    ):
        return target
    return url_for("views.index")


@auth.route("/login", methods=["GET", "POST"])
def login() -> Page:
    ctx = web()
    if not is_set_up(ctx.data_dir):
        return redirect(url_for("auth.setup"))
    error = ""
    if request.method == "POST":
        password = request.form.get("password", "")
        right = counted_check(lambda: ctx.passwords.verify(password))
        if not isinstance(right, bool):
            return right
        if right:
            try:
                log_in()
            except SessionSaveError as exc:
                flash(unsaved(exc, "You are logged in"), "error")
            return redirect(_safe_next(request.args.get("next")))
        log.warning("failed login from %s", client_key())
        error = "That password is not right."
    command, hidden = _reset_command()
    page = render_template("login.html", error=error, command=command, folder_hidden=hidden)
    return page, (401 if error else 200)


@auth.post("/logout")
def logout() -> BaseResponse:
    try:
        log_out()
    except SessionSaveError as exc:
        flash(unsaved(exc, "This browser is logged out"), "error")
    else:  # said: the login page is also what a login that ended otherwise gets (guard.LOGIN_ENDED)
        flash("You are logged out.")
    return redirect(url_for("auth.login"))


@auth.post("/logout/everywhere")
@owner_required
def logout_everywhere() -> Page:
    """For a lost phone or a login on someone else's browser: every session ends, this one too.
    Said done only when the speaker wrote it down: a restart would otherwise undo it."""
    try:
        log_out(everywhere=True)
    except SessionSaveError as exc:
        message = unsaved(exc, "Every login to this page has ended for now")
        return render_template("error.html", title="Log out everywhere was not saved", message=message), 500
    log.info("every session of the page was ended from %s", client_key())
    flash("Logged out everywhere: every phone and browser has to log in again.")
    return redirect(url_for("auth.login"))
