"""`moodspeaker library sync notaurl` names every URL scheme it takes.

It said the URL "must start with http:// or https://", though subsonic+http:// and subsonic+https://
(an OpenSubsonic server) are taken too: someone with a Navidrome server was sent the wrong way.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from moodspeaker.cli import main


@pytest.mark.parametrize("url", ["notaurl", "ftp://nas/music"])
def test_a_url_that_is_none_names_every_accepted_scheme(
    url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    data = tmp_path / "data"
    assert main(["--set", f"device.data_dir={data}", "library", "sync", url]) == 2
    err = capsys.readouterr().err
    assert f"{url!r} is not a library server URL" in err
    for scheme in ("http://", "https://", "subsonic+http://", "subsonic+https://"):
        assert f"{scheme} " in err, scheme
    assert not data.exists()  # no mirror left behind
