"""The data export holds the pick explanations the speaker keeps, and none that delete-everything took.

An explanation quotes the mood read when the track was picked ("you look happy (90% sure); ...") and is
kept by the speaker (state file, health's "why these tracks"); delete-everything and the retention take
them back.  The export ("everything this speaker keeps about its listeners") gave the mood history,
feedback and profiles, not these.  The real service (scripted camera showing a happy face) with the
page in front of it, logged in as the owner.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from realkit import RealService
from webkit import AppPage


def reasons(state: dict[str, Any]) -> set[str]:
    now = state.get("now_playing") or {}
    found = {str(now.get("reason") or "")}
    found |= {str(item.get("reason") or "") for item in state.get("queue") or []}
    return found - {""}


@pytest.mark.timeout(240)
def test_export_gives_the_explanations_kept(real: tuple[RealService, AppPage]) -> None:
    service, page = real
    service.wait_for(
        lambda: any("you look happy" in r for r in reasons(service.appliance.state())),
        timeout=120.0,
        what="a track picked for the happy face",
    )
    kept = reasons(page.client.get("/api/state").get_json())
    export = page.client.get("/privacy/export").get_json()
    given = export["explanations"]
    listed = {e["reason"] for e in [given["now_playing"] or {}, *given["queue"]] if e.get("reason")}
    started = {e["reason"] for e in given["started_last"]}
    assert kept & (listed | started), (kept, given)
    assert any("you look happy" in r for r in listed | started)

    # the camera off first: picks made after the deletion cannot quote the same face again
    service.control.execute("set_camera", {"enabled": False}, source="test")
    page.client.post("/privacy/delete", data={"csrf_token": page.csrf("/privacy"), "confirm": "delete"})
    after = json.dumps(page.client.get("/privacy/export").get_json()["explanations"])
    for reason in kept:
        assert reason not in after  # taken back: not reported, so not exported either
