"""The forms a subject reference takes: a version, a ``type`` that disagrees, a ``urn:uuid`` (helper 21).

Sample 01's own Hb of 6 g/dL on 2026-05-30 (the most recent) fails A-I11-hb (Hb > 8 g/dL) when it is
hers; when it cannot be placed, the criterion is unknown (a record of hers may be missing), never a
pass on the older values. Worked by hand, for ``evaluate``, streamed JSON and ``screen`` alike:

* ``Patient/sample-01/_history/4``: version 4 of her record, still her: fail;
* ``Patient/sample-01`` with ``"type": "Group"``: the reference says Patient, its type a Group (FHIR
  requires them to agree): which it means is unknown, so the Hb is not read as hers: unknown, with
  a warning. Before, ``type`` was ignored and the Hb decided "fail";
* ``urn:uuid:`` of her Patient entry's fullUrl: her: fail; a ``urn:uuid`` no entry carries: unknown,
  with a warning.

On the server path the same Group-typed record, returned by her Observation search, is not read as
hers either: Observation is unknown for her, with the warning.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
import responses

from fhir_eligibility.retrieval.server import ServerOptions, fetch_patients
from tests.retrieval.fake_fhir import BASE, FakeFhir, obs
from tests.retrieval.test_input_review import every_path, resources
from tests.retrieval.test_server_fetch import REQS, WORLD

HB = ("Patient/sample-01", "NCT04954820", "A-I11-hb")
UUID = "urn:uuid:7d3a3a52-2c1e-4a8e-9d5b-0f3c1e2d4a6b"


def _bundle(tmp_path: Path, subject: dict[str, Any]) -> Path:
    items: list[dict[str, Any]] = resources("sample-01")
    entries = [{"fullUrl": UUID, "resource": r} if r["resourceType"] == "Patient" else {"resource": r} for r in items]
    low = {
        "resourceType": "Observation",
        "id": "hb-low",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "718-7"}]},
        "subject": subject,
        "effectiveDateTime": "2026-05-30",
        "valueQuantity": {"value": 6, "unit": "g/dL", "system": "http://unitsofmeasure.org", "code": "g/dL"},
    }
    entries.append({"resource": low})
    path = tmp_path / "bundle.json"
    path.write_text(json.dumps({"resourceType": "Bundle", "type": "collection", "entry": entries}))
    return path


@pytest.mark.parametrize(
    ("subject", "expected", "warned"),
    [
        ({"reference": "Patient/sample-01"}, "fail", ""),
        ({"reference": "Patient/sample-01/_history/4"}, "fail", ""),
        ({"reference": "Patient/sample-01", "type": "Patient"}, "fail", ""),
        ({"reference": "Patient/sample-01", "type": "Group"}, "unknown", "its type is not Patient"),
        ({"reference": UUID}, "fail", ""),
        ({"reference": UUID, "type": "Patient"}, "fail", ""),
        ({"reference": "urn:uuid:00000000-0000-4000-8000-000000000000"}, "unknown", "not resolvable"),
    ],
    ids=["plain", "versioned", "typed", "type-disagrees", "uuid", "uuid-typed", "uuid-elsewhere"],
)
def test_a_subject_in_each_form(tmp_path: Path, subject: dict[str, Any], expected: str, warned: str) -> None:
    results, warnings = every_path([_bundle(tmp_path, subject)], tmp_path)
    assert results[HB] == expected
    if warned:
        assert any("hb-low" in w and warned in w for w in warnings), warnings


def test_a_type_that_disagrees_on_the_server(rsps: responses.RequestsMock) -> None:
    odd = {**obs("o9", "p1", "718-7", value=6.0), "subject": {"reference": "Patient/p1", "type": "Group"}}
    FakeFhir([*WORLD, odd]).install(rsps)  # its search by patient=p1 matches "Patient/p1"
    (data,) = fetch_patients(ServerOptions(BASE, use_env_token=False, retries=0), ["p1"], REQS)
    assert "o9" not in {r["id"] for r in data.resources}
    assert {u.resource_type for u in data.unavailable} == {"Observation"}
    assert any("o9" in w and "its type is not Patient" in w for w in data.warnings), data.warnings
