"""Reading observation results: reference ranges, recency and times, coded answers, comparators, implausible values."""

from __future__ import annotations

import datetime as dt

import pytest

from tests.cases.builders import LOINC, SCT, Json, lab, obs, patient, q, run, window
from tests.cases.characteristics import ALT_EXCL, ECOG_0_2, HB_GE_8


def _sex(code: str) -> Json:
    return {"coding": [{"system": "http://hl7.org/fhir/administrative-gender", "code": code}]}


# ALT 100 U/L against two normal ranges listed female first: 100 / 35 = 2.86 x ULN for a woman (over
# the exclusion's 2.5), 100 / 40 = 2.5 x ULN for a man (not over it): clinical.md §0.6, the range
# matching appliesTo sex / age
BY_SEX = [{"high": q(35, "U/L"), "appliesTo": [_sex("female")]}, {"high": q(40, "U/L"), "appliesTo": [_sex("male")]}]
BY_AGE = [
    {"high": q(30, "U/L"), "age": {"low": q(0, "a"), "high": q(17, "a")}},  # a child's, listed first
    {"high": q(40, "U/L")},
]


@pytest.mark.parametrize(
    ("sex", "ranges", "expected"),
    [
        ("male", BY_SEX, "pass"),
        ("female", BY_SEX, "fail"),
        ("unknown", BY_SEX, "unknown"),  # neither range is knowably hers or his: no ULN
        ("female", BY_AGE, "pass"),  # 66 years old: the range for everyone, 40
        ("male", [{"high": q(40, "U/L"), "appliesTo": [{"text": "pregnant"}]}], "unknown"),  # another population
    ],
)
def test_the_reference_range_is_the_patients_own(sex: str, ranges: list[Json], expected: str) -> None:
    alt = obs("1742-6", "2026-05-20", q(100, "U/L"), referenceRange=ranges)
    result = run(ALT_EXCL, [patient(gender=sex), alt])
    assert result.criteria[0].result.value == expected, result.criteria[0].reason


def test_the_most_recent_result_is_by_the_moment_not_by_its_text() -> None:
    """08:00 at UTC-5 (13:00 UTC) is after 08:30 UTC, though its text sorts first: Hb 7.0 is the latest."""
    older = obs("718-7", "2026-05-20T08:30:00+00:00", q(13.2, "g/dL"), rid="a")
    later = obs("718-7", "2026-05-20T08:00:00-05:00", q(7.0, "g/dL"), rid="b")
    for order in ([older, later], [later, older]):
        result = run(HB_GE_8, [patient(), *order])
        assert result.criteria[0].result.value == "fail", result.criteria[0].reason
        assert "7 g/dL" in result.criteria[0].reason


def test_an_unreadable_result_leaves_the_older_ones_undecided() -> None:
    """A Hb result that cannot be read may be the most recent: the older 7.5 in the window cannot make
    the patient fail (README: an unreadable record makes criteria reading it unknown, never fail)."""
    unreadable = obs("718-7", "2026-05-25", q(12.9, "g/dL"), rid="bad")
    unreadable["code"]["coding"].append(5)  # a coding that is not an object: the resource cannot be read
    result = run(HB_GE_8, [patient(), obs("718-7", "2026-05-10", q(7.5, "g/dL")), unreadable])
    assert result.criteria[0].result.value == "unknown", result.criteria[0].reason
    assert "could not be read" in result.criteria[0].reason


HCG_POSITIVE_EXCL = {
    "linkId": "preg",
    "exclude": True,
    "definitionByTypeAndValue": lab(["2106-3"], valueCodeableConcept={"coding": [{"system": SCT, "code": "10828004"}]}),
    "timeFromEvent": window(-4),
}
V3 = "http://terminology.hl7.org/CodeSystem/v3-ObservationInterpretation"


