"""What a settings form changed, and whether someone else changed it meanwhile.

A save applies only the fields the person changed, onto the config file as it is now: each field
carries, in a hidden `<name>:loaded` input, what it showed when the page was loaded (`Field.loaded`: a
keyed digest for a secret, which is never shown).  A field sent back as it was loaded is left out, so a
value `moodspeaker config set` wrote meanwhile stays (the page saved its whole config from memory and
put the old value back); a field changed here whose saved value also changed since the page was
loaded is refused (`changed_elsewhere`), not overwritten unseen.
"""

from __future__ import annotations

import logging
import os
import shlex
from collections.abc import Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

from moodspeaker.commands.webport import needs_lookup, page_listen_problem
from moodspeaker.config import Config, describe, with_changes
from moodspeaker.config.load import config_path
from moodspeaker.config.messages import problem_on_form
from moodspeaker.util.program import command
from moodspeaker_web.forms import entries, fields, parse_section

log = logging.getLogger(__name__)

#: The page addresses looked up before a save: {host: its address, or why the name names none}.
Addresses = Mapping[str, str | OSError]

#: The hidden input beside each field that holds what the field showed when the page was loaded.
LOADED = ":loaded"

#: The secret settings (the schema's `secret`): what was typed into one is never put into a page.
SECRETS = frozenset(info.dotted for info in describe() if info.secret)


class Refused(Exception):  # noqa: N818  (a refusal, not a failure of the program)
    """The form is refused as a whole: {"section.key" or "section._": sentence}.  `told` are the
    fields refused as changed elsewhere: the person now knows their saved value, so the page shown
    with the refusal takes that as loaded (saving again replaces it); every other changed field keeps
    the value it was loaded with, so a clash is still caught at the next save."""

    def __init__(self, errors: dict[str, str], told: frozenset[str] = frozenset()) -> None:
        super().__init__("; ".join(errors.values()))
        self.errors = errors
        self.told = told


def _plain(text: str) -> str:
    """Text as a browser may send it back (CRLF line ends, a list's blank lines) in one form: the
    lines as `parse_section` reads a list's entries (forms.entries)."""
    return "\n".join(entries(text))


def edited(section: str, form: Mapping[str, Sequence[str]]) -> dict[str, Sequence[str]]:
    """The submitted fields the person changed: those sent back as the page loaded them go (a field
    without its LOADED input, from a form not of this page, counts as changed; a secret counts when
    something is typed or its "clear" box ticked, as `parse_section` reads it)."""
    out: dict[str, Sequence[str]] = {}
    for info in describe():
        if info.section != section:
            continue
        values, loaded = form.get(info.dotted), form.get(info.dotted + LOADED)
        if info.secret:
            out.update({k: form[k] for k in (info.dotted, info.dotted + ":clear") if form.get(k)})
        elif values and (not loaded or _plain(values[-1]) != _plain(loaded[-1])):
            out[info.dotted] = values
    return out


def typed(edited_form: Mapping[str, Sequence[str]]) -> dict[str, str]:
    """{name: text} of the changed fields (`edited`), shown in them again with a refusal; a secret's
    never is."""
    return {k: v[-1] for k, v in edited_form.items() if v and k not in SECRETS}


def loaded_values(
    edited_form: Mapping[str, Sequence[str]], form: Mapping[str, Sequence[str]]
) -> dict[str, str]:
    """{name: value it was loaded with} of the changed fields, for the page shown with a refusal."""
    return {k: form[k + LOADED][-1] for k in edited_form if form.get(k + LOADED)}


def changed_elsewhere(
    now: Config, section: str, form: Mapping[str, Sequence[str]], changes: Mapping[str, Any], mark_key: bytes
) -> dict[str, str]:
    """Refusals of the `changes` (the fields changed here, as `parse_section` read them against `now`,
    the file as it is) whose saved value is no longer the one the page was loaded with: someone else
    changed it meanwhile (`config set`, another phone).  Overwriting would undo their change unseen."""
    errors: dict[str, str] = {}
    for field_ in fields(now, section, mark_key):
        loaded = form.get(field_.name + LOADED)
        if field_.name not in changes or not loaded or _plain(field_.loaded) == _plain(loaded[-1]):
            continue
        scalar = not field_.info.secret and field_.info.kind != "list"
        shown = f" (it is now {field_.text}{' ' + field_.unit if field_.unit else ''})" if scalar else ""
        errors[field_.name] = problem_on_form(
            field_.label,
            f"changed elsewhere since this page was loaded{shown}; reload the settings to see them as "
            "they are now, or save again to replace it with what you typed",
        )
    if errors:
        errors[f"{section}._"] = (
            "Nothing was saved: a setting here was changed elsewhere (moodspeaker config set, or another "
            "phone) since this page was loaded. Reload the settings (the button below) to see them as they "
            "are now, or save again to replace them with what you typed."
        )
    return errors


