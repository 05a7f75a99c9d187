"""A-E12 (seed 000: brain metastases "unless these metastases have been treated and stabilized for at least 24
weeks") with brain metastases known only by their recordedDate and a treatment dated before it, worked out by hand
from clinical.md (T0 = 2026-06-01, sample 01, attestations assumed).

The A-E12 row: no brain metastases -> pass; last treatment >= 168 d before T0 -> review (stability is an imaging
read); treated < 168 d before T0 or untreated -> fail. §0.7 dates a Condition by its onset, else its recordedDate.
An onset says when the metastases began: a treatment before it treated something else, and the metastases are
untreated: fail (unchanged). A recordedDate says only when they were written down; metastases found earlier (at
the radiosurgery that treated them) are often recorded later. Radiosurgery (CPT 77371) on 2025-05-01, 396 days
before T0, and C79.31 recorded on 2025-06-01 with no onset: treated >= 24 weeks ago or untreated, the data cannot
tell: review (before: fail). Radiosurgery on 2026-01-15 (137 days) before a recordedDate of 2026-03-01: treated
< 168 d or untreated, fail either way.
"""

from __future__ import annotations

import pytest

from tests.definitions.test_defs_19 import ACTIVE, ATTESTED, CPT, A, _procedure, _results, base, condition

SRS = {"coding": [{"system": CPT, "code": "77371"}]}


@pytest.mark.parametrize(
    ("dated", "treated", "expected"),
    [
        ({"recordedDate": "2025-06-01"}, "2025-05-01", "review"),  # may be these metastases' treatment
        ({"onsetDateTime": "2025-06-01"}, "2025-05-01", "fail"),  # began after it: untreated
        ({"recordedDate": "2026-03-01"}, "2026-01-15", "fail"),  # treated < 168 d before T0 at best
        ({"recordedDate": "2025-06-01"}, "2025-07-01", "review"),  # treated after, >= 168 d (as before)
    ],
)
def test_a_e12_a_treatment_before_the_recorded_date(dated: dict[str, str], treated: str, expected: str) -> None:
    mets = condition("C79.31", clinicalStatus=ACTIVE, **dated)
    srs = _procedure("sample-01", SRS, treated)
    assert _results("sample-01", [*base(), mets, srs], ATTESTED)[(A, "A-E12")] == expected
