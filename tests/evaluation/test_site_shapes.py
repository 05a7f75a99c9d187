"""Data shapes real sites send, found by an adversarial review, each a one-line change to sample 01.

Sample 01 (tests/expected_verdicts.md): four Lutathera cycles in 2023 (a first course, ended), Hb
13.2 g/dL on 2026-05-20, lanreotide; with every manual item assumed attested it is eligible for
A (NCT04954820), B (NCT05773274), C (NCT04837885) and E (NCT01842165). Worked out by hand:

- a 2023 dose left ``in-progress`` (an administration given as a dateTime) was begun on its day and
  over within days (an infusion), not running to the screening date: E-E3 and A-I4 pass; B-I5 (other
  therapy after the first course's last cycle) cannot tell the dose's own last days from therapy after
  it: unknown, never fail; it still counts as a cycle (A-I3, C-I3 pass);
- two versions of one Observation with no ``meta``: the later ``issued`` (an amended 13.2 g/dL
  issued after a final 7.0) is the current one (clinical.md §0.3: ties broken by latest issued);
- an everolimus MedicationStatement dated by one day: taken then, for how long not recorded, so
  B-I3b (everolimus taken for more than 31 days: excluded) is unknown, not a 1-day pass (§1.6);
- ATC written in lower case (``v10xx04``) is the same code: the four cycles count (A-I3, C-I3);
- ICD-10-CM under its publisher's URL, ICD-10-GM under the German profiles' URLs, are ICD-10 codes.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

from fhir_eligibility.codes import ICD10, ICD10CM, norm_code
from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.pipeline import evaluate_patient
from fhir_eligibility.retrieval.files import read_patients
from fhir_eligibility.retrieval.versions import choose_patient

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_bundles" / "01-prrt-ileal-net-baseline.json"
AS_OF = dt.date(2026, 6, 1)
TRIALS = load_trials(None, None)
ATTESTED = Settings(assume_attested=True)
A, B, C, E = "NCT04954820", "NCT05773274", "NCT04837885", "NCT01842165"


def _base() -> list[dict[str, Any]]:
    (p,) = read_patients([SAMPLE])[0]
    return copy.deepcopy(p.resources)


def _results(resources: list[dict[str, Any]]) -> dict[tuple[str, str], str]:
    from fhir_eligibility.record import PatientData

    out = {}
    for r in evaluate_patient(PatientData("sample-01", resources), TRIALS, AS_OF, ATTESTED):
        out.update({(r.trial, c.id): c.result.value for c in r.criteria})
        out[(r.trial, "verdict")] = r.verdict.value
    return out


def _doses(resources: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return [r for r in resources if r["resourceType"] == "MedicationAdministration"]


def test_the_sample_as_built() -> None:
    got = _results(_base())
    assert [got[(t, "verdict")] for t in (A, B, C, E)] == ["eligible"] * 4


def test_a_dose_left_in_progress_is_no_exposure_to_today() -> None:
    resources = _base()
    _doses(resources)[-1]["status"] = "in-progress"
    got = _results(resources)
    assert (got[(E, "E-E3")], got[(A, "A-I4")], got[(B, "B-I5")]) == ("pass", "pass", "unknown")
    assert (got[(A, "A-I3")], got[(C, "C-I3")]) == ("pass", "pass")
    assert [got[(t, "verdict")] for t in (A, B, C, E)] == ["eligible", "undetermined", "eligible", "eligible"]


def test_an_amended_result_issued_later_is_the_current_version() -> None:
    resources = _base()
    hb = next(r for r in resources if r["resourceType"] == "Observation" and "718-7" in json.dumps(r["code"]))
    hb.pop("meta", None)
    amended = {**hb, "status": "amended", "issued": "2026-05-21T09:00:00+00:00"}
    wrong = {**hb, "status": "final", "issued": "2026-05-20T12:00:00+00:00"}
    wrong["valueQuantity"] = {**hb["valueQuantity"], "value": 7.0}
    resources = [r for r in resources if r is not hb] + [amended, wrong]  # the wrong one last in the input
    assert choose_patient([amended, wrong]) == (amended, True)
    got = _results(resources)
    assert got[(A, "A-I11-hb")] == "pass"
    assert got[(A, "verdict")] == "eligible"


def test_a_statement_dated_by_one_day_says_nothing_of_how_long() -> None:
    resources = _base()
    subject = next(r for r in resources if r["resourceType"] == "Condition")["subject"]
    resources.append(
        {
            "resourceType": "MedicationStatement",
            "id": "everolimus",
            "status": "completed",
            "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "L01EG02"}]},
            "subject": subject,
            "effectiveDateTime": "2022-01-10",
        }
    )
    got = _results(resources)
    assert got[(B, "B-I3b")] == "unknown"
    assert got[(B, "verdict")] == "undetermined"


def test_an_atc_code_in_lower_case_is_the_same_code() -> None:
    resources = _base()
    for dose in _doses(resources):
        for coding in dose["medicationCodeableConcept"]["coding"]:
            if coding["code"] == "V10XX04":
                coding["code"] = "v10xx04"
        dose["medicationCodeableConcept"]["coding"] = [
            c for c in dose["medicationCodeableConcept"]["coding"] if "whocc" in c["system"]
        ]
    got = _results(resources)
    assert (got[(A, "A-I3")], got[(C, "C-I3")]) == ("pass", "pass")


def test_icd10_publisher_and_modification_urls() -> None:
    assert norm_code("http://www.cdc.gov/nchs/icd/icd10cm", "c7a.012") == (ICD10CM, "C7A012")
    assert norm_code("https://www.cdc.gov/nchs/icd/icd10cm", "C7A.012") == (ICD10CM, "C7A012")
    assert norm_code("http://fhir.de/CodeSystem/bfarm/icd-10-gm", "I21.4") == (ICD10, "I214")
    assert norm_code("http://fhir.de/CodeSystem/dimdi/icd-10-gm", "C17.2") == (ICD10, "C172")


def _sample(name: str) -> list[dict[str, Any]]:
    (p,) = read_patients([ROOT / "sample_bundles" / name])[0]
    return copy.deepcopy(p.resources)


def _results_of(pid: str, resources: list[dict[str, Any]]) -> dict[tuple[str, str], str]:
    from fhir_eligibility.record import PatientData

    out = {}
    for r in evaluate_patient(PatientData(pid, resources), TRIALS, AS_OF, ATTESTED):
        out.update({(r.trial, c.id): c.result.value for c in r.criteria})
    return out


def test_a_pregnancy_test_answered_in_words() -> None:
    """Sample 39: a woman of childbearing potential with a negative urine hCG on 2026-05-31, inside
    A-I12's [T0 - 4 d, T0] (clinical.md: A-I12 reads serum or urine hCG). Written as text by an HL7 v2
    feed: "Negative" is the negative answer, "Positive" the positive one, other text says nothing."""
    base = _sample("39-wocbp-urine-hcg-only.json")
    pid = next(r["id"] for r in base if r["resourceType"] == "Patient")

    def a_i12(value: dict[str, Any]) -> str:
        resources = copy.deepcopy(base)
        hcg = next(r for r in resources if r["resourceType"] == "Observation" and "2106-3" in json.dumps(r["code"]))
        hcg.pop("valueCodeableConcept")
        hcg.update(value)
        return _results_of(pid, resources)[(A, "A-I12")]

    assert _results_of(pid, base)[(A, "A-I12")] == "pass"
    assert a_i12({"valueString": "Negative"}) == "pass"
    assert a_i12({"valueString": " NEG. "}) == "pass"
    assert a_i12({"valueString": "Positive"}) == "fail"
    assert a_i12({"valueString": "see comment"}) == "unknown"


def test_a_result_about_someone_else_is_not_the_patients() -> None:
    """An Hb whose focus is another patient (a newborn's, a donor's): not the patient's value, and
    the patient's own may be missing: A-I11-hb unknown, not a pass on someone else's 13.2 g/dL."""
    resources = _base()
    hb = next(r for r in resources if r["resourceType"] == "Observation" and "718-7" in json.dumps(r["code"]))
    hb["focus"] = [{"reference": "Patient/newborn-1"}]
    got = _results(resources)
    assert got[(A, "A-I11-hb")] == "unknown"
    hb["focus"] = [{"reference": "https://ehr.example.org/fhir/Patient/fetus-1"}]
    assert _results(resources)[(A, "A-I11-hb")] == "unknown"
    hb["focus"] = [{"reference": "BodyStructure/tumour-1"}]  # a focus that is no person: still the patient's
    assert _results(resources)[(A, "A-I11-hb")] == "pass"
    hb["focus"] = [{"reference": "Patient/sample-01"}]  # the patient, written otherwise than its subject
    assert _results(resources)[(A, "A-I11-hb")] == "pass"


def test_lab_unit_spellings() -> None:
    """US and German lab spellings of units UCUM writes otherwise: Hb 13.2 gm/dL is 13.2 g/dL."""
    from fhir_eligibility.measures.units import conversion, ucum_code

    assert ucum_code(None, "gm/dL") == "g/dL"
    assert ucum_code(None, "K/mcL") == "10*3/uL"
    assert ucum_code(None, "Gpt/L") == "10*9/L"
    assert ucum_code(None, "/100{cells}") == "%"
    assert conversion("10*9/L", "10*3/uL") == (1.0, 0.0)
    resources = _base()
    hb = next(r for r in resources if r["resourceType"] == "Observation" and "718-7" in json.dumps(r["code"]))
    hb["valueQuantity"] = {"value": 13.2, "unit": "gm/dL"}
    assert _results(resources)[(A, "A-I11-hb")] == "pass"


def test_an_icd10_gm_diagnosis_ruled_out_or_suspected() -> None:
    """ICD-10-GM carries its certainty on the coding (German core profiles): A (ruled out) is no
    diagnosis, V (suspected) an unconfirmed one (clinical.md §0.7: refuted diagnoses do not count,
    unconfirmed ones are unknown). Sample 01 with a pancreatic NET (C25.4) coded this way: A-E4
    (pancreatic NET: excluded, clinical.md) fails only when it is confirmed or says nothing."""

    def a_e4(letter: str | None) -> str:
        resources = _base()
        subject = next(r for r in resources if r["resourceType"] == "Condition")["subject"]
        coding: dict[str, Any] = {"system": "http://fhir.de/CodeSystem/bfarm/icd-10-gm", "code": "C25.4"}
        if letter is not None:
            coding["extension"] = [
                {
                    "url": "http://fhir.de/StructureDefinition/icd-10-gm-diagnosesicherheit",
                    "valueCoding": {
                        "system": "https://fhir.kbv.de/CodeSystem/KBV_CS_SFHIR_ICD_DIAGNOSESICHERHEIT",
                        "code": letter,
                    },
                }
            ]
        resources.append(
            {
                "resourceType": "Condition",
                "id": "gm",
                "subject": subject,
                "code": {"coding": [coding]},
                "onsetDateTime": "2026-01-10",
            }
        )
        return _results(resources)[(A, "A-E4")]

    assert (a_e4(None), a_e4("G"), a_e4("A"), a_e4("V")) == ("fail", "fail", "pass", "unknown")


def test_an_unreadable_record_of_another_procedure_leaves_an_events_date_known() -> None:
    """Sample 75 (eligible for D: its liver resection D-I5 is the event D-I7 and D-I8 are timed from).
    An appendectomy from 2010 with a malformed coding is unreadable: its type is unavailable for its
    codes, which are not the resection's, so the resection's date still times D-I7 and D-I8."""
    resources = _sample("75-d-pancreatic-resected-eligible.json")
    pid = next(r["id"] for r in resources if r["resourceType"] == "Patient")
    subject = next(r for r in resources if r["resourceType"] == "Condition")["subject"]
    before = _results_of(pid, resources)
    resources.append(
        {
            "resourceType": "Procedure",
            "id": "appendectomy",
            "status": "completed",
            "code": {"coding": [{"system": "http://snomed.info/sct", "code": "80146002"}, "junk"]},
            "subject": subject,
            "performedDateTime": "2010-01-01",
        }
    )
    after = _results_of(pid, resources)
    assert (before[("NCT05987176", "D-I7")], before[("NCT05987176", "D-I8")]) == ("pass", "pass")
    assert (after[("NCT05987176", "D-I7")], after[("NCT05987176", "D-I8")]) == ("pass", "pass")


def test_a_liver_resection_in_icd10_pcs() -> None:
    """Sample 75's liver resection (SNOMED 107963000, D-I5 pass, D eligible) as a US inpatient record
    codes it, ICD-10-PCS 0FB00ZZ (excision of liver, open approach): the same resection. A diagnostic
    excision (0FB00ZX: a biopsy) is no resection: D-I5 fails (closed world: none recorded)."""
    resources = _sample("75-d-pancreatic-resected-eligible.json")
    pid = next(r["id"] for r in resources if r["resourceType"] == "Patient")
    resection = next(r for r in resources if r["resourceType"] == "Procedure" and "107963000" in json.dumps(r))
    pcs = "http://www.cms.gov/Medicare/Coding/ICD10"
    resection["code"] = {"coding": [{"system": pcs, "code": "0FB00ZZ", "display": "Excision of Liver, Open Approach"}]}
    got = _results_of(pid, resources)
    assert [got[("NCT05987176", c)] for c in ("D-I5", "D-I7", "D-I8")] == ["pass", "pass", "pass"]
    resection["code"] = {"coding": [{"system": pcs, "code": "0FB00ZX"}]}
    assert _results_of(pid, resources)[("NCT05987176", "D-I5")] == "fail"


def test_a_liver_metastasis_coded_by_its_body_site() -> None:
    """Sample 01's liver metastases coded as a generic secondary neoplasm (SNOMED 128462008) with
    bodySite liver (10200004): a liver metastasis, so C-I4 (liver metastases present) passes as with
    the pre-coordinated code; a generic secondary elsewhere (bone) is none."""
    resources = _base()
    mets = next(r for r in resources if r["resourceType"] == "Condition" and "94381002" in json.dumps(r))
    mets["code"] = {"coding": [{"system": "http://snomed.info/sct", "code": "128462008"}]}
    mets["bodySite"] = [{"coding": [{"system": "http://snomed.info/sct", "code": "10200004"}]}]
    assert _results(resources)[(C, "C-I4")] == "pass"
    mets["bodySite"] = [{"coding": [{"system": "http://snomed.info/sct", "code": "272673000"}]}]  # bone
    assert _results(resources)[(C, "C-I4")] == "fail"


def test_an_icd10_gm_liver_metastasis_status_post() -> None:
    """Sample 01's liver metastases coded in ICD-10-GM (C78.7) with no clinicalStatus: confirmed (G) or
    unqualified, C-I4 (liver metastases present) passes; Z (status post: resected, no longer present)
    is not active, A (ruled out) is none, so C-I4 fails; V (suspected) is unknown (clinical.md §0.7)."""

    def c_i4(letter: str | None) -> str:
        resources = _base()
        mets = next(r for r in resources if r["resourceType"] == "Condition" and "94381002" in json.dumps(r))
        coding: dict[str, Any] = {"system": "http://fhir.de/CodeSystem/bfarm/icd-10-gm", "code": "C78.7"}
        if letter is not None:
            url = "http://fhir.de/StructureDefinition/icd-10-gm-diagnosesicherheit"
            coding["extension"] = [{"url": url, "valueCoding": {"code": letter}}]
        mets["code"] = {"coding": [coding]}
        mets.pop("clinicalStatus", None)
        return _results(resources)[(C, "C-I4")]

    assert [c_i4(x) for x in (None, "G", "Z", "A", "V")] == ["pass", "pass", "fail", "fail", "unknown"]


def _ecog(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return next(r for r in resources if r["resourceType"] == "Observation" and "89247-1" in json.dumps(r["code"]))


def test_an_ecog_grade_charted_as_the_observation_s_code_is_its_score() -> None:
    """A clinical review: ECOG charted as the finding 'ECOG performance status grade 2' (SNOMED 422894000,
    verified in clinical.md §2.1) as the Observation's code, no value, read as no result (unknown). It is
    the score 2: A-I7 (0-2) passes, E-I9 (read as <= 1) fails."""
    resources = _base()
    ecog = _ecog(resources)
    ecog["code"] = {"coding": [{"system": "http://snomed.info/sct", "code": "422894000"}]}
    for key in [k for k in ecog if k.startswith("value")]:
        del ecog[key]
    got = _results(resources)
    assert got[(A, "A-I7")] == "pass" and got[(E, "E-I9")] == "fail"


def test_a_percentage_written_as_text_is_the_quantity() -> None:
    """Ki-67 from a pathology feed as valueString "15%" was 'a number written as text' (unknown). Its unit is
    in the text: 15 % meets A-I2's G1/G2 (Ki-67 <= 20 %), "25 %" does not; a range stays unread."""
    for text, expected in (("15%", "pass"), ("25 %", "fail"), ("15-20%", "unknown")):
        resources = _base()
        ki67 = next(r for r in resources if r["resourceType"] == "Observation" and "29593-1" in json.dumps(r))
        for key in [k for k in ki67 if k.startswith("value")]:
            del ki67[key]
        ki67["valueString"] = text
        assert _results(resources)[(A, "A-I2")] == expected, text


def test_a_viral_load_worded_target_not_detected_is_undetectable() -> None:
    """Sample 49 (HIV, viral load '<20' on 2026-03-10: B-I20 passes). Viral-load assays word a result below
    their detection limit 'Target not detected' (TND): as text, it is the not-detected answer, so B-I20
    still passes; an unreadable wording stays unknown."""
    base = _sample("49-hiv-undetectable-recent.json")
    pid = next(r["id"] for r in base if r["resourceType"] == "Patient")

    def b_i20(text: str) -> str:
        resources = copy.deepcopy(base)
        vl = next(r for r in resources if r["resourceType"] == "Observation" and "20447-9" in json.dumps(r["code"]))
        for key in [k for k in vl if k.startswith("value")]:
            del vl[key]
        vl["valueString"] = text
        return _results_of(pid, resources)[(B, "B-I20")]

    assert b_i20("Target not detected") == b_i20("TND") == b_i20("Undetectable") == "pass"
    assert b_i20("see report") == "unknown"
