"""One download into the download cache (library.lan.audiocache): bounded, resumable, checked.

Why a module of its own: the cache decides which file a track has and which goes when room is
needed; this is how the bytes of one file come, which no cache decision needs to read.

- No file may be larger than the cache's bound (`max_bytes`), the whole cache: a card has room for
  the bound the setting gives and maybe no more.  One the server says is larger (Content-Length,
  Content-Range) is refused before a byte is written; one that passes it while streaming (a server
  that gives no length, or a stream that never ends) is stopped there.  Nothing of it is kept (no
  partial download to resume: it would only grow past the bound again), and it fails with
  `TooLargeError`, a DownloadError, so a caller that remembers refusals (an OpenSubsonic sync) can
  tell it from a broken stream.
- A download broken half-way is resumed with a Range request, and only if the server's file is still
  the one it began (If-Range with the ETag kept beside the partial download): a file changed on the
  server before the speaker's next sync says so is sent whole again, never its tail after the old
  file's start.
"""

from __future__ import annotations

import contextlib
import http.client
import os
import re
import urllib.error
import urllib.request
from collections.abc import Mapping
from pathlib import Path
from typing import BinaryIO

_STRONG_ETAG = re.compile(r'^"[\x21\x23-\x7e]{1,200}"$')


class DownloadError(Exception):
    """A download failed: the server refused, the stream broke or ended early, or it is too large."""


class TooLargeError(DownloadError):
    """The file is larger than the whole cache (module doc): nothing of it was kept, and it will
    not fit until the file changes on the server or the bound does (`max_bytes`)."""

    def __init__(self, message: str, max_bytes: int = 0) -> None:
        super().__init__(message)
        self.max_bytes = max_bytes


class AnsweredError(DownloadError):
    """The server answered, with no file: an HTTP error `status` (404: no such track), or None for an
    answer that is not audio (an error page).  It was reachable: the player's health says so."""

    def __init__(self, message: str, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class CutShortError(DownloadError):
    """The download began and broke off, or ended before the length the server said: the partial
    download stays, to resume at the next try (module doc)."""


class _PastBoundError(Exception):
    """A download passed the bound; what it wrote is to be dropped."""


def download(
    url: str,
    out: BinaryIO,
    *,
    tag: Path,
    max_bytes: int,
    timeout_s: float,
    chunk: int,
    refused_types: tuple[str, ...] = (),
) -> None:
    """The stream at `url` into `out` (a partial download, opened for appending), resumed from
    where it stopped when the server's file is the one it began with (its ETag kept in `tag`);
    DownloadError on failure (TooLargeError past `max_bytes`, `out` left empty).  An answer whose
    Content-Type begins with one of `refused_types` is not audio (an OpenSubsonic server says its
    errors with status 200) and fails before anything is written."""
    have = os.fstat(out.fileno()).st_size
    req = urllib.request.Request(url)
    if have:
        req.add_header("Range", f"bytes={have}-")
        with contextlib.suppress(OSError, UnicodeDecodeError):
            req.add_header("If-Range", tag.read_text("ascii"))
    began = False  # the server answered with the file: a failure from now on cuts it short
    try:
        with urllib.request.urlopen(req, timeout=timeout_s) as resp:
            ctype = resp.headers.get("Content-Type") or ""
            if refused_types and ctype.startswith(refused_types):
                raise AnsweredError(f"the server answered {ctype}, not audio")
            total = _expected_total(resp.headers, resp.status, have)
            if total is not None and total > max_bytes:
                raise _PastBoundError(f"{total} bytes")
            if resp.status == 200:  # the whole file: another one, or the range was not served
                out.truncate(0)
                etag = resp.headers.get("ETag") or ""
                if _STRONG_ETAG.match(etag):
                    tag.write_text(etag, "ascii")
                else:
                    tag.unlink(missing_ok=True)
            size = os.fstat(out.fileno()).st_size
            began = True
            while block := resp.read(chunk):
                size += len(block)
                if size > max_bytes:  # no length said, or more sent than said
                    raise _PastBoundError(f"over {max_bytes} bytes and still coming")
                out.write(block)
            out.flush()
    except _PastBoundError as exc:
        out.truncate(0)  # the cache deletes the partial download, left empty, and its ETag
        raise TooLargeError(
            f"the file ({exc}) is larger than the whole download cache ({max_bytes} bytes, "
            "library.server_cache_mb); not downloaded",
            max_bytes=max_bytes,
        ) from None
    except urllib.error.HTTPError as exc:
        raise AnsweredError(f"HTTP {exc.code}", status=exc.code) from exc
    except (urllib.error.URLError, http.client.HTTPException, OSError, TimeoutError) as exc:
        broken = CutShortError if began else DownloadError
        raise broken(f"stream broken: {exc}") from exc
    size = os.fstat(out.fileno()).st_size
    if total is not None and size != total:
        raise CutShortError(f"stream ended early ({size} of {total} bytes)")


def _expected_total(headers: Mapping[str, str], status: int, have: int) -> int | None:
    """Full size of the file from Content-Range (206) or Content-Length (200)."""
    if status == 206:
        m = re.match(r"bytes (\d+)-(\d+)/(\d+)", headers.get("Content-Range", ""))
        if not m or int(m.group(1)) != have:
            raise DownloadError(f"unexpected Content-Range {headers.get('Content-Range')!r}")
        return int(m.group(3))
    length = headers.get("Content-Length")
    return int(length) if length and length.isdigit() else None