def changes_onto(
    now: Config,
    section: str,
    form: Mapping[str, Sequence[str]],
    edited_form: Mapping[str, Sequence[str]],
    mark_key: bytes,
    *,
    listening_port: int | None = None,
    addresses: Addresses | None = None,
) -> dict[str, Any]:
    """The changes of a submitted `form` onto `now`, the file as it is: only the fields changed on
    the page (`edited_form`, what `edited` kept of `form`) as {"section.key": value}.  Raises Refused
    for a refused value, for a page address the speaker could not start with (`unreachable`, with
    the `addresses` looked up by `addresses_ahead`), or for a clash."""
    changes, errors = parse_section(now, section, edited_form)
    errors = errors or unreachable(now, changes, listening_port, addresses or {})
    if errors:
        raise Refused(errors)
    clashes = changed_elsewhere(now, section, form, changes, mark_key)
    if clashes:
        raise Refused(clashes, told=frozenset(clashes))
    return changes


#: What a setting that waits for a restart does meanwhile, said instead of "takes effect when the
#: speaker restarts" where that would not be true: the page (its header) and its announcement on the
#: LAN take a new name at once (server._renamer); only Home Assistant's device keeps the old one.
SAID_APART = {
    "device.name": "This page and its announcement on the LAN use the new name now; Home Assistant sees it "
    "after the speaker restarts.",
}


def page_off(config_file: Path | None) -> str:
    """Said when Enabled of this page is unticked: nothing on the page can undo it after the restart.
    The command is said as it can be typed on the speaker (util.program: `.venv/bin/moodspeaker` in a
    checkout, where a bare `moodspeaker` is "command not found"), naming the speaker's `config_file`
    when `config set` would not find it by itself (the demo's, a `run --config` of its own): it set
    another file.  The owner reads it, so the file's path may be named."""
    words = "config set web.enabled=true"
    found = config_path()
    elsewhere = found is None or os.path.realpath(found) != os.path.realpath(config_file or found)
    if config_file is not None and elsewhere:
        words = f"--config {shlex.quote(str(config_file))} {words}"
    return (
        "This page is now turned off: it will be gone after the speaker restarts, and then only "
        f"`{command(words)}`, typed on the speaker (over SSH), brings it back. "
        "To keep it, tick Enabled again and save before the speaker restarts."
    )


#: The settings that decide where the page listens at the next start.
WHERE_THE_PAGE_LISTENS = frozenset({"web.enabled", "web.host", "web.port"})


def _listens(now: Config, changes: Mapping[str, Any]) -> tuple[str, int] | None:
    """Where the page would listen at the next start, when `changes` onto `now` change it (and it
    stays on): (host, port); else None."""
    if not WHERE_THE_PAGE_LISTENS & changes.keys():
        return None
    web = with_changes(now, changes, source="web page").web
    return (web.host, web.port) if web.enabled and web.port != 0 else None


def addresses_ahead(
    now: Config, section: str, edited_form: Mapping[str, Sequence[str]], resolve: Callable[[str], str]
) -> dict[str, str | OSError]:
    """The page address a save of `edited_form` onto `now` (the file as it is before the save) would
    check, looked up with `resolve` (commands.webport.resolve_host) before the save takes its lock:
    a host name's look-up may wait for the resolver's whole timeout, and under the lock it held every
    other save (and the config file's follower) for that long.  {} when the save changes no address."""
    changes, errors = parse_section(now, section, edited_form)
    where = None if errors else _listens(now, changes)
    if where is None:
        return {}
    host = where[0]
    try:
        return {host: resolve(host)}
    except OSError as exc:
        return {host: exc}


def unreachable(
    now: Config, changes: Mapping[str, Any], listening_port: int | None, addresses: Addresses
) -> dict[str, str]:
    """A refusal under web.port or web.host when the changed page address is one `moodspeaker run`
    would refuse to start with (commands.webport: port 80 for a user without the right to it, another
    program's port, an address this machine does not have): saved, it would stop the speaker at its
    next restart, and only SSH could undo it.  `listening_port`: the port the page is on now (fine).

    The host's address is taken from `addresses` (`addresses_ahead`), never looked up here, under the
    save's lock: a host name not looked up ahead (the file's web.host changed between the look-up and
    the save) is not checked, the check being advice; an address needs no look-up."""
    where = _listens(now, changes)
    if where is None:
        return {}
    host, port = where
    address = addresses.get(host, None if needs_lookup(host) else host)
    if address is None:
        log.info("web.host %r was changed during the save: not looked up, so not checked", host)
        return {}
    problem = page_listen_problem(host, port, listening_port=listening_port, address=address)
    return dict([problem]) if problem else {}
