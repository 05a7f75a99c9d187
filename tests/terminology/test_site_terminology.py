"""Site terminology (issue 13): a hospital's ConceptMap makes its local measured-GFR code count for
trial E's GFR criterion, exactly like the trial's own code, in evaluate, screen and serve.

Hand-worked: NCT01842165 E-I6 reads "GFR >= 50 mL/min/1.73 m2 by 51Cr-EDTA" in [T0-28 d, T0]; with
T0 = 2026-06-01, a result of 62 mL/min/{1.73_m2} on 2026-05-22 (T0-10 d) passes, 42 fails, and with
no readable result in the window the criterion is unknown ("no result in window").
"""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

import pytest

from fhir_eligibility.codes import PROJECT_CS
from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.criteria.model import CodeMapping, Trial
from fhir_eligibility.criteria.parse import Parser
from fhir_eligibility.errors import DefinitionError, InputError
from fhir_eligibility.evaluation.results import CriterionResult, Result
from fhir_eligibility.pipeline import evaluate_patient
from fhir_eligibility.record import PatientData
from fhir_eligibility.requirements.plan import plan
from fhir_eligibility.service.app import Service
from fhir_eligibility.service.config import load as load_config
from fhir_eligibility.terminology.site import SiteTerminology
from tests.cases.builders import AS_OF, SCT, UCUM, lab, obs, patient, window
from tests.test_cli import MINI, cli

Json = dict[str, Any]
LOCAL = "http://hospital.example.org/codes/lab"
MAP_URL = "http://hospital.example.org/fhir/ConceptMap/lab-to-trials"
TRIAL_E = "NCT01842165"
GFR_UNIT = "mL/min/{1.73_m2}"


def local_obs(value: float, date: str = "2026-05-22", code: str = "MGFR-51CR", rid: str = "gfr1") -> Json:
    return {
        "resourceType": "Observation",
        "id": rid,
        "status": "final",
        "code": {"coding": [{"system": LOCAL, "code": code, "display": "Measured GFR 51Cr-EDTA plasma clearance"}]},
        "effectiveDateTime": date,
        "subject": {"reference": "Patient/p"},
        "valueQuantity": {"value": value, "system": UCUM, "code": GFR_UNIT, "unit": "mL/min/1.73m2"},
    }


def concept_map(relation: str = "equivalent", key: str = "equivalence", code: str = "MGFR-51CR") -> Json:
    """R4 (``equivalence``) or R5 (``relationship``) map of the local code to the trial's GFR concept."""
    return {
        "resourceType": "ConceptMap",
        "url": MAP_URL,
        "status": "active",
        "group": [
            {
                "source": LOCAL,
                "target": PROJECT_CS,
                "element": [{"code": code, "target": [{"code": "mgfr-51cr-edta", key: relation}]}],
            }
        ],
    }


def write(path: Path, resource: Json) -> Path:
    path.write_text(json.dumps(resource))
    return path


def bundle(*resources: Json) -> Json:
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in resources]}


def find(criteria: tuple[CriterionResult, ...], cid: str) -> CriterionResult:
    return next(c for c in criteria if c.id == cid)


def e_i6(resources: list[Json], terminology: list[Path] | None) -> CriterionResult:
    trials = load_trials(only=[TRIAL_E], terminology=terminology)
    result = evaluate_patient(PatientData("p", [patient(), *resources]), trials, AS_OF)[0]
    return find(result.criteria, "E-I6")


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


@pytest.mark.parametrize(
    "bad",
    [
        {"resourceType": "ConceptMap", "group": {"source": "x"}},
        {"resourceType": "ConceptMap", "group": "x"},
        {"resourceType": "ConceptMap", "group": [None]},
        {"resourceType": "ConceptMap", "group": [{"source": "x", "element": ["A"]}]},
        {"resourceType": "ConceptMap", "group": [{"source": "x", "element": [{"code": "A", "target": {"code": "B"}}]}]},
        {"resourceType": "ConceptMap", "group": [{"source": "x", "element": [{"code": "A", "target": [None]}]}]},
        {"resourceType": "ConceptMap", "group": [{"element": [{"code": "A", "target": [{"equivalence": ["x"]}]}]}]},
        {"resourceType": "ValueSet", "url": "http://example.org/ValueSet/vs-net", "compose": {"include": {}}},
        {
            "resourceType": "ValueSet",
            "url": "http://example.org/ValueSet/vs-net",
            "compose": {"include": [{"concept": ["A"]}]},
        },
    ],
)
def test_a_malformed_terminology_file_is_one_line_never_a_traceback(tmp_path: Path, bad: dict[str, Any]) -> None:
    with pytest.raises(DefinitionError):
        load_trials([MINI], terminology=[write(tmp_path / "t.json", bad)])


