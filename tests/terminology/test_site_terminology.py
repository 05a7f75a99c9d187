"""Site terminology (issue 13): a hospital's ConceptMap makes its local measured-GFR code count for
trial E's GFR criterion exactly like the trial's own code, and a site ValueSet adds its codes to the
trial's value set (the fixtures and the hand-worked E-I6: tests/terminology/site_files.py).

Bad files: test_site_bad_files.py; the entry points (evaluate, screen, serve, server searches):
test_site_entry_points.py; the ``codes`` command: test_site_codes.py.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from fhir_eligibility.codes import PROJECT_CS
from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.criteria.model import CodeMapping, Trial
from fhir_eligibility.criteria.parse import Parser
from fhir_eligibility.errors import DefinitionError
from fhir_eligibility.evaluation.results import CriterionResult, Result
from fhir_eligibility.pipeline import evaluate_patient
from fhir_eligibility.record import PatientData
from fhir_eligibility.requirements.plan import plan
from fhir_eligibility.terminology.site import SiteTerminology
from tests.cases.builders import AS_OF, SCT, UCUM, lab, obs, patient, window
from tests.terminology.site_files import (
    LOCAL,
    MAP_URL,
    TRIAL_E,
    Json,
    bundle,
    concept_map,
    e_i6,
    find,
    local_obs,
    write,
)
from tests.test_cli import MINI

# ---- the mapping counts like the trial's own code ------------------------------------------------


def test_mapped_local_gfr_is_read_and_the_evidence_names_the_map(tmp_path: Path) -> None:
    cm = write(tmp_path / "cm.json", concept_map())
    res = e_i6([local_obs(62)], [cm])
    assert res.result is Result.PASS, res.reason
    (ev,) = res.evidence
    assert ev.reference == "Observation/gfr1" and ev.value == 62 and ev.date == "2026-05-22"
    assert ev.code == f"{LOCAL}|MGFR-51CR" and ev.mapped_to == f"{PROJECT_CS}|mgfr-51cr-edta"
    assert ev.mapped_by == MAP_URL and ev.note and "MGFR-51CR" in ev.note
    assert e_i6([local_obs(42)], [cm]).result is Result.FAIL  # 42 < 50
    assert e_i6([local_obs(62, date="2026-04-01")], [cm]).result is Result.UNKNOWN  # T0-61 d: outside


def test_without_the_map_or_with_an_unmapped_code_nothing_is_read(tmp_path: Path) -> None:
    cm = write(tmp_path / "cm.json", concept_map())
    none = e_i6([local_obs(62)], None)
    assert none.result is Result.UNKNOWN and "no result in window" in none.reason
    other = e_i6([local_obs(62, code="EGFR-LOCAL")], [cm])
    assert other.result is Result.UNKNOWN and not other.evidence


@pytest.mark.parametrize(
    ("key", "relation", "counts"),
    [
        ("equivalence", "equivalent", True),
        ("equivalence", "equal", True),
        ("equivalence", "wider", True),  # the target is wider: the local code is a kind of it
        ("equivalence", "subsumes", True),
        ("equivalence", "narrower", False),  # the local code may mean more than the concept
        ("equivalence", "specializes", False),
        ("equivalence", "relatedto", False),  # a suggestion (codes --format conceptmap)
        ("equivalence", "inexact", False),
        ("equivalence", "disjoint", False),
        ("relationship", "equivalent", True),  # R5
        ("relationship", "source-is-narrower-than-target", True),
        ("relationship", "source-is-broader-than-target", False),
        ("relationship", "related-to", False),
        ("relationship", "not-related-to", False),
    ],
)
def test_which_relationships_count(tmp_path: Path, key: str, relation: str, counts: bool) -> None:
    cm = write(tmp_path / "cm.json", concept_map(relation, key))
    assert e_i6([local_obs(62)], [cm]).result is (Result.PASS if counts else Result.UNKNOWN)


def test_a_bundle_or_folder_of_terminology(tmp_path: Path) -> None:
    folder = tmp_path / "site"
    folder.mkdir()
    write(folder / "maps.json", bundle(concept_map()))
    assert e_i6([local_obs(62)], [folder]).result is Result.PASS


# an ileal NET under the site's own diagnosis code
LOCAL_NET = {
    "resourceType": "Condition",
    "id": "c1",
    "subject": {"reference": "Patient/p"},
    "code": {"coding": [{"system": "http://hospital.example.org/codes/dx", "code": "NET-ILE"}]},
    "clinicalStatus": {"coding": [{"code": "active"}]},
}


def test_site_value_set_adds_includes_to_the_trial_value_set(tmp_path: Path) -> None:
    """The mini trial's "net" criterion: a Condition in http://example.org/ValueSet/vs-net (closed world)."""
    site_vs = {
        "resourceType": "ValueSet",
        "url": "http://example.org/ValueSet/vs-net",
        "status": "active",
        "compose": {"include": [{"system": "http://hospital.example.org/codes/dx", "concept": [{"code": "NET-ILE"}]}]},
    }
    vs = write(tmp_path / "vs.json", site_vs)
    data = PatientData("p", [patient(), LOCAL_NET])
    with_vs = evaluate_patient(data, load_trials([MINI], terminology=[vs]), AS_OF)[0]
    without = evaluate_patient(data, load_trials([MINI]), AS_OF)[0]
    assert find(with_vs.criteria, "net").result is Result.PASS
    assert find(without.criteria, "net").result is Result.FAIL  # no Condition in the value set: none recorded


