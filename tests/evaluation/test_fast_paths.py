"""The engine's fast paths change no answer.

Both are optimisations of the one evaluation core, so the proof is equality on the hand-written
samples and a synthetic population:

* outcomes shared across patients (criteria that read none of a patient's records): every report,
  in every mode, is identical with sharing on and off, in both patient orders;
* short-circuit combinations (``explain=False``, what screening uses): every criterion's result,
  every verdict and every what-to-collect item equal the fully explained evaluation's.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.criteria.model import Criterion, Trial
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.evaluation.footprint import Footprint, footprint
from fhir_eligibility.evaluation.program import Batch, Program
from fhir_eligibility.evaluation.results import Report
from fhir_eligibility.pipeline import evaluate_patients
from fhir_eligibility.record import PatientData
from fhir_eligibility.report.json_report import report_json
from fhir_eligibility.requirements.model import Unavailable
from fhir_eligibility.retrieval.files import read_patients
from fhir_eligibility.synth import patient_resources
from tests.cases.builders import ATC, has, lab, med_admin, obs, patient, q, run, window

ROOT = Path(__file__).resolve().parents[2]
AS_OF = dt.date(2026, 6, 1)
TRIALS = load_trials()


def _population() -> list[PatientData]:
    samples, _ = read_patients([ROOT / "sample_bundles"])
    synthetic = []
    for i in range(80):
        by_type = patient_resources(7, i, AS_OF)
        pid = by_type["Patient"][0]["id"]
        synthetic.append(PatientData(pid, [r for rs in by_type.values() for r in rs]))
    return samples + synthetic


POPULATION = _population()


def _report(patients: list[PatientData], settings: Settings, program: Program | None = None) -> str:
    return json.dumps(
        report_json(evaluate_patients(patients, TRIALS, AS_OF, settings, program=program)), sort_keys=True
    )


class _Watched(Program):
    """A program that keeps the batches it hands out, to look at what was shared."""

    def __init__(self, trials: list[Trial], settings: Settings) -> None:
        super().__init__(trials, settings)
        self.made: list[Batch] = []

    def batch(self, as_of: dt.date) -> Batch:
        self.made.append(super().batch(as_of))
        return self.made[-1]


def _unshared_report(patients: list[PatientData], settings: Settings) -> str:
    """Each patient evaluated on its own (a program and a batch of one): nothing shared across patients."""
    alone = [evaluate_patients([p], TRIALS, AS_OF, settings) for p in patients]
    results = tuple(r for report in alone for r in report.results)
    warnings = tuple(dict.fromkeys(w for report in alone for w in report.warnings))
    return json.dumps(report_json(Report(AS_OF, results, warnings)), sort_keys=True)


@pytest.mark.parametrize(
    "settings",
    [Settings(), Settings(assume_attested=True), Settings(collect_series=True), Settings(explain=False)],
    ids=["default", "attested", "series", "screening"],
)
def test_sharing_changes_no_report(settings: Settings) -> None:
    program = _Watched(TRIALS, settings)
    batches = program.made
    shared = _report(POPULATION, settings, program)
    reversed_order = _report(POPULATION[::-1], settings, program)
    assert len(batches) == 2 and all(b.explained.outcomes for b in batches), "nothing was shared: proves nothing"
    if not settings.explain:  # short-circuit mode also shares the pregnancy-test gates per gender and age
        assert any(key[3] is not None for b in batches for key in b.explained.outcomes)
    unshared = _unshared_report(POPULATION, settings)
    assert shared == unshared
    by_patient = {r["patient"] + r["trial"]: r for r in json.loads(reversed_order)["results"]}
    assert [by_patient[r["patient"] + r["trial"]] for r in json.loads(unshared)["results"]] == json.loads(unshared)[
        "results"
    ]


def _criterion(trial: Trial, cid: str) -> Criterion:
    for top in trial.criteria:
        for node in top.walk():
            if node.id == cid:
                return node
    raise KeyError(cid)


def test_footprints_name_what_a_criterion_reads() -> None:
    trials = {t.id: t for t in TRIALS}
    a = trials["NCT04954820"]
    ages = [c for t in TRIALS for top in t.criteria for c in top.walk() if type(c.definition).__name__ == "Age"]
    assert ages and all(footprint(c) is None for c in ages)  # evidence names the patient
    anchored = [
        c for t in TRIALS for c in t.criteria for n in c.walk() if any(w.anchor != "study-start" for w in n.windows)
    ]
    assert anchored and all(footprint(c) is None for c in anchored)
    manual = [c for t in TRIALS for c in t.criteria if type(c.definition).__name__ == "Manual"]
    assert manual and all(footprint(c) == Footprint(frozenset()) for c in manual)
    ecog = footprint(_criterion(a, "A-I7"))  # ECOG: Observation codes only
    assert ecog and ecog.keys and all(kind == "Observation" for kind, _code in ecog.keys) and not ecog.demographics
    pregnancy = footprint(_criterion(a, "A-E13"))  # gated on "woman of childbearing potential"
    assert pregnancy and pregnancy.demographics


def test_unavailable_data_is_never_answered_from_the_shared_cache() -> None:
    """A patient whose Observation search failed must not get another patient's 'no result'."""
    bare = PatientData("p1", [{"resourceType": "Patient", "id": "p1", "birthDate": "1960-01-01", "gender": "male"}])
    faulty = PatientData(
        "p2",
        [{"resourceType": "Patient", "id": "p2", "birthDate": "1960-01-01", "gender": "male"}],
        unavailable=(Unavailable("Observation", frozenset(), "HTTP 503"),),
    )
    report = evaluate_patients([bare, faulty], TRIALS, AS_OF)
    reasons = {r.patient: " ".join(c.reason for c in r.criteria) for r in report.results if r.trial == "NCT04954820"}
    assert "data unavailable" not in reasons["Patient/p1"]
    assert "data unavailable: HTTP 503" in reasons["Patient/p2"]


