"""Moodspeaker phone page (Flask): setup, status, controls and privacy, via the ControlAPI only.

The service starts it with `moodspeaker_web.serve(control, bus, config=..., config_path=...,
data_dir=...)`, which returns a `WebServer` with `.url` and `.stop()`.  Importing this package is
cheap: Flask is imported only when the page is started.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from flask import Flask

    from moodspeaker_web.server import WebServer

__all__ = ["create_app", "serve"]


def serve(*args: Any, **kwargs: Any) -> WebServer:
    """Start the page in a thread; see `moodspeaker_web.server.serve`."""
    from moodspeaker_web.server import serve as _serve  # noqa: PLC0415 (keeps `import` cheap)

    return _serve(*args, **kwargs)


def create_app(*args: Any, **kwargs: Any) -> Flask:
    """The page as a WSGI app; see `moodspeaker_web.app.create_app`."""
    from moodspeaker_web.app import create_app as _create_app  # noqa: PLC0415 (keeps `import` cheap)

    return _create_app(*args, **kwargs)
