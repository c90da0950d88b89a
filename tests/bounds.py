"""What a refusal of a bounded setting must say, worked out from the schema on the tests' side: the
config's CLI refusals and the page's form refusals are checked against the same expectation."""

from __future__ import annotations

from moodspeaker.config.load import SettingInfo


def too_big(info: SettingInfo) -> str:
    """A value just over the setting's maximum, as typed."""
    assert info.max is not None
    return str(int(info.max) + 1)


def allowed_range(info: SettingInfo) -> str:
    """The range as a refusal states it, with the unit."""
    unit = f" {info.unit}" if info.unit else ""
    return f"from {info.min:g} to {info.max:g}{unit}"
