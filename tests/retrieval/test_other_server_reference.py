"""A reference to another server's Patient with the same id is not this Bundle's patient.

An adversarial review: in a Bundle whose Patient is https://ehr.example.org/fhir/Patient/sample-01,
an Hb of 6 g/dL naming https://other-hospital.example.net/fhir/Patient/sample-01 counted as sample 01's
(A-I11-hb, Hb > 8 g/dL: fail; three trials ineligible, no warning). Another hospital's patient 'sample-01'
is someone else: the record is not read, with a warning, and the criterion it would have decided is
unknown (a record of someone could not be placed), never a fail on someone else's value.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from tests.retrieval.test_input_review import every_path, resources

OURS = "https://ehr.example.org/fhir"
THEIRS = "https://other-hospital.example.net/fhir"
HB = ("Patient/sample-01", "NCT04954820", "A-I11-hb")


def _bundle(tmp_path: Path, subject_base: str) -> Path:
    items: list[dict[str, Any]] = resources("sample-01")
    entries = [{"fullUrl": f"{OURS}/{r['resourceType']}/{r['id']}", "resource": r} for r in items]
    low = {
        "resourceType": "Observation",
        "id": "hb-low",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "718-7"}]},
        "subject": {"reference": f"{subject_base}/Patient/sample-01"},
        "effectiveDateTime": "2026-05-30",
        "valueQuantity": {"value": 6, "unit": "g/dL", "system": "http://unitsofmeasure.org", "code": "g/dL"},
    }
    entries.append({"fullUrl": f"{OURS}/Observation/hb-low", "resource": low})
    path = tmp_path / f"{subject_base.split('//')[1].split('.')[0]}.json"
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries}))
    return path


def test_another_servers_patient_with_the_same_id_is_someone_else(tmp_path: Path) -> None:
    ours, _w = every_path([_bundle(tmp_path, OURS)], tmp_path)  # evaluate, streamed JSON, screen agree
    assert ours[HB] == "fail"  # the patient's own Hb of 6 g/dL on 2026-05-30: the most recent
    theirs, warnings = every_path([_bundle(tmp_path, THEIRS)], tmp_path)
    assert theirs[HB] == "unknown"
    assert any("hb-low" in w and "not resolvable" in w for w in warnings), warnings
