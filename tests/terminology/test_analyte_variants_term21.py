"""Terminology review 21: two LOINC variants of one analyte, read by different criteria, are one test.

Checked on the six trials' definitions: the only analyte whose variants no one code set holds both of is
5-HIAA in trial E (NCT01842165). E-I3's biochemical progression reads 1695-6 (24-h urine, mass) in one
leaf and 14573-0 (24-h urine, moles) in another (clinical.md §2: VS-5HIAA holds both; measures/analytes.py
gives both the analyte 5-hiaa). A laboratory that codes its 24-h 5-HIAA with both had every result read
as "two different tests" (terminology.analytes), so the series could never decide.

Hand-worked, T0 = 2026-06-01, E-I3 window 12 months: 5-HIAA 5, 8 and 12 mg/(24.h) on 2025-12-01,
2026-02-01 and 2026-04-01, each coded 1695-6 and 14573-0: two successive rises of one marker, so both
leaves (characteristic[2].2.1.2 and [2].2.1.3) pass, and so does E-I3.biochemical; no warning about
different tests. ALT and AST stay two tests.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fhir_eligibility.codes import Code
from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.evaluation.results import CriterionResult, Result
from fhir_eligibility.pipeline import evaluate_patient
from fhir_eligibility.record import PatientData
from fhir_eligibility.terminology.analytes import Analytes
from fhir_eligibility.terminology.site import SiteTerminology
from tests.cases.builders import AS_OF, LOINC, obs, patient, q

Json = dict[str, Any]
TRIAL_E = "NCT01842165"
MASS, MOLES = "1695-6", "14573-0"
SITE = "http://hosp.example/lab"


def five_hiaa(codes: list[tuple[str, str]]) -> list[Json]:
    series = [("2025-12-01", 5.0), ("2026-02-01", 8.0), ("2026-04-01", 12.0)]
    out = []
    for i, (day, value) in enumerate(series):
        o = obs(MASS, day, q(value, "mg/(24.h)"), rid=f"hiaa{i}")
        o["code"] = {"coding": [{"system": s, "code": c} for s, c in codes]}
        out.append(o)
    return out


def run(resources: list[Json], terminology: list[Path] | None = None) -> tuple[dict[str, CriterionResult], list[str]]:
    trials = load_trials(only=[TRIAL_E], terminology=terminology)
    data = PatientData("p", [patient(), *resources])
    result = evaluate_patient(data, trials, AS_OF)[0]
    found = {n.id: n for top in result.criteria for n in _walk(top)}
    return found, list(data.warnings)


def _walk(r: CriterionResult) -> list[CriterionResult]:
    return [r, *(n for k in r.children for n in _walk(k))]


def test_a_result_coded_with_both_5hiaa_variants_is_5hiaa() -> None:
    found, warnings = run(five_hiaa([(LOINC, MASS), (LOINC, MOLES)]))
    assert found["characteristic[2].2.1.2"].result is Result.PASS  # was unknown: "two different tests"
    assert found["characteristic[2].2.1.3"].result is Result.PASS
    assert found["E-I3.biochemical"].result is Result.PASS
    assert not any("different tests" in w for w in warnings)


def test_one_variant_alone_decides_only_its_own_leaf_as_before() -> None:
    found, _ = run(five_hiaa([(LOINC, MASS)]))
    assert found["characteristic[2].2.1.2"].result is Result.PASS
    # no 14573-0 result: no series of that marker (the rising-series method's "no rise", unchanged)
    assert found["characteristic[2].2.1.3"].result is Result.FAIL


def _cmap(tmp_path: Path, name: str, code: str, target: str) -> Path:
    path = tmp_path / f"{name}.json"
    group = {
        "source": SITE,
        "target": LOINC,
        "element": [{"code": code, "target": [{"code": target, "equivalence": "equivalent"}]}],
    }
    cm = {"resourceType": "ConceptMap", "url": f"http://hosp.example/cm/{name}", "status": "active", "group": [group]}
    path.write_text(json.dumps(cm))
    return path


def test_site_codes_mapped_to_the_two_variants_are_one_analyte(tmp_path: Path) -> None:
    """A site's mass code and molar code, each mapped to its LOINC variant, on one result: 5-HIAA; and one
    site code mapped to both variants is no map to "two different tests"."""
    maps = [_cmap(tmp_path, "m", "HIAA-M", MASS), _cmap(tmp_path, "u", "HIAA-U", MOLES)]
    found, warnings = run(five_hiaa([(SITE, "HIAA-M"), (SITE, "HIAA-U")]), maps)
    assert found["characteristic[2].2.1.2"].result is Result.PASS
    assert not any("different tests" in w for w in warnings)
    both = [_cmap(tmp_path, "a", "HIAA", MASS), _cmap(tmp_path, "b", "HIAA", MOLES)]
    site = SiteTerminology.read(both)
    assert not any("different tests" in why for _f, _w, why in site.redefinitions(load_trials(only=[TRIAL_E])))


def test_alt_and_ast_stay_two_tests() -> None:
    tests = Analytes(load_trials())
    alt, ast = (LOINC, "1742-6"), (LOINC, "1920-8")
    assert tests.conflict(frozenset({alt, ast})) is not None
    assert tests.conflict(frozenset({(LOINC, MASS), (LOINC, MOLES)})) is None
    hb: set[Code] = {(LOINC, "718-7"), (LOINC, "59260-0")}
    assert tests.conflict(frozenset(hb)) is None
