"""A shorter privacy.retention_days saved on the page deletes the page's older mood history at once.

README: "a shorter period takes effect as soon as it is saved".  The service re-ran its own retention
on the save (service.retention.run_now), but the page's mood history was pruned only by its hourly
housekeeping, so the plot and the export kept the readings older than the new period for up to an
hour.  The page's real app and history (the speaker behind it is the in-memory one of webkit.py: only
the page's own store is under test); the settings are saved through the Settings form.
"""

from __future__ import annotations

from webkit import Page

DAY = 86400.0


def test_saved_shorter_retention_prunes_the_history_at_once(owner: Page) -> None:
    now = owner.clock.now
    owner.mood("sad", now - 10 * DAY)
    owner.mood("happy", now - 60)
    owner.ctx.recorder.flush()
    assert [s["mood"] for s in owner.ctx.history.export()] == ["sad", "happy"]  # 30 days kept
    token = owner.csrf("/settings")
    saved = owner.client.post("/settings/privacy", data={"csrf_token": token, "privacy.retention_days": "7"})
    assert saved.status_code == 302, saved.get_data(as_text=True)
    assert owner.ctx.config.privacy.retention_days == 7
    assert [s["mood"] for s in owner.ctx.history.export()] == ["happy"]
    export = owner.client.get("/privacy/export").get_json()
    assert [s["mood"] for s in export["mood_history"]] == ["happy"]
    # a longer period deletes nothing more, and an unchanged save does not prune either
    owner.mood("calm", now - 20 * DAY)
    owner.ctx.recorder.flush()
    token = owner.csrf("/settings")
    saved = owner.client.post("/settings/privacy", data={"csrf_token": token, "privacy.retention_days": "30"})
    assert saved.status_code == 302
    assert sorted(s["mood"] for s in owner.ctx.history.export()) == ["calm", "happy"]
