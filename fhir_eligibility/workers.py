"""Local worker processes for the CPU-bound jobs (``screen``, ``evaluate`` on files), or the calling
process itself when one worker is asked for: the same tasks either way.

Why processes: evaluation is pure Python and CPU bound, so threads would share one core. Each job
hands its workers what they need once (``setup(payload)`` in the pool initializer, never per task).
Workers are forked where the OS can (nothing is re-imported: ``python -m fhir_eligibility`` runs
its ``__main__`` unguarded, which ``spawn`` would execute again in every worker; start-up takes
milliseconds) and spawned elsewhere. They ignore SIGINT and die quietly on SIGTERM: on Ctrl-C or
SIGTERM the parent alone stops (the CLI turns SIGTERM into the Ctrl-C path), terminates the pool
and removes its temporary files, so a user sees one line, not a traceback per worker.
"""

from __future__ import annotations

import ctypes
import gc
import multiprocessing
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from multiprocessing.pool import AsyncResult, Pool
from typing import Any, TypeVar

from fhir_eligibility.errors import WorkerDied

T = TypeVar("T")
R = TypeVar("R")

Setup = Callable[[Any], None]  # setup(payload) readies a worker; setup(None) forgets it
PATIENTS_PER_TASK = 25  # patients shipped to a worker at once, where the parent holds them (not shards)


def default_workers() -> int:
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


# Ctrl-C reaches the whole process group. A worker still starting (before its initializer ignores
# SIGINT) died of it, the pool forked a replacement while the parent shut down, and that orphan
# outlived the run holding its output pipes (a caller reading them waited for ever). So the parent
# holds SIGINT and SIGTERM back while the pool starts, and a worker takes them only once it ignores them.
_HELD = frozenset({signal.SIGINT, signal.SIGTERM})
_MASKS = hasattr(signal, "pthread_sigmask")  # POSIX
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


def _die_with_parent(parent: int) -> None:
    """Linux: the kernel ends this worker when the thread that forked it ends (PR_SET_PDEATHSIG).

    Why: a worker the pool forked as a replacement while the parent was shutting down was never
    told to stop, and outlived the run as an orphan holding its output pipes (seen under load after
    Ctrl-C). Replacements are forked by the pool's worker-handler thread, which lives until its
    tasks are done; the first workers by the main thread."""
    if _PRCTL is None:
        return
    _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent went before the request took effect
        os._exit(0)


