"""Windows relative to an event dated only by its month or year (evaluation.anchor_days), worked by hand.

Each case is checked in the explained walk, in its stop-early mode and in the compiled program
(screening's truths), which must agree.

- Days disagree: a liver resection "2026-05" and a liver MRI of 04-10, as of 2026-07-05. D-I7 wants
  the MRI in [surgery - 42 d, surgery]: 04-10 + 42 d = 05-22, so it is there for a surgery on
  05-01..05-22 (pass) and none is recorded for one on 05-23..05-31 (unknown, to collect): unknown.
  The PET of 04-05 is within 84 days of every day of May (04-05 + 84 d = 06-28): D-I8 passes.
- A year only: sample 01 with its first three cycles entered in error and the fourth dated "2023",
  the only cycle, so the first course's last: any day of 2023. Capecitabine on 2024-03-01 is after
  each of them: B-I5 (no therapy after initial PRRT) fails. On 2023-12-15, it is after a cycle of
  01-01..12-14 (fail) but not after one of 12-15..12-31: unknown. With no capecitabine: pass.
- The event's own record: the last cycle, dated "2023-07", is itself anticancer therapy; on each day
  of July the event may be on, that cycle is on or before it (it is the latest), never after: B-I5
  passes (sample 01, no other therapy).
- A window passing over a record mid-month: D-I7 narrowed to [surgery - 3 d, surgery] and read in a
  closed world (no MRI: false), the MRI on 05-15. A surgery on 05-15..05-18 has it (true), any other
  day of May not (false): unknown, though the month's first and last days (05-01, 05-31) both fail.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest

from fhir_eligibility.criteria.model import Combination, Criterion, Records, TimeOffset, Trial, Window
from fhir_eligibility.evaluation.anchor_days import choices, record_dates
from fhir_eligibility.evaluation.engine import evaluate_trial
from fhir_eligibility.evaluation.patient_record import build_record
from fhir_eligibility.evaluation.program import Program
from fhir_eligibility.evaluation.results import Result, TrialResult
from fhir_eligibility.evaluation.windows import bounds_with, fact_in
from fhir_eligibility.logic import Truth
from fhir_eligibility.record import PatientData
from tests.evaluation.test_time18_dates import (
    AS_OF,
    CAPECITABINE,
    CYCLE_4,
    SETTINGS,
    B,
    D,
    Json,
    _d_case,
    _resources,
    _trial,
)

MRI, PET = "624abb8e-1712-50c1-8233-3f4fe1af044f", "73734074-fb05-5873-93ce-3cdecc0a7a19"  # sample 75
JULY_5 = dt.date(2026, 7, 5)
RESECTION = "D-I5.resection"
TRUTH = {Truth.TRUE: Result.PASS, Truth.FALSE: Result.FAIL, Truth.UNKNOWN: Result.UNKNOWN}


def _results(trial: Trial, resources: list[Json], as_of: dt.date, cid: str) -> list[Result]:
    """The criterion's result in the explained walk, its stop-early mode and the compiled program."""
    record = build_record(PatientData("sample", resources))
    out = [next(c.result for c in evaluate_trial(trial, record, as_of, s).criteria if c.id == cid) for s in SETTINGS]
    program = Program([trial], SETTINGS[1])
    truths = program.truths(program.run(record, program.batch(as_of)), 0)
    (i,) = [i for i, c in enumerate(trial.criteria) if c.id == cid]
    return [*out, TRUTH[truths[i]]]


def _reason(trial: Trial, resources: list[Json], as_of: dt.date, cid: str) -> str:
    now: TrialResult = evaluate_trial(trial, build_record(PatientData("sample", resources)), as_of, SETTINGS[0])
    return next(c.reason for c in now.criteria if c.id == cid)


def _imaging(surgery: str, mri: str, pet: str = "2026-04-05") -> list[Json]:
    resources = _d_case(surgery)
    for r in resources:
        if r["id"] in (MRI, PET):
            r["performedDateTime"] = mri if r["id"] == MRI else pet
    return resources


@pytest.mark.parametrize(
    ("surgery", "mri", "pet"),
    [
        ("2026-05", Result.UNKNOWN, Result.PASS),
        ("2026-05-22", Result.PASS, Result.PASS),
        ("2026-05-23", Result.UNKNOWN, Result.PASS),
    ],
)
def test_a_window_whose_event_days_disagree_is_unknown(surgery: str, mri: Result, pet: Result) -> None:
    resources = _imaging(surgery, "2026-04-10")
    assert _results(_trial(D), resources, JULY_5, "D-I7") == [mri] * 3
    assert _results(_trial(D), resources, JULY_5, "D-I8") == [pet] * 3
    if surgery == "2026-05":
        reason = _reason(_trial(D), resources, JULY_5, "D-I7")
        assert "dated only by its month or year (2026-05-01..2026-05-31), and its days disagree" in reason


