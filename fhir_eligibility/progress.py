"""A progress bar for long ``evaluate`` runs, drawn on standard error when it is a terminal, never elsewhere.

Why a terminal only: reports go to pipes, files and other programs, and a bar there is noise in a log or, worse,
in a JSON stream. The bar is transient (erased when the run ends) and never touches standard output, so what a
run writes there is the same with or without it. The evaluation core knows nothing of it: the pipeline calls
:meth:`Bar.advance` once per evaluated patient.
"""

from __future__ import annotations

import sys
from types import TracebackType
from typing import TYPE_CHECKING

if TYPE_CHECKING:  # rich is imported only when a bar is drawn: every other run (and process) skips it
    from rich.progress import Progress, TaskID


class Bar:
    """Counts evaluated patients; a no-op unless ``enabled`` (see :func:`wanted`)."""

    def __init__(self, enabled: bool = False) -> None:
        self._progress: Progress | None = None
        self._task: TaskID | None = None
        if enabled:
            from rich.console import Console
            from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

            console = Console(file=sys.stderr)  # the real stream, not the proxy rich puts in its place
            self._progress = Progress(
                TextColumn("evaluating"),
                BarColumn(),
                MofNCompleteColumn(),
                TextColumn("patients"),
                TimeElapsedColumn(),
                console=console,
                transient=True,
                redirect_stdout=False,  # a streamed report goes to stdout while the bar runs: leave it alone
                redirect_stderr=True,  # warnings and "wrote FILE" print above the bar instead of through it
            )

    def __enter__(self) -> Bar:
        if self._progress is not None:
            self._progress.start()
            self._task = self._progress.add_task("evaluating", total=None)
        return self

    def __exit__(self, kind: type[BaseException] | None, value: BaseException | None, tb: TracebackType | None) -> None:
        if self._progress is not None:
            self._progress.stop()

    def total(self, patients: int) -> None:
        """How many patients the run holds, once known (until then the bar counts without an end)."""
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, total=patients)

    def advance(self) -> None:
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task)


NO_BAR = Bar()


def wanted(streams_to_stdout: bool) -> bool:
    """A bar when standard error is a terminal, unless a report streams to the same terminal meanwhile."""
    if not sys.stderr.isatty():
        return False
    return not (streams_to_stdout and sys.stdout.isatty())


__all__ = ["NO_BAR", "Bar", "wanted"]
