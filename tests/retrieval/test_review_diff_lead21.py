"""What a review of the twenty-first pass's own changes found, each worked out by hand (sample 01,
as of 2026-06-01, whose NET is coded ICD-10-CM C7A.012).

1. A saved Condition search filtered by ``code=`` is no whole record, whatever the case of its link's
   relation: ``"Self"`` is ``"self"`` (RFC 8288 §2.1.1). Before, ``"Self"`` made the search read as the
   whole record: E-I2 "metastatic disease coded: none recorded" failed (ineligible). Expected: the
   Conditions are partial, E-I2 unknown.
2. A subject ``type`` that is no string (``["Patient"]``) crashed the run (an unhashable list). Expected:
   the record is left out with a warning (its reference says no type it can be sure of).
3. A batch DELETE of one old version (``Patient/sample-01/_history/1``, R5 delete-history-version)
   removed the whole patient ("no patient data found", exit 2). Expected: the record stays, evaluated.
4. An ALT of 250 with unit code ``U/L`` (no system) and text ``IU/L`` was set aside as "different
   units"; for an enzyme they are one unit. Expected: 250 / ULN 40 = 6.25 x ULN > 5: E-I8 fails.
5. The newest ALT/AST, a result contained in a report coded as ALT and AST at once (05-28; the clean
   ones are of 05-20), decided both (the marking of a result coded as two tests reached top-level
   Observations only). Expected: as a top-level one, set aside as an invalid newest value: unknown.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
from pathlib import Path
from typing import Any

from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.pipeline import evaluate_patient
from fhir_eligibility.retrieval.files import read_patients

ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_bundles" / "01-prrt-ileal-net-baseline.json"
AS_OF = dt.date(2026, 6, 1)
E = "NCT01842165"
LOINC = "http://loinc.org"


def _resources() -> list[dict[str, Any]]:
    """Sample 01's resources, each naming the patient ``Patient/sample-01`` (the sample's own references
    are urn:uuid ones its Bundle resolves)."""
    out = []
    for e in json.loads(SAMPLE.read_text())["entry"]:
        r = e["resource"]
        for key in ("subject", "patient"):
            if isinstance(r.get(key), dict):
                r[key] = {"reference": "Patient/sample-01"}
        out.append(r)
    return out


def _bundle(resources: list[dict[str, Any]]) -> dict[str, Any]:
    return {"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in resources]}


def _results(path: Path, trial: str = E) -> tuple[dict[str, str], list[str]]:
    patients, warnings = read_patients([path])
    (data,) = patients
    (result,) = evaluate_patient(data, [t for t in load_trials() if t.id == trial], AS_OF, Settings(horizon_days=0))
    return {c.id: c.result.value for c in result.criteria}, [*warnings, *data.warnings]


def _codes(r: dict[str, Any]) -> set[str]:
    return {c.get("code") for c in (r.get("code") or {}).get("coding") or []}


def test_a_capitalised_self_link_is_still_a_filtered_search(tmp_path: Path) -> None:
    by_type: dict[str, list[dict[str, Any]]] = {}
    for r in _resources():
        by_type.setdefault(r["resourceType"], []).append(r)
    for kind, found in by_type.items():
        query = f"{kind}?patient=sample-01" + (
            "&code=http://hl7.org/fhir/sid/icd-10-cm|C7A.012" if kind == "Condition" else ""
        )
        if kind == "Condition":
            found = [r for r in found if "C7A.012" in _codes(r)]
        page = {
            "resourceType": "Bundle",
            "type": "searchset",
            "total": len(found),
            "link": [{"relation": "Self", "url": f"http://ehr.example.org/fhir/{query}"}],
            "entry": [{"fullUrl": f"http://ehr.example.org/fhir/{kind}/{r['id']}", "resource": r} for r in found],
        }
        (tmp_path / f"{kind}.json").write_text(json.dumps(page))
    got, _ = _results(tmp_path)
    assert got["E-I2"] == "unknown"


def test_a_subject_type_that_is_a_list_is_a_warning_not_a_crash(tmp_path: Path) -> None:
    resources = _resources()
    hb = next(r for r in resources if "718-7" in _codes(r))
    odd = copy.deepcopy(hb)
    odd["id"] = "hb-odd"
    odd["subject"] = {**odd["subject"], "type": ["Patient"]}
    (tmp_path / "p.json").write_text(json.dumps(_bundle([*resources, odd])))
    got, warnings = _results(tmp_path)
    assert got  # evaluated
    assert any("Observation/hb-odd" in w for w in warnings), warnings


def test_deleting_one_old_version_keeps_the_record(tmp_path: Path) -> None:
    (tmp_path / "p.json").write_text(json.dumps(_bundle(_resources())))
    purge = {"method": "DELETE", "url": "Patient/sample-01/_history/1"}
    (tmp_path / "purge.json").write_text(
        json.dumps({"resourceType": "Bundle", "type": "batch", "entry": [{"request": purge}]})
    )
    got, _ = _results(tmp_path)
    assert got["E-I2"] in ("pass", "unknown")  # evaluated: the patient was not removed


def _with_alt(resources: list[dict[str, Any]], alt: dict[str, Any]) -> list[dict[str, Any]]:
    return [r for r in resources if "1742-6" not in _codes(r)] + [alt]


def test_u_per_l_and_iu_per_l_are_one_unit_for_an_enzyme(tmp_path: Path) -> None:
    resources = _resources()
    alt = copy.deepcopy(next(r for r in resources if "1742-6" in _codes(r)))
    alt["valueQuantity"] = {"value": 250, "unit": "IU/L", "code": "U/L"}
    alt["referenceRange"] = [{"high": {"value": 40, "unit": "IU/L", "code": "U/L"}}]
    (tmp_path / "p.json").write_text(json.dumps(_bundle(_with_alt(resources, alt))))
    got, _ = _results(tmp_path)
    assert got["E-I8-transaminases"] == "fail"


def test_a_contained_result_coded_as_two_tests_decides_neither(tmp_path: Path) -> None:
    resources = _resources()
    alt = copy.deepcopy(next(r for r in resources if "1742-6" in _codes(r)))
    date = "2026-05-28T08:30:00+00:00"  # newer than the sample's clean ALT and AST (05-20)
    alt["effectiveDateTime"] = date
    both = {
        **{k: v for k, v in alt.items() if k not in ("subject", "id")},
        "id": "both",
        "code": {"coding": [{"system": LOINC, "code": "1742-6"}, {"system": LOINC, "code": "1920-8"}]},
        "valueQuantity": {"value": 30, "unit": "U/L", "system": "http://unitsofmeasure.org", "code": "U/L"},
    }
    report = {
        "resourceType": "DiagnosticReport",
        "id": "panel",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "24325-3"}]},
        "subject": {"reference": "Patient/sample-01"},
        "effectiveDateTime": date,
        "contained": [both],
        "result": [{"reference": "#both"}],
    }
    (tmp_path / "p.json").write_text(json.dumps(_bundle([*resources, report])))
    got, _ = _results(tmp_path)
    assert got["E-I8-transaminases"] == "unknown"
