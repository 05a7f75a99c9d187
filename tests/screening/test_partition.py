"""The partitioning that bounds screening memory: shards stay near their target size whatever the
population (more patients -> more shards, not bigger ones), the write buffers stay within their
budget, every patient lands whole in exactly one shard, and reading a shard rebuilds the same
patients the ``evaluate`` reader builds."""

from __future__ import annotations

import itertools
import json
from collections import Counter
from pathlib import Path

import pytest

from fhir_eligibility.record import PatientData
from fhir_eligibility.retrieval.files import read_patients
from fhir_eligibility.screening import partition as part
from fhir_eligibility.screening import shard_writer
from fhir_eligibility.synth import write_population

SHARD_BYTES = 48 * 1024


def _population(root: Path, n: int, seed: int = 5) -> Path:
    out = root / f"pop-{n}"
    write_population(out, n, seed=seed)
    return out


def _ids_per_shard(shards: list[tuple[Path, ...]]) -> dict[str, set[int]]:
    where: dict[str, set[int]] = {}
    for i, shard in enumerate(shards):
        for part_file in shard:
            with part_file.open(encoding="utf-8") as fh:
                for line in fh:
                    where.setdefault(line.split("\t", 1)[0], set()).add(i)
    return where


def _size(shard: tuple[Path, ...]) -> int:
    return sum(p.stat().st_size for p in shard)


def test_shard_count_grows_with_input_and_is_bounded() -> None:
    assert part.shard_count(0) == 1
    assert part.shard_count(10, minimum=8) == 8
    assert part.shard_count(10 * part.DEFAULT_SHARD_BYTES) == 10
    assert part.shard_count(10**15) == part.MAX_SHARDS


def test_shard_of_is_stable_and_spread() -> None:
    assert part.shard_of("syn0-0000001", 64) == part.shard_of("syn0-0000001", 64)
    counts = Counter(part.shard_of(f"p{i}", 16) for i in range(1600))
    assert len(counts) == 16 and max(counts.values()) < 2 * 100


def test_shards_stay_the_same_size_as_the_population_grows(tmp_path: Path) -> None:
    sizes = {}
    for n in (150, 600):
        data = _population(tmp_path, n)
        out = part.partition([data], tmp_path / f"shards-{n}", shard_bytes=SHARD_BYTES)
        shard_sizes = [_size(s) for s in out.shards]
        sizes[n] = (len(out.shards), max(shard_sizes))
        assert out.patient_resources == n
    (few, biggest_few), (many, biggest_many) = sizes[150], sizes[600]
    assert many >= 3 * few  # 4x the patients -> about 4x the shards
    assert biggest_many < 1.6 * biggest_few  # ... and shards no bigger: memory flat in N
    assert biggest_many < 3 * SHARD_BYTES


def test_every_patient_in_exactly_one_shard_and_nothing_lost(tmp_path: Path) -> None:
    data = _population(tmp_path, 300)
    out = part.partition([data], tmp_path / "shards", shard_bytes=SHARD_BYTES)
    where = _ids_per_shard(out.shards)
    assert len(where) == 300
    assert all(len(s) == 1 for s in where.values())
    lines_in = sum(1 for f in data.glob("*.ndjson") for line in f.open() if line.strip())
    lines_out = sum(1 for s in out.shards for p in s for _ in p.open())
    medications = sum(1 for _ in (data / "Medication.ndjson").open())
    assert lines_out == lines_in - medications  # Medication resources go to the index, not to shards
    assert "Medication/lutathera" in out.medications


