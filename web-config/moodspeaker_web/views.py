"""HTML pages: status/controls, settings and health (setup, login and logout: auth_views.py; privacy:
privacy_views.py)."""

from __future__ import annotations

import contextlib
import logging
import math
from typing import Any

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from moodspeaker import __version__
from moodspeaker.config import ConfigError
from moodspeaker.mood.classes import EXPRESSIONS
from moodspeaker.service.control import STRATEGIES, CommandError
from moodspeaker_web import edits, forms
from moodspeaker_web.auth import MIN_PASSWORD, PasswordError
from moodspeaker_web.auth_views import Page, counted_check, unsaved
from moodspeaker_web.context import listening_port, waiting_text, web
from moodspeaker_web.guard import guest_allowed, is_owner, log_in, owner_required
from moodspeaker_web.privacy_views import add_privacy_pages
from moodspeaker_web.sessions import SessionSaveError
from moodspeaker_web.setup_code import is_set_up

log = logging.getLogger(__name__)

views = Blueprint("views", __name__)
add_privacy_pages(views)

#: Button icons as SVG paths (fixed strings, drawn with currentColor; no icon font or CDN needed).
ICONS = {
    "play": '<path d="M7 4.5v15l13-7.5z" fill="currentColor"/>',
    "pause": '<path d="M6 4h4v16H6zM14 4h4v16h-4z" fill="currentColor"/>',
    "next": '<path d="M4 4.5v15l11-7.5zM16 4h4v16h-4z" fill="currentColor"/>',
    "replay": '<path d="M5.2 13.5A7 7 0 1 0 7.5 6.6" fill="none" stroke="currentColor" stroke-width="2.6" '
    'stroke-linecap="round"/><path d="M3.5 3.5v7h7z" fill="currentColor"/>',
    "like": '<path d="M12 21s-7.5-4.6-9.3-9.2C1.4 8.4 3.6 4.5 7.3 4.5c2 0 3.6 1.1 4.7 2.7 1.1-1.6 2.7-2.7 '
    '4.7-2.7 3.7 0 5.9 3.9 4.6 7.3C19.5 16.4 12 21 12 21z" fill="currentColor"/>',
    "dislike": '<path d="M5 5l14 14M19 5L5 19" stroke="currentColor" stroke-width="3" '
    'stroke-linecap="round"/>',
}

#: Below this confidence the Now view's mood reads "Not sure" (greyed, with its percentage): less
#: belief in the mood than an even guess among the expressions.  The filter holds the mood it announced
#: until a new one is clear, so mid-change its belief in it falls to a few percent (mood.filter); so
#: does the confidence of a face that left.  No setting: it is the page's wording, not the filter's.
UNSURE_BELOW = round(1 / len(EXPRESSIONS), 3)

#: The Now tab's volume slider moves in steps of this many percent.
VOLUME_STEP = 5


def slider_volume(state: dict[str, Any], start_volume: float) -> int:
    """Where the Now tab's volume slider stands, in percent, as the page's script puts it from
    /api/state (static/app.js: rounded to a percent, then to the slider's step as the browser does,
    a tie upwards): the speaker's volume, or the volume it starts at when its state cannot be read.
    Rendered into the page, which showed 60 % until the script's first state read, and always with
    scripting off, where the slider's Set button sends it back as a volume change."""
    volume = state.get("volume")
    if isinstance(volume, bool) or not isinstance(volume, int | float) or not math.isfinite(volume):
        volume = start_volume
    percent = math.floor(volume * 100 + 0.5)
    return max(0, min(100, math.floor(percent / VOLUME_STEP + 0.5) * VOLUME_STEP))


@views.app_context_processor
def _globals() -> dict[str, Any]:
    ctx = web()
    owner = is_owner()
    # the version only for the owner: it tells a stranger on the LAN which known flaws to try
    return {"speaker_name": ctx.config.device.name, "owner": owner, "version": __version__ if owner else ""}


@views.get("/")
def index() -> Page:
    ctx = web()
    if not is_set_up(ctx.data_dir):
        return redirect(url_for("auth.setup"))
    if is_owner():
        current = ctx.state()
        return render_template(
            "status.html",
            strategies=STRATEGIES,
            strategy_labels=forms.STRATEGY_LABELS,
            profiles=ctx.profiles(),
            icons=ICONS,
            current=current,
            unsure_below=UNSURE_BELOW,
            volume=slider_volume(current, ctx.config.player.volume),
            volume_step=VOLUME_STEP,
        )
    if guest_allowed():
        return render_template("guest.html")
    return redirect(url_for("auth.login"))


