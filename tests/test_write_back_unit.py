"""Write-back without a server: the verdict -> R4 ResearchSubject.status map, the conditional requests
(what makes a second run an update), and the usage errors that keep a what-if off the record."""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any
from urllib.parse import unquote

import pytest
from click.testing import CliRunner

from fhir_eligibility.cli import cli
from fhir_eligibility.criteria.model import Trial
from fhir_eligibility.errors import RetrievalError
from fhir_eligibility.evaluation.results import Verdict
from fhir_eligibility.writeback import Written, settle, transactions

TRIAL = Trial(id="NCT00000001", title="A trial", criteria=())
R4_RESEARCH_SUBJECT_STATUS = {  # http://hl7.org/fhir/research-subject-status (R4), standards.md 1.11
    "candidate",
    "eligible",
    "follow-up",
    "ineligible",
    "not-registered",
    "off-study",
    "on-study",
    "on-study-intervention",
    "on-study-observation",
    "pending-on-study",
    "potential-candidate",
    "screening",
    "withdrawn",
}


def _bundle(*written: Written) -> dict[str, Any]:
    [(_, bundle)] = transactions(written, [TRIAL], "2026-06-01T10:00:00+00:00", dt.date(2026, 6, 1))
    return bundle


@pytest.mark.parametrize(
    ("verdict", "status"),
    [
        (Verdict.ELIGIBLE, "eligible"),
        (Verdict.INELIGIBLE, "ineligible"),
        (Verdict.NEEDS_REVIEW, "candidate"),  # still to be decided by a person: someone to consider
        (Verdict.UNDETERMINED, "candidate"),  # data missing: never 'ineligible' for a fault
    ],
)
def test_each_verdict_has_an_r4_status(verdict: Verdict, status: str) -> None:
    subject = _bundle(Written(TRIAL.id, "p1", verdict))["entry"][1]["resource"]
    assert subject["status"] == status and status in R4_RESEARCH_SUBJECT_STATUS
    assert subject["individual"] == {"reference": "Patient/p1"}


def test_only_conditional_requests_keyed_by_study_and_patient() -> None:
    study, subject, guidance = _bundle(Written(TRIAL.id, "p1", Verdict.ELIGIBLE))["entry"]
    assert study["request"]["method"] == "POST"
    assert unquote(study["request"]["ifNoneExist"]) == "identifier=https://clinicaltrials.gov|NCT00000001"
    assert subject["resource"]["study"]["reference"] == study["fullUrl"]  # the server resolves it to the one study
    assert subject["request"]["method"] == guidance["request"]["method"] == "PUT"
    assert unquote(subject["request"]["url"]) == (
        "ResearchSubject?identifier=urn:fhir-eligibility:research-subject|NCT00000001/p1"
    )
    assert unquote(guidance["request"]["url"]) == (
        "GuidanceResponse?identifier=urn:fhir-eligibility:guidance-response|NCT00000001/p1"
    )
    assert guidance["resource"]["outputParameters"] == {"reference": "#results"}


class _Server:
    options = SimpleNamespace(base="https://ehr.example.org/fhir/R4")

    def __init__(self, found: list[dict[str, Any]]) -> None:
        self.found = found

    def search_page(self, query: str) -> Any:
        from fhir_eligibility.retrieval.transport import Page

        return Page(self.found, len(self.found), None, None)


def _existing(status: str) -> dict[str, Any]:
    return {
        "resourceType": "ResearchSubject",
        "id": "rs1",
        "meta": {"versionId": "v7"},
        "identifier": [{"system": "urn:fhir-eligibility:research-subject", "value": "NCT00000001/p1"}],
        "status": status,
        "individual": {"reference": "Patient/p1"},  # required in R4; a subject naming another patient is theirs
        "consent": {"reference": "Consent/c1"},
    }


def _tagged(status: str, *written: str) -> dict[str, Any]:
    """A subject with our tag for each status ``written`` (several: a server that merges tags)."""
    subject = _existing(status)
    subject["meta"]["tag"] = [{"system": "urn:fhir-eligibility:written-status", "code": w} for w in written]
    return subject


