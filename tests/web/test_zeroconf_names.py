"""The announced name fits mDNS (63 bytes of UTF-8, room left for zeroconf's "-2"), and a rename
announces the new name before it withdraws the old, so a rename that fails leaves the speaker findable.
Real zeroconf, announced on the loopback only (as test_zeroconf does)."""

from __future__ import annotations

import os
from collections.abc import Iterator

import pytest
from zeroconf import EventLoopBlocked

from moodspeaker_web.advertise import HTTP_TYPE, MAX_NAME_BYTES, OWN_TYPE, Advertiser, friendly_name

HOST = f"names-test-{os.getpid()}"  # other test runs on this machine may announce too


def _names(advertiser: Advertiser) -> set[str]:
    zc = advertiser._zc
    assert zc is not None
    return {info.name for t in (HTTP_TYPE, OWN_TYPE) for info in zc.registry.async_get_infos_type(t)}


@pytest.fixture
def kitchen() -> Iterator[Advertiser]:
    advertiser = Advertiser(f"Kitchen {os.getpid()}", 18765, host=HOST, interfaces=["127.0.0.1"])
    advertiser.start()
    yield advertiser
    advertiser.stop()


@pytest.mark.parametrize(
    "device_name",
    ["ü" * 40, "😀" * 20, "Moodspeaker " + "é" * 60, "a\x00b\x1bc" * 20],
    ids=["two-byte letters", "emoji", "own prefix", "control characters"],
)
def test_names_are_cut_to_what_mdns_takes_by_bytes(device_name: str) -> None:
    name = friendly_name(device_name, "pi")
    assert 0 < len(name.encode("utf-8")) <= MAX_NAME_BYTES <= 63 - len("-2")
    assert all(c.isprintable() for c in name)
    assert friendly_name("ü" * 10, "pi") == f"Moodspeaker ({'ü' * 10})"  # short names are kept whole


def test_a_long_name_in_two_byte_letters_is_announced() -> None:
    advertiser = Advertiser("ü" * 40, 18766, host=HOST, interfaces=["127.0.0.1"])
    try:
        advertiser.start()  # before: BadTypeInNameException (40 letters, 80 bytes)
        name = advertiser.announcement.name
        assert _names(advertiser) == {f"{name}.{HTTP_TYPE}", f"{name}.{OWN_TYPE}"}
    finally:
        advertiser.stop()


def test_a_rename_announces_the_new_name_and_withdraws_the_old(kitchen: Advertiser) -> None:
    kitchen.rename("😀" * 20)  # before: refused by zeroconf after the old name was withdrawn
    name = kitchen.announcement.name
    assert name.startswith("Moodspeaker (😀")
    assert _names(kitchen) == {f"{name}.{HTTP_TYPE}", f"{name}.{OWN_TYPE}"}


def test_a_rename_that_fails_keeps_the_old_name(kitchen: Advertiser, monkeypatch: pytest.MonkeyPatch) -> None:
    old = _names(kitchen)
    zc = kitchen._zc
    assert zc is not None and len(old) == 2
    register = zc.register_service
    calls: list[str] = []

    def blocked(info: object, **kwargs: object) -> None:
        calls.append(str(getattr(info, "name", "")))
        if len(calls) == 2:  # the second service type of the new name: zeroconf's loop too busy
            raise EventLoopBlocked
        register(info, **kwargs)

    monkeypatch.setattr(zc, "register_service", blocked)
    with pytest.raises(EventLoopBlocked):
        kitchen.rename("Attic")
    # before: the old name was withdrawn first, and the speaker had vanished from the LAN
    assert _names(kitchen) == old
    assert kitchen.announcement.name == f"Moodspeaker (Kitchen {os.getpid()})"
