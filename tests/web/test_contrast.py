"""Every text on the page reads at WCAG AA (4.5:1) in the light and the dark colour scheme, and every
state the Health tab can show has a badge that says what it means; real headless Chromium in front of
the real service.

Why: the health badges were measured below AA (ok 3.6:1 light and 3.3:1 dark, error and lost 2.9:1
dark, fallback and empty 2.0:1 dark) and five states a part is really reported in had no style of
their own, so "off" or "retrying" showed in the grey of a state nobody knows.  The rest of the page
had faults of the same kind (the form's refusals in red on the dark card, the chart's labels, the
secondary buttons).  So this test takes every element with text of its own on each page (set-up, the
four tabs, log-in), and its placeholder, value and generated (::before/::after) text, reads the text
colour and the backgrounds under it from computed styles, lays them over each other as the browser
paints them and requires 4.5:1 for all text, large or not (no 3:1 rule for large text).  What shows
only after something happened is made to happen: a refused field, a wrong password, the toast of a
button.  Badges of states the running service is not in are added to the Parts table as the page
writes them (`badge badge-<state>`), one per state in STATES.
"""

from __future__ import annotations

import colorsys
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from browserkit import claim, needs_chromium
from contrast import AA, RGBA, colour, flatten, ratio
from realkit import setup_phone

from moodspeaker.service.component_states import UNKNOWN, Meaning, by_meaning

if TYPE_CHECKING:  # Playwright is optional at run time (these tests skip without it)
    from playwright.sync_api import Browser, Page

pytest.importorskip("playwright.sync_api")

pytestmark = [needs_chromium, pytest.mark.timeout(240)]

#: Every state a part is reported in, by what it means to the owner: the service's declaration
#: (service.component_states), so a state added there gets its badge checked here too.
STATES: dict[str, tuple[str, ...]] = {
    meaning.value: tuple(state.value for state in states) for meaning, states in by_meaning().items()
}

#: Each text on the page, as [where, text, colour, backgrounds innermost first] (see `texts`).
TEXTS = """() => {
  const one = (n) => n.tagName.toLowerCase() + (n.id ? '#' + n.id : '')
    + [...n.classList].map((c) => '.' + c).join('');
  const where = (e) => {
    const up = [e.parentElement, e.parentElement && e.parentElement.parentElement]
      .filter((n) => n && n !== document.body);
    return [...up.reverse().map(one), one(e)].join(' > ');
  };
  const under = (e) => {
    const all = [];
    for (let n = e; n; n = n.parentElement) all.push(getComputedStyle(n).backgroundColor);
    return all;
  };
  const found = [];
  const add = (e, what, colour, text) =>
    found.push([where(e) + what, text.trim().slice(0, 40), colour, under(e)]);
  const field = 'input:not([type=hidden], [type=checkbox], [type=radio], [type=range]), textarea, select';
  for (const e of document.body.querySelectorAll('*')) {
    if (['SCRIPT', 'STYLE', 'TEMPLATE', 'NOSCRIPT'].includes(e.tagName)) continue;
    const style = getComputedStyle(e);
    const own = [...e.childNodes].filter((n) => n.nodeType === Node.TEXT_NODE).map((n) => n.data).join('');
    if (own.trim()) add(e, '', e instanceof SVGElement ? style.fill : style.color, own);
    for (const pseudo of ['::before', '::after']) {
      const p = getComputedStyle(e, pseudo);
      if (p.content.startsWith('"') && p.content !== '""') add(e, pseudo, p.color, p.content);
    }
    if (e.matches(field)) {
      add(e, ' (typed text)', style.color, e.value || '');
      if (e.placeholder) add(e, '::placeholder', getComputedStyle(e, '::placeholder').color, e.placeholder);
    }
  }
  return found;
}"""

#: Badges for `states` in the Parts table's first cell, as the page writes them.
ADD_BADGES = """states => {
  const cell = document.querySelector('section[aria-labelledby="s-h"] table.kv td');
  for (const state of states) {
    const badge = document.createElement('span');
    badge.className = 'badge badge-' + state; badge.textContent = state; badge.dataset.probe = '';
    cell.append(' ', badge);
  }
}"""

#: The look of each added badge: state -> [background, text colour].
BADGE_LOOKS = """() => Object.fromEntries([...document.querySelectorAll('.badge[data-probe]')].map(
  (b) => [b.textContent, [getComputedStyle(b).backgroundColor, getComputedStyle(b).color]]))"""

#: What the canvas under the page is painted in, by scheme (Chromium's), for a page without a background.
CANVAS = {"light": "rgb(255, 255, 255)", "dark": "rgb(18, 18, 18)"}


