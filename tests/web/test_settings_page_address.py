"""Settings → This page refuses a port or address the speaker could not start with.

`run` (and `demo`) refuse to start when the page cannot listen (commands/webport.py), and on the Pi the
service runs as an unprivileged user with an empty CapabilityBoundingSet, so it can never open port 80.
The page accepted Port = 80 ("takes effect when the speaker restarts"), another program's port or an
address the machine does not have: at the next restart systemd restarted a speaker that never started,
and only SSH undid it.  Now such a save is refused with the reason under the field, and nothing of the
section is saved; the port the page itself is on stays fine.  Unticking Enabled saves, and says that
the page is then gone after a restart and how it comes back.

The in-memory household speaker behind the page (webkit); real sockets; the form as the page renders it
(formkit).  Port 80 is tried as the Pi's service would: as root, this thread's CAP_NET_BIND_SERVICE is
dropped from its effective set for the request (and raised again after).
"""

from __future__ import annotations

import ctypes
import html
import os
import re
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import pytest
from formkit import form_data
from webkit import Page

from moodspeaker.commands.webport import UNPRIVILEGED_START
from moodspeaker.config import load
from moodspeaker.system.listen import listening_socket

CAP_NET_BIND_SERVICE = 10
_CAPABILITY_VERSION_3 = 0x20080522


class _Header(ctypes.Structure):
    _fields_ = [("version", ctypes.c_uint32), ("pid", ctypes.c_int)]


class _Data(ctypes.Structure):
    _fields_ = [(name, ctypes.c_uint32) for name in ("effective", "permitted", "inheritable")]


@contextmanager
def unprivileged_ports() -> Iterator[None]:
    """This thread without the right to open ports below 1024, as the speaker's systemd unit runs it
    (CapabilityBoundingSet=, User=moodspeaker); nothing to drop for a test not run as root."""
    if os.geteuid() != 0:
        yield
        return
    libc = ctypes.CDLL(None, use_errno=True)
    header, data = _Header(_CAPABILITY_VERSION_3, 0), (_Data * 2)()
    assert libc.capget(ctypes.byref(header), data) == 0, os.strerror(ctypes.get_errno())
    effective = data[0].effective
    data[0].effective &= ~(1 << CAP_NET_BIND_SERVICE)
    assert libc.capset(ctypes.byref(header), data) == 0, os.strerror(ctypes.get_errno())
    try:
        yield
    finally:
        data[0].effective = effective
        assert libc.capset(ctypes.byref(header), data) == 0, os.strerror(ctypes.get_errno())


def _save_web(owner: Page, environ: dict[str, Any] | None = None, **edits: str) -> Any:
    form = form_data(owner.client.get("/settings").get_data(as_text=True), "/settings/web")
    data = {**form, **{key.replace("__", "."): [value] for key, value in edits.items()}}
    return owner.client.post("/settings/web", data=data, environ_overrides=environ or {})


def _error_under(answer: Any, input_id: str) -> str:
    text = answer.get_data(as_text=True)
    match = re.search(rf'<p class="error" id="{input_id}-err" role="alert">([^<]*)</p>', text)
    assert match, f"no refusal under {input_id}"
    return html.unescape(match.group(1))


def _nothing_saved(owner: Page) -> None:
    saved = load(owner.config_path)
    assert (saved.web.host, saved.web.port, saved.web.guest_view) == ("0.0.0.0", 8080, False)
    assert owner.saved_configs == []


def test_port_80_is_refused_where_the_speaker_may_not_open_it(owner: Page) -> None:
    if int(UNPRIVILEGED_START.read_text()) <= 80:  # e.g. a container made with every port open to all
        pytest.skip("every user may open port 80 on this machine")
    with unprivileged_ports():
        answer = _save_web(owner, web__port="80", web__guest_view="true")
    assert answer.status_code == 400
    said = _error_under(answer, "f-web-port")
    assert said.startswith("Port 80 may be opened only with administrator rights (ports below 1024)"), said
    assert "would not start at its next restart" in said and "from 1024 up" in said
    _nothing_saved(owner)  # the guest view ticked in the same save is not saved either


def test_a_port_another_program_has_is_refused(owner: Page) -> None:
    with listening_socket("127.0.0.1", 0) as other:
        taken = other.getsockname()[1]
        answer = _save_web(owner, web__port=str(taken))
    assert answer.status_code == 400
    assert _error_under(answer, "f-web-port").startswith(f"Port {taken} is already in use by another program")
    _nothing_saved(owner)


def test_an_address_this_machine_does_not_have_is_refused(owner: Page) -> None:
    answer = _save_web(owner, web__host="192.0.2.7")  # TEST-NET-1: no machine's address
    assert answer.status_code == 400
    assert _error_under(answer, "f-web-host").startswith("192.0.2.7 is not an address of this speaker")
    _nothing_saved(owner)


def test_the_port_the_page_is_on_is_fine(owner: Page) -> None:
    """The page's own port is taken by the page itself, which gives it up when the speaker restarts."""
    with listening_socket("127.0.0.1", 0) as own:
        port = own.getsockname()[1]
        answer = _save_web(owner, {"werkzeug.socket": own}, web__port=str(port))
    assert answer.status_code == 302, answer.get_data(as_text=True)
    assert load(owner.config_path).web.port == port


def test_turning_the_page_off_says_how_it_comes_back(owner: Page) -> None:
    answer = _save_web(owner, web__enabled="false")
    assert answer.status_code == 302, answer.get_data(as_text=True)
    assert load(owner.config_path).web.enabled is False
    notes = html.unescape(owner.client.get(answer.headers["Location"]).get_data(as_text=True))
    assert "it will be gone after the speaker restarts" in notes
    how = "config set web.enabled=true`, typed on the speaker (over SSH), brings it back"
    assert f"`moodspeaker --config {owner.config_path} {how}" in notes  # the speaker's own file
