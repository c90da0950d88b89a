"""A settings form submitted as a browser submits it, for the Flask-client tests: every field the page
rendered in that form, with the value it shows (a ticked box's value, a select's chosen option, a
textarea's text, hidden fields too), so a test changes one field and sends the rest as they were."""

from __future__ import annotations

import html as html_module
import re
from html.parser import HTMLParser
from typing import Any


class _FormReader(HTMLParser):
    def __init__(self, action: str) -> None:
        super().__init__(convert_charrefs=True)
        self.action = action
        self.inside = False
        self.fields: list[tuple[str, str]] = []
        self._select: str | None = None
        self._textarea: str | None = None
        self._text: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "form":
            self.inside = a.get("action") == self.action
        if not self.inside:
            return
        if tag == "input" and a.get("name"):
            if a.get("type") in {"checkbox", "radio"} and "checked" not in a:
                return
            self.fields.append((a["name"], a.get("value", "")))
        elif tag == "select":
            self._select = a.get("name")
        elif tag == "option" and self._select and "selected" in a:
            self.fields.append((self._select, a.get("value", "")))
        elif tag == "textarea":
            self._textarea, self._text = a.get("name"), []

    def handle_data(self, data: str) -> None:
        if self._textarea is not None:
            self._text.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "form":
            self.inside = False
        elif tag == "select":
            self._select = None
        elif tag == "textarea" and self._textarea is not None:
            text = "".join(self._text)
            self.fields.append((self._textarea, text[1:] if text.startswith("\n") else text))
            self._textarea = None


def form_data(html: str, action: str) -> dict[str, list[str]]:
    """The fields of the form posting to `action` as the browser would send them untouched."""
    reader = _FormReader(action)
    reader.feed(html)
    out: dict[str, list[str]] = {}
    for name, value in reader.fields:
        out.setdefault(name, []).append(value)
    assert out, f"no form posting to {action}"
    return out


def save_settings(client: Any, section: str, shown: str | None = None, **edits: str) -> str:
    """The Settings form of `section` as `shown` (a page's HTML; None: GET /settings) posted with
    `edits` changed ({"device__name": "Attic"}: device.name) and the rest as shown, by the Flask test
    `client`; asserts the save redirects, and returns the page it leads to, its entities unescaped."""
    form = form_data(
        client.get("/settings").get_data(as_text=True) if shown is None else shown, f"/settings/{section}"
    )
    data = {**form, **{key.replace("__", "."): [value] for key, value in edits.items()}}
    answer = client.post(f"/settings/{section}", data=data)
    assert answer.status_code == 302, answer.get_data(as_text=True)
    return html_module.unescape(client.get(answer.headers["Location"]).get_data(as_text=True))


def ok_notes(page: str) -> list[str]:
    """The page's notes that something went well (the flash-ok lines), in order."""
    return re.findall(r'<p class="flash flash-ok" role="status">([^<]*)</p>', page)
