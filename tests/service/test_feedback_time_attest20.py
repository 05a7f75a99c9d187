"""Feedback ``outcomeTimestamp`` must be a real instant (review 20, finding 3).

docs/cds-hooks.md promises 400 for a malformed body, and CDS Hooks' ``outcomeTimestamp`` is an ISO 8601
instant; the pattern alone took a 29 February of a common year, hour 24, year 0000, a leap second and even
``2026-99-99T99:99Z``. Expected by hand: each is refused with the item's location; real instants, with or
without seconds, a fraction or an offset, still pass.
"""

from __future__ import annotations

from typing import Any

import pytest

from fhir_eligibility.service.feedback import FeedbackError, validate
from tests.service.support import LiveServer, open_config, post

CARD = "9368d37b-283f-44a0-93ea-547cebab93ed"


def _one(stamp: str) -> dict[str, Any]:
    return {"feedback": [{"card": CARD, "outcome": "overridden", "outcomeTimestamp": stamp}]}


IMPOSSIBLE = [
    "2026-02-29T10:00:00Z",  # 2026 is no leap year
    "2026-06-01T24:00:00Z",
    "0000-01-01T00:00:00Z",  # no year 0 in an instant (FHIR: 0001 onwards)
    "2026-06-30T23:59:60Z",  # a leap second: no UTC clock shows it to the client
    "2026-99-99T99:99Z",
    "2026-04-31T10:00:00Z",
    "2026-06-01T10:60:00Z",
    "2026-06-01T10:00:00+24:00",
    "2026-06-01T10:00:00-25:30",
    "2026-06-01T1\u0660:00:00Z",  # an Arabic-Indic digit matched ``\\d``
]


@pytest.mark.parametrize("stamp", IMPOSSIBLE)
def test_an_impossible_instant_is_malformed(stamp: str) -> None:
    with pytest.raises(FeedbackError, match=r"feedback\[0\]\.outcomeTimestamp"):
        validate(_one(stamp))


@pytest.mark.parametrize(
    "stamp",
    ["2024-02-29T10:00:00Z", "2026-06-01T23:59:59.999999Z", "2026-06-01T10:00Z", "2026-06-01T10:00:00.123+14:00"],
)
def test_real_instants_pass_as_written(stamp: str) -> None:
    assert validate(_one(stamp))[0]["outcomeTimestamp"] == stamp


def test_the_endpoint_answers_400(tmp_path: Any) -> None:
    with LiveServer(open_config(tmp_path)) as live:
        r = post(live.service_url + "/feedback", _one("2026-02-29T10:00:00Z"))
        assert r.status_code == 400, r.text
        assert "outcomeTimestamp" in r.text
        assert (
            not (tmp_path / "data" / "feedback.jsonl").exists()
            or "2026-02-29" not in (tmp_path / "data" / "feedback.jsonl").read_text()
        )
