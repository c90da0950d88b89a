"""What a screen reader is given for an element: Chromium's own accessibility tree, read through the
DevTools protocol (the tree the browser hands to the platform's screen reader), not a computation of
the test's."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # Playwright is optional at run time (the browser tests skip without it)
    from playwright.sync_api import Page


def _value(node: dict[str, Any], key: str) -> str:
    return str((node.get(key) or {}).get("value", ""))


def ax_node(page: Page, selector: str) -> dict[str, str]:
    """The role, name, description and checked state ("" when none) Chromium gives the first element
    matching the CSS `selector`."""
    cdp = page.context.new_cdp_session(page)
    try:
        found = cdp.send("Runtime.evaluate", {"expression": f"document.querySelector({selector!r})"})
        object_id = found["result"]["objectId"]
        nodes = cdp.send("Accessibility.getPartialAXTree", {"objectId": object_id, "fetchRelatives": False})
        node = nodes["nodes"][0]
        properties = {p["name"]: p["value"].get("value") for p in node.get("properties", [])}
        return {
            "role": _value(node, "role"),
            "name": _value(node, "name"),
            "description": _value(node, "description"),
            "checked": str(properties.get("checked", "")),
        }
    finally:
        cdp.detach()
