"""Every state the service declares for its parts has a badge style on the page, read from app.css
itself (no browser: this runs where Chromium is missing too).

Why: the Health tab writes `badge badge-<state>` for a part's state, and a state without a
`.badge-<state>` rule shows in the grey of a state nobody knows.  The page's list of states was kept
by hand in the contrast test, so a state added to the service later passed every test unstyled.
Now the states are declared once (service.component_states) and Health.set_state takes only
those; this checks the stylesheet against that declaration, both ways (a style for a state nobody
reports is a typo or a leftover), and that the states of one meaning share one rule (one look per
meaning, as test_contrast checks in the browser for contrast and colour).
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any, cast

import pytest

import moodspeaker_web
from moodspeaker.service.component_states import MEANINGS, UNKNOWN, ComponentState, Meaning, by_meaning
from moodspeaker.service.health import Health

CSS = Path(moodspeaker_web.__file__).parent / "static" / "app.css"


def badge_rules(css: str) -> list[set[str]]:
    """The states named by each rule's selectors (`.badge-<state>`), one set per rule that names any.
    Comments are dropped first; a rule inside an at-rule (`@media`) is found as any other: only the
    innermost `selectors { declarations }` blocks are read."""
    text = re.sub(r"/\*.*?\*/", "", css, flags=re.DOTALL)
    rules = []
    for rule in re.finditer(r"([^{}]+)\{[^{}]*\}", text):
        named = set(re.findall(r"\.badge-([A-Za-z0-9_-]+)", rule.group(1)))
        if named:
            rules.append(named)
    return rules


def test_the_parser_reads_rules_at_the_top_and_in_media_queries() -> None:
    css = """/* .badge-commented { } */
    .badge { color: grey; }
    .badge-a, .badge-b { color: red; }
    @media (prefers-color-scheme: dark) { .badge-c { color: blue; } .x { } }"""
    assert badge_rules(css) == [{"a", "b"}, {"c"}]


def test_every_declared_state_has_a_badge_style_and_every_badge_style_a_state() -> None:
    styled = set().union(*badge_rules(CSS.read_text(encoding="utf-8")))
    declared = {state.value for state in ComponentState}
    assert sorted(declared - styled) == [], "states without a .badge-<state> rule in app.css"
    # the unknown state's look is the plain .badge (a rule of its own would do as well)
    assert sorted(styled - declared - {UNKNOWN}) == [], "badge styles for states the service never reports"


def test_the_states_of_one_meaning_share_one_rule_and_no_other_meaning_does() -> None:
    rules = badge_rules(CSS.read_text(encoding="utf-8"))
    wrong = []
    for meaning, states in by_meaning().items():
        own = {state.value for state in states}
        others = {state.value for state in ComponentState} - own
        if not any(own <= rule and not rule & others for rule in rules):
            wrong.append(f"{meaning}: no rule styles {sorted(own)} alone")
    assert wrong == []


def test_every_state_has_a_meaning_and_every_meaning_a_state() -> None:
    assert set(MEANINGS) == set(ComponentState)
    assert [meaning for meaning, states in by_meaning().items() if not states] == []
    assert set(by_meaning()) == set(Meaning)


def test_health_keeps_declared_states_as_plain_strings_and_refuses_others() -> None:
    health = Health()
    assert health.set_state("camera", ComponentState.RETRYING, "no frame")
    assert health.state_of("camera") == "retrying"
    kept = health.snapshot()["components"]["camera"]["state"]
    assert type(kept) is str and kept == "retrying"  # as the page, MQTT and the exports had it
    assert health.state_of("speaker") == UNKNOWN
    with pytest.raises(ValueError, match="'broken' is not a valid ComponentState"):
        health.set_state("camera", cast(Any, "broken"))  # as an untyped caller could
    assert health.state_of("camera") == "retrying"
