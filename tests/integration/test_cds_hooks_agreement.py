"""One evaluation path: the CDS Hooks cards agree with ``fhir-eligibility evaluate --format json`` for the
mini patient and every sample patient, with the EHR's prefetch and with everything fetched from Medplum.

Each test starts a service of its own (every trial gets a card: include_ineligible), authentication on.
"""

from __future__ import annotations

from pathlib import Path

import pytest
import requests

from tests.integration.cds_hooks_support import call, cli_verdicts
from tests.service.support import (
    MINI,
    MINI_PATIENT,
    ClientKeys,
    LiveServer,
    auth_config,
    card_verdicts,
    emulate_prefetch,
    hook_body,
    iter_sample_files,
    patients_of,
)

pytestmark = pytest.mark.integration


@pytest.fixture(scope="session")
def keys() -> ClientKeys:
    return ClientKeys()


def test_cards_agree_with_cli_for_sample_patients(keys: ClientKeys, tmp_path: Path) -> None:
    """Every trial gets a card here (include_ineligible), so every verdict of every patient is compared."""
    samples = list(iter_sample_files())
    cases: list[tuple[list[Path], Path | None]] = [([MINI_PATIENT], MINI)]
    if samples:
        cases.append((samples, None))  # the bundled definitions
    compared = 0
    for files, definitions in cases:
        expected = cli_verdicts(files, definitions)  # one CLI run over all the files
        config = auth_config(keys, tmp_path, include_ineligible=True, definitions=(definitions,) if definitions else ())
        with LiveServer(config) as server:
            url = server.base + "/cds-services"
            got = requests.get(url, headers={"Authorization": f"Bearer {keys.token(url)}"}, timeout=10).json()
            prefetch_templates = got["services"][0]["prefetch"]
            for path in files:
                for data in patients_of(path):
                    body = hook_body(data.patient_id, emulate_prefetch(prefetch_templates, data))
                    r = call(server, keys, body)
                    assert r.status_code == 200, (path.name, r.text)
                    assert card_verdicts(r.json()) == expected[data.patient_id], (path.name, data.patient_id)
                    compared += 1
    assert compared >= 1 + len(samples)


def test_fallback_cards_agree_with_cli_for_sample_patients(keys: ClientKeys, fhir_server: str, tmp_path: Path) -> None:
    """No prefetch at all: everything comes from Medplum (seeded with the same bundles) through the fallback."""
    samples = list(iter_sample_files())
    if not samples:
        pytest.skip("no sample_bundles yet")
    expected = cli_verdicts(samples, None)
    config = auth_config(keys, tmp_path, include_ineligible=True, definitions=(), allow_fhir_servers=(fhir_server,))
    mismatches = []
    with LiveServer(config) as server:
        for path in samples:
            for data in patients_of(path):
                r = call(server, keys, hook_body(data.patient_id, {}, fhir_server=fhir_server))
                assert r.status_code == 200, (path.name, r.text)
                if card_verdicts(r.json()) != expected[data.patient_id]:
                    mismatches.append((path.name, card_verdicts(r.json()), expected[data.patient_id]))
    assert not mismatches, mismatches
