"""Every refusal of the settings form names the setting by the label shown above its field and says
what it takes, with the range and unit: the form once said only "Expected a number from 0 to 60." under
a field.  The words come from the schema (moodspeaker.config.messages), as the CLI's do."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from browserkit import needs_chromium
from realkit import owner_phone

from bounds import allowed_range, too_big
from moodspeaker.config import Config, describe
from moodspeaker.config.load import SettingInfo
from moodspeaker_web import forms

if TYPE_CHECKING:  # Playwright is optional at run time (the browser test skips without it)
    from playwright.sync_api import Browser

BOUNDED = [
    info
    for info in describe()
    if info.kind in {"int", "float"}
    and info.min is not None
    and info.dotted not in forms.HIDDEN | forms.PERCENT
]


@pytest.mark.parametrize("info", BOUNDED, ids=lambda i: i.dotted)
def test_the_form_names_the_field_by_its_label_and_says_theallowed_range(info: SettingInfo) -> None:
    """The label is the one the form shows above the field; the range carries the unit."""
    config = Config()
    _, errors = forms.parse_section(config, info.section, {info.dotted: [too_big(info)]})
    field = next(f for f in forms.fields(config, info.section) if f.name == info.dotted)
    assert errors == {
        info.dotted: f"{field.label} must be a {'whole ' if info.kind == 'int' else ''}number "
        f"{allowed_range(info)}, not {too_big(info)}."
    }


@pytest.mark.parametrize(
    ("section", "form", "refusal"),
    [
        (
            "camera",
            {"camera.type": ["webcam"]},
            "Type must be one of 'auto', 'picamera2', 'v4l2', 'replay', not “webcam”.",
        ),
        ("camera", {"camera.replay_loop": ["maybe"]}, "Replay loop must be true or false, not “maybe”."),
        ("camera", {"camera.replay_path": ["/a\x01b"]}, "Replay path: control characters are not allowed."),
        ("device", {"device.name": ["  "]}, "Name must be a non-empty text string."),
        ("library", {"library.folders": ["/etc"]}, "Folders: '/etc' is a system folder, not a music folder."),
        ("recommend", {"recommend.profile": ["bob"]}, "Profile: 'bob' is not one of the profiles listed."),
        ("mqtt", {"mqtt.host": ["a b"]}, "Host: a host name or address, without spaces or slashes."),
    ],
)
def test_every_other_refusal_of_the_form_names_its_field(
    section: str, form: dict[str, list[str]], refusal: str
) -> None:
    _, errors = forms.parse_section(Config(), section, form)
    assert list(errors.values()) == [refusal]


def test_a_refusal_does_not_repeat_a_whole_pasted_page() -> None:
    _, errors = forms.parse_section(Config(), "camera", {"camera.interval_s": ["x" * 5000]})
    assert len(errors["camera.interval_s"]) < 120


@needs_chromium
@pytest.mark.timeout(180)
def test_the_refusal_under_a_field_names_it_as_its_label_does(tmp_path: Path, browser: Browser) -> None:
    """In real Chromium: 99 typed as the camera's interval is refused under the field, naming the field
    as its label does and saying the range in the label's unit; nothing is saved."""
    with owner_phone(tmp_path, browser, path=None) as (service, _, page, problems):
        before = service.config_path.read_bytes()
        page.click("#s-camera > summary")
        label = page.inner_text("label[for=f-camera-interval-s]").strip()
        assert label == "Interval (s)"
        page.fill("#f-camera-interval-s", "99")
        with page.expect_navigation():
            page.click("#save-camera")
        error = page.locator("#f-camera-interval-s-err").inner_text()
        assert error == "Interval must be a number from 0 to 60 s, not 99.", error
        assert service.config_path.read_bytes() == before
        refusal = ("400 ", "Failed to load resource: the server responded with a status of 400")
        assert [p for p in problems if not p.startswith(refusal)] == []
