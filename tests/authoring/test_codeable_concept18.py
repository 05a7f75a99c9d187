"""definitionCodeableConcept reads the records a drug criterion reads: an active MedicationStatement of
everolimus (ATC L01EG02) is a recorded everolimus, so the exclusion fails (by hand: the statement runs
2026-01-01 to 2026-05-15, before the screening date 2026-06-01), never "none recorded" and a pass; an order
alone is read as the typed drug criterion reads it (unknown).
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
ATC = "http://www.whocc.no/atc"
FT = "http://hl7.org/fhir/fhir-types"
AS_OF = ("--as-of", "2026-06-01", "--format", "json")


STATEMENT = {"status": "active", "effectivePeriod": {"start": "2026-01-01", "end": "2026-05-15"}}
ORDER = {"status": "active", "intent": "order", "authoredOn": "2026-05-01"}


@pytest.mark.parametrize(
    ("rtype", "extra", "expected"),
    # an order alone is no proof it was taken: unknown (as the typed criterion reads it), never "none recorded"
    [("MedicationStatement", STATEMENT, "fail"), ("MedicationRequest", ORDER, "unknown")],
)
def test_codeable_concept_drug_exclusion_reads_statements_and_orders(
    tmp_path: Path, rtype: str, extra: dict[str, object], expected: str
) -> None:
    defs = tmp_path / "defs"
    defs.mkdir()
    chs = [
        {
            "linkId": "cc-evero",
            "description": "prior everolimus",
            "exclude": True,
            "definitionCodeableConcept": {"coding": [{"system": ATC, "code": "L01EG02"}]},
        },
        {
            "linkId": "tv-evero",
            "description": "prior everolimus tv",
            "exclude": True,
            "definitionByTypeAndValue": {
                "type": {"coding": [{"system": FT, "code": "MedicationAdministration"}]},
                "valueCodeableConcept": {"coding": [{"system": ATC, "code": "L01EG02"}]},
            },
        },
    ]
    ev = {"resourceType": "EvidenceVariable", "id": "ev", "status": "active", "characteristic": chs}
    rs = {
        "resourceType": "ResearchStudy",
        "id": "NCT99000018",
        "status": "active",
        "identifier": [{"system": "https://clinicaltrials.gov", "value": "NCT99000018"}],
        "recruitment": {"eligibility": {"reference": "EvidenceVariable/ev"}},
    }
    (defs / "ev.json").write_text(json.dumps(ev))
    (defs / "rs.json").write_text(json.dumps(rs))
    med = {"resourceType": rtype, "id": "m1", "subject": {"reference": "Patient/p1"}} | extra
    med["medicationCodeableConcept"] = {"coding": [{"system": ATC, "code": "L01EG02"}]}
    patient = {"resourceType": "Patient", "id": "p1", "birthDate": "1960-01-01", "gender": "male"}
    bundle = {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": patient}, {"resource": med}]}
    f = tmp_path / "p1.json"
    f.write_text(json.dumps(bundle))
    r = subprocess.run(
        [sys.executable, "-m", "fhir_eligibility", "evaluate", str(f), "--definitions", str(defs), *AS_OF],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )
    assert r.returncode == 0, r.stderr
    (result,) = json.loads(r.stdout)["results"]
    got = {c["id"]: c["result"] for c in result["criteria"]}
    assert got["cc-evero"] == got["tv-evero"] == expected, got