def _answers(settings: Settings) -> list[tuple[str, str, str, tuple[str, ...], tuple[tuple[str, str], ...]]]:
    report = evaluate_patients(POPULATION, TRIALS, AS_OF, settings)
    return [
        (
            r.patient,
            r.trial,
            r.verdict.value,
            tuple(c.result.value for c in r.criteria),
            tuple((m.criterion, m.what) for m in r.missing_data),
        )
        for r in report.results
    ]


@pytest.mark.parametrize("attested", [False, True])
def test_short_circuit_gives_the_explained_answers(attested: bool) -> None:
    full = _answers(Settings(assume_attested=attested))
    short = _answers(Settings(assume_attested=attested, explain=False))
    assert len(full) == len(POPULATION) * len(TRIALS)
    assert short == full
    assert {verdict for _p, _t, verdict, _r, _m in full} >= {"ineligible", "undetermined"}


def _any_of(link: str, *children: dict[str, object], judgement: bool = False) -> dict[str, object]:
    out: dict[str, object] = {
        "linkId": link,
        "definitionByCombination": {"code": "any-of", "characteristic": list(children)},
    }
    if judgement:
        out["extension"] = [
            {"url": "http://fhir-eligibility.org/fhir/StructureDefinition/judgement", "valueBoolean": True}
        ]
    return out


def _given(code: str) -> dict[str, object]:
    return {"definitionByTypeAndValue": has(["MedicationAdministration"], [(ATC, code)])}


def _lab(code: str, low: float) -> dict[str, object]:
    return {"definitionByTypeAndValue": lab([code], valueQuantity=q(low, "10*9/L", ">="))}


