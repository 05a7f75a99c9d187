"""Fixtures the service tests share."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.service.fhir_recorder import RecordingFhir


@pytest.fixture
def fhir() -> Iterator[RecordingFhir]:
    """A FHIR server on loopback that records what it is sent (the attestations' target)."""
    with RecordingFhir() as recorder:
        yield recorder
