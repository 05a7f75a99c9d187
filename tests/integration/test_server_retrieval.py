"""Server retrieval against a real Medplum FHIR server on 127.0.0.1.

Two servers: the session ``fhir_server`` seeded with ``sample_bundles/*.json`` (shared with other
tests, so nothing is added to it), and a private Medplum instance for this module seeded with a
bundle built here, whose exact content the assertions compare against (paging, date bounds,
escaped codes, another patient's data that must not leak).
"""

from __future__ import annotations

import copy
import json
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import pytest
import requests

from fhir_eligibility.errors import RetrievalError
from fhir_eligibility.record import PatientData
from fhir_eligibility.requirements.model import DataRequirement
from fhir_eligibility.retrieval.server import FhirServer, ServerOptions, fetch_patients
from tests.integration.conftest import sample_bundle_paths
from tests.support.fhir_servers import seed, start_medplum

pytestmark = pytest.mark.integration

LOINC = "http://loinc.org"
SCT = "http://snomed.info/sct"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
HB = (LOINC, "718-7")
PLT = (LOINC, "777-3")
CREA = (LOINC, "2160-0")
# Token special characters that need escaping. Not '|' inside a code: Medplum 5.2.13 does not
# honour '\|' (the unit tests cover its rendering).
ODD = ("urn:fhir-eligibility:test", "a,b$c\\d")
NET = (SCT, "443492008")
DIABETES = (SCT, "44054006")
LUTATHERA = (RXNORM, "2049096")
ALB = (LOINC, "1751-7")
GLU = (LOINC, "2345-7")
SURGERY = (SCT, "387713003")
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"

CODE_ELEMENT = {
    "Observation": "code",
    "Condition": "code",
    "Procedure": "code",
    "DiagnosticReport": "code",
    "AllergyIntolerance": "code",
    "MedicationAdministration": "medicationCodeableConcept",
    "MedicationStatement": "medicationCodeableConcept",
}
# Searched without a code (the drug may be a medicationReference, which R4's ``code`` never matches):
# every record of the type comes, and the evaluator matches codes itself (issue 11).
EVERY_RECORD = {"MedicationAdministration", "MedicationStatement"}


# -- the private server and its data -----------------------------------------------------------


def _entry(resource: dict[str, Any]) -> dict[str, Any]:
    return {
        "fullUrl": f"urn:uuid:{uuid.uuid4()}",
        "resource": resource,
        "request": {"method": "POST", "url": resource["resourceType"]},
    }


def _obs(subject: str, code: tuple[str, str], day: str, value: float) -> dict[str, Any]:
    return {
        "resourceType": "Observation",
        "status": "final",
        "code": {"coding": [{"system": code[0], "code": code[1]}]},
        "subject": {"reference": subject},
        "effectiveDateTime": day,
        "valueQuantity": {
            "value": value,
            "unit": "g/dL",
            "system": "http://unitsofmeasure.org",
            "code": "g/dL",
        },
    }


def _cond(subject: str, code: tuple[str, str]) -> dict[str, Any]:
    return {
        "resourceType": "Condition",
        "code": {"coding": [{"system": code[0], "code": code[1]}]},
        "subject": {"reference": subject},
    }


def _own_bundle() -> dict[str, Any]:
    a = _entry({"resourceType": "Patient", "gender": "female", "birthDate": "1961-03-04"})
    b = _entry({"resourceType": "Patient", "gender": "male", "birthDate": "1950-01-01"})
    pa, pb = a["fullUrl"], b["fullUrl"]
    entries = [a, b]
    hb_days = ["2024-01-10", "2024-06-10", "2024-12-31", "2025-01-01", "2025-03-15", "2025-06-01"]
    entries += [_entry(_obs(pa, HB, d, 10.5 + i)) for i, d in enumerate(hb_days)]
    entries += [_entry(_obs(pa, PLT, d, 200.5)) for d in ("2025-02-01", "2025-05-01")]
    entries += [_entry(_obs(pa, CREA, "2025-05-01", 1.1)), _entry(_obs(pa, ODD, "2025-05-02", 1.5))]
    entries += [_entry(_cond(pa, NET)), _entry(_cond(pa, DIABETES))]
    entries.append(_entry(_drug(pa, "2024-09-01")))
    entries += [_entry(_obs(pb, HB, "2025-04-01", 9.5)), _entry(_cond(pb, NET))]  # must never leak
    return {"resourceType": "Bundle", "type": "transaction", "entry": [*entries, *_spelled_and_dated()]}


