"""Session fixtures that start the real FHIR test servers on 127.0.0.1 and seed them.

If a server cannot be installed or started the fixture raises, so the tests that use it fail
(never skip): CI must not go green without having talked to a real server.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.support.fhir_servers import RunningServer, seed, start_medplum, start_sekmet

REPO_ROOT = Path(__file__).resolve().parents[2]
SAMPLE_BUNDLES = REPO_ROOT / "sample_bundles"


def sample_bundle_paths() -> list[Path]:
    """Every sample_bundles/*.json (may be none yet), in a stable order."""
    return sorted(SAMPLE_BUNDLES.glob("*.json"))


@pytest.fixture(scope="session")
def medplum_server() -> Iterator[RunningServer]:
    """The running Medplum test server process (empty until seeded)."""
    server = start_medplum()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def fhir_server(medplum_server: RunningServer) -> str:
    """Base URL of the Medplum test server, seeded with every sample_bundles/*.json."""
    seed(medplum_server.base_url, sample_bundle_paths())
    return medplum_server.base_url


@pytest.fixture(scope="session")
def sekmet_server() -> Iterator[RunningServer]:
    """The running sekmet-fhir process (Bulk Data $export), with its own temporary data directory."""
    server = start_sekmet()
    try:
        yield server
    finally:
        server.stop()


@pytest.fixture(scope="session")
def bulk_fhir_server(sekmet_server: RunningServer) -> str:
    """Base URL (ending in /fhir) of the sekmet-fhir server, seeded with every sample_bundles/*.json."""
    seed(sekmet_server.base_url, sample_bundle_paths())
    return sekmet_server.base_url