def test_an_existing_subject_is_updated_in_place_and_a_staff_status_is_kept() -> None:
    planned = _bundle(Written(TRIAL.id, "p1", Verdict.ELIGIBLE))
    done = settle(_Server([_tagged("candidate", "candidate")]), planned)  # type: ignore[arg-type]
    update = done.bundle["entry"][1]
    assert not done.kept and update["request"] == {"method": "PUT", "url": "ResearchSubject/rs1", "ifMatch": 'W/"v7"'}
    assert update["resource"]["status"] == "eligible" and update["resource"]["consent"] == {"reference": "Consent/c1"}

    done = settle(_Server([_existing("on-study")]), planned)  # type: ignore[arg-type]
    assert done.kept
    assert [e["resource"]["resourceType"] for e in done.bundle["entry"]] == ["ResearchStudy", "GuidanceResponse"]


BASE = "https://ehr.example.org/fhir/R4"


class _Searches:
    """Answers each search by its resource type and first parameter, and records the queries."""

    options = SimpleNamespace(base=BASE)

    def __init__(self, answers: dict[str, list[dict[str, Any]]]) -> None:
        self.answers, self.queries = answers, []

    def search_page(self, query: str) -> Any:
        from fhir_eligibility.retrieval.transport import Page

        self.queries.append(query)
        found = self.answers.get(query.split("=", 1)[0], [])
        return Page(found, len(found), None, None)


def _guidance(recorded: str | None, key: str = "NCT00000001/p1") -> dict[str, Any]:
    """A GuidanceResponse this product wrote, recording the subject status it wrote (None: none)."""
    params: list[dict[str, Any]] = [{"name": "verdict", "valueCode": "ineligible"}]
    if recorded is not None:
        params.append({"name": "researchSubjectStatus", "valueCode": recorded})
    return {
        "resourceType": "GuidanceResponse",
        "id": "gr1",
        "identifier": [{"system": "urn:fhir-eligibility:guidance-response", "value": key}],
        "contained": [{"resourceType": "Parameters", "id": "results", "parameter": params}],
        "outputParameters": {"reference": "#results"},
    }


@pytest.mark.parametrize(
    ("existing", "guidance", "kept"),
    [
        (_tagged("candidate", "candidate"), None, False),  # still what the product wrote: updated
        (_tagged("eligible", "candidate"), None, True),  # a coordinator confirmed "eligible": theirs
        (_tagged("ineligible", "eligible"), None, True),  # a coordinator overruled the product: theirs
        (_existing("screening"), None, True),  # a status the product never writes: staff's
        (_existing("potential-candidate"), None, True),
        # no tag (a server that drops meta.tag, as Medplum does): ours only with proof
        (_existing("ineligible"), None, True),  # no proof: staff's (before: overwritten as the product's)
        (_existing("ineligible"), _guidance(None), True),  # our results, but no status recorded in them
        (_existing("ineligible"), _guidance("ineligible"), False),  # our results record it: ours
        (_existing("eligible"), _guidance("ineligible"), True),  # staff changed what we recorded: theirs
        (_existing("ineligible"), _guidance("ineligible", "NCT00000001/p2"), True),  # another subject's record
        # a server that keeps old tags on update (candidate then ineligible written): the tags do not
        # say which was last, the results do; staff set candidate back: theirs (before: overwritten)
        (_tagged("candidate", "candidate", "ineligible"), _guidance("ineligible"), True),
        (_tagged("ineligible", "candidate", "ineligible"), _guidance("ineligible"), False),  # ours, updated
        (_tagged("candidate", "candidate", "ineligible"), None, True),  # no results to prove it: theirs
    ],
    ids=[
        "ours",
        "staff-confirmed",
        "staff-overruled",
        "screening",
        "potential-candidate",
        "untagged-no-proof",
        "untagged-results-without-status",
        "untagged-proven",
        "untagged-changed-by-staff",
        "untagged-other-subject",
        "merged-tags-staff",
        "merged-tags-ours",
        "merged-tags-no-proof",
    ],
)
def test_a_status_is_overwritten_only_with_proof_that_the_product_wrote_it(
    existing: dict[str, Any], guidance: dict[str, Any] | None, kept: bool
) -> None:
    planned = _bundle(Written(TRIAL.id, "p1", Verdict.UNDETERMINED))
    answers = {"ResearchSubject?identifier": [existing], "GuidanceResponse?identifier": [guidance] if guidance else []}
    done = settle(_Searches(answers), planned)  # type: ignore[arg-type]
    assert done.kept is kept
    kinds = [e["resource"]["resourceType"] for e in done.bundle["entry"]]
    assert ("ResearchSubject" in kinds) is not kept
    results = next(e["resource"] for e in done.bundle["entry"] if e["resource"]["resourceType"] == "GuidanceResponse")
    recorded = {p["name"]: p for p in results["contained"][0]["parameter"]}.get("researchSubjectStatus")
    if kept:  # the results say nothing of a status the product did not write: no proof for the next run
        assert recorded is None
        assert (done.conflict is None) is (existing["status"] == "candidate"), done.conflict
    else:
        subject = done.bundle["entry"][1]["resource"]
        assert subject["meta"]["tag"] == [{"system": "urn:fhir-eligibility:written-status", "code": "candidate"}]
        assert recorded == {"name": "researchSubjectStatus", "valueCode": "candidate"} and done.conflict is None


