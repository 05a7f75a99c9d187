"""A result held only inside another resource decides the same on every path (review rev-entry 21, 1 and 2).

1. A lab DiagnosticReport (a CBC panel, LOINC 58410-2) holding the newest haemoglobin, 7.0 g/dL, as a
   contained Observation it lists in ``result``: read on files, but ``evaluate --server``, ``screen
   --server`` and the CDS prefetch asked for DiagnosticReports only by the imaging codes criteria read,
   so an older normal Hb (13.2) decided there. Every search for the patient's results now asks for every
   report of theirs (no code search can find a result a report contains).
2. A panel Observation whose member Hb is contained and named in ``hasMember`` ("#hb1"): ignored on every
   path. It is now read as a report's contained result is (facts._contained_results).

Both: sample-01 (eligible for A and E) with the contained Hb 7.0 on 2026-05-28, newer than its 13.2 on
2026-05-20: A-I11-hb ("Hb > 8") and E-I7-hb fail, A and E are ineligible from files, the server, the CDS
prefetch and its cards, and screening.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import requests
import responses

from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.evaluation.results import TrialResult
from fhir_eligibility.pipeline import evaluate_files, evaluate_patient, evaluate_server
from fhir_eligibility.record import PatientData
from fhir_eligibility.requirements.plan import plan
from fhir_eligibility.requirements.prefetch import prefetch_descriptor, prefetch_templates
from fhir_eligibility.retrieval.server import ServerOptions
from fhir_eligibility.service.prefetch import Fallback, HookRequest, patient_data
from tests.cases.builders import AS_OF, LOINC, q
from tests.screening.helpers import invoke
from tests.service.support import LiveServer, card_verdicts, emulate_prefetch, hook_body, open_config, post

Json = dict[str, Any]
ROOT = Path(__file__).resolve().parents[2]
SAMPLE = ROOT / "sample_bundles" / "01-prrt-ileal-net-baseline.json"
PID = "sample-01"
A_ID, E_ID = "NCT04954820", "NCT01842165"
TRIALS = load_trials(only=[A_ID, E_ID])
HB_CRITERIA = {A_ID: "A-I11-hb", E_ID: "E-I7-hb"}
BASE = "http://fhir.test/r4"
SUBJECT = {"reference": f"Patient/{PID}"}
WHEN = "2026-05-28T08:30:00+00:00"


def hb(value: float = 7.0, **extra: Any) -> Json:
    return {
        "resourceType": "Observation",
        "id": "hb1",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "718-7"}]},
        "effectiveDateTime": WHEN,
        "valueQuantity": q(value, "g/dL"),
        **extra,
    }


def _cbc(kind: str, rid: str, contained: tuple[Json, ...], links: str, refs: tuple[str, ...]) -> Json:
    """A CBC (58410-2) holding ``contained`` results it names in ``links`` (a report's ``result``, a panel's
    ``hasMember``)."""
    return {
        "resourceType": kind,
        "id": rid,
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": "58410-2"}]},
        "subject": SUBJECT,
        "effectiveDateTime": WHEN,
        "issued": "2026-05-28T10:00:00+00:00",
        "contained": list(contained or [hb()]),
        links: [{"reference": r} for r in refs],
    }


def cbc_report(*contained: Json, result: tuple[str, ...] = ("#hb1",)) -> Json:
    return _cbc("DiagnosticReport", "cbc-report", contained, "result", result)


def cbc_panel(*contained: Json, members: tuple[str, ...] = ("#hb1",), **extra: Any) -> Json:
    return {**_cbc("Observation", "cbc-panel", contained, "hasMember", members), **extra}


def sample(*extra: Json) -> list[Json]:
    """sample-01's resources, subjects as ``Patient/sample-01`` (as a server and an export hold them)."""
    bundle = json.loads(SAMPLE.read_text())
    out = []
    for entry in bundle["entry"]:
        res = entry["resource"]
        for key in ("subject", "patient"):
            if isinstance(res.get(key), dict) and "reference" in res[key]:
                res[key] = dict(SUBJECT)
        out.append(res)
    return [*out, *extra]