def _drug(subject: str, when: str) -> dict[str, Any]:
    return {
        "resourceType": "MedicationAdministration",
        "status": "completed",
        "medicationCodeableConcept": {"coding": [{"system": LUTATHERA[0], "code": LUTATHERA[1]}]},
        "subject": {"reference": subject},
        "effectiveDateTime": when,
    }


def _spelled_and_dated() -> list[dict[str, Any]]:
    """Patient C: records the evaluator counts that the searches used to miss (adversarial review): codes
    in other spellings of their system (the LOINC OID, https LOINC, a SNOMED CT edition URI, ICD-10-CM
    with a trailing slash), an Observation dated only by ``issued``, one and an infusion on 1 January
    local time east of UTC (31 December in UTC), an undated Procedure, and an infusion well before."""
    c = _entry({"resourceType": "Patient", "gender": "female", "birthDate": "1970-07-07"})
    pc = c["fullUrl"]
    issued = {k: v for k, v in _obs(pc, HB, "2025-03-01", 11.5).items() if k != "effectiveDateTime"}
    return [
        c,
        _entry(_obs(pc, ("urn:oid:2.16.840.1.113883.6.1", ALB[1]), "2025-05-01", 3.9)),
        _entry(_obs(pc, ("https://loinc.org", GLU[1]), "2025-05-01", 5.5)),
        _entry(_cond(pc, ("http://snomed.info/sct/731000124108/version/20240301", NET[1]))),
        _entry(_cond(pc, ("http://hl7.org/fhir/sid/icd-10-cm/", "C7A.012"))),
        _entry({**issued, "issued": "2025-03-01T10:00:00Z"}),
        _entry(_obs(pc, HB, "2025-01-01T00:30:00+02:00", 12.5)),
        _entry(
            {
                "resourceType": "Procedure",
                "status": "completed",
                "code": _concept(SURGERY),
                "subject": {"reference": pc},
            }
        ),
        _entry(_drug(pc, "2025-01-01T00:30:00+02:00")),
        _entry(_drug(pc, "2024-12-30")),  # before the window and the day's margin: the server may leave it out
    ]


def _concept(code: tuple[str, str]) -> dict[str, Any]:
    return {"coding": [{"system": code[0], "code": code[1]}]}


@dataclass
class Seeded:
    base_url: str
    bundle: dict[str, Any]
    ids: dict[str, str]  # fullUrl -> "Type/id" on the server

    def patient_id(self, index: int) -> str:
        return self.ids[self.bundle["entry"][index]["fullUrl"]].split("/")[1]

    def id_of(self, birth_date: str) -> str:
        """The server's id of the seeded Patient born on that day."""
        entries = self.bundle["entry"]
        return self.patient_id(next(i for i, e in enumerate(entries) if e["resource"].get("birthDate") == birth_date))


@pytest.fixture(scope="module")
def private_fhir() -> Iterator[Seeded]:
    server = start_medplum()
    try:
        bundle = _own_bundle()
        (response,) = seed(server.base_url, [bundle])
        locations = [str(e["response"]["location"]) for e in response["entry"]]
        ids = {
            e["fullUrl"]: "/".join(loc.split("/")[-4:-2] if "_history" in loc else loc.split("/")[-2:])
            for e, loc in zip(bundle["entry"], locations, strict=True)
        }
        yield Seeded(server.base_url, bundle, ids)
    finally:
        server.stop()


# -- comparison helpers ------------------------------------------------------------------------


def _codes(resource: dict[str, Any]) -> set[tuple[str, str]]:
    concept = resource.get(CODE_ELEMENT.get(resource["resourceType"], "code")) or {}
    concepts = [concept]
    if resource["resourceType"] == "Observation":  # searched by combo-code: components count too
        concepts += [comp.get("code") or {} for comp in resource.get("component", [])]
    return {(c.get("system", ""), c.get("code", "")) for k in concepts for c in k.get("coding", [])}


