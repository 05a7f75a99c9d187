"""Reading medication records: statuses, periods, Lutathera cycles, R5 statements, ATC groups, orders."""

from __future__ import annotations

import pytest

from tests.cases.builders import ATC, SCT, Json, has, med_admin, patient, q, run, window

TMZ_EXCL = {
    "linkId": "tmz",
    "exclude": True,
    "definitionByTypeAndValue": has(["MedicationStatement", "MedicationAdministration"], [(ATC, "L01AX03")]),
}


def _statement(status: str) -> Json:
    return {
        "resourceType": "MedicationStatement",
        "id": f"ms-{status}",
        "status": status,
        "medicationCodeableConcept": {"coding": [{"system": ATC, "code": "L01AX03"}]},
        "subject": {"reference": "Patient/p"},
        "effectivePeriod": {"start": "2022-01-10", "end": "2022-03-20"},
    }


@pytest.mark.parametrize(
    ("resource", "expected"),
    [
        (_statement("stopped"), "fail"),  # taken, then stopped (for progression): prior temozolomide
        (_statement("on-hold"), "fail"),  # taken, paused
        (_statement("completed"), "fail"),
        (_statement("intended"), "pass"),  # never taken
        (_statement("not-taken"), "pass"),
        (med_admin("L01AX03", "2022-02-01", q(150, "mg"), status="stopped"), "fail"),  # §0.8: stopped, with a dose
        (med_admin("L01AX03", "2022-02-01", None, status="stopped"), "pass"),  # §0.8: stopped without a dose
    ],
    ids=["ms-stopped", "ms-on-hold", "ms-completed", "ms-intended", "ms-not-taken", "ma-stopped-dose", "ma-stopped"],
)
def test_medication_statuses_that_mean_the_drug_was_taken(resource: Json, expected: str) -> None:
    result = run(TMZ_EXCL, [patient(), resource])
    assert result.criteria[0].result.value == expected, result.criteria[0].reason


TMZ_LAST_12_WEEKS = {**TMZ_EXCL, "timeFromEvent": window(-84)}
EVERO_OVER_31_DAYS = {
    "linkId": "evero",
    "exclude": True,
    "definitionByTypeAndValue": has(["MedicationStatement"], [(ATC, "L01EG02")]),
    "durationQuantity": {"value": 31, "comparator": ">", "code": "d", "system": "http://unitsofmeasure.org"},
}


def _unended(code: str, start: str, status: str = "completed", asserted: str | None = None) -> Json:
    """A statement taken from ``start`` and since stopped, on a day it does not say."""
    out: Json = {
        "resourceType": "MedicationStatement",
        "id": f"ms-{code}",
        "status": status,
        "medicationCodeableConcept": {"coding": [{"system": ATC, "code": code}]},
        "subject": {"reference": "Patient/p"},
        "effectivePeriod": {"start": start},
    }
    if asserted:
        out["dateAsserted"] = asserted
    return out


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        # started 2026-01-10, before the window 2026-03-09..2026-06-01; its stop may fall inside it
        (_unended("L01AX03", "2026-01-10"), "unknown"),
        (_unended("L01AX03", "2026-01-10", "stopped"), "unknown"),
        # said to have been stopped by 2026-02-01 (asserted then): it ended before the window
        (_unended("L01AX03", "2026-01-10", asserted="2026-02-01"), "pass"),
        # asserted inside the window: it may have been taken there
        (_unended("L01AX03", "2026-01-10", asserted="2026-04-01"), "unknown"),
        # started inside the window: taken there, whenever it stopped
        (_unended("L01AX03", "2026-04-02"), "fail"),
    ],
    ids=["completed", "stopped", "asserted-before", "asserted-inside", "started-inside"],
)
def test_a_stopped_statement_without_a_stop_date_is_not_stopped_at_its_start(statement: Json, expected: str) -> None:
    """clinical.md §0.8/§0.14: a completed statement with only a start ended on a day not recorded;
    before, it was read as taken on its start day alone and passed the 12-week washout."""
    result = run(TMZ_LAST_12_WEEKS, [patient(), statement])
    assert result.criteria[0].result.value == expected, result.criteria[0].reason


