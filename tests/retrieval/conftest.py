"""Fixtures for retrieval tests: a mocked transport and recorded retry waits."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
import responses

from fhir_eligibility.retrieval import connection


@pytest.fixture
def rsps() -> Iterator[responses.RequestsMock]:
    with responses.RequestsMock(assert_all_requests_are_fired=False) as mock:
        yield mock


@pytest.fixture
def sleeps(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """Record the waits the retry loop asks for instead of sleeping."""
    waits: list[float] = []
    monkeypatch.setattr(connection, "_sleep", waits.append)
    return waits


@pytest.fixture(autouse=True)
def _no_env_token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("FHIR_ELIGIBILITY_TOKEN", raising=False)