def _normalise(resource: dict[str, Any], types_by_full_url: dict[str, str]) -> str:
    """Content without server-assigned parts (id, meta, reference targets reduced to their type)."""

    def walk(node: Any) -> Any:
        if isinstance(node, dict):
            out = {}
            for key, value in node.items():
                if key in ("id", "meta"):
                    continue
                if key == "reference" and isinstance(value, str):
                    value = types_by_full_url.get(value) or re.sub(r"^(?:.*/)?([A-Z][A-Za-z]+)/[^/]+$", r"\1", value)
                out[key] = walk(value)
            return out
        if isinstance(node, list):
            return [walk(v) for v in node]
        if isinstance(node, float) and node.is_integer():  # the server is JavaScript: 5.0 comes back as 5
            return int(node)
        return node

    return json.dumps(walk(copy.deepcopy(resource)), sort_keys=True)


def _expected(bundle: dict[str, Any], patient_full_url: str, requirements: list[DataRequirement]) -> list[str]:
    types = {e.get("fullUrl", ""): e["resource"]["resourceType"] for e in bundle["entry"]}
    patient = next(e["resource"] for e in bundle["entry"] if e.get("fullUrl", "") == patient_full_url)
    patient_ref = f"Patient/{patient.get('id')}"
    out = []
    for e in bundle["entry"]:
        res = e["resource"]
        if e.get("fullUrl", "") == patient_full_url:
            out.append(_normalise(res, types))
            continue
        subject = (res.get("subject") or res.get("patient") or {}).get("reference")
        if subject not in (patient_full_url, patient_ref):
            continue
        for req in requirements:
            if req.resource_type != res["resourceType"]:
                continue
            if req.codes and res["resourceType"] not in EVERY_RECORD and not (req.codes & _codes(res)):
                continue
            out.append(_normalise(res, types))
            break
    return sorted(out)


def _got(data: PatientData, types_by_full_url: dict[str, str]) -> list[str]:
    return sorted(_normalise(r, types_by_full_url) for r in data.resources)


class Counter:
    """A Session whose requests are counted (method, path) by a response hook."""

    def __init__(self) -> None:
        self.session = requests.Session()
        self.calls: list[tuple[str, str]] = []
        self.session.hooks["response"].append(self._hook)

    def _hook(self, r: requests.Response, *args: Any, **kwargs: Any) -> None:
        self.calls.append((str(r.request.method), str(r.request.path_url).split("?")[0]))


REQS = [
    DataRequirement("Patient", criteria=frozenset({"age"})),
    DataRequirement("Observation", frozenset({HB}), None, frozenset({"hb"})),
    DataRequirement("Observation", frozenset({PLT, ODD}), None, frozenset({"plt"})),
    DataRequirement("Condition", frozenset({NET}), None, frozenset({"net"})),
    DataRequirement("MedicationAdministration", frozenset(), None, frozenset({"prior-prrt"})),
]


# -- tests on the private server ---------------------------------------------------------------


def test_fetch_returns_exactly_the_patients_resources_for_the_requested_codes(private_fhir: Seeded) -> None:
    pid = private_fhir.patient_id(0)
    (data,) = list(fetch_patients(ServerOptions(private_fhir.base_url), [pid], REQS))
    assert data.unavailable == () and data.warnings == []
    types = {e["fullUrl"]: e["resource"]["resourceType"] for e in private_fhir.bundle["entry"]}
    expected = _expected(private_fhir.bundle, private_fhir.bundle["entry"][0]["fullUrl"], REQS)
    assert len(expected) == 1 + 6 + 2 + 1 + 1 + 1  # patient, Hb, platelets, odd code, NET, Lu-177
    assert _got(data, types) == expected
    assert data.resources[0]["resourceType"] == "Patient" and data.resources[0]["id"] == pid