def _only_cycle(cycle: str, capecitabine: str | None) -> list[Json]:
    """Sample 01's Lutathera cycles but the fourth entered in error, the fourth dated ``cycle``."""
    drug = {**CAPECITABINE, "effectivePeriod": {"start": capecitabine, "end": capecitabine}}
    resources = _resources({CYCLE_4: {"effectiveDateTime": cycle}}, (drug,) if capecitabine else ())
    for r in resources:
        if r["id"] != CYCLE_4 and r.get("resourceType") == "MedicationAdministration":
            r["status"] = "entered-in-error"
    return resources


@pytest.mark.parametrize(
    ("cycle", "capecitabine", "expected"),
    [
        ("2023", "2024-03-01", Result.FAIL),
        ("2023", "2023-12-15", Result.UNKNOWN),
        ("2023-12-14", "2023-12-15", Result.FAIL),
        ("2023", None, Result.PASS),
    ],
)
def test_an_event_dated_by_its_year_only_is_decided_where_every_day_agrees(
    cycle: str, capecitabine: str | None, expected: Result
) -> None:
    assert _results(_trial(B), _only_cycle(cycle, capecitabine), AS_OF, "B-I5") == [expected] * 3


def test_the_events_own_record_is_on_or_before_each_day_it_may_be_on() -> None:
    """B-I5's window (the day after the last first-course cycle to T0) reads anticancer therapy, which
    the cycle itself is. Dated "2023-07", the 4th cycle is on or before each day of July the event
    may be on (it is the latest cycle): never after itself, and nothing else is: B-I5 passes on every
    day. Read as any day of July against the window of a day, it would be unknown (as before)."""
    resources = _resources({CYCLE_4: {"effectiveDateTime": "2023-07"}})
    assert _results(_trial(B), resources, AS_OF, "B-I5") == [Result.PASS] * 3


def _narrow(trial: Trial) -> Trial:
    """D-I7 with its MRI in [surgery - 3 d, surgery], no MRI read as none (closed world)."""

    def narrowed(c: Criterion) -> Criterion:
        d = c.definition
        if c.id != "D-I7":
            return c
        assert isinstance(d, Combination)
        mri = d.children[0]
        assert isinstance(mri.definition, Records)
        window = Window(RESECTION, TimeOffset(-3, "d"), TimeOffset(0, "d"))
        leaf = replace(mri, definition=replace(mri.definition, methods=frozenset()), windows=(window,))
        return replace(c, definition=replace(d, children=(leaf, *d.children[1:])))

    return replace(trial, criteria=tuple(narrowed(c) for c in trial.criteria))


@pytest.mark.parametrize(
    ("surgery", "expected"),
    [
        ("2026-05", Result.UNKNOWN),
        ("2026-05-01", Result.FAIL),
        ("2026-05-14", Result.FAIL),
        ("2026-05-15", Result.PASS),
        ("2026-05-18", Result.PASS),
        ("2026-05-19", Result.FAIL),
        ("2026-05-31", Result.FAIL),
    ],
)
def test_a_narrow_window_passing_over_a_record_mid_month_is_unknown(surgery: str, expected: Result) -> None:
    assert _results(_narrow(_trial(D)), _imaging(surgery, "2026-05-15"), JULY_5, "D-I7") == [expected] * 3


def test_the_days_chosen_give_every_truth_any_day_gives() -> None:
    """The rule's exactness on one leaf: the MRI in [surgery - d, surgery] for a surgery in May and
    each narrow width, its truth on the days ``choices`` picks against its truth on every day."""
    record = build_record(PatientData("sample", _imaging("2026-05", "2026-05-15")))
    (mri,) = [f for f in record.by_kind["Procedure"] if f.ref.endswith(MRI)]
    dates = record_dates(record, JULY_5)
    may = {RESECTION: (dt.date(2026, 5, 1), dt.date(2026, 5, 31))}
    for width in range(12):
        windows = (Window(RESECTION, TimeOffset(-width, "d"), TimeOffset(0, "d")),)

        def inside(at: dict[str, dt.date], w: tuple[Window, ...] = windows) -> bool | None:
            lo, hi, _err = bounds_with(w, JULY_5, None, at.get)
            return fact_in(mri, lo, hi)

        every = {inside({RESECTION: dt.date(2026, 5, day)}) for day in range(1, 32)}
        assert {inside(at) for at in choices(windows, JULY_5, may, dates)} == every
        assert every == {True, False}  # the MRI is in the window on some days only
        # out of it on the month's first and last days: reading those two only would say "none"
        assert {inside({RESECTION: dt.date(2026, 5, day)}) for day in (1, 31)} == {False}
