"""Setup forms generated from the config schema, and their validation (no Flask here).

Every field comes from `describe()`: its kind picks the input, its help, unit and bounds are shown,
and the submitted text goes through the schema's own `coerce`.  On top of that, a few settings get
checks that only matter when strangers can type into them (input_checks.py).
Saving is all or nothing: `with_changes` validates the whole config before the atomic `save`.

Each field also carries what it showed when the page was loaded (`Field.loaded`), so that a save
applies only the fields changed on the page (edits.py).
"""

from __future__ import annotations

import hashlib
import hmac
import math
import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any

from markupsafe import Markup, escape

from moodspeaker.config import Config, describe
from moodspeaker.config.coerce import coerce
from moodspeaker.config.load import SettingInfo
from moodspeaker.config.messages import (
    SHOWN_IN_PERCENT,
    expected,
    plain_number,
    problem_on_form,
    refused_on_form,
)
from moodspeaker.config.rules import conflicts
from moodspeaker.util.net import URL_LISTS, mask_url
from moodspeaker.util.program import commands_in
from moodspeaker_web.input_checks import extra_checks, unmask_urls

#: Shown on their own pages (camera switch on Privacy) or unsafe to move from a web form (data_dir:
#: changing it would strand the history, feedback and this page's password).
HIDDEN = frozenset({"device.data_dir", "camera.enabled"})

SECTION_TITLES: dict[str, str] = {
    "device": "Speaker",
    "library": "Music library",
    "camera": "Camera",
    "mood": "Mood smoothing",
    "recommend": "Music choice and profiles",
    "player": "Audio",
    "mqtt": "Home automation (MQTT)",
    "web": "This page",
    "privacy": "Privacy",
    "gpio": "Privacy button and LED",
    "detector": "Face detector",
    "classifier": "Expression model",
}

#: Settings the schema keeps as a fraction (0 to 1) that people read as a percentage: the Now tab
#: shows the volume as "30%", so Settings shows, takes and refuses it in % too (0.3 read as almost
#: silent, and 30 was refused), and saves the schema's fraction.  One list with the config's own
#: refusals, which point the file's and `config set`'s users to the page's %.
PERCENT = SHOWN_IN_PERCENT

#: The strategies in words (the schema's choice_labels), on the Now tab's picker as on Settings.
STRATEGY_LABELS: dict[str, str] = next(
    dict(zip(i.choices, i.choice_labels, strict=True)) for i in describe() if i.dotted == "recommend.strategy"
)

#: A `command` in a setting's help text (schema.py writes them as in its docstrings).
CODE_SPAN = re.compile(r"`([^`]+)`")


def _command_code(match: re.Match[str]) -> str:
    """A CODE_SPAN match (in escaped text) as <code class="command"> with a <span> per word."""
    words = match.group(1).split(" ")
    return '<code class="command">' + " ".join(f"<span>{w}</span>" for w in words) + "</code>"


