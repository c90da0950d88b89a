"""The first-boot setup code (ETSI EN 303 645 provision 5.1: no universal default password).

At first start the device makes a random code, unique to this device, that proves the visitor can
read it on the device itself: `moodspeaker setup-code` there, or the console's login prompt (the
root-only note moodspeaker-issue writes).  It is never logged.  The first visitor enters it and
chooses the owner's password; the code is then deleted.  Pure file handling: no Flask here, so the
CLI command can use it without importing the web stack.
"""

from __future__ import annotations

import contextlib
import hmac
import os
import secrets
import shlex
from pathlib import Path

from moodspeaker.config import ConfigError
from moodspeaker.config.load import data_dir as config_data_dir
from moodspeaker.config.load import load
from moodspeaker.util.atomic import atomic_write_text, private_folder
from moodspeaker.util.program import program

#: No 0/O/1/I/L: the code is read off a terminal and typed on a phone.
ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10  # 31**10 ~ 2**49 possibilities, and attempts are rate-limited


def web_dir(data_dir: Path) -> Path:
    return Path(data_dir) / "web"


def private_dir(data_dir: Path) -> Path:
    """data_dir/web, created readable by the service's user only (it holds the password hash)."""
    folder = private_folder(web_dir(data_dir))  # and the data folder the owner's alone, when made here
    folder.chmod(0o700)
    return folder


def plain_command(*, public: bool = False) -> str:
    """The command when the CLI finds the page's data folder by itself: `moodspeaker setup-code`, with
    `moodspeaker` as it can be run here (util.program; `public`: for a page)."""
    return f"{program(public=public)} setup-code"


def setup_code_command(data_dir: Path, *, public: bool = False) -> str:
    """The command that shows this page's setup code on the speaker.  `moodspeaker setup-code` alone
    reads the data folder of the config the CLI finds by itself ($MOODSPEAKER_CONFIG, else
    /etc/moodspeaker/config.toml, else the defaults); a page on another folder (the demo's
    <data_dir>/demo, a speaker run with a --config of its own) was shown that command, which printed
    another folder's code (made there on the spot) that this page refused.  Such a page names its
    folder, as the demo's console does.  `moodspeaker` is said as it can be run here (util.program:
    `.venv/bin/moodspeaker` in a checkout, where it is not on PATH); `public` for a page."""
    try:
        found = config_data_dir(load())
    except ConfigError:
        found = None
    if found is not None and os.path.realpath(found) == os.path.realpath(data_dir):
        return plain_command(public=public)
    return f"{program(public=public)} --set device.data_dir={shlex.quote(str(data_dir))} setup-code"


def code_path(data_dir: Path) -> Path:
    return web_dir(data_dir) / "setup-code"


def auth_path(data_dir: Path) -> Path:
    return web_dir(data_dir) / "auth.json"


def is_set_up(data_dir: Path) -> bool:
    """True once an owner password exists."""
    return auth_path(data_dir).is_file()


def normalise(code: str) -> str:
    """What the person typed, without spaces/dashes and in capitals."""
    return "".join(ch for ch in code.upper() if ch.isalnum())


def _format(raw: str) -> str:
    half = len(raw) // 2
    return f"{raw[:half]}-{raw[half:]}"


def read_setup_code(data_dir: Path) -> str | None:
    """The current code (formatted XXXXX-XXXXX), or None when there is none or it is unreadable."""
    try:
        raw = normalise(code_path(data_dir).read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError):
        return None
    if len(raw) != CODE_LENGTH or any(ch not in ALPHABET for ch in raw):
        return None
    return _format(raw)


def ensure_setup_code(data_dir: Path) -> str | None:
    """The setup code, made and stored (mode 0600) if missing; None once the page is set up."""
    if is_set_up(data_dir):
        return None
    existing = read_setup_code(data_dir)
    if existing:
        return existing
    raw = "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))
    private_dir(data_dir)
    atomic_write_text(code_path(data_dir), raw + "\n", mode=0o600)
    return _format(raw)


def check_setup_code(data_dir: Path, given: str) -> bool:
    """Constant-time comparison of what was typed with the stored code."""
    stored = read_setup_code(data_dir)
    if stored is None or is_set_up(data_dir):
        return False
    return hmac.compare_digest(normalise(given).encode(), normalise(stored).encode())


def discard_setup_code(data_dir: Path) -> None:
    with contextlib.suppress(FileNotFoundError):
        code_path(data_dir).unlink()


def reset_owner(data_dir: Path) -> str:
    """Forget the owner password (for someone with access to the device) and make a new code."""
    with contextlib.suppress(FileNotFoundError):
        auth_path(data_dir).unlink()
    discard_setup_code(data_dir)
    code = ensure_setup_code(data_dir)
    if code is None:  # another process set a password in between
        raise RuntimeError("the owner password was set again while resetting")
    return code
