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


class ReaderGone(Exception):
    """Standard output was closed by its reader (``| head -1``). Not an OSError: click turns a broken pipe
    into exit 1, while the reader chose to stop and the command ends quietly with 0 (cli.main)."""


def silence_stdout() -> None:
    """Standard output to /dev/null: nothing more can go out, and Python's flush at exit must not fail again."""
    with contextlib.suppress(OSError, ValueError):
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())


def _stdout(chunks: Iterable[str]) -> None:
    """Write to standard output. A closed pipe (``| head -1``) is :class:`ReaderGone`: the reader chose to
    stop, so the command ends quietly with 0 (cli.main); any other failure (a full disk behind a
    redirect) loses the report: :class:`OutputError`, exit 2."""
    if sys.stdout is None:  # started with standard output closed (`>&-`): the report has nowhere to go
        raise OutputError("cannot write to standard output (closed): give -o FILE")
    try:
        for chunk in chunks:
            sys.stdout.write(chunk)
        sys.stdout.flush()
    except BrokenPipeError:
        silence_stdout()
        raise ReaderGone from None
    except OSError as e:
        silence_stdout()
        raise OutputError(f"cannot write to standard output ({_reason(e)})") from None


def _new_file_mode(target: Path) -> int:
    with contextlib.suppress(OSError):
        return target.stat().st_mode & 0o777
    umask = os.umask(0)
    os.umask(umask)
    return 0o666 & ~umask


def _check_place(target: Path) -> None:
    if target.is_dir():
        raise OutputError(f"{target}: is a directory")
    if not target.parent.is_dir():
        raise OutputError(f"{target}: folder {target.parent} does not exist")


def check_target(target: Path, inputs: Iterable[Path] = ()) -> None:
    """:class:`OutputError` when ``-o FILE`` cannot be written at all (a directory, a missing folder, a
    folder where no file can be created) or is one of the ``inputs`` (the report would replace the
    data it was made from): checked before the work whose report it would hold, and before anything
    else is written. The folder is tried with the temporary file the report goes through (removed at
    once); a device or FIFO target is written in place, so it must be writable."""
    target = _followed(target)
    for given in inputs:
        same = target.is_file() and given.is_file() and os.path.samefile(target, given)
        inside = target.is_file() and given.is_dir() and target.resolve().is_relative_to(given.resolve())
        if same or (inside and target.name.lower().endswith((".json", ".ndjson", ".jsonl", ".gz"))):
            raise OutputError(f"{target}: an input of this run (the report would replace the data): choose another -o")
    _check_place(target)
    if target.exists() and not target.is_file():
        if not os.access(target, os.W_OK):
            raise OutputError(f"{target}: cannot write (permission denied)")
        return
    try:
        fd, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    except OSError as e:
        raise OutputError(f"{target}: cannot write ({_reason(e)})") from None
    os.close(fd)
    Path(name).unlink(missing_ok=True)


def write_output(chunks: Iterable[str], target: Path | None) -> None:
    """Write the chunks to ``target`` (atomically) or to standard output (``None``). A generator of chunks is
    closed here, written or not: its clean-up (worker processes, temporary files) runs now, not when the
    interpreter ends (where stopping a pool can hang)."""
    try:
        _write(chunks, target)
    finally:
        close = getattr(chunks, "close", None)
        if callable(close):
            close()


def _followed(target: Path) -> Path:
    """A symbolic link's destination: the report replaces the file the link names, never the link."""
    return Path(os.path.realpath(target)) if target.is_symlink() else target


def _write(chunks: Iterable[str], target: Path | None) -> None:
    if target is None:
        _stdout(chunks)
        return
    target = _followed(target)
    _check_place(target)  # the rest fails on creating the temporary file, as check_target's try
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


__all__ = ["ReaderGone", "check_target", "lines", "silence_stdout", "write_output"]