def test_a_site_value_set_given_as_its_expansion_counts_too(tmp_path: Path) -> None:
    """What a terminology server's $expand returns (expansion.contains, nested or not) is read as the
    compose would be; it was ignored without a word, the local code then a closed-world fail."""
    site_vs = {
        "resourceType": "ValueSet",
        "url": "http://example.org/ValueSet/vs-net",
        "status": "active",
        "expansion": {
            "timestamp": "2026-05-01T00:00:00Z",
            "contains": [
                {
                    "system": "http://hospital.example.org/codes/dx",
                    "code": "NET",
                    "abstract": True,
                    "contains": [{"system": "http://hospital.example.org/codes/dx", "code": "NET-ILE"}],
                },
            ],
        },
    }
    trials = load_trials([MINI], terminology=[write(tmp_path / "vs.json", site_vs)])
    result = evaluate_patient(PatientData("p", [patient(), LOCAL_NET]), trials, AS_OF)[0]
    assert find(result.criteria, "net").result is Result.PASS
    empty = {"resourceType": "ValueSet", "url": "http://example.org/ValueSet/vs-net", "compose": []}
    with pytest.raises(DefinitionError, match="no concept"):
        load_trials([MINI], terminology=[write(tmp_path / "empty.json", empty)])


def test_a_mapped_site_creatinine_feeds_cockcroft_gault(tmp_path: Path) -> None:
    """NCT04837885 C-I6-crcl: creatinine clearance >= 50 mL/min in [T0-28 d, T0]. Woman, 66 on T0 (born
    1960-01-01), 70 kg: Cockcroft-Gault (140-66) x 70 / (72 x 0.9) x 0.85 = 67.9 mL/min with a serum
    creatinine of 0.9 mg/dL (pass); 30.6 with 2.0 mg/dL (fail); no creatinine the formula can read: unknown."""
    cm = concept_map()
    cm["group"][0]["target"] = "http://loinc.org"
    cm["group"][0]["element"] = [{"code": "CREA-S", "target": [{"code": "2160-0", "equivalence": "equivalent"}]}]
    path = write(tmp_path / "cm.json", cm)
    weight = {
        "resourceType": "Observation",
        "id": "w",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "29463-7"}]},
        "effectiveDateTime": "2026-05-25",
        "subject": {"reference": "Patient/p"},
        "valueQuantity": {"value": 70, "system": UCUM, "code": "kg", "unit": "kg"},
    }

    def crea(value: float) -> Json:
        o = local_obs(value, date="2026-05-25", code="CREA-S", rid="crea")
        o["valueQuantity"] = {"value": value, "system": UCUM, "code": "mg/dL", "unit": "mg/dL"}
        return o

    def crcl(resources: list[Json], terminology: list[Path] | None) -> CriterionResult:
        trials = load_trials(only=["NCT04837885"], terminology=terminology)
        result = evaluate_patient(PatientData("p", [patient(), weight, *resources]), trials, AS_OF)[0]
        return find(result.criteria, "C-I6-crcl")

    ok = crcl([crea(0.9)], [path])
    assert ok.result is Result.PASS, ok.reason
    assert any(e.mapped_by == MAP_URL and e.reference == "Observation/crea" for e in ok.evidence)
    assert crcl([crea(2.0)], [path]).result is Result.FAIL
    assert crcl([crea(0.9)], None).result is Result.UNKNOWN

    assert any((LOCAL, "CREA-S") in r.codes for r in plan(load_trials(only=["NCT04837885"], terminology=[path]), AS_OF))


