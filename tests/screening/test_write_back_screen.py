"""``screen --server --write-back`` per patient (pure part): each screened patient x study gets its transaction,
ineligible ones too, and the report's tally is fed from the same evaluation. A fault never writes
``ineligible``: sample-01 without its Conditions fails NCT04954820's NET diagnosis (closed world, clinical.md
§0.7) and is ineligible; the same patient whose Conditions the server could not deliver is unknown there, so at
most a candidate."""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.record import PatientData
from fhir_eligibility.requirements.model import Unavailable
from fhir_eligibility.retrieval.files import read_patients
from fhir_eligibility.screening.core import Tally
from fhir_eligibility.screening.write_back import screened
from tests.screening.helpers import SAMPLES

A = "NCT04954820"
DAY = dt.date(2026, 6, 1)


def _sample(name: str) -> PatientData:
    (data,), _ = read_patients([SAMPLES / name])
    return data


def _statuses(patients: list[PatientData]) -> tuple[dict[tuple[str, str], str], Tally]:
    trials = load_trials(None, [A])
    tally = Tally.for_trials(trials)
    out: dict[tuple[str, str], str] = {}
    for pid, bundle in screened(patients, trials, DAY, Settings(), tally, "2026-06-01T00:00:00+00:00"):
        entries: list[dict[str, Any]] = bundle["entry"]  # type: ignore[assignment]
        for e in entries:
            if e["resource"]["resourceType"] == "ResearchSubject":
                out[(pid, e["resource"]["study"]["display"])] = e["resource"]["status"]
    return out, tally


def test_every_patient_is_written_ineligible_too_and_counted() -> None:
    statuses, tally = _statuses([_sample("01-prrt-ileal-net-baseline.json"), _sample("06-alt-over-5x-uln.json")])
    # expected_verdicts.md: sample-01 needs-review for A (manual items), sample-06 ineligible (A-E7b)
    assert statuses == {("sample-01", A): "candidate", ("sample-06", A): "ineligible"}
    assert tally.patients == 2 and tally.trials[A].counts["ineligible"] == 1


def test_a_fault_never_writes_ineligible() -> None:
    base = _sample("01-prrt-ileal-net-baseline.json")
    no_conditions = [r for r in base.resources if r.get("resourceType") != "Condition"]
    absent = dataclasses.replace(base, patient_id="absent", resources=no_conditions)
    lost = dataclasses.replace(
        base,
        patient_id="lost",
        resources=no_conditions,
        unavailable=(Unavailable("Condition", frozenset(), "Condition search timed out"),),
    )
    statuses, tally = _statuses([absent, lost])
    assert statuses[("absent", A)] == "ineligible"  # the control: no NET diagnosis on record
    # the same data, but the server could not deliver Conditions: undetermined, counted, and not written
    # (a transient fault must not replace a status recorded on complete data, even with "candidate")
    assert ("lost", A) not in statuses
    assert tally.trials[A].counts["undetermined"] == 1