def test_batch_needs_at_most_two_requests_per_patient(private_fhir: Seeded) -> None:
    counter = Counter()
    pids = [private_fhir.patient_id(0), private_fhir.patient_id(1)]
    with FhirServer(ServerOptions(private_fhir.base_url), session=counter.session) as server:
        got = list(server.fetch_patients(pids, REQS))
    assert [d.patient_id for d in got] == pids
    assert counter.calls.count(("GET", "/metadata")) == 1
    assert sum(1 for m, _ in counter.calls if m == "POST") == len(pids)
    assert len(counter.calls) <= 2 * len(pids)
    other = {e["fullUrl"]: e["resource"]["resourceType"] for e in private_fhir.bundle["entry"]}
    assert len(_got(got[1], other)) == 1 + 1 + 1  # patient B, its Hb and its NET condition only


def test_single_patient_batch_is_two_requests(private_fhir: Seeded) -> None:
    counter = Counter()
    list(
        fetch_patients(
            ServerOptions(private_fhir.base_url), [private_fhir.patient_id(0)], REQS, session=counter.session
        )
    )
    assert counter.calls == [("GET", "/metadata"), ("POST", "/")]


@pytest.mark.parametrize("batch", ["auto", "never"])
def test_pagination_with_a_small_page_size(private_fhir: Seeded, batch: str) -> None:
    counter = Counter()
    options = ServerOptions(private_fhir.base_url, page_size=2, batch=batch)  # type: ignore[arg-type]
    reqs = [DataRequirement("Observation", frozenset({HB}))]
    (data,) = list(fetch_patients(options, [private_fhir.patient_id(0)], reqs, session=counter.session))
    observations = [r for r in data.resources if r["resourceType"] == "Observation"]
    assert len(observations) == 6 and len({r["id"] for r in observations}) == 6
    assert data.unavailable == ()
    assert counter.calls.count(("GET", "/Observation")) == (2 if batch == "auto" else 3)


def test_page_bound_on_a_real_server(private_fhir: Seeded) -> None:
    options = ServerOptions(private_fhir.base_url, page_size=2, max_pages=2)
    reqs = [DataRequirement("Observation", frozenset({HB}), criteria=frozenset({"hb"}))]
    (data,) = list(fetch_patients(options, [private_fhir.patient_id(0)], reqs))
    assert [(u.resource_type, u.codes, u.reason) for u in data.unavailable] == [
        ("Observation", frozenset({HB}), "more than 2 pages")
    ]


def test_no_date_bound_on_observations_the_evaluator_applies_the_window(private_fhir: Seeded) -> None:
    """The search sends no ``date=ge``: all six Hb results come, the evaluator applies the window (it used
    to be the server's, and dropped what the evaluator counts: the next test)."""
    reqs = [DataRequirement("Observation", frozenset({HB}), date(2025, 1, 1))]
    (data,) = list(fetch_patients(ServerOptions(private_fhir.base_url), [private_fhir.patient_id(0)], reqs))
    days = sorted(r["effectiveDateTime"] for r in data.resources if r["resourceType"] == "Observation")
    assert days == ["2024-01-10", "2024-06-10", "2024-12-31", "2025-01-01", "2025-03-15", "2025-06-01"]


