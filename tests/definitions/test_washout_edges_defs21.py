"""E-E2 (major surgery within 6 weeks) and E-E3 (radiotherapy, chemotherapy, embolisation, mTOR-i, RTK-i,
interferon or investigational therapy within 12 weeks) at their edges, worked out by hand from seed 004 and
clinical.md (T0 = D0 = 2026-06-01, sample 01, attestations assumed).

clinical.md §0.1: windows are inclusive, 6 weeks = 42 d, so E-E2 ("as B-E1 (42 d)") fails a hepatic resection on
T0 - 42 = 2026-04-20 and passes one on 2026-04-19. The E-E3 row: "last exposure in (T0 - 84 d, T0] -> fail", so
2026-03-10 (T0 - 83) fails and 2026-03-09 (T0 - 84) passes. An exposure over a period counts by its last day
(§0.8, effectivePeriod): a statement or a procedure begun before the window and ended inside it fails, one ended
before it passes; a MedicationStatement still active with no end is taken now: fail. Procedure status (§0.3 by
analogy, docs/encoding.md): completed and in-progress count (a radiotherapy course under way is exposure), not-done
and entered-in-error do not. A time given with a zone is on the day written (the patient's local day, what the
chart shows): 2026-03-09T23:30:00-05:00 is 2026-03-09, T0 - 84, pass, although it is 2026-03-10 in UTC; and
2026-03-10T00:30:00+02:00 is 2026-03-10, fail, although it is 2026-03-09 in UTC.
"""

from __future__ import annotations

from typing import Any

import pytest

from tests.definitions.test_review_bd_defs20 import ATC, B_SAMPLE, _results

E = "NCT01842165"
CPT = "http://www.ama-assn.org/go/cpt"
SNOMED = "http://snomed.info/sct"
RT = {"coding": [{"system": SNOMED, "code": "33195004"}]}  # teleradiotherapy procedure
RESECTION = {"coding": [{"system": CPT, "code": "47120"}]}  # partial hepatectomy


def _procedure(code: dict[str, Any], status: str = "completed", **when: Any) -> dict[str, Any]:
    return {"resourceType": "Procedure", "id": "we21", "status": status, "code": code, **when}


def _e(*extra: dict[str, Any]) -> dict[tuple[str, str], str]:
    return _results(B_SAMPLE, *extra)


@pytest.mark.parametrize(("day", "expected"), [("2026-04-20", "fail"), ("2026-04-19", "pass")])
def test_e_e2_six_weeks_is_42_days_inclusive(day: str, expected: str) -> None:
    assert _e(_procedure(RESECTION, performedDateTime=day))[(E, "E-E2")] == expected


@pytest.mark.parametrize(
    ("period", "expected"),
    [({"start": "2026-04-10", "end": "2026-04-21"}, "fail"), ({"start": "2026-04-01", "end": "2026-04-19"}, "pass")],
)
def test_e_e2_a_surgery_period_counts_by_its_end(period: dict[str, str], expected: str) -> None:
    assert _e(_procedure(RESECTION, performedPeriod=period))[(E, "E-E2")] == expected


@pytest.mark.parametrize(("day", "expected"), [("2026-03-10", "fail"), ("2026-03-09", "pass")])
def test_e_e3_twelve_weeks_is_84_days_exclusive(day: str, expected: str) -> None:
    assert _e(_procedure(RT, performedDateTime=day))[(E, "E-E3")] == expected


@pytest.mark.parametrize(
    ("period", "expected"),
    [({"start": "2026-01-05", "end": "2026-03-12"}, "fail"), ({"start": "2026-01-05", "end": "2026-03-09"}, "pass")],
)
def test_e_e3_a_radiotherapy_course_counts_by_its_last_day(period: dict[str, str], expected: str) -> None:
    assert _e(_procedure(RT, performedPeriod=period))[(E, "E-E3")] == expected


@pytest.mark.parametrize(
    ("status", "expected"),
    [("completed", "fail"), ("in-progress", "fail"), ("not-done", "pass"), ("entered-in-error", "pass")],
)
def test_e_e3_procedure_status(status: str, expected: str) -> None:
    assert _e(_procedure(RT, status, performedDateTime="2026-05-01"))[(E, "E-E3")] == expected


def _statement(status: str, period: dict[str, str]) -> dict[str, Any]:
    return {
        "resourceType": "MedicationStatement",
        "id": "ws21",
        "status": status,
        "medicationCodeableConcept": {"coding": [{"system": ATC, "code": "L01EG02"}]},  # everolimus, antineoplastic
        "effectivePeriod": period,
    }


@pytest.mark.parametrize(
    ("status", "period", "expected"),
    [
        ("active", {"start": "2025-01-05"}, "fail"),  # still taken
        ("completed", {"start": "2025-01-05", "end": "2026-03-10"}, "fail"),  # stopped on T0 - 83
        ("completed", {"start": "2025-01-05", "end": "2026-03-09"}, "pass"),  # stopped on T0 - 84
    ],
)
def test_e_e3_a_medication_statement_counts_to_its_end(status: str, period: dict[str, str], expected: str) -> None:
    assert _e(_statement(status, period))[(E, "E-E3")] == expected


@pytest.mark.parametrize(
    ("moment", "expected"),
    [
        ("2026-03-09T23:30:00-05:00", "pass"),  # 2026-03-10 in UTC: on the day written, T0 - 84
        ("2026-03-10T00:30:00+02:00", "fail"),  # 2026-03-09 in UTC: on the day written, T0 - 83
    ],
)
def test_e_e3_a_time_with_a_zone_is_on_the_day_written(moment: str, expected: str) -> None:
    admin = {
        "resourceType": "MedicationAdministration",
        "id": "wa21",
        "status": "completed",
        "medicationCodeableConcept": {"coding": [{"system": ATC, "code": "L01BC06"}]},  # capecitabine
        "effectiveDateTime": moment,
    }
    assert _e(admin)[(E, "E-E3")] == expected