def test_a_mapped_coded_result_counts_as_the_trials_value() -> None:
    """ "Qualitative hCG (LOINC 2106-3) negative (SNOMED 260385009)" in [T0-28 d, T0]: the site reports
    its own result code NEG; mapped equivalent to 260385009 it passes; unmapped, it is an answer no
    known answer list holds: unknown (terminology/answers.py), not a positive test's fail."""

    ch = {
        "linkId": "neg",
        "definitionByTypeAndValue": lab(
            ["2106-3"], valueCodeableConcept={"coding": [{"system": SCT, "code": "260385009"}]}
        ),
        "timeFromEvent": window(-28),
    }
    result = obs("2106-3", "2026-05-30", valueCodeableConcept={"coding": [{"system": LOCAL, "code": "NEG"}]}, rid="hcg")
    trial = Trial("NCT0", "t", (Parser(lambda _r: None).characteristic(ch, "c0"),))
    site = SiteTerminology([CodeMapping((LOCAL, "NEG"), (SCT, "260385009"), MAP_URL, "equivalent")])
    data = PatientData("p", [patient(), result])
    mapped = evaluate_patient(data, site.apply([trial]), AS_OF)[0].criteria[0]
    assert mapped.result is Result.PASS and mapped.evidence[0].mapped_by == MAP_URL
    assert evaluate_patient(data, [trial], AS_OF)[0].criteria[0].result is Result.UNKNOWN


def test_a_site_value_set_extending_a_part_extends_the_unions_that_include_it(tmp_path: Path) -> None:
    """Adversarial review: a site's local chemotherapy code added to vs-chemo reached vs-chemo only;
    the criteria read unions (vs-anticancer-nonsurgical for E-E3, vs-systemic-net-therapy...), which
    were flattened copies: a local capecitabine 12 days before T0 passed E-E3. The unions now include
    their parts (compose.include.valueSet), so the site's code reaches every union holding vs-chemo."""
    local = "http://hospital.example.org/codes/oncology-drugs"
    site_vs = {
        "resourceType": "ValueSet",
        "url": "http://fhir-eligibility.org/fhir/ValueSet/vs-chemo",
        "status": "active",
        "compose": {"include": [{"system": local, "concept": [{"code": "CAPE-500"}]}]},
    }
    given = {
        "resourceType": "MedicationAdministration",
        "id": "cape1",
        "status": "completed",
        "subject": {"reference": "Patient/p"},
        "medicationCodeableConcept": {"coding": [{"system": local, "code": "CAPE-500"}]},
        "effectiveDateTime": "2026-05-20",
    }
    data = PatientData("p", [patient(), given])
    with_vs = evaluate_patient(
        data, load_trials(only=[TRIAL_E], terminology=[write(tmp_path / "vs.json", site_vs)]), AS_OF
    )[0]
    without = evaluate_patient(data, load_trials(only=[TRIAL_E]), AS_OF)[0]
    assert find(with_vs.criteria, "E-E3").result is Result.FAIL  # anticancer therapy within 12 weeks
    assert find(without.criteria, "E-E3").result is Result.MANUAL  # the local code alone is nothing: a person asks


