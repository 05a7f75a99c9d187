"""The one shape every usable record is reduced to (:mod:`.facts` reads resources into it).

Why a module of its own: the readers of each kind of record (:mod:`.facts`, :mod:`.medication_records`)
build it, and every form reads it; it depends on nothing but dates and quantities.
"""

from __future__ import annotations

import datetime as _dt
from typing import NamedTuple

from fhir_eligibility.codes import Code
from fhir_eligibility.evaluation.dates import last_day
from fhir_eligibility.evaluation.observed import Quantity


class Fact(NamedTuple):
    """One usable record, reduced to what criteria read. ``ref`` is ``Type/id``.

    Tuples, not frozen dataclasses: a screening builds millions, and a 19-field frozen dataclass
    costs a Python-level ``__setattr__`` per field.
    """

    kind: str
    ref: str
    codes: frozenset[Code]
    start: _dt.date | None
    end: _dt.date | None
    instant: str  # timestamp text for deterministic ordering (UTC when zoned: order_text)
    issued: str = ""
    status: str | None = None
    quantity: Quantity | None = None
    value_codes: frozenset[Code] = frozenset()
    value_int: int | None = None
    value_bool: bool | None = None
    ref_low: Quantity | None = None
    ref_high: Quantity | None = None
    clinical_status: str | None = None
    verification: str | None = None
    ongoing: bool = False  # an active statement, an administration or procedure in progress: to the as-of date
    open_end: bool = False  # a statement taken from ``start`` and since stopped on a day not recorded
    ends_by: _dt.date | None = None  # open_end: stopped by then (its dateAsserted); None: by the as-of date
    form: str | None = None  # medications: long-acting / short-acting when known (see .medication)
    latest: _dt.date | None = None  # a point known only to lie in [start, latest] (an onset period or age)
    note: str | None = None  # why the record has no usable value (no value, invalid value): said in reasons
    # a Condition's dated abatement: the first and last day it may mean (elements.abatement_days); the
    # status says "resolved", true of today but not of an as-of date before the end
    abated: tuple[_dt.date, _dt.date] | None = None

    @property
    def date(self) -> _dt.date | None:
        return self.end or self.start

    @property
    def end_last(self) -> _dt.date:
        """The last day the end of a period can mean (its end written "2026-05": any day of May).
        Only for a fact with an end; its ``instant`` is the end's text (dates.period)."""
        assert self.end is not None
        return (last_day(self.instant) or self.end) if len(self.instant) in (4, 7) else self.end

    @property
    def last(self) -> _dt.date | None:
        """The last day a point written as a partial date (onset "2025-06") or known only within a
        range (``latest``) can mean; None otherwise."""
        if self.latest is not None:
            return self.latest
        if self.start is None:  # its date was a sentinel ("9999") or unreadable: no last day either
            return None
        point = self.end is None and not self.ongoing  # an ongoing statement is a period to the as-of date
        return last_day(self.instant) if point and len(self.instant) in (4, 7) else None
