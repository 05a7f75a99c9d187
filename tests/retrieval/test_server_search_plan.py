"""What the server searches ask for: no date bound that drops records the evaluator counts, and every
spelling of a code system the evaluator matches.

Adversarial review:

* ``date=ge<first day of the window>`` dropped Observations dated only by ``issued`` (``date`` searches
  ``effective[x]``), undated Procedures, and records of the window's first day in a time zone east of
  the server's: the evaluator counts all of them. No date bound now, except on MedicationAdministration
  (``effective-time`` is required there, and a patient's infusions are many), one day wider.
* ``code=system|code`` asked only for the definitions' spelling, so a site sending the LOINC OID, an
  ``https://`` URI or a SNOMED CT edition URI (all matched by the evaluator, ``codes.norm_system``) got
  nothing back: absent, so FALSE. Each code is now also asked for bare (``code=718-7``: any system),
  which reaches every spelling, edition URIs included, that no list could hold; the evaluator drops
  what it brings of other systems.

Expected tokens are written out by hand below.
"""

from __future__ import annotations

from datetime import date
from urllib.parse import parse_qsl, urlsplit

import pytest

from fhir_eligibility.codes import norm_system
from fhir_eligibility.requirements.model import DataRequirement
from fhir_eligibility.requirements.prefetch import prefetch_templates
from fhir_eligibility.requirements.search import PlannedSearch, search_plan
from fhir_eligibility.screening.anchor import condition_search_urls, search_tokens
from tests.retrieval.fake_fhir import parse_tokens

LOINC = "http://loinc.org"
SCT = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
# spellings of the system a site may send, each of which the evaluator reads as the system
SPELLINGS = {
    LOINC: ["urn:oid:2.16.840.1.113883.6.1", "http://loinc.org/", "https://loinc.org"],
    ICD10CM: ["urn:oid:2.16.840.1.113883.6.90", "http://hl7.org/fhir/sid/icd-10-cm/"],
    RXNORM: ["urn:oid:2.16.840.1.113883.6.88", RXNORM + "/"],
    SCT: ["urn:oid:2.16.840.1.113883.6.96", "http://snomed.info/sct/900000000000207008/version/20250101"],
}


def _matches(token: tuple[str | None, str], system: str, code: str) -> bool:
    """Whether a server matches a record coded ``system|code`` to the token (FHIR token search)."""
    return token[1] == code and token[0] in (None, system)


def _params(search: PlannedSearch) -> dict[str, str]:
    return dict(parse_qsl(urlsplit(search.url).query))


def _one(rtype: str, *codes: tuple[str, str], since: date | None = None) -> PlannedSearch:
    (_, s) = search_plan("p1", [DataRequirement(rtype, frozenset(codes), since, frozenset({"c"}))])
    return s


@pytest.mark.parametrize(
    "rtype",
    [
        "Observation",
        "Procedure",
        "DiagnosticReport",
        "ImagingStudy",
        "MedicationStatement",
        "Immunization",
        "Encounter",
    ],
)
def test_no_date_bound_that_could_drop_a_record_the_evaluator_counts(rtype: str) -> None:
    p = _params(_one(rtype, (SCT, "1"), since=date(2025, 1, 1)))
    assert not any(v.startswith(("ge", "gt")) for v in p.values()), p


def test_medication_administration_keeps_a_bound_one_day_wider() -> None:
    p = _params(_one("MedicationAdministration", (RXNORM, "1"), since=date(2025, 1, 1)))
    assert p["effective-time"] == "ge2024-12-31"  # an infusion on 1 January, local time east of UTC


@pytest.mark.parametrize(("rtype", "param"), [("Observation", "combo-code"), ("AllergyIntolerance", "code")])
@pytest.mark.parametrize(("system", "code"), [(LOINC, "718-7"), (RXNORM, "7980"), (SCT, "443492008")])
def test_every_spelling_the_evaluator_matches_is_searched(rtype: str, param: str, system: str, code: str) -> None:
    tokens = parse_tokens(_params(_one(rtype, (system, code)))[param])
    assert tokens == [(system, code), (None, code)]  # the definitions' spelling first, then bare
    for spelling in SPELLINGS[system]:
        assert norm_system(spelling) == system  # the evaluator reads it as the system ...
        assert any(_matches(t, spelling, code) for t in tokens)  # ... and the server sends it back


def test_icd10_spellings_with_and_without_the_dot() -> None:
    tokens = parse_tokens(_params(_one("Condition", (ICD10CM, "C7A012")))["code"])
    assert tokens == [(ICD10CM, "C7A.012"), (ICD10CM, "C7A012"), (None, "C7A.012"), (None, "C7A012")]
    assert all(any(_matches(t, s, "C7A.012") for t in tokens) for s in SPELLINGS[ICD10CM])


def test_a_system_the_evaluator_does_not_alias_is_searched_as_written_and_bare() -> None:
    odd = ("urn:fhir-eligibility:test", "a,b")
    assert parse_tokens(_params(_one("Condition", odd))["code"]) == [odd, (None, "a,b")]


def test_long_lists_of_spellings_are_split_under_the_url_limit() -> None:
    codes = {(LOINC, f"{n}-{n % 10}") for n in range(10000, 10150)}
    searches = search_plan("p1", [DataRequirement("Observation", frozenset(codes))], max_url_length=1800)[1:]
    assert len(searches) > 1 and all(len(s.url) <= 1800 for s in searches)
    assert frozenset().union(*(s.codes for s in searches)) == codes
    assert sum(len(s.codes) for s in searches) == len(codes)


def test_prefetch_templates_ask_for_the_same_spellings() -> None:
    (_, t) = prefetch_templates([DataRequirement("Observation", frozenset({(LOINC, "718-7")}))])
    assert "combo-code=http://loinc.org|718-7,718-7" in t.query


def test_screening_s_diagnosis_search_asks_for_every_spelling() -> None:
    """Screening narrows the population by a Condition search: a patient whose diagnosis is sent under
    the ICD-10-CM OID or a SNOMED CT edition URI was left out as if undiagnosed (ineligible)."""
    tokens = search_tokens({(ICD10CM, "C7A012"), (SCT, "443492008")})
    assert {"C7A.012", "C7A012", "443492008", f"{SCT}|443492008", f"{ICD10CM}|C7A.012"} <= set(tokens)
    sent = {
        t
        for u in condition_search_urls("https://x.org/fhir", {(ICD10CM, "C7A012")})
        for t in u.split("code=")[1].split(",")
    }
    assert len(sent) == 4