# a site's haemoglobin code mapped to LOINC 718-7
HB_TO_LOINC = {
    "resourceType": "ConceptMap",
    "url": "http://hospital.example.org/fhir/ConceptMap/lab-to-loinc",
    "status": "active",
    "group": [
        {
            "source": LOCAL,
            "target": "http://loinc.org",
            "element": [{"code": "HGB", "target": [{"code": "718-7", "equivalence": "equivalent"}]}],
        }
    ],
}


@pytest.mark.parametrize(
    ("value", "unit", "expected"),
    [
        (7.5, "mmol/L", Result.PASS),  # 7.5 mmol/L of haemoglobin (monomer) is about 121 g/L >= 80
        (4.0, "mmol/L", Result.FAIL),  # about 64 g/L
        (85, "g/dL", Result.UNKNOWN),  # 850 g/L: no haemoglobin is that high, a data error (under 718-7 too)
        (9.1, "g/dL", Result.PASS),
    ],
)
def test_a_mapped_local_lab_is_read_as_its_target_analyte(
    tmp_path: Path, value: float, unit: str, expected: Result
) -> None:
    """Adversarial review: a site haemoglobin code mapped to LOINC 718-7 matched B-I8, but what the
    result is (its analyte: molar mass, plausible range) was read from LOINC codes only: 7.5 mmol/L was
    "not convertible" (undetermined) and a mistyped 85 g/dL passed as 850 g/L. It reads as 718-7 does."""
    hb = {
        "resourceType": "Observation",
        "id": "hb1",
        "status": "final",
        "code": {"coding": [{"system": LOCAL, "code": "HGB"}]},
        "effectiveDateTime": "2026-05-22",
        "subject": {"reference": "Patient/p"},
        "valueQuantity": {"value": value, "system": UCUM, "code": unit, "unit": unit},
    }
    trials = load_trials(only=["NCT05773274"], terminology=[write(tmp_path / "cm.json", HB_TO_LOINC)])
    result = evaluate_patient(PatientData("p", [patient(), hb]), trials, AS_OF)[0]
    b_i8 = find(result.criteria, "B-I8")
    assert b_i8.result is expected, b_i8.reason
    if expected is not Result.UNKNOWN:
        (ev,) = b_i8.evidence
        assert ev.code == f"{LOCAL}|HGB" and ev.mapped_to == "http://loinc.org|718-7"


def test_a_mapped_site_code_on_a_component_is_read_as_its_target(tmp_path: Path) -> None:
    """Second review: the data-level mapping rewrote Observation.code only, so a local haemoglobin
    given as a component of a local panel (mapped to 718-7) was no longer read (the record-level
    mapping before it had read it). 7.5 mmol/L of haemoglobin is about 121 g/L >= 80: B-I8 passes."""
    panel = {
        "resourceType": "Observation",
        "id": "cbc1",
        "status": "final",
        "code": {"coding": [{"system": LOCAL, "code": "CBC"}]},
        "effectiveDateTime": "2026-05-22",
        "subject": {"reference": "Patient/p"},
        "component": [
            {
                "code": {"coding": [{"system": LOCAL, "code": "HGB"}]},
                "valueQuantity": {"value": 7.5, "system": UCUM, "code": "mmol/L", "unit": "mmol/L"},
            }
        ],
    }
    trials = load_trials(only=["NCT05773274"], terminology=[write(tmp_path / "cm.json", HB_TO_LOINC)])
    result = evaluate_patient(PatientData("p", [patient(), panel]), trials, AS_OF)[0]
    b_i8 = find(result.criteria, "B-I8")
    assert b_i8.result is Result.PASS, b_i8.reason