@pytest.mark.parametrize(
    ("statement", "expected"),
    [
        (_unended("L01EG02", "2026-02-01"), "unknown"),  # 1 day at least, up to 121: "> 31 days" undecided
        (_unended("L01EG02", "2026-02-01", asserted="2026-02-20"), "pass"),  # at most 20 days
        (_unended("L01EG02", "2026-02-01", asserted="2026-05-01"), "unknown"),  # 1 to 90 days
    ],
    ids=["no-stop", "asserted-within-20-days", "asserted-90-days-on"],
)
def test_an_unended_statement_makes_a_duration_uncertain(statement: Json, expected: str) -> None:
    """B-I3b's shape (everolimus > 31 days excludes): a stop date not recorded cannot count as one day."""
    result = run(EVERO_OVER_31_DAYS, [patient(), statement])
    assert result.criteria[0].result.value == expected, result.criteria[0].reason


FOUR_CYCLES = {
    "linkId": "cyc",
    "definitionByTypeAndValue": {
        **has(["MedicationAdministration", "Procedure"], [(ATC, "V10XX04"), (SCT, "399315003")]),
    },
    "instancesQuantity": {"value": 4},
}
LATER_CYCLES = [
    med_admin("V10XX04", d) for d in ("2023-03-13T09:00:00Z", "2023-05-08T09:00:00Z", "2023-07-03T09:00:00Z")
]


def _prrt(performed: Json) -> Json:
    return {
        "resourceType": "Procedure",
        "id": "prrt-1",
        "status": "completed",
        "code": {"coding": [{"system": SCT, "code": "399315003"}]},
        "subject": {"reference": "Patient/p"},
        **performed,
    }


@pytest.mark.parametrize(
    "first",
    [
        # one moment in two time zones: local dates 16 and 17 January
        [med_admin("V10XX04", "2023-01-16T23:30:00-05:00"), {**med_admin("V10XX04", "2023-01-17T04:30:00Z")}],
        [med_admin("V10XX04", "2023-01-16T23:30:00-05:00"), _prrt({"performedDateTime": "2023-01-17T04:30:00Z"})],
        # an infusion recorded as a procedure running over midnight
        [
            med_admin("V10XX04", "2023-01-16T09:00:00Z"),
            _prrt({"performedPeriod": {"start": "2023-01-16T08:00:00Z", "end": "2023-01-17T10:00:00Z"}}),
        ],
    ],
    ids=["two-time-zones", "procedure-in-another-zone", "over-midnight"],
)
def test_one_cycle_recorded_twice_a_day_apart_is_one(first: list[Json]) -> None:
    """Counting Lutathera cycles (A-I3: exactly 4): the first cycle's two records are one cycle, so
    four, not five (which made the patient ineligible; adversarial review)."""
    first[1]["id"] = "second-record"
    result = run(FOUR_CYCLES, [patient(), *first, *LATER_CYCLES])
    assert result.criteria[0].result.value == "pass", result.criteria[0].reason
    # cycles eight weeks apart stay apart
    apart = [med_admin("V10XX04", "2022-11-21T09:00:00Z"), *first[:1], *LATER_CYCLES]
    assert run(FOUR_CYCLES, [patient(), *apart]).criteria[0].result.value == "fail"


FIRST = med_admin("V10XX04", "2023-01-16T09:00:00Z")
LUTATHERA_USED = {"usedCode": [{"coding": [{"system": ATC, "code": "V10XX04"}]}]}


SUMMARY = {
    "resourceType": "MedicationStatement",
    "id": "ms-lu",
    "status": "completed",
    "medicationCodeableConcept": {"coding": [{"system": ATC, "code": "V10XX04"}]},
    "subject": {"reference": "Patient/p"},
    "effectivePeriod": {"start": "2023-01-16", "end": "2023-07-03"},
}


