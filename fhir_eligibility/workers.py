"""Local worker processes for the CPU-bound jobs (``screen``, ``evaluate`` on files), or the calling
process itself when one worker is asked for: the same tasks either way.

Why processes: evaluation is pure Python and CPU bound, so threads would share one core. Each job
hands its workers what they need once (``setup(payload)`` as a worker starts, never per task).
Workers are forked where the OS can (nothing is re-imported: ``python -m fhir_eligibility`` runs
its ``__main__`` unguarded, which ``spawn`` would execute again in every worker; start-up takes
milliseconds) and spawned elsewhere. They ignore SIGINT and die quietly on SIGTERM: on Ctrl-C or
SIGTERM the parent alone stops (the CLI turns SIGTERM into the Ctrl-C path), ends its workers
and removes its temporary files, so a user sees one line, not a traceback per worker.

Why not ``multiprocessing.Pool`` or ``concurrent.futures``: both feed their workers from a
background thread through one shared pipe, and both replace or abandon workers behind the caller's
back. Seen here: ``Pool.terminate()`` after an error waited for ever on its feeder thread, blocked
writing a large task that no (terminated) worker would read; a worker that died left its task
unanswered for ever; a replacement forked during a shutdown outlived the run. Here each worker has
its own pipe, the calling thread alone writes to it and only to a worker that is waiting for a task,
so a write always completes; a worker that ends is an error (:class:`WorkerDied`), never replaced.
"""

from __future__ import annotations

import ctypes
import gc
import itertools
import multiprocessing
import os
import signal
import sys
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from typing import Any, Generic, TypeVar

from fhir_eligibility.errors import WorkerDied

T = TypeVar("T")
R = TypeVar("R")

Setup = Callable[[Any], None]  # setup(payload) readies a worker; setup(None) forgets it
PATIENTS_PER_TASK = 25  # patients shipped to a worker at once, where the parent holds them (not shards)
_POLL = 0.05  # seconds the calling thread waits at a time: Ctrl-C is answered within it
_GRACE = 5.0  # seconds a worker has to end after it is told to, before it is killed


def default_workers() -> int:
    """The CPUs this process may run on (its affinity, not the machine's count): one worker each."""
    return max(1, len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1))


def worker_count(requested: int, tasks: int | None = None) -> int:
    """How many workers a job starts: never more than the usable CPUs (more only compete for them, and
    ``--workers 100000`` forked a thousand processes that took every byte of memory) nor than its tasks
    (a worker with no task is a process for nothing); at least one, the calling process."""
    return max(1, min(requested, default_workers(), requested if tasks is None else tasks))


def lowered(requested: int | None) -> str | None:
    """What to tell a user whose ``--workers`` exceeds the usable CPUs (one line, no patient data)."""
    cpus = default_workers()
    if requested is None or requested <= cpus:
        return None
    return f"--workers {requested}: {cpus} usable CPU(s), so at most {cpus} worker process(es)"


# Ctrl-C reaches the whole process group. A worker still starting (before it ignores SIGINT) would
# die of it, so the parent holds SIGINT and SIGTERM back while it starts its workers, and a worker
# takes them only once it ignores them. One held back stops the start-up before the next worker (a
# start under memory pressure took minutes, SIGTERM waiting all along) and is then raised.
_HELD = frozenset({signal.SIGINT, signal.SIGTERM})
_MASKS = hasattr(signal, "pthread_sigmask")  # POSIX
_PR_SET_PDEATHSIG = 1  # linux/prctl.h


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