@dataclass(frozen=True)
class Field:
    """One input of a settings form."""

    info: SettingInfo
    value: Any  # current value, "" for secrets
    has_secret: bool = False
    secret_mark: str = ""  # a secret's keyed digest (see `loaded`)
    running: tuple[Any, ...] = ()  # (the value the speaker runs with,) when it was started so (this_run)

    @property
    def name(self) -> str:
        return self.info.dotted

    @property
    def input_id(self) -> str:
        return "f-" + self.info.dotted.replace(".", "-").replace("_", "-")

    @property
    def label(self) -> str:
        """The setting in words, from the schema (messages.label_of): the same name its refusals use."""
        return self.info.label

    @property
    def percent(self) -> bool:
        """Shown and typed as a percentage of the schema's 0-1 (see PERCENT)."""
        return self.info.dotted in PERCENT

    @property
    def bounds(self) -> tuple[float | None, float | None]:
        """The (min, max) a person may type, in the unit shown."""
        scale = 100.0 if self.percent else 1.0
        low, high = self.info.min, self.info.max
        return (None if low is None else low * scale, None if high is None else high * scale)

    @property
    def span(self) -> str:
        """The allowed range as the help shows it, "50 to 1000000": '%g' wrote the largest bound as
        "1e+06", which is not a number a person types.  Empty unless both ends are set."""
        low, high = self.bounds
        if low is None or high is None:
            return ""
        return f"{plain_number(low)} to {plain_number(high)}"

    @property
    def help_html(self) -> Markup:
        """The schema's help, escaped, with its `command` spans as code (they showed as typed), each word
        its own box as the setup and login pages write commands (app.css, code.command): on a phone a
        command breaks only between its words, not at its hyphens ("--" / "only").  A `moodspeaker ...`
        command is said as it can be typed on the speaker (util.program.commands_in)."""
        return Markup(CODE_SPAN.sub(_command_code, str(escape(commands_in(self.info.help)))))

    @property
    def unit(self) -> str:
        """The unit to show after the label; empty when the label names it already ("Target LUFS")."""
        unit = "%" if self.percent else self.info.unit or ""
        return "" if unit.lower() in self.label.lower().split() else unit

    @property
    def text(self) -> str:
        """The current value as text for an input or textarea."""
        if isinstance(self.value, tuple | list):
            shown = [mask_url(str(v)) if self.info.dotted in URL_LISTS else str(v) for v in self.value]
            return "\n".join(shown)
        if isinstance(self.value, bool):
            return "true" if self.value else "false"
        if self.percent and isinstance(self.value, int | float):
            return f"{round(self.value * 100, 2):g}"  # 0.3 * 100 is 30.000000000000004
        return str(self.value)

    @property
    def this_run(self) -> str:
        """The running value in words where a one-run override (`--set`, the demo's own) differs from
        the saved value shown (Camera "Automatic" while the demo replayed a face); else empty."""
        if not self.running or isinstance(self.running[0], bool):
            return {(True,): "on", (False,): "off"}.get(self.running, "")
        shown = Field(self.info, self.running[0]).text
        return dict(self.choices).get(shown, shown).replace("\n", ", ") or "(empty)"

    @property
    def choices(self) -> list[tuple[str, str]]:
        """A choice setting's (value, words) pairs (the schema's choice_labels): the option sends the
        value and shows the words."""
        return list(zip(self.info.choices, self.info.choice_labels, strict=True))

    @property
    def loaded(self) -> str:
        """What the field's hidden `:loaded` input carries (edits.py): its text as shown, or for a
        secret a digest keyed with the page's own secret key, which says whether the saved secret
        changed without telling the page (or anyone reading it) the secret."""
        return self.secret_mark if self.info.secret else self.text


def _mark(key: bytes, value: str) -> str:
    # labelled, so the digest cannot stand for anything else signed with the same key (the session's)
    message = b"moodspeaker settings: saved secret\0" + value.encode("utf-8")
    return hmac.new(key, message, hashlib.sha256).hexdigest()[:32]


def sections() -> list[str]:
    order = list(SECTION_TITLES)
    present = {info.section for info in describe()}
    return [s for s in order if s in present] + sorted(present - set(order))


def _shown(section: str) -> Iterator[SettingInfo]:
    """The section's settings the page shows (HIDDEN ones are not the page's to edit)."""
    return (info for info in describe() if info.section == section and info.dotted not in HIDDEN)


def fields(
    config: Config, section: str, mark_key: bytes = b"", this_run: Mapping[str, Any] | None = None
) -> list[Field]:
    """The section's fields with `config`'s values; `mark_key` keys the secrets' digests; `this_run`:
    the running values that differ by a one-run override ({"section.key": value}, Field.this_run)."""
    out, run = [], this_run or {}
    for info in _shown(section):
        value = getattr(getattr(config, info.section), info.key)
        if info.secret:
            out.append(Field(info, "", has_secret=bool(value), secret_mark=_mark(mark_key, str(value))))
        else:
            out.append(Field(info, value, running=(run[info.dotted],) if info.dotted in run else ()))
    return out


