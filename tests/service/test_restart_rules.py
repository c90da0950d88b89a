"""One rule for which saved settings wait for a restart (service.restart_rules), used by the service
when it applies a config and by the page when it lists what still waits."""

from __future__ import annotations

from moodspeaker.config import Config, with_changes
from moodspeaker.service.restart_rules import needs_restart, waits_for_restart


def test_live_settings_apply_at_once_and_the_audio_device_waits() -> None:
    old = Config()
    new = with_changes(
        old,
        {
            "player.crossfade_s": 0.5,  # live
            "player.audio_device": "hw:1",  # under player. but opened once: waits
            "web.guest_view": True,  # live
            "web.port": 9000,  # the page listens where it started: waits
            "mood.half_life_s": 5.0,  # waits
        },
    )
    assert needs_restart(old, new) == ["mood.half_life_s", "player.audio_device", "web.port"]
    assert needs_restart(new, new) == []
    assert waits_for_restart("player.audio_device") and not waits_for_restart("player.crossfade_s")


def test_the_page_s_own_restart_settings_follow_the_same_rule() -> None:
    from moodspeaker_web.context import PAGE_RESTART  # noqa: PLC0415 (the page's package)

    assert sorted(PAGE_RESTART) == ["web.enabled", "web.host", "web.port", "web.zeroconf"]