def test_an_event_anchor_is_the_latest_of_all_matching_records_even_when_short_circuiting() -> None:
    """any-of stops at its first TRUE child; the anchor must still see the later record of the second."""
    event = _any_of("lu", _given("V10XX04"), _given("V10XX99"))
    after = {
        **_lab("777-3", 100),
        "linkId": "plt",
        "timeFromEvent": [*window(-60), {"eventId": "lu", "range": {"low": q(0, "d")}}],
    }
    data = [
        patient(),
        med_admin("V10XX04", "2026-04-01"),
        med_admin("V10XX99", "2026-05-15"),
        obs("777-3", "2026-05-10", q(150, "10*9/L")),
    ]
    answers = {
        explain: run(after, data, others=[event], settings=Settings(explain=explain)) for explain in (True, False)
    }
    assert [c.result.value for c in answers[True].criteria] == ["unknown", "pass"]  # count predates 15 May
    assert [c.result.value for c in answers[False].criteria] == ["unknown", "pass"]


def test_a_judged_combination_keeps_what_to_collect_when_short_circuiting() -> None:
    """TRUE under judgement is REVIEW, undecided: its parent still lists the data its unknown children lack."""
    judged = _any_of(
        "j", {**_lab("777-3", 100), "linkId": "plt"}, {**_lab("751-8", 1.5), "linkId": "anc"}, judgement=True
    )
    top = {
        "linkId": "top",
        "definitionByCombination": {
            "code": "all-of",
            "characteristic": [{**_lab("26464-8", 3), "linkId": "wbc"}, judged],
        },
    }
    data = [patient(), obs("777-3", "2026-05-20", q(150, "10*9/L"))]
    full, short = (run(top, data, settings=Settings(explain=explain)) for explain in (True, False))
    assert full.criteria[0].result.value == short.criteria[0].result.value == "unknown"
    assert [m.what for m in short.missing_data] == [m.what for m in full.missing_data]
    assert len(full.missing_data) == 2  # leukocytes and neutrophils


def _synthetic(seed: int, n: int) -> list[PatientData]:
    out = []
    for i in range(n):
        by_type = patient_resources(seed, i, AS_OF)
        out.append(PatientData(by_type["Patient"][0]["id"], [r for rs in by_type.values() for r in rs]))
    return out


@pytest.mark.parametrize(("attested", "horizon"), [(False, 0), (True, 0), (False, 30), (True, 30)])
def test_the_compiled_screener_gives_the_explained_answers(attested: bool, horizon: int) -> None:
    """Truths from the compiled program (explanations only for candidates) = the fully explained
    evaluation; with a horizon, eligibleFrom/eligibleUntil too (the program on later days against
    the explained timeline, every criterion on every breakpoint)."""
    from fhir_eligibility.pipeline import evaluate_patient
    from fhir_eligibility.screening.core import outcome_of
    from fhir_eligibility.screening.fast import Screener

    population = POPULATION + _synthetic(11, 400)
    screener = Screener(TRIALS, AS_OF, Settings(assume_attested=attested, explain=False, horizon_days=horizon))
    assert screener.program is not None
    reference = Settings(assume_attested=attested, horizon_days=horizon)
    dated = becoming = 0
    for data in population:
        fast = screener.screen(PatientData(data.patient_id, data.resources, data.unavailable))
        explained = [outcome_of(r) for r in evaluate_patient(data, TRIALS, AS_OF, reference)]
        # the label is read only where the tally keeps it (a candidate: tests/screening/test_labels.py)
        explained = [
            o._replace(label=o.label if o.verdict != "ineligible" or o.eligible_from else None) for o in explained
        ]
        assert fast == explained, data.patient_id
        dated += sum(o.eligible_from is not None or o.eligible_until is not None for o in fast)
        becoming += sum(o.verdict == "ineligible" and o.eligible_from is not None for o in fast)
    # not vacuous: labs lapse, washouts end (ineligible today, eligible within the horizon)
    assert (dated > 100 and becoming > 0) if horizon else dated == 0
    assert screener.whole < len(population) // 10  # the program, not the fallback, answered nearly everyone
    assert any(o.verdict != "ineligible" for d in population[:40] for o in screener.screen(d))
