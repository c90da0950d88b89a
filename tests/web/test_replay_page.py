"""The page's "Again" (replay) button in front of the real service: in real headless Chromium (click and
keyboard), and without JavaScript through the form, both behind the CSRF token like the other buttons.
The recommender must receive `replayed` once per press."""

from __future__ import annotations

import sqlite3
import time
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browserkit import ARTIFACTS, PHONE, needs_chromium
from realkit import RealService, owner_phone
from webkit import AppPage

from moodspeaker_web.tell import Action, interpret
from polling import until

if TYPE_CHECKING:  # Playwright is optional at run time (the browser test skips without it)
    from playwright.sync_api import Browser

pytest.importorskip("playwright.sync_api")

pytestmark = pytest.mark.timeout(180)


def replayed(data_dir: Path) -> list[str]:
    with sqlite3.connect(data_dir / "recommend.sqlite") as db:
        return [r[0] for r in db.execute("SELECT track_id FROM feedback WHERE kind = 'replayed' ORDER BY id")]


@needs_chromium
def test_the_again_button_replays_in_a_real_browser(tmp_path: Path, browser: Browser) -> None:
    with owner_phone(tmp_path, browser) as (service, _, page, problems):
        until(
            lambda: page.inner_text("#np-reason").startswith("Why, when picked:"),
            what="a track with its reason",
        )
        button = page.locator("#btn-replay")
        assert button.inner_text().strip() == "Again" and button.get_attribute("title")
        box = button.bounding_box()  # on the phone's screen, in the row with the other buttons
        assert box is not None and box["x"] + box["width"] <= PHONE["width"]
        next_box = page.locator("#btn-next").bounding_box()
        assert next_box is not None and box["y"] == pytest.approx(next_box["y"], abs=1)
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "replay-status.png"), full_page=True)

        button.click()
        until(lambda: page.inner_text("#live") == "Playing it again", what="the page to say it was done")
        # a change a busy player has not applied yet (the answer's `pending`) is under way, not done
        outcome = "([command, state]) => commandOutcome(command, state)"
        busy = {"volume": 0.25, "pending": {"volume": 0.3}}
        assert page.evaluate(outcome, ["set_volume", busy]) == "Volume 30% (in a moment: the player is busy)"
        assert page.evaluate(outcome, ["set_volume", {"volume": 0.3, "pending": {}}]) == "Volume 30%"
        first = until(lambda: replayed(service.data_dir), what="the replay recorded")
        started = {tid for _, tid in service.appliance.started_tracks}
        assert len(first) == 1 and first[0] in started
        assert service.appliance.state()["playing"]

        page.evaluate("document.getElementById('btn-replay').blur()")  # keyboard only from here
        page.focus("#btn-replay")
        page.keyboard.press("Enter")
        until(lambda: len(replayed(service.data_dir)) == 2, what="a second replay from the keyboard")
        time.sleep(0.5)
        assert len(replayed(service.data_dir)) == 2  # once per press
    assert problems == []


def test_replay_without_javascript_needs_the_csrf_token(real: tuple[RealService, AppPage]) -> None:
    service, page = real
    service.wait_for(lambda: service.appliance.state()["now_playing"], what="autoplay")
    for token in (None, "forged-token"):
        form = {"command": "replay"} if token is None else {"command": "replay", "csrf_token": token}
        refused = page.client.post("/control", data=form)
        assert refused.status_code == 400 and "security token" in refused.get_data(as_text=True)
    assert page.client.post("/api/command", json={"command": "replay"}).status_code == 400
    assert replayed(service.data_dir) == []

    html = page.client.get("/").get_data(as_text=True)
    assert 'id="btn-replay"' in html and 'value="replay"' in html
    done = page.client.post("/control", data={"command": "replay", "csrf_token": page.csrf("/")})
    assert done.status_code == 302
    assert len(replayed(service.data_dir)) == 1
    answer = page.post_json("/api/command", {"command": "replay"})
    assert answer.status_code == 200 and answer.get_json()["state"]["playing"]
    assert len(replayed(service.data_dir)) == 2
    told = page.post_json("/api/tell", {"text": "Play that again!"}).get_json()  # the "tell" box
    assert told["ok"] and told["done"] == [{"command": "replay", "args": {}}], told
    assert len(replayed(service.data_dir)) == 3


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("play that again", ("replay",)),
        ("one more time", ("replay",)),
        ("I love this, play it again", ("like", "replay")),
        ("not this, go back", ("dislike",)),  # a dislike skips: going back would undo it
        ("I'm sad again", ("correct_mood",)),  # "again" alone is not a request to replay
    ],
)
def test_tell_the_speaker_to_play_it_again(text: str, expected: tuple[str, ...]) -> None:
    actions = interpret(text, volume=0.5, strategy="match").actions
    assert tuple(a.command for a in actions) == expected
    assert Action("replay") in actions or "replay" not in expected