def _die_with_parent(parent: int) -> None:
    """Linux: the kernel ends this worker when the thread that started it ends (PR_SET_PDEATHSIG), so
    a parent killed outright (SIGKILL, the OOM killer) leaves no worker behind holding its pipes."""
    if _PRCTL is None:
        return
    _PRCTL(_PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() != parent:  # the parent went before the request took effect
        os._exit(0)


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


def _serve(conn: Connection, setup: Setup | None, payload: object, parent: int) -> None:
    """A worker: tasks ``(fn, item)`` in, ``(True, result)`` or ``(False, exception)`` out, until
    ``None`` or the parent's end of the pipe closes."""
    _init_worker(setup, payload, True, parent)
    while True:
        try:
            task = conn.recv()
        except (EOFError, OSError):
            return
        if task is None:
            return
        fn, item = task
        try:
            answer: tuple[bool, object] = (True, fn(item))
        except BaseException as exc:  # re-raised in the parent, as a direct call would
            answer = (False, exc)
        try:
            conn.send(answer)  # pickled whole before any byte is written
        except (EOFError, OSError):
            return
        except Exception as exc:  # an answer that cannot be pickled
            conn.send((False, RuntimeError(f"a worker's answer could not be sent back: {type(exc).__name__}: {exc}")))


@dataclass(eq=False)
class _Worker:
    process: BaseProcess
    conn: Connection
    busy: bool = False


@dataclass
class _Run(Generic[T, R]):
    """One ``map``: items go to idle workers in order, at most ``limit`` taken and not yet handed back."""

    workers: list[_Worker]
    fn: Callable[[T], R]
    items: Iterator[T]
    limit: int
    queued: deque[tuple[int, T]] = field(default_factory=deque)
    running: dict[Connection, tuple[_Worker, int, T]] = field(default_factory=dict)
    taken: int = 0
    more: bool = True

    @property
    def active(self) -> bool:
        return self.more or bool(self.queued) or bool(self.running)

    def step(self, held: int = 0) -> list[tuple[int, T, bool, object]]:
        """Hand out work, then collect the answers that are in: ``(seq, item, ok, value)``. ``held``
        counts answers the caller keeps back (in-order output), which use up the limit too."""
        self._dispatch()
        timeout = _POLL
        if self.more and len(self.queued) + len(self.running) + held < self.limit:
            item = next(self.items, _END)
            if item is _END:
                self.more = False
            else:
                self.queued.append((self.taken, item))
                self.taken += 1
            timeout = 0  # collect what is in, and read on
        elif not self.running:
            return []
        ready = wait([*self.running, *(w.process.sentinel for w in self.workers)], timeout)
        done: list[tuple[int, T, bool, object]] = []
        for conn in ready:
            if not isinstance(conn, Connection) or conn not in self.running:
                continue  # a worker's sentinel: checked below, once its answer (if any) is read
            w, seq, item = self.running.pop(conn)
            ok, value = _receive(w)
            done.append((seq, item, ok, value))
        if any(not w.process.is_alive() for w in self.workers):
            raise _died()
        self._dispatch()  # a worker just freed works on while the caller handles its answer
        return done

    def _dispatch(self) -> None:
        """Queued items to idle workers."""
        idle = [w for w in self.workers if not w.busy]
        while self.queued and idle:
            w = idle.pop()
            seq, item = self.queued.popleft()
            _send(w, (self.fn, item))
            self.running[w.conn] = (w, seq, item)


def _send(w: _Worker, task: tuple[Callable[[Any], Any], Any]) -> None:
    """A task to an idle worker (only an idle one reads: the write always completes)."""
    try:
        w.conn.send(task)
    except OSError:  # its end of the pipe closed: it died
        raise _died() from None
    w.busy = True


def _receive(w: _Worker) -> tuple[bool, object]:
    """A busy worker's answer, once its pipe is readable; the worker is idle again."""
    try:
        ok, value = w.conn.recv()
    except (EOFError, OSError):
        raise _died() from None
    except Exception as exc:  # an exception class this process cannot rebuild
        ok, value = False, RuntimeError(f"a worker's answer could not be read: {type(exc).__name__}: {exc}")
    w.busy = False
    return ok, value


_END: Any = object()


def _died() -> WorkerDied:
    return WorkerDied("a worker process died (out of memory, killed or crashed): the run cannot complete")


def _value(ok: bool, value: object) -> Any:
    if not ok:
        raise value  # type: ignore[misc]
    return value


class Executor:
    """``workers`` processes, or the calling process itself when ``workers == 1``; each is readied by
    ``setup(payload)``, and the calling process forgets the job (``setup(None)``) on exit. With
    ``share``, the calling process is one of the ``workers`` (:meth:`map_in_order` answers items here
    too): where the answers are large (explained results), shipping them back cost as much CPU as a
    third of the evaluating, on a machine whose every core the workers already used. Use it from one
    thread; one ``map`` at a time."""

    def __init__(self, workers: int, setup: Setup | None = None, payload: object = None, share: bool = False) -> None:
        self.workers = max(1, workers)
        self.setup = setup
        self.payload = payload
        self.share = share
        self._workers: list[_Worker] = []

    def __enter__(self) -> Executor:
        if self.workers == 1:
            _init_worker(self.setup, self.payload, ignore_sigint=False)
            return self
        if self.share:  # before the forks: what the setup builds (compiled trials, unit tables) is inherited
            _init_worker(self.setup, self.payload, ignore_sigint=False)
        method = "fork" if "fork" in multiprocessing.get_all_start_methods() else "spawn"
        ctx: Any = multiprocessing.get_context(method)  # typeshed's BaseContext lacks Process
        held = signal.pthread_sigmask(signal.SIG_BLOCK, _HELD) if _MASKS else None
        try:
            try:
                for _ in range(self.workers - 1 if self.share else self.workers):
                    if held is not None and _HELD & signal.sigpending():
                        break  # Ctrl-C or SIGTERM while starting: start no more, it is raised just below
                    mine, theirs = ctx.Pipe()
                    args = (theirs, self.setup, self.payload, os.getpid())
                    process = ctx.Process(target=_serve, args=args, daemon=True, name="fhir-eligibility-worker")
                    process.start()
                    theirs.close()
                    self._workers.append(_Worker(process, mine))
            finally:
                if held is not None:
                    signal.pthread_sigmask(signal.SIG_SETMASK, held)  # a Ctrl-C held back is raised here
        except BaseException:  # no __exit__ follows a failed __enter__: stop the workers here
            self._stop(at_once=True)
            if self.share and self.setup is not None:
                self.setup(None)
            raise
        return self

    def __exit__(self, exc_type: object, *_: object) -> None:
        if self._workers:
            self._stop(at_once=exc_type is not None)
        if (self.workers == 1 or self.share) and self.setup is not None:
            self.setup(None)

    def _stop(self, at_once: bool) -> None:
        """Idle workers are told to end; busy ones (a ``map`` left early) and, on Ctrl-C or an error,
        all of them are terminated. None is waited on for ever."""
        workers, self._workers = self._workers, []
        for w in workers:
            if at_once or w.busy:
                w.process.terminate()
            else:
                try:
                    w.conn.send(None)
                except OSError:
                    w.process.terminate()
        for w in workers:
            w.process.join(_GRACE)
            if w.process.is_alive():
                w.process.kill()
                w.process.join()
            w.conn.close()

    def _run(self, fn: Callable[[T], R], items: Iterable[T], in_flight: int | None) -> _Run[T, R]:
        if any(w.busy for w in self._workers):  # their answers would be taken for this map's
            raise RuntimeError("a map left unfinished holds workers: leave the executor and start another")
        return _Run(self._workers, fn, iter(items), max(1, in_flight or 2 * self.workers))

    def map_unordered(self, fn: Callable[[T], R], items: Iterable[T], in_flight: int | None = None) -> Iterator[R]:
        """Results as they complete, at most ``in_flight`` items taken from the input and not yet
        answered (lazy input stays lazy). An exception in ``fn`` is raised here."""
        if not self._workers:
            for item in items:
                yield fn(item)
            return
        run = self._run(fn, items, in_flight)
        while run.active:
            for _, _, ok, value in run.step():
                yield _value(ok, value)

    def map_in_order(
        self, fn: Callable[[list[T]], list[R]], items: Iterable[T], chunk: int = 1
    ) -> Iterator[tuple[T, R]]:
        """Each item with its result, in the items' order: what a report that lists patients as they
        were read needs (``evaluate``). ``fn`` answers a list of items, one result each; a worker
        process is sent ``chunk`` items at a time. With ``share``, this process answers one item
        at a time whenever every worker is busy (it ships none of those, and never waits idle). At
        most a few chunks per worker are taken from the input and not yet yielded."""
        if not self._workers:
            for item in items:
                yield item, fn([item])[0]
            return
        if any(w.busy for w in self._workers):  # their answers would be taken for this map's
            raise RuntimeError("a map left unfinished holds workers: leave the executor and start another")
        source = iter(items)
        more = True
        taken = following = 0
        limit = 2 * chunk * (len(self._workers) + 1)  # answers held or in flight
        answers: dict[int, tuple[T, bool, object]] = {}
        running: dict[Connection, tuple[_Worker, int, list[T]]] = {}

        def take(n: int) -> tuple[int, list[T]]:
            nonlocal more, taken
            got = list(itertools.islice(source, n))
            more = len(got) == n
            first, taken = taken, taken + len(got)
            return first, got

        while True:
            for w in self._workers:  # idle workers get the next chunks
                if not w.busy and more and taken - following < limit:
                    first, got = take(chunk)
                    if got:
                        _send(w, (fn, got))
                        running[w.conn] = (w, first, got)
            local = self.share and more and taken - following < limit
            ready = wait([*running, *(w.process.sentinel for w in self._workers)], 0 if local else _POLL)
            for conn in ready:
                if not isinstance(conn, Connection) or conn not in running:
                    continue  # a worker's sentinel: checked below, once its answer (if any) is read
                w, first, got = running.pop(conn)
                ok, value = _receive(w)
                for k, item in enumerate(got):
                    answers[first + k] = (item, ok, value[k] if ok else value)  # type: ignore[index]
            if any(not w.process.is_alive() for w in self._workers):
                raise _died()
            if local and not ready:  # every worker busy: answer the next item here
                first, got = take(1)
                if got:
                    answers[first] = (got[0], True, fn(got)[0])
            while following in answers:
                item, ok, value = answers.pop(following)
                following += 1
                yield item, _value(ok, value)
            if not more and not running and following == taken:
                return


def batched(items: Iterable[T], size: int) -> Iterator[list[T]]:
    batch: list[T] = []
    for item in items:
        batch.append(item)
        if len(batch) >= size:
            yield batch
            batch = []
    if batch:
        yield batch


__all__ = ["PATIENTS_PER_TASK", "Executor", "batched", "default_workers", "lowered", "worker_count"]
