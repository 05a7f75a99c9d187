"""A Patient.link that cannot be read may be the merge: nothing is decided on the record.

Found on data nobody here wrote: ``link: 5`` or a link with no type was ignored, so a record that
may have been merged away (its diagnoses moved to the surviving record) was evaluated as whole, and a
diagnosis absent here would read as none (ineligible). A readable ``replaced-by`` withholds the
record (README "merged patients"); an unreadable link now does the same, and a ``seealso`` does not.
"""

from __future__ import annotations

from typing import Any

import pytest

from fhir_eligibility.pipeline import evaluate_patient
from fhir_eligibility.record import PatientData
from tests.cases.builders import AS_OF, patient
from tests.evaluation.test_real_semantics import TRIALS

Json = dict[str, Any]


@pytest.mark.parametrize("link", [5, [5], [{"type": 5, "other": {"reference": "Patient/q"}}], [{"other": {}}]])
def test_an_unreadable_link_withholds_the_record(link: object) -> None:
    who: Json = {**patient(), "link": link}
    data = PatientData("p", [who])
    results = evaluate_patient(data, TRIALS, AS_OF)
    assert results and all(r.verdict.value != "ineligible" for r in results), [r.verdict for r in results]
    assert any("Patient.link is unreadable" in w for w in data.warnings), data.warnings
    # it names no surviving record, so the words offer none to evaluate (before: "evaluate another record,
    # perhaps (Patient.link is unreadable) instead")
    [said] = [w for w in data.warnings if "Patient.link" in w]
    assert said == (
        "Patient/p may have been merged into another record (Patient.link is unreadable): nothing is decided on "
        "this record; find the surviving record and evaluate it instead"
    )


def test_a_seealso_link_leaves_the_record_in_use() -> None:
    who: Json = {**patient(), "link": [{"type": "seealso", "other": {"reference": "Patient/q"}}]}
    data = PatientData("p", [who])
    results = evaluate_patient(data, TRIALS, AS_OF)
    # no diagnosis recorded: closed-world, ineligible for every trial (clinical.md §0.7)
    assert all(r.verdict.value == "ineligible" for r in results)
    assert not any("Patient.link" in w for w in data.warnings)