@views.post("/control")
@owner_required
def control() -> BaseResponse:
    """The buttons without JavaScript: run one command and come back to the status page."""
    name = request.form.get("command", "")
    args: dict[str, Any] = {}
    if name == "set_volume":
        try:
            args["volume"] = float(request.form.get("volume", "")) / 100.0
        except ValueError:
            args["volume"] = request.form.get("volume", "")
    elif name in {"set_strategy", "set_profile"}:
        key = name.removeprefix("set_")
        args[key] = request.form.get(key, "")
    try:
        web().control.execute(name, args, source="web")
    except CommandError as exc:
        flash(str(exc), "error")
    return redirect(url_for("views.index"))


def scan_text(scan: dict[str, Any]) -> str:
    """One sentence about the library scan (the page's script, scanText in app.js, words it the same
    way).  The service reports one scan from the first request to the end of the last pass merged
    into it, so "finished" is said only once the whole update is done.  While it runs, the files kept
    out as too short (library.min_track_s) so far are said beside the files found: a ringtone folder
    is why a scan analyses fewer files than it found; and the files that failed so far.  The finished
    line is the service's own (service.components.scan_line: failed and unreadable files counted)."""
    if not scan:
        return ""
    if scan.get("running"):
        parts = [f"{scan['seen']} files"] if "seen" in scan else []
        if scan.get("short"):  # kept out of the music as shorter than library.min_track_s
            parts.append(f"{scan['short']} too short")
        if scan.get("total"):
            parts.append(f"analysed {scan.get('done', 0)} of {scan['total']}")
        if scan.get("failed"):  # files that failed to decode so far (the finished line says it too)
            parts.append(f"{scan['failed']} failed")
        text = f"Scanning… {', '.join(parts)}" if parts else "Scanning the library…"
        if scan.get("queued"):
            text += " (one more pass follows)"
        elif int(scan.get("pass") or 0) > 1:
            text += f" (pass {scan['pass']})"
        return text
    if scan.get("result"):
        return f"Scan finished ({scan['result']})."
    return f"Last scan: {scan.get('seen', scan.get('done', 0))} files"


def _component(state: dict[str, Any], name: str) -> str:
    """`health.components[name]` of the service's state as "state: detail" (empty when unknown)."""
    health = state.get("health")
    components = health.get("components") if isinstance(health, dict) else None
    entry = components.get(name) if isinstance(components, dict) else None
    if not isinstance(entry, dict):
        return ""
    return str(entry.get("detail") or entry.get("state") or "")


def _openable(section: str) -> str | None:
    """`section` if Settings has a section of that name to show open (a settings form's, or the
    password's), else None: what an address may ask to open."""
    return section if section in (*forms.sections(), "password") else None


@views.get("/settings")
@owner_required
def settings() -> str:
    """`saved` (after a save) or `open` (the reload a refused save offers) names the section shown open."""
    wanted = request.args.get("saved") or request.args.get("open") or ""
    return _settings_page({}, {}, _openable(wanted) or "")


@views.get("/settings/<section>")
@owner_required
def show_section(section: str) -> BaseResponse:
    """The address a refused save leaves in the browser, opened again (a restored tab): it answered 405,
    a dead end.  (A reload of the refusal sends the form again: the refusal offers a link instead.)"""
    shown = _openable(section)
    return redirect(url_for("views.settings", open=shown, _anchor=shown and f"s-{shown}"))


def _mark_key() -> bytes:
    """The key of the secrets' digests on the form (forms.Field.loaded): the page's own secret key."""
    return str(current_app.secret_key).encode("utf-8")


def _settings_page(
    errors: dict[str, str],
    submitted: dict[str, str],
    status_section: str = "",
    loaded: dict[str, str] | None = None,
    *,
    clash: bool = False,
) -> str:
    """Settings with the file's values as they are now (`submitted`: what was typed, shown instead;
    `loaded`: what those fields were loaded with, carried on; `clash`: a field was changed elsewhere,
    so the section offers a link that loads the settings afresh)."""
    ctx = web()
    saved, this_run = ctx.saved_config(), ctx.for_this_run()
    sections = [
        (name, forms.SECTION_TITLES.get(name, name.title()), forms.fields(saved, name, _mark_key(), this_run))
        for name in forms.sections()
    ]
    state = ctx.state()
    return render_template(
        "settings.html",
        sections=sections,
        errors=errors,
        submitted=submitted,
        loaded=loaded or {},
        open_section=status_section,
        clash=clash,
        can_save=ctx.config_path is not None,
        live_apply=ctx.on_config_change is not None,
        scan=ctx.scan_state(state),
        scan_text=scan_text(ctx.scan_state(state)),
        library_detail=_component(state, "library"),
        restart_waiting=waiting_text(ctx.restart_waiting()),
        min_password=MIN_PASSWORD,
    )


