"""Real-site terminology, twentieth review: codings that contradict each other, maps that change meaning.

Trial C (NCT04837885), T0 = 2026-06-01, on sample 10 (Hb 80 g/L, platelets 210, ALT 28 and AST 25 U/L on
2026-05-20, inside C-I6/C-I7's 28 days). Hand-worked: C-I6-alt-ast needs ALT and AST <= 2.5 x ULN. A result
coded both ALT and AST (or ALT and a site code mapped to AST) names two tests, which FHIR does not allow
for one ``code``: it proves neither, so C-I6-alt-ast is unknown (not a pass on the ALT's 30 U/L read as
the AST) and the Observation is named in a warning.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from fhir_eligibility.codes import SNOMED, expression_foci
from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.errors import DefinitionError
from fhir_eligibility.evaluation.results import CriterionResult, Result
from fhir_eligibility.pipeline import evaluate_patient
from fhir_eligibility.record import PatientData
from fhir_eligibility.terminology.site import SiteTerminology
from tests.cases.builders import AS_OF

Json = dict[str, Any]
ROOT = Path(__file__).resolve().parents[2]
TRIAL_C = "NCT04837885"
LAB = "http://hosp.example/lab"
LOINC = "http://loinc.org"
ALT, AST, HB = "1742-6", "1920-8", "718-7"


def sample(name: str) -> list[Json]:
    bundle = json.loads(next((ROOT / "sample_bundles").glob(f"{name}-*.json")).read_text())
    return [copy.deepcopy(e["resource"]) for e in bundle["entry"]]


def coded(resources: list[Json], code: str) -> Json:
    return next(r for r in resources if any(c.get("code") == code for c in (r.get("code") or {}).get("coding") or []))


def cmap(tmp_path: Path, name: str, source: str, code: str, targets: list[Json], target: str = LOINC) -> Path:
    path = tmp_path / f"{name}.json"
    group = {"source": source, "target": target, "element": [{"code": code, "target": targets}]}
    cm = {"resourceType": "ConceptMap", "url": f"http://hosp.example/cm/{name}", "status": "active", "group": [group]}
    path.write_text(json.dumps(cm))
    return path


def run(resources: list[Json], terminology: list[Path] | None = None) -> tuple[dict[str, CriterionResult], list[str]]:
    trials = load_trials(only=[TRIAL_C], terminology=terminology)
    data = PatientData("sample-10", resources)
    result = evaluate_patient(data, trials, AS_OF)[0]
    found = {n.id: n for top in result.criteria for n in _walk(top)}
    return found, list(data.warnings)


def _walk(r: CriterionResult) -> list[CriterionResult]:
    return [r, *(n for k in r.children for n in _walk(k))]


def alt_coded_also(resources: list[Json], system: str, code: str) -> Json:
    """Sample 10 without its AST result, and its ALT result (30 U/L) also coded ``system|code``."""
    resources.remove(coded(resources, AST))
    alt = coded(resources, ALT)
    alt["code"]["coding"].append({"system": system, "code": code})
    alt["valueQuantity"]["value"] = 30
    return alt


# ---- 1. one result coded as two tests proves neither --------------------------------------------------


def test_a_result_coded_alt_and_a_site_code_mapped_to_ast_proves_neither(tmp_path: Path) -> None:
    resources = sample("10")
    alt = alt_coded_also(resources, LAB, "ASTX")
    terminology = [cmap(tmp_path, "astx", LAB, "ASTX", [{"code": AST, "equivalence": "equivalent"}])]
    found, warnings = run(resources, terminology)
    assert found["C-I6-alt-ast"].result is Result.UNKNOWN  # was pass, the ALT's value read as the AST
    assert any(f"Observation/{alt['id']}" in w and "different tests" in w for w in warnings)


def test_a_result_coded_with_two_loinc_tests_proves_neither() -> None:
    resources = sample("10")
    alt_coded_also(resources, LOINC, AST)
    found, warnings = run(resources)
    assert found["C-I6-alt-ast"].result is Result.UNKNOWN
    assert any("different tests" in w for w in warnings)


def test_hb_coded_also_as_a_site_platelet_code_is_neither(tmp_path: Path) -> None:
    """Hb 120 g/L also coded PLT (mapped to platelets 777-3): it had been saved only by the unit check."""
    resources = sample("10")
    coded(resources, HB)["code"]["coding"].append({"system": LAB, "code": "PLT"})
    terminology = [cmap(tmp_path, "plt", LAB, "PLT", [{"code": "777-3", "equivalence": "equivalent"}])]
    found, _ = run(resources, terminology)
    assert found["C-I7-hb"].result is Result.UNKNOWN
    assert not any("PLT" in (e.note or "") for e in found["C-I7-plt"].evidence)


def test_a_loinc_code_with_the_site_code_mapped_to_it_is_one_test(tmp_path: Path) -> None:
    resources = sample("10")
    coded(resources, AST)["code"]["coding"].append({"system": LAB, "code": "ASTX"})
    terminology = [cmap(tmp_path, "astx", LAB, "ASTX", [{"code": AST, "equivalence": "equivalent"}])]
    found, warnings = run(resources, terminology)
    assert found["C-I6-alt-ast"].result is Result.PASS
    assert not any("different tests" in w for w in warnings)


# ---- 2. validate refuses a map that makes one code two tests --------------------------------------------


def problems(paths: list[Path]) -> list[str]:
    site = SiteTerminology.read(paths)
    return [why for _f, _w, why in [*site.problems, *site.redefinitions(load_trials(only=[TRIAL_C]))]]


def test_one_site_code_mapped_to_alt_and_ast_is_an_error(tmp_path: Path) -> None:
    both = [{"code": ALT, "equivalence": "equivalent"}, {"code": AST, "equivalence": "equivalent"}]
    assert any("two different tests" in p for p in problems([cmap(tmp_path, "trans", LAB, "TRANS", both)]))
    apart = [
        cmap(tmp_path, "a", LAB, "TRANS", [{"code": ALT, "equivalence": "equivalent"}]),
        cmap(tmp_path, "b", LAB, "TRANS", [{"code": AST, "relationship": "equivalent"}]),
    ]
    assert any("two different tests" in p for p in problems(apart))
    with pytest.raises(DefinitionError, match="two different tests"):
        load_trials(only=[TRIAL_C], terminology=apart)


def test_a_loinc_code_mapped_to_another_loinc_code_is_an_error(tmp_path: Path) -> None:
    """Total protein 2885-2 'equivalent' to albumin 1751-7: two LOINC codes are two tests by definition."""
    path = cmap(tmp_path, "tp", LOINC, "2885-2", [{"code": "1751-7", "equivalence": "equivalent"}])
    assert any("two LOINC codes" in p for p in problems([path]))
    same = cmap(tmp_path, "same", LOINC, HB, [{"code": HB, "equivalence": "equivalent"}])
    assert problems([same]) == []


# ---- 3. a pregnancy test coded both Negative and Positive is neither ---------------------------------------


@pytest.mark.parametrize("selected", [False, True])
def test_a_test_coded_negative_and_positive_is_unknown(selected: bool) -> None:
    """Sample 36's serum hCG (2026-05-30, inside C-E9's window) coded LA6577-6 Negative and SNOMED CT
    10828004 Positive: it had read as Positive (C-E9 fail, ineligible); ``userSelected`` on one changes nothing
    (it says which coding a person picked, not that the other is wrong)."""
    resources = sample("36")
    hcg = coded(resources, "2118-8")
    hcg["valueCodeableConcept"] = {
        "coding": [
            {"system": LOINC, "code": "LA6577-6"},
            {"system": "http://snomed.info/sct", "code": "10828004", "userSelected": selected},
        ]
    }
    found, _ = run(resources)
    assert found["C-E9"].result is Result.UNKNOWN


# ---- 5. a target that says two things, and noMap with a target ---------------------------------------------


@pytest.mark.parametrize(
    ("r4", "r5"), [("narrower", "equivalent"), ("equivalent", "not-related-to"), ("wider", "equivalent")]
)
def test_equivalence_and_relationship_that_disagree_are_an_error(tmp_path: Path, r4: str, r5: str) -> None:
    """R4's word and R5's both given, saying different things: which the site meant cannot be told (the R5 one
    had won silently, so an HGB 'narrower' also marked 'equivalent' counted)."""
    path = cmap(tmp_path, "hgb", LAB, "HGB", [{"code": HB, "equivalence": r4, "relationship": r5}])
    assert any("disagree" in p for p in problems([path]))


def test_equivalence_and_relationship_that_agree_are_read(tmp_path: Path) -> None:
    target = {"code": HB, "equivalence": "wider", "relationship": "source-is-narrower-than-target"}
    site = SiteTerminology.read([cmap(tmp_path, "hgb", LAB, "HGB", [target])])
    assert site.problems == [] and [m.target for m in site.mappings] == [(LOINC, HB)]


def test_no_map_with_a_target_is_an_error(tmp_path: Path) -> None:
    path = cmap(tmp_path, "hgb", LAB, "HGB", [{"code": HB, "equivalence": "equivalent"}])
    cm = json.loads(path.read_text())
    cm["group"][0]["element"][0]["noMap"] = True
    path.write_text(json.dumps(cm))
    site = SiteTerminology.read([path])
    assert any("noMap" in why for _f, _w, why in site.problems) and site.mappings == []


# ---- 4. a post-coordinated SNOMED CT expression is uncertain for its focus --------------------------------


def test_a_condition_coded_as_a_snomed_expression_is_uncertain_for_its_focus() -> None:
    """E-E6 excludes brain metastases (vs-brain-mets holds SNOMED CT 94225005). A Condition coded
    ``94225005:{363698007=12738006}`` (its site refined) had read as "none recorded": E-E6 passed."""
    trials = load_trials(only=["NCT01842165"])
    bm = {
        "resourceType": "Condition",
        "id": "bm",
        "clinicalStatus": {"coding": [{"code": "active"}]},
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "94225005:{363698007=12738006}"}]},
        "onsetDateTime": "2026-03-01",
    }
    data = PatientData("sample-10", [*sample("10"), bm])
    result = evaluate_patient(data, trials, AS_OF)[0]
    assert next(c for c in result.criteria if c.id == "E-E6").result is Result.UNKNOWN
    assert any("Condition/bm" in w and "expression" in w for w in data.warnings)


def test_expression_foci() -> None:
    assert expression_foci(frozenset({(SNOMED, "94225005 |Brain mets| : {363698007=12738006}")})) == {
        (SNOMED, "94225005")
    }
    assert expression_foci(frozenset({(SNOMED, "1+2222222:{1=2}")})) == {(SNOMED, "2222222")}
    assert expression_foci(frozenset({(SNOMED, "<<94225005"), (SNOMED, "94225005")})) == frozenset()


def test_an_icd10_cm_code_under_the_who_system_is_uncertain() -> None:
    """C79.31 (brain metastases) exists only in ICD-10-CM; written under WHO ICD-10 it had read as none
    (E-E6 pass). Named the wrong system or a national code: which cannot be told, so E-E6 is unknown."""
    trials = load_trials(only=["NCT01842165"])
    bm = {
        "resourceType": "Condition",
        "id": "bm",
        "clinicalStatus": {"coding": [{"code": "active"}]},
        "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10", "code": "C79.31"}]},
        "onsetDateTime": "2026-03-01",
    }
    data = PatientData("sample-10", [*sample("10"), bm])
    result = evaluate_patient(data, trials, AS_OF)[0]
    assert next(c for c in result.criteria if c.id == "E-E6").result is Result.UNKNOWN
    assert any("Condition/bm" in w and "ICD-10-CM" in w for w in data.warnings)