def test_the_conflict_names_the_study_and_both_statuses_not_the_patient() -> None:
    planned = _bundle(Written(TRIAL.id, "p1", Verdict.INELIGIBLE))
    done = settle(_Searches({"ResearchSubject?identifier": [_existing("eligible")]}), planned)  # type: ignore[arg-type]
    assert done.kept and done.conflict is not None
    assert TRIAL.id in done.conflict and "'eligible'" in done.conflict and "'ineligible'" in done.conflict
    assert "p1" not in done.conflict


def test_a_new_subject_s_results_record_the_status_written() -> None:
    """What makes the next run's update safe on a server that drops meta.tag: the GuidanceResponse written
    in the same transaction records the status the product gave the subject."""
    planned = _bundle(Written(TRIAL.id, "p1", Verdict.ELIGIBLE))
    done = settle(_Searches({}), planned)  # type: ignore[arg-type]
    assert not done.kept and done.bundle == planned
    results = done.bundle["entry"][2]["resource"]["contained"][0]["parameter"]
    assert {"name": "researchSubjectStatus", "valueCode": "eligible"} in results


def test_no_subject_is_added_beside_one_staff_created_for_the_same_study() -> None:
    """Staff enrolled the patient with their own ResearchSubject (their CTMS identifier): before, a
    second one was created for the same patient and study."""
    staff = {
        "resourceType": "ResearchSubject",
        "id": "ctms-9",
        "identifier": [{"system": "urn:oid:1.2.3.ctms", "value": "S-0042"}],
        "status": "on-study",
        "study": {"reference": "ResearchStudy/rs-nct1"},
        "individual": {"reference": "Patient/p1"},
    }
    study = {
        "resourceType": "ResearchStudy",
        "id": "rs-nct1",
        "identifier": [{"system": "https://clinicaltrials.gov", "value": TRIAL.id}],
    }
    planned = _bundle(Written(TRIAL.id, "p1", Verdict.INELIGIBLE))
    server = _Searches({"ResearchSubject?individual": [staff, study]})
    done = settle(server, planned)  # type: ignore[arg-type]
    assert done.kept and [e["resource"]["resourceType"] for e in done.bundle["entry"]] == [
        "ResearchStudy",
        "GuidanceResponse",
    ]
    assert done.conflict is not None and "'on-study'" in done.conflict
    by_patient = "ResearchSubject?individual=Patient/p1&_include=ResearchSubject:study"
    assert any(q.startswith(by_patient) for q in server.queries)
    other = {**study, "identifier": [{"system": "https://clinicaltrials.gov", "value": "NCT99999999"}]}
    done = settle(_Searches({"ResearchSubject?individual": [staff, other]}), planned)  # type: ignore[arg-type]
    assert not done.kept and len(done.bundle["entry"]) == 3  # staff's subject is for another study: ours is created