def _find_prctl() -> Any:
    """libc's prctl, looked up in the parent at import: a forked child of a threaded process must not
    call dlopen (another thread may have held the loader's lock at the fork)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        return ctypes.CDLL(None, use_errno=True).prctl
    except (OSError, AttributeError):  # no prctl: the parent's clean-up is all there is
        return None


_PRCTL = _find_prctl()


def _init_worker(setup: Setup | None, payload: object, ignore_sigint: bool = True, parent: int = 0) -> None:
    if parent:
        _die_with_parent(parent)
    if ignore_sigint:
        signal.signal(signal.SIGINT, signal.SIG_IGN)
        signal.signal(signal.SIGTERM, signal.SIG_DFL)  # the parent's handler raises; here a TERM just ends
        if _MASKS:
            signal.pthread_sigmask(signal.SIG_UNBLOCK, _HELD)  # held back by the parent while it forked
        # Workers allocate millions of short-lived, acyclic objects: collect rarely, and never rescan
        # what they inherited (trials, caches), as `fhir-eligibility evaluate` does for its process.
        gc.set_threshold(200_000, 50, 100)
        gc.freeze()
    if setup is not None:
        setup(payload)


class Executor:
    """A pool of ``workers`` processes, or the calling process itself when ``workers == 1``; each is
    readied by ``setup(payload)``, and the calling process forgets the job (``setup(None)``) on exit."""

    def __init__(self, workers: int, setup: Setup | None = None, payload: object = None) -> None:
        self.workers = max(1, workers)
        self.setup = setup
        self.payload = payload
        self._pool: Pool | None = None
        self._pids: frozenset[int | None] = frozenset()

    def __enter__(self) -> Executor:
        if self.workers == 1:
            _init_worker(self.setup, self.payload, ignore_sigint=False)
        else:
            method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
            ctx = multiprocessing.get_context(method)
            held = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD) if _MASKS else None
            try:
                try:
                    init = (self.setup, self.payload, True, os.getpid())
                    self._pool = ctx.Pool(self.workers, initializer=_init_worker, initargs=init)
                    self._pids = self._worker_pids()
                finally:
                    if held is not None:
                        signal.pthread_sigmask(signal.SIG_SETMASK, held)  # a Ctrl-C held back is raised here
            except BaseException:  # no __exit__ follows a failed __enter__: stop the pool here
                if self._pool is not None:
                    self._pool.terminate()
                    self._pool.join()
                    self._pool = None
                raise
        return self

    def _worker_pids(self) -> frozenset[int | None]:
        # Pool keeps its processes in ``_pool`` (no public accessor); it replaces a worker only when
        # one ended (no maxtasksperchild here), and the task that worker held is never answered
        assert self._pool is not None
        return frozenset(p.pid for p in self._pool._pool)  # type: ignore[attr-defined]

    def _alive(self) -> None:
        """:class:`WorkerDied` when a worker ended (killed, out of memory, a crash): waiting would be for ever."""
        if self._pool is not None and self._worker_pids() != self._pids:
            raise WorkerDied("a worker process died (out of memory, killed or crashed): the run cannot complete")

    def __exit__(self, exc_type: object, *_: object) -> None:
        if self._pool is not None:
            if exc_type is None:
                self._pool.close()
            else:
                self._pool.terminate()  # Ctrl-C or an error: stop at once
            self._pool.join()
            self._pool = None
        elif self.setup is not None:
            self.setup(None)

    def map_unordered(self, fn: Callable[[T], R], items: Iterable[T], in_flight: int | None = None) -> Iterator[R]:
        """Results as they complete, with at most ``in_flight`` tasks queued (lazy input stays lazy)."""
        if self._pool is None:
            for item in items:
                yield fn(item)
            return
        limit = in_flight or 2 * self.workers
        pending: deque[AsyncResult[R]] = deque()
        for item in items:
            pending.append(self._pool.apply_async(fn, (item,)))
            while len(pending) >= limit:
                yield _next_done(pending, self._alive)
        while pending:
            yield _next_done(pending, self._alive)

    def map_in_order(
        self, fn: Callable[[T], R], items: Iterable[T], in_flight: int | None = None
    ) -> Iterator[tuple[T, R]]:
        """Each item with its result, in the items' order, at most ``in_flight`` tasks queued: what a
        report that lists patients as they were read needs (``evaluate``)."""
        if self._pool is None:
            for item in items:
                yield item, fn(item)
            return
        limit = in_flight or 2 * self.workers
        pending: deque[tuple[T, AsyncResult[R]]] = deque()
        for item in items:
            pending.append((item, self._pool.apply_async(fn, (item,))))
            while len(pending) >= limit:
                yield _first(pending, self._alive)
        while pending:
            yield _first(pending, self._alive)


def _next_done(pending: deque[AsyncResult[R]], alive: Callable[[], None]) -> R:
    """The first finished result (polling keeps the main thread responsive to Ctrl-C, and ``alive``
    raises when a worker died: its task would never finish)."""
    while True:
        for i, r in enumerate(pending):
            if r.ready():
                del pending[i]
                return r.get()
        pending[0].wait(0.05)
        alive()


def _first(pending: deque[tuple[T, AsyncResult[R]]], alive: Callable[[], None]) -> tuple[T, R]:
    """The oldest task's item and result, once it is done (waiting in short steps, as above)."""
    item, r = pending[0]
    while not r.ready():
        r.wait(0.05)
        alive()
    pending.popleft()
    return item, r.get()


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


__all__ = ["PATIENTS_PER_TASK", "Executor", "batched", "default_workers"]
