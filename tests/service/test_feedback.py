"""Feedback shape validation and the append-only JSONL store."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from fhir_eligibility.service.feedback import FeedbackError, FeedbackLimit, FeedbackStore, validate

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


def test_a_torn_last_line_is_cut_on_open_so_the_next_append_stands_alone(tmp_path: Path) -> None:
    path = tmp_path / "feedback.jsonl"
    FeedbackStore(path).append("s", validate(_one()), lambda _c: None)
    with path.open("a") as f:
        f.write('{"card": "trunc')  # the process died mid-write
    FeedbackStore(path).append("s", validate(_one(outcomeTimestamp="2026-06-02T10:00:00Z")), lambda _c: None)
    lines = path.read_text().splitlines()
    assert len(lines) == 2 and all(line.startswith("{") and line.endswith("}") for line in lines)
    assert [r["outcomeTimestamp"] for r in FeedbackStore(path).read_all()] == [
        "2026-06-01T10:00:00Z",
        "2026-06-02T10:00:00Z",
    ]


def test_a_file_that_is_only_a_torn_line_is_emptied(tmp_path: Path) -> None:
    path = tmp_path / "feedback.jsonl"
    path.write_text('{"card": "x' * 30000)  # longer than one read-back step, no newline at all
    FeedbackStore(path).append("s", validate(_one()), lambda _c: None)
    assert len(path.read_text().splitlines()) == 1


def test_a_retried_post_stores_nothing_twice_even_after_a_restart(tmp_path: Path) -> None:
    path = tmp_path / "feedback.jsonl"
    assert FeedbackStore(path).append("s", validate(SPEC_EXAMPLE), lambda _c: None, "ehr-a") == 2
    assert FeedbackStore(path).append("s", validate(SPEC_EXAMPLE), lambda _c: None, "ehr-a") == 0
    assert FeedbackStore(path).append("s", validate(SPEC_EXAMPLE), lambda _c: None, "ehr-b") == 2  # another client
    assert len(FeedbackStore(path).read_all()) == 4


def test_each_client_is_capped_per_hour_and_the_file_in_total(tmp_path: Path) -> None:
    now = [datetime(2026, 6, 1, 12, 0, tzinfo=UTC)]
    path = tmp_path / "feedback.jsonl"
    store = FeedbackStore(path, lambda: now[0], max_bytes=10_000, client_bytes_per_hour=1_000)

    def item(i: int) -> list[dict[str, Any]]:
        return validate(_one(outcomeTimestamp=f"2026-06-01T10:{i // 60:02d}:{i % 60:02d}Z"))

    stored = 0
    with pytest.raises(FeedbackLimit) as hit:
        for i in range(100):
            stored += store.append("s", item(i), lambda _c: None, "ehr-a")
    assert hit.value.status == 429 and hit.value.retry_after and 0 < hit.value.retry_after <= 3600
    assert 0 < stored < 10 and len(store.read_all()) == stored  # nothing of the refused request was written
    assert store.append("s", item(500), lambda _c: None, "ehr-b") == 1  # other clients are not starved
    now[0] += timedelta(hours=1, seconds=1)
    assert store.append("s", item(501), lambda _c: None, "ehr-a") == 1  # the hour has passed
    with pytest.raises(FeedbackLimit) as full:
        for i in range(1000, 1100):
            store.append("s", item(i), lambda _c: None, f"ehr-{i}")
    assert full.value.status == 507 and path.stat().st_size <= 10_000