def test_a_terminology_bundle_whose_entry_is_not_a_list_is_one_line(tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"Bundle\.entry is not a list"):
        load_trials([MINI], terminology=[write(tmp_path / "b.json", {"resourceType": "Bundle", "entry": "abc"})])


# ---- bad terminology files -------------------------------------------------------------------------


def test_bad_terminology_is_one_line_exit_2_or_1(tmp_path: Path) -> None:
    with pytest.raises(InputError):
        load_trials([MINI], terminology=[tmp_path / "missing.json"])
    (tmp_path / "bad.json").write_text("{not json")
    with pytest.raises(InputError):
        load_trials([MINI], terminology=[tmp_path / "bad.json"])
    with pytest.raises(InputError, match="not terminology"):
        load_trials([MINI], terminology=[write(tmp_path / "p.json", patient())])
    with pytest.raises(DefinitionError, match="equivalence/relationship 'same'"):
        load_trials([MINI], terminology=[write(tmp_path / "cm.json", concept_map("same"))])
    unknown_vs = {
        "resourceType": "ValueSet",
        "url": "http://example.org/ValueSet/nope",
        "status": "active",
        "compose": {"include": [{"system": "http://hospital.example.org/codes/dx", "concept": [{"code": "X"}]}]},
    }
    with pytest.raises(DefinitionError, match="not a value set of the definitions"):
        load_trials([MINI], terminology=[write(tmp_path / "vs.json", unknown_vs)])

    out = cli(
        "evaluate", str(MINI / "patient.json"), "--definitions", str(MINI), "--terminology", str(tmp_path / "bad.json")
    )
    assert out.returncode == 2 and len(out.stderr.strip().splitlines()) == 1 and "Traceback" not in out.stderr
    out = cli("validate", str(MINI), "--terminology", str(tmp_path / "cm.json"))
    assert out.returncode == 1 and "ConceptMap.group[0].element[0].target[0]" in out.stdout
    out = cli("validate", str(MINI), "--terminology", str(tmp_path / "vs.json"))
    assert out.returncode == 1 and "ValueSet.url" in out.stdout
    out = cli(
        "evaluate", str(MINI / "patient.json"), "--definitions", str(MINI), "--terminology", str(tmp_path / "cm.json")
    )
    assert out.returncode == 1 and len(out.stderr.strip().splitlines()) == 1


# ---- the same answer through every entry point ------------------------------------------------------


def test_evaluate_and_screen_agree_with_the_terminology(tmp_path: Path) -> None:
    data = write(tmp_path / "p.json", bundle(patient(), local_obs(62)))
    cm = write(tmp_path / "cm.json", concept_map())
    common = ["--trial", TRIAL_E, "--as-of", AS_OF.isoformat(), "--format", "json", "--terminology", str(cm)]
    ev = cli("evaluate", str(data), *common)
    assert ev.returncode == 0, ev.stderr
    result = json.loads(ev.stdout)["results"][0]
    i6 = next(c for c in result["criteria"] if c["id"] == "E-I6")
    assert i6["result"] == "pass"
    assert i6["evidence"][0]["mappedBy"] == MAP_URL and i6["evidence"][0]["code"] == f"{LOCAL}|MGFR-51CR"
    sc = cli("screen", str(data), *common, "--workers", "1")
    assert sc.returncode == 0, sc.stderr
    trial = json.loads(sc.stdout)["trials"][0]
    funnel = next(f for f in trial["funnel"] if f["criterion"] == "E-I6")
    assert funnel["pass"] == 1 and funnel["unknown"] == 0
    assert trial["counts"][result["verdict"]] == 1  # the same verdict as evaluate


def test_serve_config_terminology_key(tmp_path: Path) -> None:
    write(tmp_path / "cm.json", concept_map())
    cfg = tmp_path / "cds.toml"
    cfg.write_text(f'terminology = ["cm.json"]\ntrials = ["{TRIAL_E}"]\ninsecure_no_auth = true\n')
    config = load_config(cfg)
    assert config.terminology == (tmp_path / "cm.json",)
    service = Service(config)
    result = evaluate_patient(PatientData("p", [patient(), local_obs(62)]), service.trials, AS_OF, service.settings)
    assert find(result[0].criteria, "E-I6").result is Result.PASS