@pytest.mark.parametrize(
    ("records", "expected"),
    [
        ([FIRST, *LATER_CYCLES, SUMMARY], "pass"),  # the statement summarises the four administrations
        ([SUMMARY], "unknown"),  # a course from January to July: how many cycles it held is not recorded
        ([FIRST, SUMMARY], "unknown"),  # one administration inside: the statement may hold the others
    ],
    ids=["with-administrations", "statement-only", "one-administration"],
)
def test_a_statement_of_a_period_is_a_summary_not_one_cycle(records: list[Json], expected: str) -> None:
    """Adversarial review: a summary MedicationStatement (2023-01-16 to 2023-07-03) merged the four
    administrations into one episode: "1 found (required exactly 4)", C and A ineligible."""
    result = run(FOUR_CYCLES, [patient(), *records])
    assert result.criteria[0].result.value == expected, result.criteria[0].reason


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ([], "pass"),  # the four administrations
        ([_prrt({"performedDateTime": "2023-01-16"})], "pass"),  # the first cycle's own procedure
        # a radionuclide therapy in 2015 that does not code the product (an I-131 ablation?): a fifth cycle or not
        ([_prrt({"performedDateTime": "2015-04-10"})], "unknown"),
        ([_prrt({"performedDateTime": "2015-04-10", **LUTATHERA_USED})], "fail"),  # it was Lutathera: 5
    ],
    ids=["administrations", "same-day-procedure", "generic-procedure-2015", "lutathera-procedure-2015"],
)
def test_a_procedure_counts_as_a_lutathera_cycle_only_when_it_codes_the_product(
    extra: list[Json], expected: str
) -> None:
    """clinical.md §2.5: VS-LU177 holds the radionuclide-therapy procedures "when the product is
    coded". Before, a 2015 radioiodine ablation coded 399315003 was a fifth cycle: A, B and C ineligible."""
    result = run(FOUR_CYCLES, [patient(), FIRST, *LATER_CYCLES, *extra])
    assert result.criteria[0].result.value == expected, result.criteria[0].reason


def test_an_ongoing_statement_that_began_in_a_month_is_still_taken() -> None:
    """A partial start ("2022-01") of an active statement with no end: taken from then until now, so
    within a window of the last month (the partial-date rule is for points, not periods)."""
    current = {
        "linkId": "tmz-now",
        "exclude": True,
        "definitionByTypeAndValue": has(["MedicationStatement"], [(ATC, "L01AX03")]),
        "timeFromEvent": window(-4, unit="wk"),
    }
    ongoing = {**_statement("active"), "effectivePeriod": {"start": "2022-01"}}
    result = run(current, [patient(), ongoing])
    assert result.criteria[0].result.value == "fail", result.criteria[0].reason


TMZ_NOW = {
    "linkId": "tmz-now",
    "exclude": True,
    "definitionByTypeAndValue": has(["MedicationStatement"], [(ATC, "L01AX03")]),
    "timeFromEvent": window(-4, unit="wk"),
}


def _r5_statement(adherence: str | None) -> Json:
    """An R5 statement (status recorded) begun 2022-01-10 with no end, and what adherence says."""
    ms = {**_statement("recorded"), "effectivePeriod": {"start": "2022-01-10"}}
    if adherence is not None:
        system = "http://hl7.org/fhir/CodeSystem/medication-statement-adherence"
        ms["adherence"] = {"code": {"coding": [{"system": system, "code": adherence}]}}
    return ms


@pytest.mark.parametrize(
    ("r4_status", "r5_adherence", "expected"),
    [
        ("active", "taking", "fail"),  # still taken: within the last 4 weeks
        # taken from 2022, stopped on a day not recorded: perhaps within the last 4 weeks (§0.14)
        ("stopped", "stopped", "unknown"),
        ("on-hold", "on-hold", "unknown"),
        # whether it is taken is unknown: it may be, so the exclusion is undetermined (not a pass)
        ("unknown", "unknown", "unknown"),
    ],
)
def test_an_r5_statement_means_what_the_same_r4_statement_means(
    r4_status: str, r5_adherence: str, expected: str
) -> None:
    """R5 writes R4's statuses as status recorded + adherence; the same meaning gets the same result
    (R5 'stopped' read as ongoing failed a current-use exclusion that R4 'stopped' passed)."""
    r4 = {**_statement(r4_status), "effectivePeriod": {"start": "2022-01-10"}}
    for ms in (r4, _r5_statement(r5_adherence)):
        result = run(TMZ_NOW, [patient(), ms])
        assert result.criteria[0].result.value == expected, (ms.get("status"), result.criteria[0].reason)


