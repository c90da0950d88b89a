"""A command the page asks the person to type on the speaker is broken only between its words on a
phone, in real headless Chromium in front of the real service.

Commands were allowed to break anywhere (overflow-wrap: anywhere, so that a long path could not
widen a phone's page) and at their hyphens: on a 320-pixel phone the login page's reset command read
"setup-" / "code --reset" and "-" / "-reset", and a person copying it by hand typed a command that
does not exist.  A word now breaks only when it alone is wider than the line (a long data folder's
path, shown to the owner), and no view is wider than the phone (test_phone_width.py)."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browserkit import claim, narrow, needs_chromium
from realkit import owner_phone, setup_phone

if TYPE_CHECKING:  # Playwright is optional at run time (the browser test skips without it)
    from playwright.sync_api import Browser, Page

pytest.importorskip("playwright.sync_api")

pytestmark = [needs_chromium, pytest.mark.timeout(180)]

#: For each word of a command (its text split at spaces): the word, on how many lines it is shown,
#: and whether it alone fits the line (its width unbroken, in the command's font, within the block
#: the command is in, less the code's padding).
WORDS = """code => {
  const nodes = []; let pos = 0;
  const walker = document.createTreeWalker(code, NodeFilter.SHOW_TEXT);
  for (let n = walker.nextNode(); n; n = walker.nextNode()) { nodes.push([n, pos]); pos += n.data.length; }
  const start = (i) => { const [n, p] = nodes.filter(([, p]) => p <= i).pop(); return [n, i - p]; };
  const end = (i) => { const [n, p] = nodes.find(([n, p]) => i <= p + n.data.length); return [n, i - p]; };
  const block = code.closest("p, li, section");
  const room = block.clientWidth - 12;
  const out = []; let at = 0;
  for (const word of code.textContent.split(" ")) {
    const range = document.createRange();
    range.setStart(...start(at)); range.setEnd(...end(at + word.length));
    const rects = Array.from(range.getClientRects()).filter((r) => r.width > 0);
    const bottoms = rects.map((r) => r.bottom).sort((a, b) => a - b);
    const lines = bottoms.filter((y, i) => i === 0 || y - bottoms[i - 1] > 8).length;
    const probe = document.createElement("span");
    probe.style.font = getComputedStyle(code).font; probe.style.whiteSpace = "pre"; probe.textContent = word;
    document.body.append(probe); const wide = probe.getBoundingClientRect().width; probe.remove();
    out.push([word, lines, wide <= room]);
    at += word.length + 1;
  }
  return out;
}"""


def broken(page: Page, selector: str) -> list[str]:
    """The words of the command at `selector` that fit a line and are shown on two or more."""
    words = page.eval_on_selector(selector, WORDS)
    assert words, selector
    return [word for word, lines, fits in words if fits and lines > 1]


@pytest.mark.parametrize("width", [320, 360])
def test_a_command_breaks_only_between_words(tmp_path: Path, browser: Browser, width: int) -> None:
    with setup_phone(tmp_path, browser, viewport=narrow(width)) as (service, server, page, problems):
        command = "moodspeaker --set device.data_dir=FOLDER setup-code"  # a stranger reads no folder
        assert page.eval_on_selector("#setup-command", "e => e.textContent") == command  # as typed
        found = {"setup": broken(page, "#setup-command")}
        claim(page, server.url, service.data_dir)
        page.goto(server.url + "privacy")
        found["privacy"] = broken(page, "li code")  # moodspeaker calibrate-neutral
        with page.expect_navigation():
            page.click("text=Log out")
        reset = "moodspeaker --set device.data_dir=FOLDER setup-code --reset"
        assert page.eval_on_selector("#reset-command", "e => e.textContent") == reset
        found["login"] = broken(page, "#reset-command")
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert (found, wide) == ({"setup": [], "privacy": [], "login": []}, width)
        assert problems == []


#: The settings whose help names commands to type on the speaker (schema.py's `...` spans), by the
#: section they are in and whether they are under its "More settings".
HELP_COMMANDS = {"player.audio_device": False, "library.serve_port": True, "web.allowed_hosts": True}


@pytest.mark.parametrize("width", [320, 360])
def test_a_command_in_a_settings_help_breaks_only_between_words(
    tmp_path: Path, browser: Browser, width: int
) -> None:
    """The settings help's commands ('moodspeaker doctor --only audio', 'aplay -L') broke at their
    hyphens: they were plain code, allowed to break anywhere."""
    # the claim lands on the settings
    with owner_phone(tmp_path, browser, path=None, viewport=narrow(width)) as (_, _, page, problems):
        found: dict[str, list[str]] = {}
        typed: list[str] = []
        for dotted, advanced in HELP_COMMANDS.items():
            section = f"#s-{dotted.split('.')[0]}"
            page.evaluate(f"document.querySelector('{section}').open = true")
            if advanced:
                page.evaluate(f"document.querySelector('{section} details.advanced').open = true")
            help_id = "#f-" + dotted.replace(".", "-").replace("_", "-") + "-help"
            for index in range(page.locator(f"{help_id} code").count()):
                code = page.locator(f"{help_id} code").nth(index)
                typed.append(code.text_content() or "")
                found[typed[-1]] = [w for w, lines, fits in code.evaluate(WORDS) if fits and lines > 1]
        assert {"moodspeaker doctor --only audio", "aplay -L", "moodspeaker library serve"} <= set(typed)
        wide = page.evaluate("document.documentElement.scrollWidth")
        assert ({c: w for c, w in found.items() if w}, wide) == ({}, width)
        assert problems == []
