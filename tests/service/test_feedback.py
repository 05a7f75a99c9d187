"""Feedback shape validation and the append-only JSONL store."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from fhir_eligibility.service.feedback import FeedbackError, FeedbackStore, validate

CARD = "9368d37b-283f-44a0-93ea-547cebab93ed"
SPEC_EXAMPLE = {
    "feedback": [
        {
            "card": CARD,
            "outcome": "overridden",
            "overrideReason": {
                "reason": {"code": "d7f1c8a1", "system": "http://example.org/cds-services/fhir/CodeSystem/override"},
                "userComment": "Patient declined",
            },
            "outcomeTimestamp": "2020-12-11T00:00:00Z",
        },
        {
            "card": CARD,
            "outcome": "accepted",
            "acceptedSuggestions": [{"id": "e56e1945"}],
            "outcomeTimestamp": "2020-12-11T00:00:00.123+01:00",
        },
    ]
}


def test_spec_shaped_feedback_is_accepted() -> None:
    items = validate(SPEC_EXAMPLE)
    assert [i["outcome"] for i in items] == ["overridden", "accepted"]
    assert items[0]["overrideReason"]["userComment"] == "Patient declined"


def _one(**kw: Any) -> dict[str, Any]:
    item = {"card": CARD, "outcome": "overridden", "outcomeTimestamp": "2026-06-01T10:00:00Z"} | kw
    return {"feedback": [{k: v for k, v in item.items() if v is not None}]}


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ([], "'feedback' array"),
        ({"feedback": []}, "at least one"),
        (_one(card="not-a-uuid"), "card"),
        (_one(outcome="ignored"), "accepted or overridden"),
        (_one(outcomeTimestamp="yesterday"), "outcomeTimestamp"),
        (_one(outcomeTimestamp=None), "outcomeTimestamp"),
        (_one(outcome="accepted"), "required when outcome is accepted"),
        (_one(outcome="accepted", acceptedSuggestions=[{"id": 1}]), "acceptedSuggestions"),
        (_one(overrideReason={}), "needs a reason, a userComment, or both"),
        (_one(overrideReason={"reason": {"code": "x"}}), "system"),
        (_one(overrideReason="busy"), "expected an object"),
    ],
)
def test_malformed_feedback_is_refused(body: object, message: str) -> None:
    with pytest.raises(FeedbackError, match=message):
        validate(body)


def test_store_appends_and_reads_back_across_instances(tmp_path: Path) -> None:
    path = tmp_path / "d" / "feedback.jsonl"
    clock = lambda: datetime(2026, 6, 1, 12, 0, tzinfo=UTC)  # noqa: E731
    FeedbackStore(path, clock).append("trial-eligibility", validate(SPEC_EXAMPLE), lambda _c: "NCT04954820")
    FeedbackStore(path, clock).append("trial-eligibility", validate(_one()), lambda _c: None)
    rows = FeedbackStore(path).read_all()
    assert len(rows) == 3
    assert rows[0]["receivedAt"] == "2026-06-01T12:00:00Z" and rows[0]["trial"] == "NCT04954820"
    assert "trial" not in rows[2]
    assert (path.stat().st_mode & 0o777) == 0o600


def test_a_torn_last_line_is_skipped(tmp_path: Path) -> None:
    path = tmp_path / "feedback.jsonl"
    store = FeedbackStore(path)
    store.append("s", validate(_one()), lambda _c: None)
    with path.open("a") as f:
        f.write('{"card": "trunc')
    assert len(store.read_all()) == 1
