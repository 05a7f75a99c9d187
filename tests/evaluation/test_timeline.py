"""Issue 16: eligibleFrom / eligibleUntil / timeline.

The dates are checked three ways: the breakpoint property on every sample patient (at
eligibleUntil the current verdict, the day after a worse one; the day before eligibleFrom not
eligible, on it eligible), a day-by-day scan of several samples (no change of any criterion
between two timeline events: the breakpoints are complete), and dates worked out by hand from
the protocols' windows (screening date 2026-06-01, default lab date 2026-05-20).
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import replace
from functools import cache
from pathlib import Path

import pytest
from click.testing import CliRunner

from fhir_eligibility.cli import cli
from fhir_eligibility.criteria.model import Trial
from fhir_eligibility.evaluation.compiled import CompiledTrial
from fhir_eligibility.evaluation.engine import Settings, evaluate_trial
from fhir_eligibility.evaluation.patient_record import PatientRecord, build_record
from fhir_eligibility.evaluation.program import Program
from fhir_eligibility.evaluation.results import Change, Result, TrialResult, Verdict, When
from fhir_eligibility.evaluation.timeline import RANK, Later, Steps, dates_by_criterion, when
from fhir_eligibility.evaluation.vital import VITAL_ID
from fhir_eligibility.pipeline import load_trials
from fhir_eligibility.record import PatientData
from fhir_eligibility.report.questionnaire import questionnaire_response
from fhir_eligibility.retrieval.files import read_patients
from fhir_eligibility.shorten import shorten

SAMPLES = Path(__file__).resolve().parents[2] / "sample_bundles"
AS_OF = dt.date(2026, 6, 1)
DAY = dt.timedelta(days=1)
A, B, C, D, E = "NCT04954820", "NCT05773274", "NCT04837885", "NCT05987176", "NCT01842165"
ATTESTED = Settings(assume_attested=True)


@cache
def trials() -> dict[str, Trial]:
    return {t.id: t for t in load_trials()}


@cache
def records() -> dict[str, PatientRecord]:
    patients, _ = read_patients(sorted(SAMPLES.glob("*.json")))
    return {p.patient_id: build_record(p) for p in patients}


def _sample(n: int) -> PatientRecord:
    return records()[f"sample-{n:02d}"]


def _verdict(trial: str, record: PatientRecord, day: dt.date, settings: Settings = ATTESTED) -> Verdict:
    return evaluate_trial(trials()[trial], record, day, settings).verdict


def test_breakpoint_property_for_every_sample_patient() -> None:
    """Where a date is set: it is the exact day the verdict turns (120 days ahead)."""
    until = since = 0
    for record in records().values():
        for trial in trials().values():
            now = evaluate_trial(trial, record, AS_OF, ATTESTED)
            w = when(trial, record, AS_OF, now, ATTESTED, 120)
            if w.eligible_until is not None:
                until += 1
                held = w.verdict_from or now.verdict  # the verdict reached on eligibleFrom, else today's
                assert _verdict(trial.id, record, w.eligible_until) is held, (record.patient_id, trial.id)
                after = _verdict(trial.id, record, w.eligible_until + DAY)
                assert RANK[after] < RANK[held], (record.patient_id, trial.id)
            if w.eligible_from is not None:
                since += 1
                before = _verdict(trial.id, record, w.eligible_from - DAY)
                assert before in (Verdict.INELIGIBLE, Verdict.UNDETERMINED), (record.patient_id, trial.id)
                on = _verdict(trial.id, record, w.eligible_from)
                assert on in (Verdict.ELIGIBLE, Verdict.NEEDS_REVIEW), (record.patient_id, trial.id)
    assert until > 100 and since >= 5  # not vacuous: most samples' labs lapse, a few washouts end


@pytest.mark.parametrize("n", [1, 7, 45, 74, 77, 91, 93, 97])
def test_no_change_between_timeline_events_day_by_day(n: int) -> None:
    """Replaying the timeline gives, on every day of 60, the results a fresh evaluation gives."""
    record = _sample(n)
    for trial in trials().values():
        now = evaluate_trial(trial, record, AS_OF, ATTESTED)
        w = when(trial, record, AS_OF, now, ATTESTED, 60)
        state = {c.id: c.result for c in now.criteria}
        for k in range(1, 61):
            day = AS_OF + k * DAY
            for change in w.timeline:
                if change.date == day:
                    state[change.criterion] = change.after
            fresh = {c.id: c.result for c in evaluate_trial(trial, record, day, ATTESTED).criteria}
            assert fresh == {i: r for i, r in state.items() if i in fresh}, (n, trial.id, day)


# (sample, trial, as-of, eligibleFrom, eligibleUntil), worked out by hand from the protocols; after
# eligibleFrom, eligibleUntil is the last day of the verdict reached on it (labs of 05-20 count to 06-17):
HAND_WORKED = [
    # base patient: every lab dated 2026-05-20, 28-day windows -> valid through 05-20 + 28 days
    (1, A, AS_OF, None, "2026-06-17"),
    (1, E, AS_OF, None, "2026-06-17"),
    # labs dated 2026-05-04, exactly on the 28-day edge: they lapse the day after the screening date
    (7, B, AS_OF, None, "2026-06-01"),
    # lanreotide last given 2026-05-04, E needs >= 4 weeks off long-acting SSA: 05-04 + 28 days; the
    # labs of 05-04 lapse the next day: eligible that one day
    (7, E, dt.date(2026, 5, 25), "2026-06-01", "2026-06-01"),
    # octreotide LAR (i.m.) on 2026-05-14, 4-week washout for E: 05-14 + 28 days
    (91, E, AS_OF, "2026-06-11", "2026-06-17"),
    # short-acting s.c. octreotide stated on 2026-05-31 (a MedicationStatement dated by that one day),
    # E: none within 48 h. How long it was taken is not recorded (it may still be: review 19), so no
    # later day is known to be clear of it: E-I5 never passes within the horizon
    (93, E, AS_OF, None, None),
    # liver metastases resected 2026-05-05, D needs >= 4 weeks after surgery: 05-05 + 28 days; ECOG and
    # labs (D-I3, D-E8..) in D's default 28 days
    (77, D, AS_OF, "2026-06-02", "2026-06-17"),
    # resection 2026-05-10: E's 6-week surgery exclusion ends 06-21, after the labs lapse (06-17): never
    (74, E, AS_OF, None, None),
    # born 2008-06-02: 18 the day after the screening date; A-I11 / C-I7 labs in 28 days
    (45, A, AS_OF, "2026-06-02", "2026-06-17"),
    (45, C, AS_OF, "2026-06-02", "2026-06-17"),
]


@pytest.mark.parametrize(("n", "trial", "as_of", "since", "until"), HAND_WORKED)
def test_hand_worked_dates(n: int, trial: str, as_of: dt.date, since: str | None, until: str | None) -> None:
    record = _sample(n)
    now = evaluate_trial(trials()[trial], record, as_of, ATTESTED)
    w = when(trials()[trial], record, as_of, now, ATTESTED, 365)
    got = (
        w.eligible_from.isoformat() if w.eligible_from else None,
        w.eligible_until.isoformat() if w.eligible_until else None,
    )
    assert got == (since, until)


def test_attestation_expiry() -> None:
    """sample-97's coordinator answered A on 2026-05-25; valid 10 days -> A eligible through 06-04, then
    its manual items fall back to awaiting attestation (needs-review), dated 06-05 in the timeline."""
    settings = Settings(attestation_validity_days=10)
    record, trial = _sample(97), trials()[A]
    now = evaluate_trial(trial, record, AS_OF, settings)
    assert now.verdict is Verdict.ELIGIBLE
    w = when(trial, record, AS_OF, now, settings, 365)
    assert w.eligible_until == dt.date(2026, 6, 4)
    changes = [c for c in w.timeline if c.date == dt.date(2026, 6, 5)]
    assert changes and all(c.before is Result.PASS and c.after is Result.MANUAL for c in changes)


def test_fast_mode_gives_the_same_dates_without_a_timeline() -> None:
    fast = Settings(assume_attested=True, explain=False)
    for n, trial, as_of, since, until in HAND_WORKED:
        record = _sample(n)
        now = evaluate_trial(trials()[trial], record, as_of, fast)
        w = when(trials()[trial], record, as_of, now, fast, 365)
        assert (w.eligible_from, w.eligible_until) == (
            dt.date.fromisoformat(since) if since else None,
            dt.date.fromisoformat(until) if until else None,
        )
        assert w.timeline == ()


def _run(*args: str) -> str:
    out = CliRunner().invoke(cli, ["evaluate", str(SAMPLES / "91-octreotide-lar-intramuscular-atc-only.json"), *args])
    assert out.exit_code == 0, out.output
    return out.output


def test_outputs_carry_the_dates() -> None:
    common = ("--as-of", "2026-06-01", "--assume-attested", "--trial", E, "--horizon", "30")
    (result,) = json.loads(_run(*common, "--format", "json"))["results"]
    assert (result["eligibleFrom"], result["eligibleUntil"]) == ("2026-06-11", "2026-06-17")
    assert {"date": "2026-06-11", "criterion": "E-I5", "from": "fail", "to": "pass"}.items() <= result["timeline"][
        0
    ].items()
    assert "eligible from 2026-06-11" in _run(*common, "--details")
    bundle = json.loads(_run(*common, "--format", "fhir"))
    params = next(e["resource"] for e in bundle["entry"] if e["resource"]["resourceType"] == "Parameters")
    assert {"name": "eligibleFrom", "valueDate": "2026-06-11"} in params["parameter"]
    assert "eligibleFrom" not in json.loads(_run(*common[:-2], "--horizon", "0", "--format", "json"))["results"][0]


def _every_criterion_every_day(trial: Trial, record: PatientRecord, now: TrialResult, settings: Settings) -> When:
    """The oracle: the whole trial, explained, on every breakpoint of any criterion (no carrying over)."""
    per = dates_by_criterion(CompiledTrial(trial), record, AS_OF, 365, settings)
    good_now = RANK[now.verdict] >= RANK[Verdict.NEEDS_REVIEW]
    since = until = since_verdict = None
    held = now.verdict if good_now else None
    timeline: list[Change] = []
    before = now
    for day in sorted({d for ds in per.values() for d in ds}):
        after = evaluate_trial(trial, record, day, settings)
        for cid in dict.fromkeys([c.id for c in before.criteria] + [c.id for c in after.criteria]):
            was = next((c for c in before.criteria if c.id == cid), None)
            new = next((c for c in after.criteria if c.id == cid), None)
            if new is None and cid != VITAL_ID:  # not evaluated on the day of death: no change to name
                continue
            a = was.result if was else Result.PASS
            b, text = (new.result, new.reason) if new else (Result.PASS, "alive on this date")
            if a is not b:
                timeline.append(Change(day, cid, a, b, shorten(text, 160)))
        if held is not None and until is None and RANK[after.verdict] < RANK[held]:
            until = day - DAY
        if held is None and RANK[after.verdict] >= RANK[Verdict.NEEDS_REVIEW]:
            since, since_verdict, held = day, after.verdict, after.verdict
        before = after
    return When(since, until, tuple(timeline), 365, since_verdict)


@cache
def _oracle(patient: str, trial: str, settings: Settings) -> When:
    record, t = records()[patient], trials()[trial]
    return _every_criterion_every_day(t, record, evaluate_trial(t, record, AS_OF, settings), settings)


@pytest.mark.parametrize(
    ("settings", "half", "compiled"),
    [(Settings(collect_series=True), 0, True), (ATTESTED, 1, False)],
    ids=["cds-program", "attested-explained"],
)
def test_timeline_equals_the_whole_trial_on_every_breakpoint(settings: Settings, half: int, compiled: bool) -> None:
    """Re-evaluating only the criteria due on a day, first without explanations (by the compiled
    program's truths, or by the explained walk with the patient's trials sharing a day's leaves) and
    explained only where a result changed, gives the same dates and the same timeline (reasons
    included) as the whole trial explained on every breakpoint, for every trial and every sample
    patient (half with each settings: ~30 s)."""
    program = Program(list(trials().values()), settings).truths_only()
    events = through_program = 0
    for record in list(records().values())[half::2]:
        later = Later(record, AS_OF, 365, settings)  # one per patient, shared by its trials (as the pipeline does)
        steps = Steps(program, record) if compiled and Steps.covers(record, program) else None
        through_program += steps is not None
        for i, trial in enumerate(trials().values()):
            now = evaluate_trial(trial, record, AS_OF, settings)
            # compiled together: equal reads are one object, their dates computed once per patient
            together = program.compiled[i] if compiled else None
            got = when(trial, record, AS_OF, now, settings, 365, together, later, steps)
            assert got == _oracle(record.patient_id, trial.id, settings), (record.patient_id, trial.id)
            events += len(got.timeline)
    assert through_program > 40 if compiled else through_program == 0
    assert events > 250  # not vacuous: most samples' labs lapse within the year


def test_equal_reads_of_trials_compiled_together_are_one_object() -> None:
    """The timeline's per-patient cache (Later) keys a criterion's dates by its reads object: the
    trials of one program share equal reads (the same tests in the same windows recur across the
    five trials), so a patient's dates for them are computed once, not once per trial."""
    program = Program(list(trials().values()), Settings())
    reads = [r for c in program.compiled for r in c.reads(28).values()]
    distinct = {id(r) for r in reads}
    assert len(distinct) == len(set(reads)) < len(reads)  # equal means identical, and some repeat
    alone = [r for t in trials().values() for r in Program([t], Settings()).compiled[0].reads(28).values()]
    assert len({id(r) for r in alone}) > len(distinct)  # compiled apart: nothing shared


@pytest.mark.parametrize(
    ("settings", "half"), [(Settings(collect_series=True), 0), (ATTESTED, 1)], ids=["cds", "attested"]
)
def test_a_card_names_the_changes_on_its_date_as_the_whole_timeline_does(settings: Settings, half: int) -> None:
    """With ``full_timeline`` off (a CDS card; its page evaluates again with it on), the two dates are
    the whole timeline's, and the changes kept are exactly the whole timeline's on the date the card
    names (eligibleFrom, and the day after eligibleUntil): criteria and results, reasons aside."""
    card = replace(settings, full_timeline=False, collect_series=False)
    program = Program(list(trials().values()), card).truths_only()
    dated = named = 0
    for record in list(records().values())[half::2]:
        later = Later(record, AS_OF, 365, card)
        steps = Steps(program, record) if Steps.covers(record, program) else None
        for i, trial in enumerate(trials().values()):
            now = evaluate_trial(trial, record, AS_OF, card)
            got = when(trial, record, AS_OF, now, card, 365, program.compiled[i], later, steps)
            whole = _oracle(record.patient_id, trial.id, settings)
            assert (got.eligible_from, got.eligible_until) == (whole.eligible_from, whole.eligible_until)
            days = {whole.eligible_from, whole.eligible_until + DAY if whole.eligible_until else None} - {None}
            expected = [(c.date, c.criterion, c.before, c.after) for c in whole.timeline if c.date in days]
            assert [(c.date, c.criterion, c.before, c.after) for c in got.timeline] == expected, (
                record.patient_id,
                trial.id,
            )
            dated += bool(days)
            named += len(expected)
    assert dated > 40 and named >= dated  # not vacuous: a date always comes with what changes on it


def test_a_card_names_only_the_changes_of_its_own_date() -> None:
    """Worked out by hand: sample 91 fails E-I5 (washout) until 2026-06-11; an attestation of E-I11
    authored 2026-05-05 is valid 30 days, so E-I11 turns pass -> manual on 2026-06-05, before that.
    On 2026-06-11 the verdict turns needs-review: the card names E-I5 alone (E-I11 changed earlier),
    and the whole timeline has both changes on their own days. The card's other date is the day the
    labs of 05-20 go stale (06-18, after eligibleUntil 06-17)."""
    trial = trials()[E]
    sample = read_patients([SAMPLES / "91-octreotide-lar-intramuscular-atc-only.json"])[0][0]
    qr = questionnaire_response(
        trial, sample.patient_id, {"E-I11": True}, author="Dr A", authored="2026-05-05", response_id="qr-e3"
    )
    record = build_record(PatientData(sample.patient_id, [*sample.resources, qr]))
    card = Settings(full_timeline=False)
    got = {}
    for name, settings in (("card", card), ("page", Settings())):
        now = evaluate_trial(trial, record, AS_OF, settings)
        assert next(c.result for c in now.criteria if c.id == "E-I11") is Result.PASS
        got[name] = when(trial, record, AS_OF, now, settings, 365)
    assert got["card"].eligible_from == got["page"].eligible_from == dt.date(2026, 6, 11)
    assert got["card"].eligible_until == got["page"].eligible_until == dt.date(2026, 6, 17)
    assert [(c.date, c.criterion, c.after) for c in got["card"].timeline if c.date < dt.date(2026, 6, 18)] == [
        (dt.date(2026, 6, 11), "E-I5", Result.PASS)
    ]
    assert {c.date for c in got["card"].timeline} == {dt.date(2026, 6, 11), dt.date(2026, 6, 18)}
    assert [(c.date, c.criterion, c.after) for c in got["page"].timeline[:2]] == [
        (dt.date(2026, 6, 5), "E-I11", Result.MANUAL),
        (dt.date(2026, 6, 11), "E-I5", Result.PASS),
    ]


SENTINELS = {
    "procedure performed 9999": {
        "resourceType": "Procedure",
        "id": "x-proc",
        "status": "completed",
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "33195004"}]},
        "performedDateTime": "9999",
    },
    "administration 9999": {
        "resourceType": "MedicationAdministration",
        "id": "x-ma",
        "status": "completed",
        "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "L01BC06"}]},
        "effectiveDateTime": "9999",
    },
    "observation 9999, no issued": {
        "resourceType": "Observation",
        "id": "x-obs",
        "status": "final",
        "code": {"coding": [{"system": "http://loinc.org", "code": "718-7"}]},
        "effectiveDateTime": "9999",
        "valueQuantity": {"value": 13, "unit": "g/dL", "system": "http://unitsofmeasure.org", "code": "g/dL"},
    },
    "onset period ending 9999": {
        "resourceType": "Condition",
        "id": "x-cond",
        "clinicalStatus": {"coding": [{"code": "active"}]},
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "22298006"}]},
        "onsetPeriod": {"start": "2020", "end": "9999"},
    },
    "statement asserted 9999-12-31": {
        "resourceType": "MedicationStatement",
        "id": "x-ms",
        "status": "completed",
        "medicationCodeableConcept": {"coding": [{"system": "http://www.whocc.no/atc", "code": "L01BC06"}]},
        "effectivePeriod": {"start": "2020-01-01"},
        "dateAsserted": "9999-12-31",
    },
    "procedure 9998-12-31 (a plausible year by the rules)": {
        "resourceType": "Procedure",
        "id": "x-proc2",
        "status": "completed",
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "33195004"}]},
        "performedDateTime": "9998-12-31",
    },
}