def _from_percent(field_: Field, text: str) -> float:
    """A percentage typed for a PERCENT field ("45", "45 %") as the schema's fraction; a ValueError
    says what is wrong in %, naming the setting.

    A fraction typed out of the old 0-1 habit ("0.5", "1.0") is refused, not read as 0.5 % (silent
    to the ear, so the speaker would seem broken at its next start) nor guessed to mean 50 %: a
    guess would make "1" and "1.0" mean 1 % and 100 %.  The refusal says what to type instead.
    A value under 1 % is still taken when the % is typed with it ("0.5 %")."""
    low, high = field_.bounds
    span = f"a number from {low:g} to {high:g} %" if low is not None and high is not None else "a percentage"
    number_text = text.removesuffix("%").strip()
    try:
        number = float(number_text)
    except ValueError:
        raise ValueError(refused_on_form(field_.label, span, text)) from None
    if (
        not math.isfinite(number)
        or (low is not None and number < low)
        or (high is not None and number > high)
    ):
        raise ValueError(refused_on_form(field_.label, span, text))
    if 0 < number <= 1 and "." in number_text and not text.endswith("%"):
        whole = f"{number * 100:g}"
        raise ValueError(
            f"{field_.label} is a percentage ({span.removeprefix('a number ')}): type {whole} for {whole} % "
            f"({number_text} would be {number:g} %, almost silent; type {number_text} % if you mean that)."
        )
    return round(number / 100, 6)


def entries(text: str) -> list[str]:
    """A list field's entries: one a line (folder names may contain commas), each stripped, blank
    lines left out (a browser sends CRLF line ends back).  edits.py compares a field's text as read
    here, so a list sent back as it was loaded counts as unchanged."""
    return [line.strip() for line in text.splitlines() if line.strip()]


def parse_section(
    config: Config, section: str, form: Mapping[str, Sequence[str]]
) -> tuple[dict[str, Any], dict[str, str]]:
    """(changes as {"section.key": value}, errors as {"section.key": sentence}) from a submitted form.

    `form` maps a field name to all submitted values (a checkbox sends a hidden "false" first, then
    "true" when ticked, so the last value wins).  A secret left empty keeps its value unless the
    "clear" box is ticked; a field missing from the form is left unchanged.
    """
    changes: dict[str, Any] = {}
    errors: dict[str, str] = {}
    for field_ in fields(config, section):
        info = field_.info
        values = form.get(info.dotted)
        if not values:
            if info.secret and form.get(info.dotted + ":clear"):
                changes[info.dotted] = ""
            continue
        raw = values[-1]
        if info.secret and raw == "":
            if form.get(info.dotted + ":clear"):
                changes[info.dotted] = ""
            continue
        submitted: Any = raw
        if info.kind == "list":
            submitted = entries(raw)
        elif not info.secret:
            submitted = raw.strip()
        try:
            if field_.percent:
                submitted = _from_percent(field_, submitted)
        except ValueError as exc:
            errors[info.dotted] = str(exc)
            continue
        try:
            value = coerce(info, submitted)
        except ValueError as exc:  # the schema's words for what the setting takes (messages.expected)
            typed = None if info.secret or info.kind == "list" else submitted
            errors[info.dotted] = refused_on_form(field_.label, str(exc) or expected(info), typed)
            continue
        if info.dotted in URL_LISTS:
            value, unknown = unmask_urls(value, getattr(getattr(config, info.section), info.key))
            if unknown:
                errors[info.dotted] = problem_on_form(
                    field_.label, f"type the password again for {unknown[0][:80]}"
                )
                continue
        problem = extra_checks(info, value)
        if problem:
            errors[info.dotted] = problem_on_form(field_.label, problem)
            continue
        if value != getattr(getattr(config, info.section), info.key):
            changes[info.dotted] = value
    errors.update(_broken_rules(config, section, changes, errors))
    return changes, errors


def _broken_rules(
    config: Config, section: str, changes: Mapping[str, Any], errors: Mapping[str, str]
) -> dict[str, str]:
    """The schema's rules between settings (config.rules: the start profile is one of the profiles)
    that `changes` break, each under the field it refuses, named by its label.  Only rules between
    two fields of this section that are not refused already; the save (with_changes) refuses any
    other, as it refuses these for `config set` and the file."""
    own = {dotted.partition(".")[2]: value for dotted, value in changes.items()}
    changed = replace(config, **{section: replace(getattr(config, section), **own)})
    # the schema's labels of the section's fields, not `fields()`: that keys a digest for every secret
    labels = {i.dotted: i.label for i in _shown(section)}
    out: dict[str, str] = {}
    for rule in conflicts(changed):
        if {rule.setting, rule.other} <= labels.keys() and not {rule.setting, rule.other} & errors.keys():
            out.setdefault(rule.setting, problem_on_form(labels[rule.setting], rule.on_form))
    return out