@pytest.mark.parametrize(
    ("reference", "kept"),
    [
        ({"reference": "ResearchStudy/rs-nct1"}, True),
        ({"reference": f"{BASE}/ResearchStudy/rs-nct1"}, True),  # absolute, on this server
        ({"reference": "ResearchStudy/rs-nct1/_history/3"}, True),
        ({"identifier": {"system": "https://clinicaltrials.gov", "value": TRIAL.id}}, True),  # logical
        ({"reference": "https://other.example.org/fhir/ResearchStudy/rs-nct1"}, False),  # another server's
        ({"reference": "ResearchStudy/rs-other"}, False),  # a study without the NCT number
    ],
)
def test_staff_s_subject_is_found_when_the_server_ignores_include(reference: dict[str, Any], kept: bool) -> None:
    """Adversarial review: a server that ignores ``_include`` (servers often ignore what they do not
    support) returned staff's subject without its study, and ours was created beside it; so did a
    study named by an absolute URL. The study is now searched by its NCT number on its own."""
    staff = {
        "resourceType": "ResearchSubject",
        "id": "ctms-9",
        "status": "screening",
        "study": reference,
        "individual": {"reference": "Patient/p1"},
    }
    study = {
        "resourceType": "ResearchStudy",
        "id": "rs-nct1",
        "identifier": [{"system": "https://clinicaltrials.gov", "value": TRIAL.id}],
    }
    other = {**study, "id": "rs-other", "identifier": []}  # returned by a server that ignored the parameter
    planned = _bundle(Written(TRIAL.id, "p1", Verdict.ELIGIBLE))
    server = _Searches({"ResearchSubject?individual": [staff], "ResearchStudy?identifier": [study, other]})
    done = settle(server, planned)  # type: ignore[arg-type]
    assert done.kept is kept
    # the server holds the study: no second one is created, a new subject names it
    assert [e["resource"]["resourceType"] for e in done.bundle["entry"]] == (
        ["GuidanceResponse"] if kept else ["ResearchSubject", "GuidanceResponse"]
    )
    if not kept:
        assert done.bundle["entry"][0]["resource"]["study"]["reference"] == "ResearchStudy/rs-nct1"
    assert "ResearchStudy?identifier=NCT00000001&_count=100" in server.queries  # the number, either system


class _Truncated:
    """A server whose search page announces one more match than it holds (``total`` 1, no entry)."""

    options = SimpleNamespace(base=BASE)

    def __init__(self, truncated: str) -> None:
        self.truncated, self.queries = truncated, []

    def search_page(self, query: str) -> Any:
        from fhir_eligibility.retrieval.transport import Page

        self.queries.append(query)
        return Page([], 0, 1, None) if query.startswith(self.truncated) else Page([], 0, 0, None)


@pytest.mark.parametrize("truncated", ["ResearchSubject?identifier", "ResearchSubject?individual"])
def test_a_truncated_subject_search_writes_nothing(truncated: str) -> None:
    """Adversarial review: ``total: 1`` and no entry was read as "no subject yet", and the conditional
    PUT replaced staff's subject (their on-study status, consent and arm); a truncated look-up for
    staff's own subjects would add ours beside theirs. A short page decides nothing: an error."""
    planned = _bundle(Written(TRIAL.id, "p1", Verdict.INELIGIBLE))
    server = _Truncated(truncated)
    with pytest.raises(RetrievalError, match=r"reported 1 result\(s\) but returned 0"):
        settle(server, planned)  # type: ignore[arg-type]
    assert server.queries[-1].startswith(truncated)


