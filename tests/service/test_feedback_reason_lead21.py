"""A second feedback on the same card and timestamp that says something else is stored (review 21, CDS,
finding 3).

Before: the store's retry key was (client, card, outcome, outcomeTimestamp), so a corrected override
reason sent with the same timestamp was dropped while the EHR was told 200: what the coordinator said
was lost. By hand: the first item stored (1), the same item again stored nothing (a retry, also after
a restart), the item with another ``userComment`` stored (1): two records.
"""

from __future__ import annotations

import copy
from pathlib import Path

from fhir_eligibility.service.feedback import FeedbackStore, validate
from tests.service.test_feedback import SPEC_EXAMPLE


def test_a_corrected_reason_is_stored_and_a_retry_is_not(tmp_path: Path) -> None:
    path = tmp_path / "feedback.jsonl"
    first = {"feedback": [SPEC_EXAMPLE["feedback"][0]]}
    corrected = copy.deepcopy(first)
    corrected["feedback"][0]["overrideReason"]["userComment"] = "Patient declined: moving abroad"
    assert FeedbackStore(path).append("s", validate(first), lambda _c: None, "ehr-a") == 1
    assert FeedbackStore(path).append("s", validate(first), lambda _c: None, "ehr-a") == 0
    assert FeedbackStore(path).append("s", validate(corrected), lambda _c: None, "ehr-a") == 1
    assert FeedbackStore(path).append("s", validate(corrected), lambda _c: None, "ehr-a") == 0
    comments = [r["overrideReason"]["userComment"] for r in FeedbackStore(path).read_all()]
    assert comments == ["Patient declined", "Patient declined: moving abroad"]
