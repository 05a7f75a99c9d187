"""In-memory stores of the CDS service: recent hook results behind the report links, and which trial each
issued card was about. Bounded, expiring, lost on restart (so are the links)."""

from __future__ import annotations

import datetime as dt
import secrets
import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from fhir_eligibility.evaluation.results import TrialResult
from fhir_eligibility.record import PatientData

CARD_INDEX_SIZE = 10_000


@dataclass(frozen=True)
class StoredReport:
    patient_id: str
    as_of: dt.date
    results: tuple[TrialResult, ...]
    warnings: tuple[str, ...]
    expires: float
    data: PatientData | None = None  # what it was evaluated on: the form's answers re-evaluate it
    nonce: str = ""  # the page's form must send it back


class ReportCache:
    """Results of recent hook calls for the report links; bounded, expiring, in memory only."""

    def __init__(self, ttl: float, size: int, clock: Callable[[], float] = time.monotonic) -> None:
        self.ttl, self.size, self.clock = ttl, size, clock
        self._items: OrderedDict[str, StoredReport] = OrderedDict()
        self._lock = threading.Lock()

    def put(
        self,
        patient_id: str,
        as_of: dt.date,
        results: Sequence[TrialResult],
        warnings: Sequence[str],
        data: PatientData | None = None,
    ) -> str:
        ref = secrets.token_urlsafe(24)
        item = StoredReport(
            patient_id, as_of, tuple(results), tuple(warnings), self.clock() + self.ttl, data, secrets.token_urlsafe(24)
        )
        with self._lock:
            self._items[ref] = item
            while len(self._items) > self.size:
                self._items.popitem(last=False)
        return ref

    def get(self, ref: str, patient_id: str | None = None) -> StoredReport | None:
        """The live report behind ``ref`` (with ``patient_id``: only if it is that patient's)."""
        with self._lock:
            return self._live(ref, patient_id, keep=True)

    def take(self, ref: str, patient_id: str) -> StoredReport | None:
        """:meth:`get`, and the ref is spent: a page's form is answered once (a replayed or second
        submission of the same page is refused; the answer's new page has a new ref)."""
        with self._lock:
            return self._live(ref, patient_id, keep=False)

    def restore(self, ref: str, item: StoredReport) -> None:
        """Give back a taken ref whose submission failed, so the coordinator can send it again."""
        with self._lock:
            if item.expires >= self.clock():
                self._items[ref] = item

    def _live(self, ref: str, patient_id: str | None, keep: bool) -> StoredReport | None:
        item = self._items.get(ref)
        if item is None:
            return None
        if item.expires < self.clock():
            del self._items[ref]
            return None
        # compared as bytes: compare_digest refuses non-ASCII text, and a path's id may be anything
        if patient_id is not None and not secrets.compare_digest(item.patient_id.encode(), patient_id.encode()):
            return None
        if not keep:
            del self._items[ref]
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


__all__ = ["CardIndex", "ReportCache", "StoredReport"]