@pytest.mark.parametrize("name", list(SENTINELS))
def test_a_sentinel_date_neither_crashes_the_dates_nor_changes_them(name: str) -> None:
    """Dates review: a placeholder year "9999" in one record (clinical.md §0.16: warned and ignored)
    made the dates' arithmetic overflow (OverflowError), so evaluate, screen and the CDS hook failed
    for everyone. Now the record is undated (its last day was still read from its text): an undated
    record can only add doubt, so no verdict is better than without it, and the dates are worked out."""
    sample = read_patients([SAMPLES / "01-prrt-ileal-net-baseline.json"])[0][0]
    extra = {**SENTINELS[name], "subject": {"reference": f"Patient/{sample.patient_id}"}}
    with_it = build_record(PatientData(sample.patient_id, [*sample.resources, extra]))
    for trial in (A, B, C, D, E):
        now = evaluate_trial(trials()[trial], with_it, AS_OF, ATTESTED)
        base = evaluate_trial(trials()[trial], records()[sample.patient_id], AS_OF, ATTESTED)
        assert RANK[now.verdict] <= RANK[base.verdict], trial
        w = when(trials()[trial], with_it, AS_OF, now, ATTESTED, 365)  # raised OverflowError
        assert w.horizon == 365


def test_on_the_day_of_death_only_the_vital_status_changes() -> None:
    """Dates review: on the day of death the timeline listed every criterion absent from that day's
    result as "unknown -> pass: alive on this date". Sample 01 (trial A, labs of 2026-05-20) dies on
    2026-07-15: that day's changes are the vital status alone, to fail."""
    sample = read_patients([SAMPLES / "01-prrt-ileal-net-baseline.json"])[0][0]
    resources = [
        {**r, "deceasedDateTime": "2026-07-15"} if r["resourceType"] == "Patient" else r for r in sample.resources
    ]
    record = build_record(PatientData(sample.patient_id, resources))
    now = evaluate_trial(trials()[A], record, AS_OF, ATTESTED)
    w = when(trials()[A], record, AS_OF, now, ATTESTED, 365)
    died = [(c.criterion, c.after) for c in w.timeline if c.date == dt.date(2026, 7, 15)]
    assert died == [(VITAL_ID, Result.FAIL)], died


