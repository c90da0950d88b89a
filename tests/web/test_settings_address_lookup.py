"""A page address given by name is looked up before a save takes its lock, so a slow DNS holds no
other save.

Settings → This page checks a changed address by binding it as `run` would (edits.unreachable,
commands.webport.page_listen_problem), and a host name is looked up for that.  The check ran under
the lock every save takes (and the config follower, service.file_settings, takes it too): a slow or
unreachable DNS server held every other save, and the running speaker's following of its config
file, for the resolver's timeout (several seconds a server, per try).  The name is now looked up
first (WebContext.resolve_host), and only the bind, on the address found, is made under the lock.

The in-memory household speaker behind the page (webkit), the form as the page renders it (formkit);
the name's look-up is a resolver that waits for the test, so the other save is made while it waits.
"""

from __future__ import annotations

import dataclasses
import html
import re
import socket
import threading
from typing import Any

from formkit import form_data
from webkit import Page

from moodspeaker.config import load

WAIT_S = 30.0  # a bound for a failing test, never waited for by a passing one


def _post(page: Page, form: dict[str, list[str]], section: str, answers: dict[str, Any]) -> None:
    answers[section] = page.client.post(f"/settings/{section}", data=form)


def _form(page: Page, section: str, **edits: str) -> dict[str, list[str]]:
    form = form_data(page.client.get("/settings").get_data(as_text=True), f"/settings/{section}")
    return {**form, **{key.replace("__", "."): [value] for key, value in edits.items()}}


def test_a_slow_name_lookup_holds_no_other_save(owner: Page) -> None:
    asked, answered = threading.Event(), threading.Event()
    looked_up: list[str] = []

    def slow_dns(host: str) -> str:
        looked_up.append(host)
        asked.set()
        assert answered.wait(WAIT_S)
        raise socket.gaierror(socket.EAI_NONAME, "Name or service not known")

    owner.ctx.resolve_host = slow_dns
    other = dataclasses.replace(owner, client=owner.app.test_client())  # a second phone, logged in
    assert other.login().status_code == 302
    web_form = _form(owner, "web", web__host="speaker.example")
    player_form = _form(other, "player", player__volume="30")
    answers: dict[str, Any] = {}
    first = threading.Thread(target=_post, args=(owner, web_form, "web", answers), daemon=True)
    first.start()
    try:
        assert asked.wait(WAIT_S), "the page's new address was not looked up"
        second = threading.Thread(target=_post, args=(other, player_form, "player", answers), daemon=True)
        second.start()
        second.join(WAIT_S)
        assert not second.is_alive(), "the other save waited for the name's look-up"
        assert answers["player"].status_code == 302, answers["player"].get_data(as_text=True)
        assert load(owner.config_path).player.volume == 0.3
    finally:
        answered.set()
        first.join(WAIT_S)
    assert looked_up == ["speaker.example"]
    refused = answers["web"]
    assert refused.status_code == 400
    text = refused.get_data(as_text=True)
    said = re.search(r'<p class="error" id="f-web-host-err" role="alert">([^<]*)</p>', text)
    assert said, "no refusal under the address"
    assert html.unescape(said.group(1)).startswith("'speaker.example' is not a host name this speaker knows")
    assert load(owner.config_path).web.host == "0.0.0.0"  # nothing of the section saved
