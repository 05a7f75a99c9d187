"""In-memory stores of the CDS service: recent hook results behind the report links, and which trial each
issued card was about. Bounded (in entries and in approximate bytes), expiring, lost on restart (so are the
links)."""

from __future__ import annotations

import datetime as dt
import json
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from fhir_eligibility.evaluation.results import TrialResult
from fhir_eligibility.record import PatientData

CARD_INDEX_SIZE = 10_000
MIB = 2**20
# Memory of parsed JSON per byte of its compact text: 4.5 measured with tracemalloc on the PatientData of
# 50 KB and 1 MB prefetches (dicts, strings and lists of the resources as the service holds them).
BYTES_PER_JSON_BYTE = 4.5
RESULTS_BYTES = 128 * 1024  # one hook call's results (about 100 KB measured for the six trials), per entry


def approx_bytes(resources: Iterable[object]) -> int:
    """About how much memory parsed JSON resources take: their compact text's length times the measured factor.
    Why not the request's size: the data may come from ``fhirServer`` rather than the body."""
    text = sum(len(json.dumps(r, separators=(",", ":"), ensure_ascii=False, default=str)) for r in resources)
    return int(text * BYTES_PER_JSON_BYTE)


class Recorded:
    """The responses recorded through the pages of one hook call: shared by every ``ref`` drawn from that call
    (its own, and each one a submission issued), so a page re-evaluates with every answer given through any
    of them, not only its own (a refusal sent from another tab must not be dropped). Changed only under the
    cache's lock; its bytes are counted in the cache's budget while a ``ref`` holding it is kept."""

    __slots__ = ("bytes", "holders", "responses")

    def __init__(self) -> None:
        self.responses: list[dict[str, Any]] = []
        self.bytes = 0
        self.holders = 0


@dataclass(frozen=True)
class StoredReport:
    patient_id: str
    as_of: dt.date
    results: tuple[TrialResult, ...]
    warnings: tuple[str, ...]
    expires: float
    data: PatientData | None = None  # the hook call's data; with ``recorded``'s responses, what a page evaluates
    user_id: str = ""  # the hook's context.userId (the EHR user the JWT-authenticated client named)
    recorded: Recorded = field(default_factory=Recorded, compare=False)
    size: int = 0  # approximate bytes of data and results, counted in the cache's budget


NONCES_PER_REF = 32  # pages of one link open at once (tabs, reloads): the oldest nonce goes first