SERVER = ["--server", "http://127.0.0.1:9"]


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["x.json", "--write-back"], "--write-back needs --server"),
        (["x.json", "--dry-run"], "--dry-run goes with --write-back"),
        ([*SERVER, "--write-back", "--assume-attested"], "--assume-attested is a what-if"),
    ],
)
@pytest.mark.parametrize("command", ["evaluate", "screen"])
def test_usage_errors_before_anything_is_read(command: str, args: list[str], message: str) -> None:
    r = CliRunner().invoke(cli, [command, *args, "--patient", "p1"] if command == "evaluate" else [command, *args])
    assert r.exit_code == 2 and message in r.output, r.output


def test_reasons_are_worded_like_the_reports_evidence_unchanged() -> None:
    """Issue 15: the GuidanceResponse shows a reason a person reads (UCUM annotations and long floats are
    what the JSON and FHIR reports already replace), while the evidence it rests on is written as it was."""
    from fhir_eligibility.evaluation.results import CriterionResult, Evidence, Result, TrialResult
    from fhir_eligibility.writeback import from_result

    crcl = CriterionResult(
        "A-I7",
        "inclusion",
        "Creatinine clearance >= 50 mL/min",
        Result.PASS,
        "58.31234567 mL/min/{1.73_m2} >= 50 mL/min/{1.73_m2}",
        evidence=(Evidence("Observation/crcl-1", 58.31234567, "mL/min/{1.73_m2}", "2026-05-20"),),
    )
    blank = CriterionResult("A-I8", "inclusion", "Consent", Result.UNKNOWN, "")
    r = TrialResult("Patient/p1", TRIAL.id, TRIAL.title, Verdict.ELIGIBLE, (crcl, blank), ())
    guidance = _bundle(from_result(r))["entry"][2]["resource"]
    params = {p["name"]: p for p in guidance["contained"][0]["parameter"]}
    parts = {q["name"]: q for q in params["A-I7"]["part"]}
    assert parts["reason"]["valueString"] == "58.3 mL/min/1.73 m² ≥ 50 mL/min/1.73 m²"
    assert parts["evidence"]["valueString"] == "Observation/crcl-1"
    assert {q["name"]: q for q in params["A-I8"]["part"]}["reason"]["valueString"] == "-"


def test_an_outcome_undetermined_by_a_fault_is_not_written_a_decided_one_is() -> None:
    """A transient fault must not replace a recorded status: undetermined on data the server did not
    deliver is left out; a fail found on the data that did arrive is still an outcome."""
    faulted = Written(TRIAL.id, "p1", Verdict.UNDETERMINED, incomplete=True)
    failed = Written(TRIAL.id, "p2", Verdict.INELIGIBLE, incomplete=True)
    missing = Written(TRIAL.id, "p3", Verdict.UNDETERMINED)  # data absent, not undelivered: an outcome
    bundles = transactions([faulted, failed, missing], [TRIAL], "2026-06-01T10:00:00+00:00", dt.date(2026, 6, 1))
    assert [pid for pid, _b in bundles] == ["p2", "p3"]


def test_one_transaction_per_patient_and_study() -> None:
    """Adversarial review: one transaction per patient held 3 conditional entries per study, so 3 trials
    made 9, over Medplum's limit of 8 per transaction: every patient's write-back was refused."""
    trials = [Trial(f"NCT0000000{i}", f"Trial {i}", ()) for i in (1, 2, 3)]
    written = [Written(t.id, "p1", Verdict.INELIGIBLE) for t in trials] + [
        Written("NCT00000001", "p2", Verdict.ELIGIBLE)
    ]
    bundles = transactions(written, trials, "2026-06-01T10:00:00+00:00", dt.date(2026, 6, 1))
    studies = [
        (pid, next(e["resource"]["identifier"][0]["value"] for e in b["entry"] if e["request"]["method"] == "POST"))
        for pid, b in bundles
    ]
    assert studies == [("p1", "NCT00000001"), ("p1", "NCT00000002"), ("p1", "NCT00000003"), ("p2", "NCT00000001")]
    for _pid, bundle in bundles:
        assert [e["resource"]["resourceType"] for e in bundle["entry"]] == [
            "ResearchStudy",
            "ResearchSubject",
            "GuidanceResponse",
        ]