def test_write_buffers_stay_within_budget(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(shard_writer, "BUFFER_BUDGET", 16 * 1024)
    monkeypatch.setattr(shard_writer, "FLUSH_BYTES", 4 * 1024)
    data = _population(tmp_path, 200)
    out = part.partition([data], tmp_path / "shards", min_shards=50, shard_bytes=10**9)
    longest_line = max(len(line) for f in data.glob("*.ndjson") for line in f.open())
    assert out.peak_buffered <= 16 * 1024 + longest_line + 40
    assert 40 < len(out.shards) <= 50  # min_shards honoured (a shard with no patient has no file)


def test_read_shard_rebuilds_the_evaluate_readers_patients(tmp_path: Path) -> None:
    data = _population(tmp_path, 120)
    out = part.partition([data], tmp_path / "shards", shard_bytes=SHARD_BYTES)
    streamed: dict[str, PatientData] = {}
    for shard in out.shards:
        for p in part.read_shard(shard, out.medications):
            streamed[p.patient_id] = p
    whole, _warnings = read_patients([data])
    assert set(streamed) == {p.patient_id for p in whole}

    def canon(p: PatientData) -> list[str]:
        return sorted(json.dumps(r, sort_keys=True) for r in p.resources)

    for p in whole:
        mine = streamed[p.patient_id]
        assert mine.resources[0]["resourceType"] == "Patient"
        assert canon(mine) == canon(p), p.patient_id


def test_bundles_and_ndjson_of_one_patient_are_grouped_together(tmp_path: Path) -> None:
    bundle = {
        "resourceType": "Bundle",
        "type": "collection",
        "entry": [
            {"fullUrl": "urn:uuid:aaa", "resource": {"resourceType": "Patient", "id": "p1", "gender": "female"}},
            {
                "resource": {
                    "resourceType": "Condition",
                    "id": "c1",
                    "subject": {"reference": "urn:uuid:aaa"},
                    "code": {"coding": [{"system": "http://hl7.org/fhir/sid/icd-10-cm", "code": "C7A.012"}]},
                }
            },
        ],
    }
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "b.json").write_text(json.dumps(bundle))
    obs = {"resourceType": "Observation", "id": "o1", "status": "final", "subject": {"reference": "Patient/p1"}}
    orphan = {"resourceType": "Observation", "id": "o2", "status": "final", "subject": {"reference": "Patient/p2"}}
    lines = [json.dumps(obs), "not json", json.dumps({"x": 1}), json.dumps(orphan), ""]
    (tmp_path / "in" / "Observation.ndjson").write_text("\n".join(lines))
    out = part.partition([tmp_path / "in"], tmp_path / "shards")
    patients = {p.patient_id: p for s in out.shards for p in part.read_shard(s, out.medications)}
    assert sorted(r["id"] for r in patients["p1"].resources) == ["c1", "o1", "p1"]
    assert patients["p2"].warnings == ["Patient/p2: no Patient resource in the input (age and sex unknown)"]
    assert any("not valid JSON" in w for w in out.warnings) and any("not a FHIR resource" in w for w in out.warnings)


@pytest.mark.parametrize(
    ("reference", "expected"),
    [
        ("Patient/abc", "abc"),
        ("urn:uuid:0f1e", "0f1e"),
        ("https://fhir.example/r4/Patient/9/_history/2", "9"),
        ("Patient?identifier=x|1", None),
        ("Group/7", None),
        ("Patient/", None),
    ],
)
def test_patient_id_of(reference: str, expected: str | None) -> None:
    assert part.patient_id_of(reference) == expected


def test_tasks_cover_every_byte_once_in_file_order(tmp_path: Path) -> None:
    data = _population(tmp_path, 80)
    files = sorted(data.glob("*.ndjson"))
    tasks = part.plan_tasks(files, tmp_path, 4, 7)
    assert 6 <= len(tasks) <= 8
    pieces = [p for t in tasks for p in t.pieces]
    for f in files:
        mine = [(p.start, p.end) for p in pieces if p.path == f]
        size = f.stat().st_size
        assert mine == sorted(mine) and (mine[0][0] if mine else 0) == 0
        assert all(a[1] == b[0] for a, b in itertools.pairwise(mine))
        assert (mine[-1][1] if mine else 0) == size
    assert [t.index for t in tasks] == list(range(len(tasks)))