# -- the answer per path: trial -> (verdict, the Hb criterion's result and reason) -------------------

Answer = dict[str, tuple[str, str, str]]


def _answer(results: list[TrialResult]) -> Answer:
    out: Answer = {}
    for r in results:
        c = next(c for c in r.criteria if c.id == HB_CRITERIA[r.trial])
        out[r.trial] = (r.verdict.value, c.result.value, c.reason)
    return out


def from_files(tmp: Path, resources: list[Json]) -> Answer:
    path = tmp / "p.json"
    path.write_text(
        json.dumps({"resourceType": "Bundle", "type": "collection", "entry": [{"resource": r} for r in resources]})
    )
    return _answer(evaluate_files([path], TRIALS, AS_OF).results)


def from_server(resources: list[Json]) -> Answer:
    """A server answering each search as an R4 server does (a code search matches the resource's own
    code, never a code of what it contains)."""
    data = PatientData(PID, resources)

    def answer(request: requests.PreparedRequest) -> tuple[int, dict[str, str], str]:
        url = urlsplit(str(request.url))
        rtype = url.path.rsplit("/", 1)[-1]
        if rtype == "metadata":
            return 200, {}, json.dumps({"resourceType": "CapabilityStatement", "fhirVersion": "4.0.1"})
        return 200, {}, json.dumps(emulate_prefetch({"k": f"{rtype}?{url.query}"}, data)["k"])

    options = ServerOptions(base_url=BASE, use_env_token=False, batch="never")
    with responses.RequestsMock() as mock:
        mock.add_callback(responses.GET, re.compile(BASE + "/.*"), callback=answer)
        report = evaluate_server(options, [PID], TRIALS, AS_OF)
    return _answer(report.results)


def from_prefetch(resources: list[Json]) -> Answer:
    """The CDS client prefetched every key of the templates, each answered as its query says."""
    templates = prefetch_templates(plan(TRIALS, None))
    keys = emulate_prefetch(prefetch_descriptor(templates), PatientData(PID, resources))
    data, fetched = patient_data(
        HookRequest("patient-view", "x", PID, "Practitioner/1", prefetch=keys), templates, Fallback()
    )
    assert fetched == 0
    return _answer(evaluate_patient(data, TRIALS, AS_OF))


def from_cards(tmp: Path, resources: list[Json]) -> dict[str, str]:
    """The live service's cards: trial -> verdict, the EHR answering the discovery's own templates."""
    config = open_config(tmp, definitions=(ROOT / "definitions",), trials=(A_ID, E_ID), include_ineligible=True)
    with LiveServer(config) as server:
        discovery = requests.get(f"{server.base}/cds-services", timeout=30).json()
        (service,) = discovery["services"]
        keys = emulate_prefetch(service["prefetch"], PatientData(PID, resources))
        response = post(server.service_url, hook_body(PID, keys))
    assert response.status_code == 200, response.text
    return card_verdicts(response.json())


def from_screening(tmp: Path, resources: list[Json]) -> dict[str, tuple[str, str]]:
    """``screen`` (the compiled path) on an NDJSON export: trial -> (verdict, the Hb criterion's result)."""
    by_type: dict[str, list[Json]] = {}
    for r in resources:
        by_type.setdefault(r["resourceType"], []).append(r)
    for rtype, records in by_type.items():
        (tmp / f"{rtype}.ndjson").write_text("".join(json.dumps(r) + "\n" for r in records))
    args = ["--trial", A_ID, "--trial", E_ID, "--as-of", AS_OF.isoformat(), "--format", "json"]
    out = invoke("screen", str(tmp), *args)
    assert out.exit_code == 0, out.output
    report = json.loads(out.output)
    answers = {}
    for trial in report["trials"]:
        funnel = {f["criterion"]: f for f in trial["funnel"]}
        row = funnel[HB_CRITERIA[trial["trial"]]]
        (result,) = [r for r in ("pass", "fail", "unknown", "review", "manual") if row.get(r, 0) == 1]
        (verdict,) = [v for v, n in trial["counts"].items() if n == 1]
        answers[trial["trial"]] = (verdict, result)
    return answers