@pytest.mark.parametrize(
    ("system", "code", "expected"),
    [
        (SCT, "260373001", "fail"),  # Detected: a positive test, whatever word the laboratory uses
        (SCT, "52101004", "fail"),  # Present
        (LOINC, "LA6576-8", "fail"),  # Positive, as a LOINC answer
        (V3, "POS", "fail"),
        (LOINC, "LA6577-6", "pass"),  # Negative
        (SCT, "260415000", "pass"),  # Not detected
        (LOINC, "LA11883-8", "pass"),
        (SCT, "42425007", "unknown"),  # Equivocal: neither answer
        (LOINC, "LA4489-6", "unknown"),  # Unknown
        ("http://lab.example.org/codes", "POS", "unknown"),  # a site's own code nobody mapped
    ],
)
def test_a_coded_answer_outside_the_known_answers_is_unknown_not_negative(
    system: str, code: str, expected: str
) -> None:
    """clinical.md §0.14/§0.16: a pregnancy test coded "Detected" is positive; one coded in no answer
    this question knows is no evidence of a negative test. Before, every code but Positive passed."""
    result = run(
        HCG_POSITIVE_EXCL,
        [
            patient(),
            obs("2106-3", "2026-05-30", None, valueCodeableConcept={"coding": [{"system": system, "code": code}]}),
        ],
    )
    assert result.criteria[0].result.value == expected, result.criteria[0].reason


@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        ([obs("718-7", "2026-05-20", q(75, "g/dL"))], "unknown"),  # 75 g/L typed as g/dL: no such Hb
        ([obs("718-7", "2026-05-20", q(900, "g/dL"))], "unknown"),
        ([obs("718-7", "2026-05-20", q(75, "g/L"))], "fail"),  # the same number in its real unit: 7.5 g/dL
        ([obs("718-7", "2026-05-20", q(4.0, "mmol/L"))], "fail"),  # 6.45 g/dL, converted before the check
        # an impossible newer result is still a newer measurement, its value unknown (90 "g/dL" may be
        # 90 g/L): the older real one cannot stand for it (README, "a newer result whose value is invalid")
        ([obs("718-7", "2026-05-10", q(9, "g/dL")), obs("718-7", "2026-05-20", q(90, "g/dL"))], "unknown"),
    ],
    ids=["gdl-typo", "huge", "gl", "mmol", "older-real"],
)
def test_an_impossible_value_is_a_data_error_not_a_result(resources: list[Json], expected: str) -> None:
    result = run(HB_GE_8, [patient(), *resources])
    assert result.criteria[0].result.value == expected, result.criteria[0].reason


def test_an_adults_weight_of_a_few_kilograms_is_a_data_error() -> None:
    from fhir_eligibility.measures.plausible import implausible

    weight = [("http://loinc.org", "29463-7")]
    born, on = dt.date(1963, 9, 14), dt.date(2026, 5, 20)
    assert implausible(weight, 7.8, "kg", born, on) is not None
    assert implausible(weight, 7.8, "kg", dt.date(2025, 9, 1), on) is None  # a baby's
    assert implausible(weight, 78, "kg", born, on) is None
    assert implausible(weight, 172, "[lb_av]", born, on) is None  # 78 kg, converted
    assert implausible(weight, 7.8, "kg", None, on) is None  # age unknown: only the absolute bounds
    assert implausible([("http://loinc.org", "0000-0")], 1e9, "kg", born, on) is None  # no bounds known


@pytest.mark.parametrize(
    "text",
    ["2026-05-20T08:30:00Z", "2026-05-20T08:30:00+00:00", "2026-05-20T08:00:00-05:00", "2026-05-20T08:30:00.250Z"],
)
def test_an_ordering_text_is_the_utc_moment_whatever_its_spelling(text: str) -> None:
    """order_text's shortcuts for texts already in UTC give what parsing gives (the ordering key of the
    most-recent rule: two spellings of one moment must tie)."""
    from fhir_eligibility.evaluation.dates import order_text

    parsed = dt.datetime.fromisoformat(text).astimezone(dt.UTC).isoformat()
    assert order_text(text) == parsed
    assert order_text(text.replace("Z", "+00:00")) == parsed