@pytest.mark.parametrize("task_bytes", [997, 4096, 10**9])
def test_cutting_the_input_into_tasks_changes_no_patient(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, task_bytes: int
) -> None:
    """Cuts fall mid-line, on newlines and between files; every patient still comes out whole, in input order."""
    data = _population(tmp_path, 60)
    whole = part.partition([data], tmp_path / "one", shard_bytes=SHARD_BYTES)
    monkeypatch.setattr(part, "TASK_BYTES", task_bytes)
    cut = part.partition([data], tmp_path / "cut", shard_bytes=SHARD_BYTES, workers=3)
    assert len({p.parent for s in cut.shards for p in s}) == 1
    assert max(len(s) for s in cut.shards) > 1
    assert (cut.lines, cut.patient_resources, cut.medications) == (
        whole.lines,
        whole.patient_resources,
        whole.medications,
    )

    def patients(out: part.Partitioned) -> dict[str, list[dict[str, object]]]:
        return {p.patient_id: p.resources for s in out.shards for p in part.read_shard(s, out.medications)}

    assert patients(cut) == patients(whole)


def test_warnings_name_the_right_line_across_task_cuts(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    good = json.dumps(
        {"resourceType": "Observation", "id": "o", "status": "final", "subject": {"reference": "Patient/p"}}
    )
    lines = [good] * 40
    lines[7], lines[33] = "{broken", '["not a resource"]'
    (tmp_path / "in").mkdir()
    (tmp_path / "in" / "Observation.ndjson").write_text("\n".join(lines) + "\n")
    monkeypatch.setattr(part, "TASK_BYTES", 300)
    out = part.partition([tmp_path / "in"], tmp_path / "shards", workers=2)
    source = tmp_path / "in" / "Observation.ndjson"
    assert f"{source}: not valid JSON; line ignored (line 8)" in out.warnings
    assert f"{source}: not a FHIR resource; line ignored (line 34)" in out.warnings
    assert out.lines == 40


@pytest.mark.parametrize("task_bytes", [200, 10**9])
def test_conditional_and_absolute_references_are_grouped_as_evaluate_groups_them(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, task_bytes: int
) -> None:
    """``Patient?identifier=`` (system|value or value) waits for the identifier index; both readers agree."""
    mrn = "urn:oid:1.2.3"

    def patient(pid: str, value: str) -> dict[str, object]:
        return {"resourceType": "Patient", "id": pid, "identifier": [{"system": mrn, "value": value}]}

    def observation(oid: str, reference: str) -> dict[str, object]:
        return {"resourceType": "Observation", "id": oid, "status": "final", "subject": {"reference": reference}}

    (tmp_path / "in").mkdir()
    observations = [
        observation("o1", f"Patient?identifier={mrn}|M1"),
        observation("o2", "Patient?identifier=M2"),
        observation("o3", "https://fhir.example.org/r4/Patient/p1/_history/3"),
        observation("o4", f"Patient?identifier={mrn}|NOBODY"),
        observation("o5", "Patient/p2"),
    ]
    (tmp_path / "in" / "Observation.ndjson").write_text("".join(json.dumps(o) + "\n" for o in observations))
    (tmp_path / "in" / "Patient.ndjson").write_text(
        json.dumps(patient("p1", "M1")) + "\n" + json.dumps(patient("p2", "M2"))
    )
    monkeypatch.setattr(part, "TASK_BYTES", task_bytes)
    out = part.partition([tmp_path / "in"], tmp_path / "shards", workers=2)
    streamed = {p.patient_id: sorted(r["id"] for r in p.resources) for s in out.shards for p in part.read_shard(s, {})}
    whole, warnings = read_patients([tmp_path / "in"])
    assert streamed == {p.patient_id: sorted(r["id"] for r in p.resources) for p in whole}
    assert streamed == {"p1": ["o1", "o3", "p1"], "p2": ["o2", "o5", "p2"]}
    unresolved = [w for w in out.warnings if "not resolvable" in w]
    assert unresolved == [w for w in warnings if "not resolvable" in w] and len(unresolved) == 1
    assert "Observation/o4" in unresolved[0]
