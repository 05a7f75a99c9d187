"""A-E17 (another solid tumour in the 5 years before inclusion) with the other cancer coded in SNOMED CT
alone, as US problem lists often do (clinical.md §0.13: every diagnosis value set needs SNOMED CT too).

Sample 01 (eligible for A with its manual items attested; tests/expected_verdicts.md) plus one active
cancer with onset 2024-01-10, inside [2021-06-01, 2026-06-01]: a kidney (363518003 Malignant tumor of
kidney), bladder (399326009), thyroid (363478007, and medullary thyroid carcinoma 255032005, a
neuroendocrine carcinoma of another organ, not the trial's GEP-NET), lung adenocarcinoma (254626006) or
primary liver cancer (109841003 Liver cell carcinoma) is another solid tumour: fail. Before, these were
not in the value set and A-E17 passed ("none recorded"). The same kidney cancer resolved with onset in
2019 is outside the 5 years: pass.
"""

from __future__ import annotations

import pytest

from tests.evaluation.test_clinical_review import A, base, results

SCT = "http://snomed.info/sct"


def cancer(code: str, onset: str = "2024-01-10", status: str = "active") -> dict[str, object]:
    return {
        "resourceType": "Condition",
        "id": f"other-{code}",
        "subject": {"reference": "Patient/sample-01"},
        "clinicalStatus": {"coding": [{"code": status}]},
        "verificationStatus": {"coding": [{"code": "confirmed"}]},
        "code": {"coding": [{"system": SCT, "code": code}]},
        "onsetDateTime": onset,
    }


@pytest.mark.parametrize("code", ["363518003", "399326009", "363478007", "255032005", "254626006", "109841003"])
def test_another_cancer_coded_in_snomed_alone_fails_a_e17(code: str) -> None:
    assert results([*base(), cancer(code)])[(A, "A-E17")] == "fail"


def test_an_older_resolved_snomed_cancer_passes_a_e17() -> None:
    assert results([*base(), cancer("363518003", onset="2019-03-01", status="resolved")])[(A, "A-E17")] == "pass"
