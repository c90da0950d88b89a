"""The Now view's Strategy and Listener pickers show their choice whole on a small phone.

At 360 px the Strategy picker read "Match my mooc": the label's column took 8em of a 300 px card.
Each choice's words, in the picker's own font, must fit inside it beside its arrow, at 360 and at
320 px.  Real service, headless Chromium.
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browserkit import needs_chromium
from realkit import owner_phone

if TYPE_CHECKING:  # Playwright is optional at run time (the browser test skips without it)
    from playwright.sync_api import Browser

pytest.importorskip("playwright.sync_api")

pytestmark = [needs_chromium, pytest.mark.timeout(180)]

#: Room Chromium's drop-down arrow takes inside a <select> (about 20 px), with a little to spare.
ARROW_PX = 24

#: Each picker's widest choice (its words in the select's font) and the room its text has.
ROOM = """(id) => {
  const select = document.getElementById(id), style = getComputedStyle(select);
  const probe = document.createElement("span");
  probe.style.font = style.font; probe.style.whiteSpace = "pre"; probe.style.position = "absolute";
  document.body.append(probe);
  let widest = 0, words = "";
  for (const option of select.options) {
    probe.textContent = option.textContent;
    const width = probe.getBoundingClientRect().width;
    if (width > widest) { widest = width; words = option.textContent; }
  }
  probe.remove();
  const inside = select.clientWidth - parseFloat(style.paddingLeft) - parseFloat(style.paddingRight);
  return [words, widest, inside];
}"""


@pytest.mark.parametrize("width", [360, 320])
def test_the_pickers_show_their_choice_whole(tmp_path: Path, browser: Browser, width: int) -> None:
    with owner_phone(tmp_path, browser, viewport={"width": width, "height": 800}) as (_, _, page, problems):
        for picker in ("strategy", "profile"):
            words, widest, inside = page.evaluate(ROOM, picker)
            assert widest + ARROW_PX <= inside, (picker, words, widest, inside)
        assert page.evaluate("document.documentElement.scrollWidth") == width  # nothing wider
        assert problems == []