class ReportCache:
    """Results of recent hook calls for the report links; bounded, expiring, in memory only.

    A ``ref`` names one hook call's results and lives until its TTL (every card link of that call, every
    tab, keeps working). Each page drawn from it gets its own nonce, spent by that page's one submission:
    a replayed or second submission of the same page is refused, another page of the same ref is not.

    Bounded twice, the oldest dropped first: ``size`` entries, and ``max_bytes`` of approximate memory (the
    patient data each entry keeps, :func:`approx_bytes`, its results and its call's recorded responses). Why
    both: one hook call may bring megabytes of prefetch, so a count alone let a thousand large calls hold
    gigabytes for an hour. An entry that alone exceeds ``max_bytes`` is not kept (the call issues no link)."""

    def __init__(self, ttl: float, size: int, max_bytes: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.size, self.max_bytes, self.clock = ttl, size, max_bytes, clock
        self.bytes = 0  # approximate memory of what is kept: entries, and each kept call's responses once
        self._items: OrderedDict[str, StoredReport] = OrderedDict()
        # ref -> live nonces of its pages, oldest first, each with the trials its page shows (what it may answer)
        self._nonces: dict[str, list[tuple[str, frozenset[str]]]] = {}
        self._lock = threading.Lock()

    def put(
        self,
        patient_id: str,
        as_of: dt.date,
        results: Sequence[TrialResult],
        warnings: Sequence[str],
        data: PatientData | None = None,
        user_id: str = "",
        recorded: Recorded | None = None,
    ) -> str | None:
        """Keep a hook call's results (``recorded``: the call's responses, when a submission stores its new
        page); its ``ref``, or None when it alone would exceed the budget (then nothing is kept)."""
        size = RESULTS_BYTES + (approx_bytes(data.resources) if data is not None else 0)
        ref = secrets.token_urlsafe(24)
        item = StoredReport(
            patient_id,
            as_of,
            tuple(results),
            tuple(warnings),
            self.clock() + self.ttl,
            data,
            user_id,
            recorded or Recorded(),
            size,
        )
        with self._lock:
            if size + item.recorded.bytes > self.max_bytes:
                return None
            self._items[ref] = item
            self.bytes += size + (item.recorded.bytes if item.recorded.holders == 0 else 0)
            item.recorded.holders += 1
            self._evict(keep=ref)
        return ref

    def record(self, stored: StoredReport, response: dict[str, Any]) -> tuple[dict[str, Any], ...]:
        """Add a response recorded through a page of ``stored``'s hook call; every response recorded so far."""
        size = approx_bytes([response])
        with self._lock:
            rec = stored.recorded
            rec.responses.append(response)
            rec.bytes += size
            if rec.holders:
                self.bytes += size
                self._evict()
            return tuple(rec.responses)

    def responses(self, stored: StoredReport) -> tuple[dict[str, Any], ...]:
        """The responses recorded through the pages of ``stored``'s hook call, oldest first."""
        with self._lock:
            return tuple(stored.recorded.responses)

    def _evict(self, keep: str | None = None) -> None:
        """Drop the oldest entries until both bounds hold (never ``keep``, the entry just put: it fits alone)."""
        while self._items and (len(self._items) > self.size or self.bytes > self.max_bytes):
            oldest = next(iter(self._items))
            if oldest == keep:
                break
            self._drop(oldest)

    def _drop(self, ref: str) -> None:
        item = self._items.pop(ref)
        self._nonces.pop(ref, None)
        item.recorded.holders -= 1
        self.bytes -= item.size + (item.recorded.bytes if item.recorded.holders == 0 else 0)

    def get(self, ref: str, patient_id: str | None = None) -> StoredReport | None:
        """The live report behind ``ref`` (with ``patient_id``: only if it is that patient's)."""
        with self._lock:
            return self._live(ref, patient_id)

    def nonce(self, ref: str, trials: Iterable[str]) -> str:
        """A fresh nonce for one page drawn from ``ref`` showing ``trials`` (its form sends it back, and
        may answer only those: a page of one trial is no token for another trial of the hook call)."""
        value = secrets.token_urlsafe(24)
        with self._lock:
            if ref in self._items:
                live = self._nonces.setdefault(ref, [])
                live.append((value, frozenset(trials)))
                del live[:-NONCES_PER_REF]
        return value

    def has_nonce(self, ref: str, nonce: str) -> bool:
        with self._lock:
            return self._find(ref, nonce) is not None

    def shows(self, ref: str, nonce: str, trial: str) -> bool:
        """Whether the live page of this nonce shows ``trial``."""
        with self._lock:
            i = self._find(ref, nonce)
            return i is not None and trial in self._nonces[ref][i][1]

    def spend(self, ref: str, nonce: str) -> frozenset[str] | None:
        """Use up a page's nonce (its one submission): the trials its page shows; None when it is not live
        (spent, or never issued)."""
        with self._lock:
            i = self._find(ref, nonce)
            if i is None:
                return None
            return self._nonces[ref].pop(i)[1]

    def give_back(self, ref: str, nonce: str, trials: frozenset[str]) -> None:
        """Make a spent nonce live again: its submission failed and nothing was written, so the page may retry."""
        with self._lock:
            if ref in self._items:
                self._nonces.setdefault(ref, []).append((nonce, trials))

    def _find(self, ref: str, nonce: str) -> int | None:
        # compared as bytes, each in constant time: the nonce is a secret of the page
        given = nonce.encode()
        for i, (live, _trials) in enumerate(self._nonces.get(ref, ())):
            if secrets.compare_digest(live.encode(), given):
                return i
        return None

    def _live(self, ref: str, patient_id: str | None) -> StoredReport | None:
        item = self._items.get(ref)
        if item is None:
            return None
        if item.expires < self.clock():
            self._drop(ref)
            return None
        # compared as bytes: compare_digest refuses non-ASCII text, and a path's id may be anything
        if patient_id is not None and not secrets.compare_digest(item.patient_id.encode(), patient_id.encode()):
            return None
        return item


class CardIndex:
    """card uuid -> trial for cards this process issued, so stored feedback names its trial."""

    def __init__(self, size: int = CARD_INDEX_SIZE) -> None:
        self.size = size
        self._items: OrderedDict[str, str] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, card_uuid: str, trial: str) -> None:
        with self._lock:
            self._items[card_uuid] = trial
            while len(self._items) > self.size:
                self._items.popitem(last=False)

    def trial(self, card_uuid: str) -> str | None:
        with self._lock:
            return self._items.get(card_uuid.removeprefix("urn:uuid:"))


__all__ = ["MIB", "CardIndex", "Recorded", "ReportCache", "StoredReport", "approx_bytes"]