def test_a_card_says_needs_review_when_an_attestation_lapsed_before_its_date() -> None:
    """Dates review: a card's timeline holds only its date's changes, so its headline replayed those
    onto today's results. Worked out by hand: sample 97's coordinator answered trial A's items on
    2026-05-25 (valid 30 days: stale from 2026-06-25), its labs are moved to 2026-06-15 (current to
    2026-07-13), and an MI on 2025-06-30 fails A-E10 (none in the last 12 months) until 2026-06-30:
    on 2026-07-01 A-E10 passes while the answers are stale, so needs-review, not eligible, from
    2026-07-01 (the card said "eligible from 2026-07-01")."""
    from fhir_eligibility.report.when import headline

    as_of = dt.date(2026, 6, 20)
    sample = read_patients([SAMPLES / "97-attested-by-coordinator.json"])[0][0]
    mi = {
        "resourceType": "Condition",
        "id": "mi",
        "subject": {"reference": f"Patient/{sample.patient_id}"},
        "clinicalStatus": {"coding": [{"code": "resolved"}]},
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "22298006"}]},
        "onsetDateTime": "2025-06-30",
    }
    labs = [
        {**r, "effectiveDateTime": "2026-06-15T08:30:00+00:00"}
        if str(r.get("effectiveDateTime", "")).startswith("2026-05-20")
        else r
        for r in sample.resources
    ]
    record = build_record(PatientData(sample.patient_id, [*labs, mi]))
    trial = trials()[A]
    assert evaluate_trial(trial, record, dt.date(2026, 7, 1), Settings()).verdict is Verdict.NEEDS_REVIEW
    for settings in (Settings(full_timeline=False), Settings()):
        now = evaluate_trial(trial, record, as_of, settings)
        assert now.verdict is Verdict.INELIGIBLE
        r = replace(now, when=when(trial, record, as_of, now, settings, 365))
        said = headline(r)
        assert said is not None and said.startswith("needs review from 2026-07-01"), said


