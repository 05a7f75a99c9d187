"""The report links' store is bounded by an approximate byte budget as well as by a count (adversarial review,
2026-12-07: each hook call kept its whole prefetch for an hour, ~3.9 MiB of memory per 1 MB call, so the
1000 entries of ``report_cache_size`` could hold about 4 GB). What is measured is the store's own accounting
and what it keeps, not the process's memory: an entry counts ``BYTES_PER_JSON_BYTE`` (4.5) times its data's
compact JSON plus ``RESULTS_BYTES`` (128 KiB), and each hook call's recorded responses once.
"""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path
from typing import Any

import requests

from fhir_eligibility.record import PatientData
from fhir_eligibility.service.stores import MIB, ReportCache, approx_bytes
from tests.service.support import MINI_PATIENT, LiveServer, emulate_prefetch, hook_body, open_config, patients_of, post

AS_OF = dt.date(2026, 6, 1)
# {"resourceType":"Basic","id":"b","text":"<N characters>"} is N + 43 characters of compact JSON
WRAPPER = 43


def basic(json_length: int) -> dict[str, Any]:
    return {"resourceType": "Basic", "id": "b", "text": "x" * (json_length - WRAPPER)}


def data_of(json_length: int) -> PatientData:
    return PatientData("p1", [basic(json_length)])


def test_the_size_estimate_is_the_compact_json_times_the_measured_factor() -> None:
    assert len(json.dumps(basic(1000), separators=(",", ":"))) == 1000
    assert approx_bytes([basic(1000)]) == 4500
    assert approx_bytes([basic(1000), basic(2000)]) == 13_500


def test_many_large_calls_keep_only_what_the_budget_holds_the_newest_first() -> None:
    """1,000,000 bytes of JSON: 4,500,000 + 131,072 = 4,631,072 counted per entry. A 10 MiB budget
    (10,485,760) holds two (9,262,144), not three (13,893,216): of 20 calls the last two are kept."""
    cache = ReportCache(3600, 1000, 10 * MIB)
    refs = [cache.put("p1", AS_OF, (), (), data_of(1_000_000)) for _ in range(20)]
    assert all(ref is not None for ref in refs)
    kept = [ref for ref in refs if ref is not None and cache.get(ref) is not None]
    assert kept == refs[-2:]
    assert cache.bytes == 2 * 4_631_072 <= cache.max_bytes


def test_small_calls_are_bounded_by_the_count_as_before() -> None:
    cache = ReportCache(3600, 3, 10 * MIB)
    refs = [cache.put("p1", AS_OF, (), (), data_of(100)) for _ in range(5)]
    assert [ref for ref in refs if ref is not None and cache.get(ref) is not None] == refs[-3:]
    assert cache.bytes == 3 * (450 + 131_072)


def test_an_entry_larger_than_the_whole_budget_is_not_kept_and_evicts_nothing() -> None:
    cache = ReportCache(3600, 1000, 1 * MIB)
    small = cache.put("p1", AS_OF, (), (), data_of(1000))
    assert cache.put("p1", AS_OF, (), (), data_of(300_000)) is None  # 1,350,000 + 131,072 > 1,048,576
    assert small is not None and cache.get(small) is not None
    assert cache.bytes == 4500 + 131_072


def test_recorded_responses_count_once_per_call_and_leave_with_its_last_entry() -> None:
    """Two refs of one hook call (the card's, and the one a submission stored) share its responses: counted
    once; when both are gone (expired here), so are the responses' bytes."""
    now = [0.0]
    cache = ReportCache(60, 1000, 10 * MIB, clock=lambda: now[0])
    first = cache.put("p1", AS_OF, (), (), data_of(1000))
    assert first is not None
    stored = cache.get(first)
    assert stored is not None
    response = basic(2000)
    assert cache.record(stored, response) == (response,)
    assert cache.bytes == (4500 + 131_072) + 9000
    second = cache.put("p1", AS_OF, (), (), data_of(1000), recorded=stored.recorded)
    assert second is not None
    assert cache.bytes == 2 * (4500 + 131_072) + 9000
    now[0] = 61.0
    assert cache.get(first) is None and cache.get(second) is None
    assert cache.bytes == 0


def test_responses_past_the_budget_evict_the_oldest_entries() -> None:
    """Answers pumped through one card link are counted too: the budget holds, the oldest entries go."""
    cache = ReportCache(3600, 1000, 1 * MIB)
    refs = [cache.put("p1", AS_OF, (), (), data_of(1000)) for _ in range(4)]  # 4 x 135,572 = 542,288
    assert all(ref is not None for ref in refs)
    stored = cache.get(refs[-1] or "")
    assert stored is not None
    cache.record(stored, basic(100_000))  # + 450,000 = 992,288: fits
    assert cache.bytes == 992_288 and all(cache.get(ref or "") is not None for ref in refs)
    cache.record(stored, basic(20_000))  # + 90,000 = 1,082,288 > 1,048,576: the oldest entry goes
    assert cache.get(refs[0] or "") is None and all(cache.get(ref or "") is not None for ref in refs[1:])
    assert cache.bytes == 1_082_288 - 135_572


def padded(data: PatientData, note: int) -> PatientData:
    """The patient with one more haemoglobin result (a copy of theirs, earlier) carrying a ``note``-long note."""
    hb = next(r for r in data.resources if r["resourceType"] == "Observation")
    pad = {**hb, "id": "pad", "effectiveDateTime": "2025-01-01", "note": [{"text": "x" * note}]}
    return PatientData(data.patient_id, [*data.resources, pad])


def test_the_service_keeps_its_hook_calls_within_the_configured_budget(tmp_path: Path) -> None:
    """``report_cache_mib`` = 1 over HTTP: calls with a 150,000-character note count more than 675,000 bytes
    each (4.5 x the JSON), so two never fit in 1 MiB: of 6 calls, one link is kept, the newest. A call with a
    300,000-character note (over 1,350,000 counted) is not kept at all: cards without a link, nothing evicted."""
    (data,) = patients_of(MINI_PATIENT)
    with LiveServer(open_config(tmp_path, report_cache_mib=1)) as live:
        reports = live.app.state.service.reports
        assert reports.max_bytes == MIB
        templates = requests.get(live.base + "/cds-services", timeout=10).json()["services"][0]["prefetch"]
        links = []
        for _ in range(6):
            r = post(live.service_url, hook_body("p1", emulate_prefetch(templates, padded(data, 150_000))))
            assert r.status_code == 200, r.text
            links.append(r.json()["cards"][0]["links"][0]["url"])
        assert len(reports._items) == 1 and 675_000 < reports.bytes <= MIB
        assert [requests.get(link, timeout=10).status_code for link in links] == [404] * 5 + [200]

        r = post(live.service_url, hook_body("p1", emulate_prefetch(templates, padded(data, 300_000))))
        assert r.status_code == 200 and r.json()["cards"], r.text
        assert "links" not in r.json()["cards"][0]
        assert requests.get(links[-1], timeout=10).status_code == 200
