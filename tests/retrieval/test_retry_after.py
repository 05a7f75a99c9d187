"""A Retry-After header the client cannot read is ignored (the usual backoff), never a crash.

Found by an adversarial review: ``Retry-After: ²`` (a digit to ``str.isdigit``, not to ``float``) and an
HTTP date in year 99999999999 raised out of the transport: a traceback on the command line and a 500
from the CDS service, where the README promises unknown data and a 412.
"""

from __future__ import annotations

import pytest

from fhir_eligibility.retrieval.connection import retry_after


@pytest.mark.parametrize(
    "header",
    ["²", "١٢", "1.5", "-3", "soon", "Mon, 07 Dec 99999999999 13:10:16 GMT", "Mon, 32 Dec 2026 13:10:16 GMT", ""],
)
def test_an_unreadable_retry_after_is_none(header: str) -> None:
    assert retry_after(header) is None


def test_delta_seconds_and_a_past_date_are_read() -> None:
    assert retry_after(" 120 ") == 120.0
    assert retry_after("Mon, 07 Dec 2020 13:10:16 GMT") == 0.0  # in the past: at once