@pytest.mark.parametrize("batch", ["auto", "never"])
def test_records_the_evaluator_counts_all_come_back(private_fhir: Seeded, batch: str) -> None:
    """Patient C (``_spelled_and_dated``), every requirement bounded at 1 January 2025 and coded as the
    definitions write the codes: every record of C comes back but the infusion of 30 December, which the
    MedicationAdministration bound (31 December: a day wider than the window) leaves out."""
    since = date(2025, 1, 1)
    reqs = [
        DataRequirement("Patient"),
        DataRequirement("Observation", frozenset({HB, ALB, GLU}), since, frozenset({"labs"})),
        DataRequirement("Condition", frozenset({NET, (ICD10CM, "C7A012")}), None, frozenset({"net"})),
        DataRequirement("Procedure", frozenset({SURGERY}), since, frozenset({"surgery"})),
        DataRequirement("MedicationAdministration", frozenset({LUTATHERA}), since, frozenset({"prrt"})),
    ]
    options = ServerOptions(private_fhir.base_url, batch=batch)  # type: ignore[arg-type]
    (data,) = list(fetch_patients(options, [private_fhir.id_of("1970-07-07")], reqs))
    assert data.unavailable == ()
    assert sorted(map(_what, data.resources)) == sorted(
        [
            ("Patient", "", ""),
            ("Observation", f"urn:oid:2.16.840.1.113883.6.1|{ALB[1]}", "2025-05-01"),
            ("Observation", f"https://loinc.org|{GLU[1]}", "2025-05-01"),
            ("Observation", f"{LOINC}|{HB[1]}", "2025-03-01"),  # issued only
            ("Observation", f"{LOINC}|{HB[1]}", "2025-01-01"),  # 31 December in UTC
            ("Condition", f"http://snomed.info/sct/731000124108/version/20240301|{NET[1]}", ""),
            ("Condition", "http://hl7.org/fhir/sid/icd-10-cm/|C7A.012", ""),
            ("Procedure", f"{SCT}|{SURGERY[1]}", ""),  # undated
            ("MedicationAdministration", f"{RXNORM}|{LUTATHERA[1]}", "2025-01-01"),
        ]
    )


def _what(resource: dict[str, Any]) -> tuple[str, str, str]:
    """(type, its first coding as ``system|code``, the day it is dated by)."""
    concept = resource.get("code") or resource.get("medicationCodeableConcept") or {}
    codings = [f"{c['system']}|{c['code']}" for c in concept.get("coding", [])]
    day = resource.get("effectiveDateTime") or resource.get("issued") or ""
    return resource["resourceType"], (codings or [""])[0], day[:10]


def test_unknown_patient_is_a_retrieval_error(private_fhir: Seeded) -> None:
    with pytest.raises(RetrievalError, match="not found"):
        list(fetch_patients(ServerOptions(private_fhir.base_url), [str(uuid.uuid4())], REQS))


# -- the shared session server seeded with sample_bundles ---------------------------------------


def _bundle_requirements(bundle: dict[str, Any]) -> list[DataRequirement]:
    """Every other code of each coded type in the bundle: some asked for, some not."""
    by_type: dict[str, set[tuple[str, str]]] = {}
    for e in bundle.get("entry", []):
        res = e.get("resource", {})
        if res.get("resourceType") in CODE_ELEMENT:
            by_type.setdefault(res["resourceType"], set()).update(_codes(res))
    reqs = [DataRequirement("Patient")]
    for rtype, codes in sorted(by_type.items()):
        chosen = frozenset(sorted(codes)[::2])
        if chosen:
            reqs.append(DataRequirement(rtype, chosen))
    return reqs


def _server_patient_id(base_url: str, patient: dict[str, Any]) -> str:
    """Find a seeded patient by content (ids are assigned by the server)."""
    found = requests.get(f"{base_url}/Patient", params={"_count": "500"}, timeout=30).json()
    want = _normalise(patient, {})
    matches = [e["resource"]["id"] for e in found.get("entry", []) if _normalise(e["resource"], {}) == want]
    assert matches, "sample patient not found on the server"
    return str(matches[0])


def test_sample_bundles_round_trip_through_the_server(fhir_server: str) -> None:
    paths: list[Path] = sample_bundle_paths()
    for path in paths:
        bundle = json.loads(path.read_text())
        types = {e.get("fullUrl", ""): e["resource"]["resourceType"] for e in bundle.get("entry", [])}
        patients = [e for e in bundle.get("entry", []) if e["resource"]["resourceType"] == "Patient"]
        reqs = _bundle_requirements(bundle)
        for entry in patients:
            pid = _server_patient_id(fhir_server, entry["resource"])
            (data,) = list(fetch_patients(ServerOptions(fhir_server), [pid], reqs))
            assert data.unavailable == (), path.name
            assert _got(data, types) == _expected(bundle, entry.get("fullUrl", ""), reqs), path.name
    # Whatever was seeded, the shared server answers and an unknown patient is an error.
    with pytest.raises(RetrievalError, match="not found"):
        list(fetch_patients(ServerOptions(fhir_server), [str(uuid.uuid4())], REQS))