@pytest.mark.parametrize(("status", "expected"), [("in-progress", Result.FAIL), ("completed", Result.UNKNOWN)])
def test_a_procedure_begun_and_not_ended_is_not_a_day_at_its_start(status: str, expected: Result) -> None:
    """Dates review: external-beam radiotherapy with performedPeriod {start 2026-02-01} and no end was
    read as one day on 02-01, so NETTER-2's E-E3 (no radiotherapy in the 12 weeks before, from
    2026-03-10 on the as-of date 2026-06-01) passed. Worked out by hand: in progress, it is still
    given on the as-of date (exclusion met: fail, and no date within the year makes the patient
    eligible while it stays so); completed on a day not recorded, it may have ended inside the
    12 weeks (unknown), as a medication statement with a start alone is read."""
    sample = read_patients([SAMPLES / "01-prrt-ileal-net-baseline.json"])[0][0]
    ebrt = {
        "resourceType": "Procedure",
        "id": "ebrt",
        "status": status,
        "subject": {"reference": f"Patient/{sample.patient_id}"},
        "code": {"coding": [{"system": "http://snomed.info/sct", "code": "33195004"}]},
        "performedPeriod": {"start": "2026-02-01"},
    }
    record = build_record(PatientData(sample.patient_id, [*sample.resources, ebrt]))
    now = evaluate_trial(trials()[E], record, AS_OF, ATTESTED)
    assert next(c.result for c in now.criteria if c.id == "E-E3") is expected
    if status == "in-progress":
        assert when(trials()[E], record, AS_OF, now, ATTESTED, 365).eligible_from is None