def test_an_ecog_answer_whose_codings_disagree_is_unknown() -> None:
    """Adversarial review: ECOG coded LA9623-5 (grade 1) and SNOMED CT 423053003 (grade 3) in one
    answer took whichever the unordered set gave first: fail or pass by PYTHONHASHSEED."""
    both = obs(
        "89247-1",
        "2026-05-20",
        None,
        valueCodeableConcept={"coding": [{"system": LOINC, "code": "LA9623-5"}, {"system": SCT, "code": "423053003"}]},
    )
    result = run(ECOG_0_2, [patient(), both])
    assert result.criteria[0].result.value == "unknown", result.criteria[0].reason
    agreeing = obs(
        "89247-1",
        "2026-05-20",
        None,
        valueCodeableConcept={"coding": [{"system": LOINC, "code": "LA9623-5"}, {"system": SCT, "code": "422512005"}]},
    )
    assert run(ECOG_0_2, [patient(), agreeing]).criteria[0].result.value == "pass"


@pytest.mark.parametrize(
    ("comparator", "expected"),
    [("<=", "unknown"), (">=", "pass"), ("≤", "unknown"), ("LT", "unknown"), ("ad", "unknown")],
)
def test_a_comparator_fhir_does_not_define_is_no_value(comparator: str, expected: str) -> None:
    """Adversarial review: platelets "≤ 100 x10^9/L" (not a FHIR comparator) lost its comparator and
    passed ">= 80" as an exact 100. §0.5: "<= 100" cannot show ">= 80"; an invalid value is a data error."""
    plt = {"linkId": "plt", "definitionByTypeAndValue": lab(["777-3"], valueQuantity=q(80, "10*9/L", ">="))}
    result = run(plt, [patient(), obs("777-3", "2026-05-20", q(100, "10*9/L", comparator))])
    assert result.criteria[0].result.value == expected, result.criteria[0].reason


@pytest.mark.parametrize(
    ("results", "expected"),
    [
        # a day's result without a time and one at 08:30 cannot be ordered: a tie, the least favourable
        ([("2026-05-20", 7.0, "a"), ("2026-05-20T08:30:00Z", 13.2, "b")], "fail"),
        ([("2026-05-20", 13.2, "a"), ("2026-05-20T08:30:00Z", 7.0, "b")], "fail"),
        ([("2026-05-19", 7.0, "a"), ("2026-05-20T08:30:00Z", 13.2, "b")], "pass"),  # the day before: older
        # 23:00 at UTC-5 is 04:00 UTC on the 21st: after 01:00 at UTC+2 on the 21st (23:00 UTC on the 20th)
        ([("2026-05-20T23:00:00-05:00", 7.0, "a"), ("2026-05-21T01:00:00+02:00", 13.0, "b")], "fail"),
        ([("2026-05-20T23:00:00-05:00", 13.0, "a"), ("2026-05-21T01:00:00+02:00", 7.0, "b")], "pass"),
        # second review: fractions of a second kept the written day (23:30:00.5-05:00 is 04:30 UTC on the 21st)
        ([("2026-05-20T23:30:00.5-05:00", 7.0, "a"), ("2026-05-21T01:00:00Z", 13.0, "b")], "fail"),
    ],
)
def test_the_most_recent_result_when_times_are_written_differently(
    results: list[tuple[str, float, str]], expected: str
) -> None:
    """Adversarial review: a date-only Hb of 7.0 always lost to a 13.2 at 08:30 the same day ("2026-05-20"
    sorts before "2026-05-20T08:30"): A-I11 passed. §0.3: results that cannot be ordered tie, and a
    tie is the least favourable. And the written calendar day ordered results before their UTC moment."""
    hb = [obs("718-7", when, q(v, "g/dL"), rid=rid) for when, v, rid in results]
    result = run(HB_GE_8, [patient(), *hb])
    assert result.criteria[0].result.value == expected, result.criteria[0].reason


KI67_LE_20 = {
    "linkId": "ki67",
    "definitionByTypeAndValue": lab(["29593-1"], valueQuantity=q(20, "%", "<=")),
    "timeFromEvent": window(None),  # any date before the as-of date
}


