"""CPT 79101, "radiopharmaceutical therapy, by intravenous administration", names the act, not the
radiopharmaceutical: the same code bills a Lutathera cycle, an I-131 MIBG or a 223Ra dose. By
itself it is neither a Lutathera cycle nor nothing (clinical.md §2.5: procedure codes count as
VS-LU177 "when the product is coded"). Before, no value set held it: a US site's only record of a
prior PRRT was ignored, so "no prior systemic therapy" passed. Now it is read as SNOMED CT
399315003 is (fhir_eligibility/terminology/generic.py): it counts when the Procedure codes the
product (usedCode), it is the same cycle as a Lutathera record a day or less from it, and otherwise
it leaves the criterion unknown.

Expected results worked out by hand (screening date 2026-06-01, every manual item attested).
"""

from __future__ import annotations

import datetime as dt
from functools import cache
from typing import Any

import pytest

from fhir_eligibility.codes import CPT
from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.criteria.model import Trial
from fhir_eligibility.evaluation.engine import Settings, evaluate_trial
from fhir_eligibility.evaluation.patient_record import build_record
from fhir_eligibility.record import PatientData
from fhir_eligibility.terminology.generic import GENERIC_PROCEDURES
from tests.cases.builders import med_admin, patient

Json = dict[str, Any]
AS_OF = dt.date(2026, 6, 1)
HCPCS = "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
C, D = "NCT04837885", "NCT05987176"
LUTATHERA = [med_admin("V10XX04", d) for d in ("2025-09-01", "2025-10-27", "2025-12-22", "2026-02-16")]


@cache
def trials() -> dict[str, Trial]:
    return {t.id: t for t in load_trials()}


def cpt_79101(day: str, used: Json | None = None) -> Json:
    out: Json = {
        "resourceType": "Procedure",
        "id": f"rpt-{day}",
        "status": "completed",
        "subject": {"reference": "Patient/p"},
        "code": {"coding": [{"system": CPT, "code": "79101"}]},
        "performedDateTime": day,
    }
    if used is not None:
        out["usedCode"] = [used]
    return out


def result(trial: str, cid: str, resources: list[Json]) -> str:
    record = build_record(PatientData("p", [patient(), *resources]))
    r = evaluate_trial(trials()[trial], record, AS_OF, Settings(assume_attested=True))
    return next(c.result.value for c in r.criteria if c.id == cid)


def test_the_rule_holds_cpt_79101() -> None:
    assert (CPT, "79101") in GENERIC_PROCEDURES


@pytest.mark.parametrize(
    ("resources", "expected"),
    [
        # D-E7, no prior systemic or radionuclide therapy: a radiopharmaceutical therapy of unknown
        # product may have been a PRRT (unknown), never ignored (it passed before)
        ([cpt_79101("2025-03-01")], "unknown"),
        # the product coded (HCPCS A9513, Lutetium Lu 177 dotatate): a prior PRRT, the exclusion is met
        ([cpt_79101("2025-03-01", {"coding": [{"system": HCPCS, "code": "A9513"}]})], "fail"),
        # a Lutathera administration recorded the same day: that PRRT
        ([cpt_79101("2025-03-01"), med_admin("V10XX04", "2025-03-01")], "fail"),
        ([], "pass"),
    ],
    ids=["alone", "product-coded", "with-administration", "none"],
)
def test_d_e7_prior_radionuclide_therapy(resources: list[Json], expected: str) -> None:
    assert result(D, "D-E7", resources) == expected


@pytest.mark.parametrize(
    ("extra", "expected"),
    [
        ([], "pass"),  # C-I3: exactly 4 Lutathera cycles
        # billed on the day of the 4th cycle: that cycle, still 4
        ([cpt_79101("2026-02-16")], "pass"),
        # on a day with no Lutathera record: maybe a 5th cycle, maybe another radiopharmaceutical
        ([cpt_79101("2026-04-13")], "unknown"),
    ],
    ids=["four", "same-day", "other-day"],
)
def test_c_i3_a_radiopharmaceutical_therapy_is_not_a_fifth_cycle_by_itself(extra: list[Json], expected: str) -> None:
    assert result(C, "C-I3", [*LUTATHERA, *extra]) == expected


def test_c_i3_a_radiopharmaceutical_therapy_is_not_the_fourth_lutathera_cycle_by_itself() -> None:
    """Three Lutathera cycles and a 79101 on another day: 3 if it was not Lutathera (fail), 4 if it
    was (pass): unknown. Before it was ignored: 3 found, fail."""
    assert result(C, "C-I3", [*LUTATHERA[:3], cpt_79101("2026-02-16")]) == "unknown"
