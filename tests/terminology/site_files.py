"""Site-terminology test fixtures: a hospital's measured-GFR code, its ConceptMap to trial E's GFR
concept, and files written from them; shared by the site-terminology tests (test_site_*.py).

Hand-worked: NCT01842165 E-I6 reads "GFR >= 50 mL/min/1.73 m2 by 51Cr-EDTA" in [T0-28 d, T0]; with
T0 = 2026-06-01, a result of 62 mL/min/{1.73_m2} on 2026-05-22 (T0-10 d) passes, 42 fails, and with
no readable result in the window the criterion is unknown ("no result in window").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from fhir_eligibility.codes import PROJECT_CS
from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.evaluation.results import CriterionResult
from fhir_eligibility.pipeline import evaluate_patient
from fhir_eligibility.record import PatientData
from tests.cases.builders import AS_OF, UCUM, patient

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
