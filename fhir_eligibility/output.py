"""Where reports go: standard output, or ``-o FILE`` written atomically.

Why atomic: a report is replaced only by a complete one. The text goes to a temporary file in the
same folder (so the rename cannot cross file systems), is flushed to disk and renamed over the
target; a failure or a kill before the rename leaves the previous report intact, and the
temporary file is removed whenever Python still runs (``kill -9`` may leave a ``.<name>.*.tmp``).
A target that is not a regular file (``/dev/null``, ``/dev/full``, a FIFO) cannot be renamed
over, so it is written in place. Every write failure is :class:`OutputError` (exit 2, one line);
text is produced lazily, so a JSON report streams without being held in memory.
"""

from __future__ import annotations

import contextlib
import os
import sys
import tempfile
from collections.abc import Iterable
from pathlib import Path

from fhir_eligibility.errors import OutputError


def _reason(e: OSError) -> str:
    return e.strerror or e.__class__.__name__


def _stdout(chunks: Iterable[str]) -> None:
    try:
        for chunk in chunks:
            sys.stdout.write(chunk)
        sys.stdout.flush()
    except OSError as e:  # a closed pipe, a full disk behind a redirect
        with contextlib.suppress(OSError):  # nothing more can go out: don't fail again at exit
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        raise OutputError(f"cannot write to standard output ({_reason(e)})") from None


def _new_file_mode(target: Path) -> int:
    with contextlib.suppress(OSError):
        return target.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def check_target(target: Path) -> None:
    """:class:`OutputError` when ``-o FILE`` cannot be written at all (a directory, a missing folder):
    checked before the work whose report it would hold, and before anything else is written."""
    if target.is_dir():
        raise OutputError(f"{target}: is a directory")
    if not target.parent.is_dir():
        raise OutputError(f"{target}: folder {target.parent} does not exist")


def write_output(chunks: Iterable[str], target: Path | None) -> None:
    """Write the chunks to ``target`` (atomically) or to standard output (``None``)."""
    if target is None:
        _stdout(chunks)
        return
    check_target(target)
    folder = target.parent
    if target.exists() and not target.is_file():
        _in_place(chunks, target)
        return
    try:
        fd, name = tempfile.mkstemp(dir=folder, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as e:
        raise OutputError(f"{target}: cannot write ({_reason(e)})") from None
    temp = Path(name)
    try:
        with os.fdopen(fd, "w", encoding="utf-8") as fh:
            for chunk in chunks:
                fh.write(chunk)
            fh.flush()
            os.fsync(fh.fileno())
        os.chmod(temp, _new_file_mode(target))
        os.replace(temp, target)
    except OSError as e:
        temp.unlink(missing_ok=True)
        raise OutputError(f"{target}: cannot write ({_reason(e)}); previous content left as it was") from None
    except BaseException:  # an input error mid-stream, Ctrl-C, SIGTERM: no half report
        temp.unlink(missing_ok=True)
        raise


def _in_place(chunks: Iterable[str], target: Path) -> None:
    try:
        with target.open("w", encoding="utf-8") as fh:
            for chunk in chunks:
                fh.write(chunk)
    except OSError as e:
        raise OutputError(f"{target}: cannot write ({_reason(e)})") from None


def lines(text: str) -> list[str]:
    """A rendered report as chunks ending with one newline (what ``click.echo`` wrote before)."""
    return [text if text.endswith("\n") else text + "\n"]


__all__ = ["check_target", "lines", "write_output"]
