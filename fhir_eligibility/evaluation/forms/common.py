"""What the characteristic forms share: the label placeholder, what-to-collect entries, count tests.

Leaf outcomes are shared between criteria (and patients), so a leaf names no criterion: it writes
``LABEL`` where the criterion's name goes, and the tree walk fills it in.
"""

from __future__ import annotations

import datetime as dt
from functools import lru_cache

from fhir_eligibility.codes import display
from fhir_eligibility.criteria.model import CountTest
from fhir_eligibility.evaluation.compare import Interval, in_range, satisfies
from fhir_eligibility.evaluation.context import Context
from fhir_eligibility.evaluation.results import MissingData
from fhir_eligibility.evaluation.windows import window_text
from fhir_eligibility.logic import Truth
from fhir_eligibility.measures.timing import DATE_MAX, fmt


@lru_cache(maxsize=1024)
def codes_text(codes: frozenset[tuple[str, str]]) -> tuple[str, ...]:
    return tuple(sorted(display(c) for c in codes))


OPEN_WORLD = "open-world"  # records method: no record = UNKNOWN (to collect), not FALSE
LABEL = "{label}"  # in a leaf's MissingData.what: replaced by the criterion's label (leaves are shared)


def missing_data(ctx: Context, what: str, codes: frozenset[tuple[str, str]], lo: dt.date, hi: dt.date) -> MissingData:
    return MissingData(
        "",
        what,
        codes_text(codes),
        window_text(lo, hi),
        fmt(hi) if hi != DATE_MAX else None,
    )


def favourability(t: Truth, parity: int) -> int:
    """Lower = less favourable to the patient meeting the top-level criterion (safety-first ties)."""
    good = Truth.TRUE if parity % 2 == 0 else Truth.FALSE
    return 2 if t is good else 1 if not t.decided else 0


def count_ok(n: float, t: CountTest) -> Truth:
    if t.value is not None:
        return satisfies(Interval.point(n), t.comparator, t.value)
    return in_range(Interval.point(n), t.low, t.high)
