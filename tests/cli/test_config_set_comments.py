"""`moodspeaker config set` keeps the file's comments: it rewrites only the lines it changes.

The installer writes a comment header saying how the file came to be and how to change it; `config
set` rewrote the file from its values and dropped the header and every note the owner had written.
The real command line, in-process, on a file like the installer's.
"""

from __future__ import annotations

from pathlib import Path

from moodspeaker.cli import main
from moodspeaker.config import load

HEADER = """\
# Moodspeaker configuration, written once by the installer and never overwritten by it.
# Every setting and its default: moodspeaker config schema.  Change with the web page,
# or: sudo -u moodspeaker moodspeaker config set section.key=value
"""

INSTALLED = (
    HEADER
    + """\
[device]
data_dir = "/var/lib/moodspeaker"

# the kitchen speaker has no Coral
[classifier]
type = "cpu"  # CPU until the USB stick arrives

[library]
folders = ["/var/lib/moodspeaker/music"]
"""
)


def _set(path: Path, *changes: str) -> None:
    assert main(["-c", str(path), "config", "set", *changes]) == 0


def test_the_installers_header_and_every_comment_stay(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(INSTALLED)
    _set(path, "classifier.type=edgetpu", "player.volume=0.5", "device.name=kitchen")
    text = path.read_text()
    assert text.startswith(HEADER)
    assert "# the kitchen speaker has no Coral\n[classifier]\n" in text
    assert 'type = "edgetpu"  # CPU until the USB stick arrives\n' in text
    assert 'data_dir = "/var/lib/moodspeaker"\nname = "kitchen"\n' in text  # at the end of its section
    assert text.endswith("[player]\nvolume = 0.5\n")  # a section the file did not have
    saved = load(path)
    assert (saved.classifier.type, saved.player.volume, saved.device.name) == ("edgetpu", 0.5, "kitchen")
    assert saved.library.folders == ("/var/lib/moodspeaker/music",)


def test_a_list_and_a_setting_back_at_its_default(tmp_path: Path) -> None:
    path = tmp_path / "config.toml"
    path.write_text(INSTALLED)
    _set(path, "library.folders=/music,/nas/music", "classifier.type=edgetpu")
    assert load(path).library.folders == ("/music", "/nas/music")
    _set(path, "library.folders=/music", "classifier.type=cpu")  # cpu: the default
    text = path.read_text()
    assert text.startswith(HEADER)
    assert 'type = "cpu"  # CPU until the USB stick arrives\n' in text  # written out, comment kept
    saved = load(path)
    assert saved.library.folders == ("/music",) and saved.classifier.type == "cpu"


def test_a_file_it_cannot_edit_line_by_line_keeps_its_header(tmp_path: Path) -> None:
    """Dotted keys are valid TOML but not edited in place: the values are written after the header."""
    path = tmp_path / "config.toml"
    path.write_text(HEADER + "web.port = 8081\n")
    _set(path, "player.volume=0.4")
    assert path.read_text().startswith(HEADER)
    saved = load(path)
    assert (saved.web.port, saved.player.volume) == (8081, 0.4)