@views.post("/settings/<section>")
@owner_required
def save_section(section: str) -> str | BaseResponse | tuple[str, int]:
    """Only the fields changed on the form, onto the file as it is now (edits.edited); a field that
    was also changed elsewhere since the page was loaded is refused (edits.changed_elsewhere)."""
    ctx = web()
    if section not in forms.sections():
        abort(404)
    form = {key: request.form.getlist(key) for key in request.form}
    edited = edits.edited(section, form)
    told: frozenset[str] = frozenset()
    port = listening_port()  # the page's own port: fine to keep (edits.unreachable)
    # a changed address's host name is looked up now: under the save's lock a slow DNS held every save
    ahead = edits.addresses_ahead(ctx.saved_config(), section, edited, ctx.resolve_host)
    try:
        saved = ctx.save_changes(
            lambda now: edits.changes_onto(
                now, section, form, edited, _mark_key(), listening_port=port, addresses=ahead
            )
        )
    except edits.Refused as exc:
        errors, told = exc.errors, exc.told
    except ConfigError as exc:
        errors = {f"{section}._": "Nothing was saved: " + " ".join(exc.problems)}
    except OSError as exc:
        errors = {f"{section}._": f"Nothing was saved: {str(exc).rstrip('.')}."}
    else:
        errors = {}
    if errors:
        loaded = {k: v for k, v in edits.loaded_values(edited, form).items() if k not in told}
        return _settings_page(errors, edits.typed(edited), section, loaded, clash=bool(told)), 400
    title = forms.SECTION_TITLES.get(section, section)
    changes = saved.changes
    note = (
        f"{title}: saved.{_restart_note(section, saved.restart)}" if changes else f"{title}: nothing changed."
    )
    flash(note, "section")  # said in the section, which stays open (the top of the page is out of sight)
    if changes.get("web.enabled") is False:
        flash(edits.page_off(web().config_path), "section")
    if "recommend.profiles" in changes:
        _say_kept_profiles(changes["recommend.profiles"])
    return redirect(url_for("views.settings", saved=section, _anchor=f"s-{section}"))


def _restart_note(section: str, restart: tuple[str, ...]) -> str:
    """ " Half life takes effect when the speaker restarts." for settings the running speaker keeps
    as they were until then (empty when everything saved applies at once)."""
    labels = {f.name: f.label for f in forms.fields(web().config, section)}
    names = [labels.get(key, key) for key in restart if key not in edits.SAID_APART]
    apart = "".join(f" {edits.SAID_APART[key]}" for key in restart if key in edits.SAID_APART)
    if not names:
        return apart
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]
    return f" {listed} {'takes' if len(names) == 1 else 'take'} effect when the speaker restarts.{apart}"


def _say_kept_profiles(listed: list[str] | tuple[str, ...]) -> None:
    """A name taken off recommend.profiles only stops the speaker creating that profile: the profile
    and what it learned stay (and stay choosable), so say so instead of letting "saved" suggest it
    is gone."""
    kept = [name for name in web().profiles() if name not in listed]
    if kept:
        still = "is still a listener" if len(kept) == 1 else "are still listeners"
        flash(
            f"{', '.join(kept)} {still} on the speaker, with their learned taste: taking a name off this "
            "list does not delete a profile (Privacy → Delete everything deletes all of them).",
            "section",
        )


@views.post("/settings/password")
@owner_required
def change_password() -> Page:
    """A refusal is said in the password section, opened (a flash sat at the top, out of sight)."""
    ctx = web()
    current = request.form.get("current", "")
    right = counted_check(lambda: ctx.passwords.verify(current))
    if not isinstance(right, bool):
        return right
    if not right:
        refused = {"password._": "The current password is not right. Nothing changed."}
        return _settings_page(refused, {}, "password"), 400
    try:
        ctx.passwords.set_password(request.form.get("password", ""), request.form.get("confirm", ""))
    except PasswordError as exc:
        return _settings_page({"password._": f"{exc} Nothing changed."}, {}, "password"), 400
    # The new password's generation has ended the other sessions for good already (auth.json), so a
    # session list that cannot be written loses only tidiness, and this browser's login after a restart.
    with contextlib.suppress(SessionSaveError):  # logged by the store
        ctx.sessions.end_all()
    not_kept: SessionSaveError | None = None
    try:
        log_in()  # this session continues (a new id); every other session ends
    except SessionSaveError as exc:
        not_kept = exc
    # flashed after the new login: it starts a fresh session, which would drop a message put before
    flash("Password changed. Other phones will need to log in again.")
    if not_kept is not None:
        flash(unsaved(not_kept, "You are logged in"), "error")
    return redirect(url_for("views.settings"))


@views.get("/health")
@owner_required
def health() -> str:
    ctx = web()
    state = ctx.state()
    return render_template("health.html", health=state.get("health") or {}, errors=list(ctx.errors))