@pytest.mark.parametrize(
    ("other", "expected"),
    [
        ({}, "unknown"),  # undated 30 %: it may be the latest, and it disagrees with the 8 % of 2021-02
        ({"effectiveDateTime": "2021"}, "unknown"),  # some day of 2021: maybe after February
        ({"effectiveDateTime": "2020"}, "pass"),  # 2020: before the dated 8 %
        ({"effectiveDateTime": "2022"}, "fail"),  # any day of 2022 is after it: the 30 % governs
    ],
)
def test_an_undated_or_partly_dated_result_may_be_the_latest(other: Json, expected: str) -> None:
    """Adversarial review: for a result of any date (Ki-67), an undated 30 % or one dated "2021" was
    ranked older than a dated 8 % (2021-02-20): pass, eligible. Which is the latest is not knowable."""
    dated = obs("29593-1", "2021-02-20", q(8, "%"), rid="k1")
    vague = obs("29593-1", "2021-02-20", q(30, "%"), rid="k2")
    vague.pop("effectiveDateTime")
    vague |= other
    result = run(KI67_LE_20, [patient(), dated, vague])
    assert result.criteria[0].result.value == expected, result.criteria[0].reason
    assert "no result in window" not in result.criteria[0].reason


@pytest.mark.parametrize(
    ("period", "expected"),
    [
        ({"start": "2026-04-01"}, "pass"),  # started 1 April, issued 20 May: dated by issued (§0.3), in the window
        ({"start": "2026-04-01", "end": "2026-04-02"}, "unknown"),  # ended 2 April: outside the 28 days
    ],
)
def test_an_observation_period_without_an_end_is_dated_by_its_issued_time(period: Json, expected: str) -> None:
    """Adversarial review: §0.3 dates a result by effectiveDateTime, else effectivePeriod.end, else
    issued; a period with a start only was dated by its start (outside the window: unknown)."""
    hb = obs("718-7", "2026-05-20", q(12, "g/dL"), rid="hb1")
    hb.pop("effectiveDateTime")
    hb |= {"effectivePeriod": period, "issued": "2026-05-20T10:00:00Z"}
    result = run(HB_GE_8, [patient(), hb])
    assert result.criteria[0].result.value == expected, result.criteria[0].reason


@pytest.mark.parametrize(
    ("issued", "expected"),
    [
        ("2026-05-20T09:00:00Z", "fail"),  # the day-only 7.0 says nothing of its issue: a tie, least favourable
        (None, "fail"),
    ],
)
def test_a_missing_issued_time_is_unknown_not_older(issued: str | None, expected: str) -> None:
    """Second review: a timed Hb of 13 issued at 09:00 won over a day-only Hb of 7 of the same day
    that has no issued time ("" sorted first): pass. A missing issued time breaks no tie."""
    timed = obs("718-7", "2026-05-20T08:00:00Z", q(13, "g/dL"), rid="b")
    if issued:
        timed["issued"] = issued
    result = run(HB_GE_8, [patient(), obs("718-7", "2026-05-20", q(7, "g/dL"), rid="a"), timed])
    assert result.criteria[0].result.value == expected, result.criteria[0].reason


def test_a_period_ending_in_a_month_after_its_start_is_inside() -> None:
    """Second review: an Hb over 2026-05-10.."2026-05" lies wholly in the 28 days before 2026-06-01 (it
    ends on or after the 10th); it was left out as "not knowable", and a 13 on the 20th decided alone.
    Either may be the latest and they disagree: unknown."""
    vague = obs("718-7", "2026-05-20", q(7, "g/dL"), rid="a")
    vague.pop("effectiveDateTime")
    vague["effectivePeriod"] = {"start": "2026-05-10", "end": "2026-05"}
    result = run(HB_GE_8, [patient(), vague, obs("718-7", "2026-05-20T08:00:00Z", q(13, "g/dL"), rid="b")])
    assert result.criteria[0].result.value == "unknown", result.criteria[0].reason
