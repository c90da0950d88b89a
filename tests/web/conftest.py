"""Fixtures for the page tests: the app around an in-memory household speaker (see webkit.py), the app in
front of the real service (realkit.py), and real headless Chromium (browserkit.py)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING

import pytest
from realkit import RealService, owned_page, quick_history_page
from webkit import AppPage, Clock, HomeSpeaker, Page, make_config

from chromiumkit import launch
from moodspeaker.config import Config, save
from moodspeaker.service.control import ControlAPI
from moodspeaker.service.events import EventBus
from moodspeaker_web.app import create_app
from moodspeaker_web.auth import LoginLimiter

if TYPE_CHECKING:  # Playwright is optional at run time (the browser tests skip without it)
    from playwright.sync_api import Browser


@pytest.fixture
def page(tmp_path: Path) -> Iterator[Page]:
    data_dir = tmp_path / "data"
    config_path = tmp_path / "config.toml"
    config = make_config(data_dir, **{"device.name": "Kitchen"})
    save(config, config_path)
    bus = EventBus()
    speaker = HomeSpeaker(bus, data_dir=data_dir)
    clock = Clock()
    saved: list[Config] = []
    app = create_app(
        ControlAPI(speaker, bus),
        bus,
        config=config,
        config_path=config_path,
        data_dir=data_dir,
        clock=clock,
        on_config_change=saved.append,
        limiter=LoginLimiter(max_failures=5, window_s=300, global_max=30),
    )
    client = app.test_client()
    made = Page(app, client, bus, data_dir, config_path, saved, speaker=speaker, clock=clock)
    yield made
    app.extensions["moodspeaker"].close()
    if made.app is not app:  # a test "restarted" the page (tests/web/test_sessions.py): the app it made
        made.app.extensions["moodspeaker"].close()


@pytest.fixture
def owner(page: Page) -> Page:
    """The page after first boot, logged in as the owner."""
    page.setup_owner()
    return page


@pytest.fixture
def real(tmp_path: Path) -> Iterator[tuple[RealService, AppPage]]:
    """The real service with the page app in front of it, logged in as the owner."""
    with owned_page(tmp_path) as both:
        yield both


@pytest.fixture
def real_quick(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[RealService, AppPage]]:
    """`real`, the mood history's busy timeouts 0 once the service's retention run at start has ended
    and before the page opens the file (realkit.quick_history_page)."""
    with quick_history_page(tmp_path, monkeypatch) as both:
        yield both


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    """Real headless Chromium, one per test module (skipped without Playwright)."""
    sync_api = pytest.importorskip("playwright.sync_api")
    with sync_api.sync_playwright() as p:
        chromium = launch(p)
        yield chromium
        chromium.close()
