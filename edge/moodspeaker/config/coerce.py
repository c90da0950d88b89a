"""One setting's value checked against the schema and given in its type (`coerce`).

The config file (config.load), `--set`, `moodspeaker config set` and the web page's settings form all
go through this one function, so a value is taken or refused the same way everywhere.
"""

from __future__ import annotations

import math
import os
import tomllib
from typing import TYPE_CHECKING, Any

from moodspeaker.config.declare import TOPIC_PREFIX
from moodspeaker.config.messages import expected

if TYPE_CHECKING:  # load.py imports this module; the type is only needed for checking
    from moodspeaker.config.load import SettingInfo


def coerce(info: SettingInfo, value: Any) -> Any:
    """Check one value against its setting; return it in the schema's type or raise ValueError.

    Strings are accepted for numbers and booleans so that the web form and `--set key=value`
    go through exactly this function.
    """
    kind = info.kind
    if kind == "bool":
        if isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip().lower() in {
            "true",
            "false",
            "on",
            "off",
            "1",
            "0",
            "yes",
            "no",
        }:
            return value.strip().lower() in {"true", "on", "1", "yes"}
        raise ValueError(expected(info))
    if kind in {"int", "float"}:
        number: float
        if isinstance(value, bool):
            raise ValueError(expected(info))
        if isinstance(value, int | float):
            number = value
        elif isinstance(value, str):
            try:
                number = int(value) if kind == "int" else float(value)
            except ValueError:
                raise ValueError(expected(info)) from None
        else:
            raise ValueError(expected(info))
        if kind == "int":
            if isinstance(number, float) and not number.is_integer():
                raise ValueError(expected(info))
            number = int(number)
        else:
            number = float(number)
            if not math.isfinite(number):
                raise ValueError(expected(info))
        if (info.min is not None and number < info.min) or (info.max is not None and number > info.max):
            raise ValueError(expected(info))
        return number
    if kind == "choice":
        if isinstance(value, str) and value in info.choices:
            return value
        raise ValueError(expected(info))
    if kind == "list":
        if isinstance(value, str):
            value = _list_from_text(value)
        if isinstance(value, list | tuple) and all(isinstance(v, str) for v in value):
            return tuple(value)
        raise ValueError(expected(info))
    if isinstance(value, str):
        if info.required and not value.strip():
            raise ValueError(expected(info))
        if info.absolute and not os.path.isabs(os.path.expanduser(value)):
            raise ValueError(expected(info))
        if info.topic and not TOPIC_PREFIX.match(value):
            raise ValueError(expected(info))
        return value
    raise ValueError(expected(info))


#: Told with a refused list: both forms `--set` takes.
LIST_FORMS = 'write a,b or a list literal such as ["default", "alex"]'
_LIST_MARKS = "[]\"'"


def _list_from_text(text: str) -> list[str]:
    """A list setting given as text (`--set`, a string in the file): a TOML/JSON list literal
    (`["a", "b"]`), else names separated by commas or lines.

    Splitting a literal on its commas gave names like '["default"' (and a profile of that name),
    so text that starts like a literal must be one, and an item that starts or ends with a bracket
    or quote is refused as a list broken on the way (an unclosed bracket, shell quoting).
    """
    stripped = text.strip()
    if stripped.startswith("["):
        try:
            parsed = tomllib.loads(f"v = {stripped}")["v"]
        except tomllib.TOMLDecodeError:
            raise ValueError(f"a list of text strings ({LIST_FORMS}); this list literal is broken") from None
        if not isinstance(parsed, list) or not all(isinstance(v, str) for v in parsed):
            raise ValueError(f"a list of text strings ({LIST_FORMS})")
        return [v.strip() for v in parsed if v.strip()]
    items = [v.strip() for v in text.replace("\n", ",").split(",") if v.strip()]
    if any(item[0] in _LIST_MARKS or item[-1] in _LIST_MARKS for item in items):
        raise ValueError(f"a list of text strings ({LIST_FORMS}); this looks like a broken list literal")
    return items