CASES = {
    "report": cbc_report(),  # finding 1 (set5/p50-drhb)
    "panel member": cbc_panel(),  # finding 2 (set5/p52-member)
    # the panel found by the results search: its code is one a criterion reads (a haemoglobin "panel")
    "searched panel member": cbc_panel(code={"coding": [{"system": LOINC, "code": "718-7"}]}),
}
# A panel Observation coded only as a panel (58410-2) is found by no code search of the server's nor the
# CDS template's (their search reads Observation.code and component.code, never what the panel
# contains); only a search for every Observation of the patient would bring it (a cost left to decide)
UNSEARCHED = pytest.mark.xfail(strict=True, reason="a panel coded only as a panel is not searched for")
FETCHED = [pytest.param(c, marks=UNSEARCHED) if c == "panel member" else c for c in CASES]


@pytest.mark.parametrize("case", CASES)
def test_the_contained_hb_decides_on_files(case: str, tmp_path: Path) -> None:
    files = from_files(tmp_path, sample(CASES[case]))
    for trial in (A_ID, E_ID):
        verdict, result, reason = files[trial]
        assert (verdict, result) == ("ineligible", "fail"), files[trial]
        assert reason.startswith("7 g/dL") and "2026-05-28" in reason, reason


@pytest.mark.parametrize("case", FETCHED)
def test_the_server_and_the_prefetch_agree_with_files(case: str, tmp_path: Path) -> None:
    resources = sample(CASES[case])
    files = from_files(tmp_path, resources)
    assert from_server(resources) == files
    assert from_prefetch(resources) == files


def test_without_the_contained_hb_sample_01_stays_eligible(tmp_path: Path) -> None:
    """The control: the standalone 13.2 decides; A and E do not fail on Hb."""
    files = from_files(tmp_path, sample())
    assert {t: a[1] for t, a in files.items()} == {A_ID: "pass", E_ID: "pass"}
    assert from_server(sample()) == files
    assert from_prefetch(sample()) == files


@pytest.mark.parametrize("case", CASES)
def test_screening_agrees_with_evaluate(case: str, tmp_path: Path) -> None:
    """``screen`` (compiled) against ``evaluate`` on the same export (an export without a type's file
    holds none of it: both read it so)."""
    screened = from_screening(tmp_path, sample(CASES[case]))
    evaluated = _answer(evaluate_files([tmp_path], TRIALS, AS_OF).results)
    assert screened == {t: (a[0], a[1]) for t, a in evaluated.items()}
    assert screened[E_ID] == ("ineligible", "fail")


@pytest.mark.parametrize("case", FETCHED)
def test_the_cds_cards_agree_with_evaluate(case: str, tmp_path: Path) -> None:
    resources = sample(CASES[case])
    files = from_files(tmp_path, resources)
    assert from_cards(tmp_path, resources) == {t: a[0] for t, a in files.items()}


# -- what is fetched -------------------------------------------------------------------------------


def test_every_report_of_the_patient_is_asked_for_where_results_are_read() -> None:
    """A report's contained results are found by no code search (a server matches the report's code, a
    CBC's 58410-2, or a local panel code, never those of what it contains): wherever a criterion reads
    results, the server search and the CDS template ask for every DiagnosticReport, as they ask for every
    drug record; a trial that reads no result and no report does not ask for reports."""
    for trials in ([t] for t in load_trials()):
        reports = [r for r in plan(trials, AS_OF) if r.resource_type == "DiagnosticReport"]
        assert [r.codes for r in reports] == [frozenset()], trials[0].id
        (template,) = [t for t in prefetch_templates(plan(trials, None)) if t.resource_type == "DiagnosticReport"]
        assert "code=" not in template.query and template.codes == frozenset(), template.query