@pytest.mark.parametrize(
    ("code", "expected"),
    [
        ("L01EX07", "pass"),  # cabozantinib, its code since 2021
        ("L01XE26", "pass"),  # the same drug under its code before 2021: still in L01
        ("L01XC07", "pass"),  # bevacizumab, retired code
        ("L02BB04", "fail"),  # enzalutamide: L02, not L01
        ("L0", "fail"),  # no ATC code: matches no group
    ],
)
def test_an_atc_group_holds_every_code_under_it(code: str, expected: str) -> None:
    """Adversarial review: value sets name ATC groups (VS-CHEMO "L01 (all)", clinical.md §2.5) but codes
    were matched exactly, so a drug coded under a pre-2021 code (cabozantinib L01XE26) was no anticancer
    drug: D-E7 passed. An ATC code is in the groups its code begins with."""
    chemo = {"linkId": "chemo", "definitionByTypeAndValue": has(["MedicationAdministration"], [(ATC, "L01")])}
    result = run(chemo, [patient(), med_admin(code, "2025-03-01")])
    assert result.criteria[0].result.value == expected, result.criteria[0].reason


def _ssa(start: str, end: str) -> Json:
    return {
        "resourceType": "MedicationStatement",
        "id": "ms-lanreotide",
        "status": "completed",
        "subject": {"reference": "Patient/p"},
        "medicationCodeableConcept": {"coding": [{"system": ATC, "code": "H01CB03"}]},
        "effectivePeriod": {"start": start, "end": end},
    }


@pytest.mark.parametrize(
    ("end", "expected"),
    [
        ("2026-05", "unknown"),  # stopped some day in May: maybe inside the 28 days before 2026-06-01
        ("2026-04", "pass"),  # stopped by 30 April: before the window (from 4 May)
        ("2026", "unknown"),
        ("2026-05-02", "pass"),
        ("2026-05-10", "fail"),
    ],
)
def test_a_period_ending_in_a_month_may_end_on_its_last_day(end: str, expected: str) -> None:
    """Adversarial review: lanreotide from 2021 to "2026-05" was read as stopped on 1 May, before the
    28-day washout window (2026-05-04..06-01): no SSA in it, E-I5 passed. May's last days are in it
    (§0.12: a partial date whose days lie inside and outside is not knowable)."""
    washout = {
        "linkId": "ssa",
        "exclude": True,
        "definitionByTypeAndValue": has(["MedicationStatement"], [(ATC, "H01CB03")]),
        "timeFromEvent": window(-28),
    }
    result = run(washout, [patient(), _ssa("2021-03-01", end)])
    assert result.criteria[0].result.value == expected, result.criteria[0].reason


def _order(kind: str, code: str, day: str, status: str = "completed", intent: str = "order") -> Json:
    r: Json = {
        "resourceType": kind,
        "id": f"{kind}-{code}",
        "status": status,
        "subject": {"reference": "Patient/p"},
        "medicationCodeableConcept": {"coding": [{"system": ATC, "code": code}]},
    }
    if kind == "MedicationRequest":
        r |= {"intent": intent, "authoredOn": day}
    else:
        r["whenHandedOver"] = day
    return r


TEMOZOLOMIDE_NEVER = {
    "linkId": "tmz",
    "exclude": True,
    "definitionByTypeAndValue": has(["MedicationAdministration"], [(ATC, "L01AX03")]),
}


@pytest.mark.parametrize(
    ("records", "expected"),
    [
        ([_order("MedicationRequest", "L01AX03", "2024-02-01")], "unknown"),  # ordered: taken or not unknown
        ([_order("MedicationDispense", "L01AX03", "2024-02-03")], "unknown"),
        ([_order("MedicationRequest", "L01AX03", "2024-02-01", status="cancelled")], "pass"),
        ([_order("MedicationRequest", "L01AX03", "2024-02-01", intent="proposal")], "pass"),
        ([_order("MedicationRequest", "L01AX03", "2024-02-01") | {"doNotPerform": True}], "pass"),  # do not give
        ([_order("MedicationRequest", "L01AX03", "2024-02-01"), med_admin("L01AX03", "2024-02-05")], "fail"),
        ([], "pass"),
    ],
)
def test_an_order_or_a_dispense_is_evidence_where_administrations_are_silent(
    records: list[Json], expected: str
) -> None:
    """Adversarial review: temozolomide ordered and dispensed in 2024 (MedicationRequest,
    MedicationDispense: what US Core sites hold of oral drugs) was ignored: "no prior alkylator"
    passed. An order says the drug was meant to be taken, not that it was: unknown, never absent."""
    result = run(TEMOZOLOMIDE_NEVER, [patient(), *records])
    assert result.criteria[0].result.value == expected, result.criteria[0].reason
