"""Pass 1's shard parts are kept as part numbers (screening.parts): same files, same order, flat memory."""

from __future__ import annotations

import tracemalloc
from pathlib import Path

import pytest

from fhir_eligibility.errors import OutputError
from fhir_eligibility.screening.partition import partition
from fhir_eligibility.screening.parts import ShardParts
from fhir_eligibility.screening.shard_writer import ShardWriter


def test_parts_name_the_writers_files_in_part_order_whatever_order_tasks_finished(tmp_path: Path) -> None:
    parts = ShardParts(tmp_path)
    for part in (3, 0, 2):  # tasks finish in any order
        writer = ShardWriter(tmp_path, 8, part)
        writer.write("patient-a", b"{}")
        for k in writer.shard_files():
            parts.add(k, part)
    (k,) = parts.shard_numbers()
    assert parts.of(k) == tuple(ShardWriter(tmp_path, 8, p).path(k) for p in (0, 2, 3))
    assert all(p.exists() for p in parts.of(k))
    assert list(parts) == [parts.of(k)] and len(parts) == 1 and parts[0] == parts.of(k)
    assert parts.of(k + 1) == ()


def test_partition_reports_its_shards_as_part_numbers(tmp_path: Path) -> None:
    src = tmp_path / "in"
    src.mkdir()
    lines = [f'{{"resourceType": "Patient", "id": "p{i}"}}' for i in range(200)]
    (src / "Patient.ndjson").write_text("\n".join(lines) + "\n", encoding="utf-8")
    out = partition([src], tmp_path / "work", min_shards=16, shard_bytes=64)
    assert isinstance(out.shards, ShardParts)
    read = [p for shard in out.shards for p in shard]
    assert read and all(p.exists() for p in read)


def test_a_large_part_table_stays_small() -> None:
    """4,100 shards x 67 tasks (a 1,000,000-patient export): as paths this held about 74 MiB."""
    tracemalloc.start()
    try:
        parts = ShardParts(Path("/tmp/x"))
        for task in range(67):
            for shard in range(4100):
                parts.add(shard, task)
        used = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    assert used < 4 * 2**20
    assert len(parts[4099]) == 67


def test_a_shard_that_cannot_be_written_is_one_clear_error(tmp_path: Path) -> None:
    """A full disk (compressed input grows past the room checked before) or a folder removed: the run
    stops with one line naming --temp-dir, not an OSError traceback from a worker."""
    writer = ShardWriter(tmp_path / "removed", 4)
    writer.write("p1", b'{"resourceType":"Patient","id":"p1"}')
    with pytest.raises(OutputError, match=r"cannot write screening's shards .* --temp-dir names another"):
        writer.flush()