def texts(page: Page, seen_on: str) -> list[str]:
    """Every text on `page` below AA in either colour scheme, in words (none: all readable)."""
    low: dict[str, str] = {}
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        found: list[list[Any]] = page.evaluate(TEXTS)
        assert found, f"{seen_on}: no text found"
        for where, text, ink, layers in found:
            background = flatten(layers, CANVAS[scheme])
            got = ratio(colour(ink), background)
            if got < AA:
                shown = "rgb({:.0f}, {:.0f}, {:.0f})".format(*background[:3])
                low.setdefault(f"{scheme}, {seen_on}: {where}", f"{text!r} {ink} on {shown}: {got:.2f}")
    page.emulate_media(color_scheme="light")
    return [f"{where} {what}" for where, what in low.items()]


def hue(c: RGBA) -> str:
    """The family of a colour by its hue angle, roughly what the eye calls it on a badge."""
    h, saturation, _ = colorsys.rgb_to_hsv(*(x / 255 for x in c[:3]))
    degrees = h * 360
    if saturation < 0.2:
        return "grey"
    for family, up_to in (("red", 20), ("amber", 65), ("green", 170), ("cyan", 200), ("blue", 290)):
        if degrees < up_to:
            return family
    return "red"


def badge_meanings(page: Page) -> list[str]:
    """What is wrong with the badges' looks in both schemes: states of one meaning alike, meanings apart
    from each other and from an unknown state, and each in its colour (none: all say what they mean)."""
    wrong: list[str] = []
    for scheme in ("light", "dark"):
        page.emulate_media(color_scheme=scheme)
        looks: dict[str, list[str]] = page.evaluate(BADGE_LOOKS)
        unknown = tuple(looks[UNKNOWN])
        look_of: dict[str, tuple[str, ...]] = {}
        for meaning, states in STATES.items():
            alike = {tuple(looks[s]) for s in states}
            if len(alike) > 1:
                wrong.append(f"{scheme}: the {meaning} states {states} look different: {sorted(alike)}")
            look_of[meaning] = tuple(looks[states[0]])
        for meaning, look in look_of.items():
            if look == unknown:
                wrong.append(f"{scheme}: {meaning} looks like an unknown state: {look}")
            same = [other for other, seen in look_of.items() if other != meaning and seen == look]
            if same:
                wrong.append(f"{scheme}: {meaning} looks like {same}")
        # the colour that carries the meaning: the text of a tinted badge, the fill of the alarm's
        expected = {
            Meaning.GOOD: "green",
            Meaning.WARNING: "amber",
            Meaning.ERROR: "red",
            Meaning.ON_ITS_WAY: "blue",
        }
        for meaning, family in expected.items():
            if (got := hue(colour(look_of[meaning][1]))) != family:
                wrong.append(f"{scheme}: {meaning}'s text is {got}, not {family}: {look_of[meaning][1]}")
        if (got := hue(colour(look_of[Meaning.ALARM][0]))) != "red":
            wrong.append(f"{scheme}: the alarm is filled in {got}, not red: {look_of[Meaning.ALARM][0]}")
    page.emulate_media(color_scheme="light")
    return wrong


def test_every_text_and_badge_reads_at_4_5_to_1_in_light_and_dark(tmp_path: Path, browser: Browser) -> None:
    with setup_phone(tmp_path, browser) as (service, server, page, problems):
        low = texts(page, "set-up")
        claim(page, server.url, service.data_dir)  # lands on Settings, welcomed (a flash)
        low += texts(page, "Settings")

        page.click("#s-camera > summary")  # a refused field: its refusal and the form's
        page.fill("#f-camera-interval-s", "99")
        with page.expect_navigation():
            page.click("#save-camera")
        assert page.locator(".field.invalid .error").count() == 1
        low += texts(page, "Settings, a field refused")

        page.click("nav >> text=Now")
        page.wait_for_function(
            "() => document.querySelectorAll('#plot text').length > 0"
            " && document.getElementById('np-title').textContent !== '…'"
        )
        page.click("#btn-pause")  # its toast
        page.wait_for_function("() => document.getElementById('live').textContent.trim() !== ''")
        low += texts(page, "Now")

        page.click("nav >> text=Privacy")
        page.wait_for_url("**/privacy")
        low += texts(page, "Privacy")

        page.click("nav >> text=Health")
        page.wait_for_url("**/health")
        every = [state for states in STATES.values() for state in states]
        page.evaluate(ADD_BADGES, [*every, UNKNOWN])
        low += texts(page, "Health")
        meanings = badge_meanings(page)

        page.click("text=Log out")
        page.wait_for_url("**/login")
        page.fill("#password", "not the password at all")
        with page.expect_navigation():
            page.click("button.primary")  # a refusal (a flash)
        assert page.locator(".flash-error").count() == 1
        low += texts(page, "log-in, a wrong password")

        wrong = [f"below 4.5:1: {text}" for text in low] + meanings
        assert wrong == [], "\n".join(wrong)
        refused = ("400 ", "401 ", "Failed to load resource: the server responded with a status of 40")
        assert [p for p in problems if not p.startswith(refused)] == []
