"""`codes` suggestions: the trial concept a site code most likely means, by display words and unit."""

from __future__ import annotations

from collections import Counter

import pytest

from fhir_eligibility.codes import ICD10, LOINC, PROJECT_CS
from fhir_eligibility.criteria.load import load_trials, read_definitions
from fhir_eligibility.terminology.usage import CodeUse, Suggester, definition_displays

SITE = "http://hospital.example.org/codes/local"


@pytest.fixture(scope="module")
def suggester() -> Suggester:
    return Suggester(load_trials(), definition_displays(r for _f, r in read_definitions().resources))


def use(rtype: str, display: str, unit: str | None = None) -> CodeUse:
    return CodeUse(rtype, (SITE, "X"), 1, Counter({display: 1}), Counter({unit: 1} if unit else {}))


def test_british_spelling_and_a_compatible_unit_rank_the_lab_first(suggester: Suggester) -> None:
    best = suggester.suggest(use("Observation", "Haemoglobin", "g/L"))[0]
    assert best.target == (LOINC, "718-7") and best.unit_match  # g/L converts to the threshold's g/dL
    assert "NCT04954820 A-I11-hb" in best.criteria


def test_an_incompatible_unit_rules_a_concept_out(suggester: Suggester) -> None:
    targets = {s.target for s in suggester.suggest(use("Observation", "Haemoglobin", "%"))}
    assert (LOINC, "718-7") not in targets  # a percentage is not a mass concentration


def test_lay_words_and_resource_type(suggester: Suggester) -> None:
    cancer = suggester.suggest(use("Condition", "Breast cancer"))[0]
    assert cancer.target[0].startswith(ICD10) and cancer.target[1] == "C50" and "NCT04954820 A-E17" in cancer.criteria
    mri = suggester.suggest(use("Procedure", "MRI liver with contrast"))[0]
    assert mri.target == (PROJECT_CS, "liver-mri")
    assert not suggester.suggest(
        use("Observation", "MRI liver with contrast")
    )  # no criterion reads such an Observation


def test_unrelated_codes_get_no_suggestion(suggester: Suggester) -> None:
    assert suggester.suggest(use("Condition", "Sprain of ankle")) == []
