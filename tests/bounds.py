"""What a refusal of a bounded setting must say, worked out from the schema on the tests' side: the
config's CLI refusals and the page's form refusals are checked against the same expectation."""

from __future__ import annotations

from moodspeaker.config.load import SettingInfo


def too_big(info: SettingInfo) -> str:
    """A value just over the setting's maximum, as typed."""
    assert info.max is not None
    return str(int(info.max) + 1)


def allowed_range(info: SettingInfo) -> str:
    """The range as a refusal states it, with the unit, in numbers as typed ("1000000", not "1e+06")."""
    assert info.min is not None and info.max is not None
    unit = f" {info.unit}" if info.unit else ""
    return f"from {_typed(info.min)} to {_typed(info.max)}{unit}"


def _typed(number: float) -> str:
    """A bound as a person types it (worked out here, not with the code's own formatting)."""
    return str(int(number)) if number == int(number) else repr(float(number))