# ---- codes: what the site still has to map -----------------------------------------------------------


def test_codes_lists_the_unmapped_code_and_the_round_trip_makes_it_count(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    write(data / "p.json", bundle(patient(), local_obs(62, rid="a"), local_obs(58, date="2026-05-01", rid="b")))
    listed = cli("codes", str(data), "--trial", TRIAL_E, "--format", "json")
    assert listed.returncode == 0, listed.stderr
    (use,) = [u for u in json.loads(listed.stdout)["unreadCodes"]["Observation"] if u["code"] == "MGFR-51CR"]
    assert use["count"] == 2 and use["unit"] == GFR_UNIT
    best = use["suggestions"][0]
    assert best["target"] == {"system": PROJECT_CS, "code": "mgfr-51cr-edta", "display": best["target"]["display"]}
    assert f"{TRIAL_E} E-I6" in best["criteria"] and best["unitCompatible"]
    table = cli("codes", str(data), "--trial", TRIAL_E)
    assert "MGFR-51CR" in table.stdout and "E-I6" in table.stdout

    draft = cli("codes", str(data), "--trial", TRIAL_E, "--format", "conceptmap")
    cm = json.loads(draft.stdout)
    assert cm["status"] == "draft"
    targets = [t for g in cm["group"] for e in g["element"] for t in e["target"]]
    assert {t["equivalence"] for t in targets} <= {"relatedto", "inexact"}
    as_drafted = write(tmp_path / "draft.json", cm)
    assert e_i6([local_obs(62)], [as_drafted]).result is Result.UNKNOWN  # suggestions count for nothing

    edited = copy.deepcopy(cm)
    for g in edited["group"]:
        for e in g["element"]:
            for t in e["target"]:
                if e["code"] == "MGFR-51CR" and t["code"] == "mgfr-51cr-edta":
                    t["equivalence"] = "equivalent"
    reviewed = write(tmp_path / "reviewed.json", edited)
    assert e_i6([local_obs(62)], [reviewed]).result is Result.PASS
    again = cli("codes", str(data), "--trial", TRIAL_E, "--format", "json", "--terminology", str(reviewed))
    assert "MGFR-51CR" not in again.stdout  # read now: no longer listed


def test_codes_streams_ndjson(tmp_path: Path) -> None:
    nd = tmp_path / "Observation.ndjson"
    nd.write_text("\n".join(json.dumps(local_obs(60, rid=f"o{i}")) for i in range(3)) + "\nnot json\n")
    out = cli("codes", str(nd), "--trial", TRIAL_E, "--format", "json")
    data = json.loads(out.stdout)
    assert data["unreadCodes"]["Observation"][0]["count"] == 3 and any("line 4" in w for w in data["warnings"])


REALDATA = Path(__file__).resolve().parents[2].parent / "shared" / "realdata" / "synthea"


@pytest.mark.skipif(not REALDATA.is_dir(), reason="../shared/realdata/synthea is not present")
def test_codes_on_synthea_and_its_draft_is_valid_terminology(tmp_path: Path) -> None:
    out = cli("codes", str(REALDATA), "--format", "json")
    assert out.returncode == 0, out.stderr
    unread = json.loads(out.stdout)["unreadCodes"]
    assert "Condition" in unread and all(u["count"] >= 1 for us in unread.values() for u in us)
    draft = cli("codes", str(REALDATA), "--format", "conceptmap", "-o", str(tmp_path / "draft.json"))
    assert draft.returncode == 0, draft.stderr
    checked = cli("validate", "--terminology", str(tmp_path / "draft.json"))
    assert checked.returncode == 0, checked.stdout


def test_server_searches_and_cds_prefetch_ask_for_the_mapped_code(tmp_path: Path) -> None:

    cm = write(tmp_path / "cm.json", concept_map())
    wanted = (LOCAL, "MGFR-51CR")
    with_map = plan(load_trials(only=[TRIAL_E], terminology=[cm]), AS_OF)
    assert any(r.resource_type == "Observation" and wanted in r.codes for r in with_map)
    assert not any(wanted in r.codes for r in plan(load_trials(only=[TRIAL_E]), AS_OF))


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
