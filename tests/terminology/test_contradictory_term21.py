"""Terminology review 21: a result coded as two tests is set aside as an invalid value is, not a veto.

Trial C (NCT04837885), T0 = 2026-06-01, on sample 10: ALT 28 and AST 25 U/L (ULN 40 each) on 2026-05-20,
inside C-I6's default 28 days [2026-05-04, 2026-06-01]. Hand-worked from clinical.md §0.3/§0.16 and the
product's rule for an invalid value (evaluation/values.py: a newer result whose value is not usable leaves
"the most recent value" unknown; an older one is skipped):

* a result coded both ALT and AST (300 U/L, ULN 40) on 2026-05-10, older than the clean pair: set aside
  with a warning naming it; ALT 28 <= 2.5 x 40 and AST 25 <= 100 decide, C-I6-alt-ast = pass (it had been
  unknown: the contradictory result made every ALT and AST criterion unknown whatever its date);
* the same result on 2026-05-25, newer than the clean pair: the most recent ALT (and AST) value is not
  known, C-I6-alt-ast = unknown, its reason naming the newer result.

Screening (the compiled program) gives the same answers.
"""

from __future__ import annotations

from typing import Any

import pytest

from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.evaluation.results import Result
from fhir_eligibility.pipeline import evaluate_patient
from fhir_eligibility.record import PatientData
from fhir_eligibility.screening.core import outcome_of
from fhir_eligibility.screening.fast import Screener
from tests.cases.builders import AS_OF
from tests.terminology.test_site_termfix20 import ALT, AST, LOINC, TRIAL_C, run, sample

Json = dict[str, Any]


def both_tests(day: str, value: float = 300) -> Json:
    """An Observation coded as ALT and as AST: FHIR's codings of one ``code`` name one concept."""
    uln = {"value": 40, "unit": "U/L", "system": "http://unitsofmeasure.org", "code": "U/L"}
    return {
        "resourceType": "Observation",
        "id": "both",
        "status": "final",
        "code": {"coding": [{"system": LOINC, "code": ALT}, {"system": LOINC, "code": AST}]},
        "effectiveDateTime": f"{day}T08:30:00+00:00",
        "valueQuantity": {**uln, "value": value},
        "referenceRange": [{"high": uln}],
    }


def screened_as_evaluated(resources: list[Json]) -> None:
    """The screener's outcomes (the compiled program) equal the explained evaluation's."""
    trials = load_trials(only=[TRIAL_C])
    data = PatientData("sample-10", resources)
    screener = Screener(trials, AS_OF, Settings(explain=False))
    fast = screener.screen(PatientData("sample-10", resources))
    assert screener.whole == 0  # the compiled program answered, not the fallback to the explained walk
    explained = [outcome_of(r) for r in evaluate_patient(data, trials, AS_OF, Settings())]
    explained = [o._replace(label=o.label if o.verdict != "ineligible" else None) for o in explained]
    assert fast == explained


def test_an_older_result_coded_as_two_tests_is_set_aside_and_the_clean_one_decides() -> None:
    resources = [*sample("10"), both_tests("2026-05-10")]
    found, warnings = run(resources)
    assert found["C-I6-alt-ast"].result is Result.PASS  # was unknown
    assert all(e.reference != "Observation/both" for e in found["C-I6-alt-ast"].evidence)
    assert any(w.startswith("Observation/both") and "different tests" in w for w in warnings)
    screened_as_evaluated(resources)


@pytest.mark.parametrize("day", ["2026-05-25", "2026-05-20"])
def test_a_newer_result_coded_as_two_tests_leaves_the_latest_value_unknown(day: str) -> None:
    """Newer: unknown. At the very same time as the clean pair (2026-05-20T08:30): not newer, set aside
    as an invalid value at the same time is, so the clean pair decides."""
    resources = [*sample("10"), both_tests(day)]
    found, warnings = run(resources)
    alt = found["characteristic[6].0"]
    if day == "2026-05-25":
        assert found["C-I6-alt-ast"].result is Result.UNKNOWN
        assert "Observation/both" in alt.reason and "most recent value is not known" in alt.reason
    else:
        assert found["C-I6-alt-ast"].result is Result.PASS
    assert any(w.startswith("Observation/both") and "different tests" in w for w in warnings)
    screened_as_evaluated(resources)


def test_a_component_coded_as_two_tests_leaves_the_other_components_read() -> None:
    """A panel whose one component is coded ALT and AST: that component is set aside, the panel's others
    (here the clean ALT as a second component) are still read; the whole Observation is not dropped."""
    panel = both_tests("2026-05-25")
    panel["code"] = {"coding": [{"system": LOINC, "code": "24325-3"}]}  # hepatic function panel
    clean = {"code": {"coding": [{"system": LOINC, "code": ALT}]}, "valueQuantity": panel["valueQuantity"]}
    clean["valueQuantity"] = {**clean["valueQuantity"], "value": 30}
    clean["referenceRange"] = panel["referenceRange"]
    both = {k: panel[k] for k in ("valueQuantity", "referenceRange")} | {
        "code": {"coding": [{"system": LOINC, "code": ALT}, {"system": LOINC, "code": AST}]}
    }
    panel["component"] = [both, clean]
    del panel["valueQuantity"], panel["referenceRange"]
    resources = [*sample("10"), panel]
    found, _ = run(resources)
    alt = found["characteristic[6].0"]
    # the panel's clean ALT (30 U/L) and its contradictory component are at the same time: the clean one decides
    assert alt.result is Result.PASS and any(e.reference == "Observation/both" for e in alt.evidence)
    # AST 25 on 2026-05-20: the contradictory component is newer, so the latest AST is not known
    assert found["characteristic[6].1"].result is Result.UNKNOWN
    screened_as_evaluated(resources)
