"""An adversarial review of saved Bulk exports: what a folder and its ``manifest.json`` say beyond the
files, read alike by ``evaluate``, its streamed form and ``screen`` (``every_path``).

Worked by hand on sample 01 (tests/retrieval/test_input_review.py): NETTER-2 (NCT03972488) I1 fails
on its NET Condition (diagnosed in 2021); with its Conditions unknown (a file the reader lacks, a type
the export did not vouch for) I1 is ``unknown``, never ``fail``; with them read, ``fail`` again.

- A ``_since`` export holds only what changed since: its ``count`` 0 and the types it leaves out say
  nothing (before: Condition vouched none, everyone ineligible on the closed-world diagnosis). A
  ``_typeFilter`` on a type: a count of 0 says none matched, not none.
- A file ``output`` lists that the folder lacks (``Condition-2.ndjson``), or holds with another count
  of lines, leaves its type unknown (before: read as the whole export, no warning).
- A data file no reader reads (``Condition-2`` without a suffix, a dangling link) leaves its type
  unknown for everyone, with a warning; ``.ndjson.bz2`` is read (Spark's Hadoop reads it too).
"""

from __future__ import annotations

import bz2
import gzip
import json
from pathlib import Path
from typing import Any

from fhir_eligibility.retrieval.manifest import folder_manifest
from tests.retrieval.test_folder_manifest import lost, manifest, out
from tests.retrieval.test_input_review import NETTER2, every_path, resources, write_ndjson

P = "Patient/sample-01"
NOT_HELD = "the input holds no Condition records (an export without them)"
# spark21: an export of some records (_since, _typeFilter) holds its closed-world types in part
IN_PART = (
    "the input holds only some of this patient's records (searches of other types or of some records, "
    "or an export of what changed or matched): Condition records may be missing"
)
NOT_READ = "a Condition record in the input could not be read (see warnings)"


def without_conditions(tmp_path: Path, body: dict[str, Any]) -> Path:
    """Sample 01 as an export without Condition records, with ``body`` as its manifest."""
    folder = write_ndjson(tmp_path / "export", [r for r in resources() if r["resourceType"] != "Condition"])
    (folder / "manifest.json").write_text(json.dumps(body))
    return folder


def whole(tmp_path: Path) -> Path:
    """Sample 01 as a whole export: one file per type (``Condition.ndjson``: 2 lines)."""
    return write_ndjson(tmp_path / "export", resources())


def listing(folder: Path, **counts: int) -> list[dict[str, Any]]:
    """``output`` entries for the folder's files, each counted as it holds (``counts``: by file stem, instead)."""
    entries = []
    for f in sorted(folder.glob("*.ndjson")):
        lines = len(f.read_text().splitlines())
        entries.append(out(f.stem, counts.get(f.stem, lines)))
    return entries


def i1(tmp_path: Path, folder: Path) -> tuple[str, list[str]]:
    (tmp_path / "tmp").mkdir(exist_ok=True)
    results, warnings = every_path([folder], tmp_path / "tmp")
    return results[(P, NETTER2, "I1")], warnings


# ------------------------------------------------------------------ 1. _since and _typeFilter exports


def test_a_since_export_vouches_for_nothing(tmp_path: Path) -> None:
    body = manifest([out("Patient", 1), out("Condition", 0), out("Observation")], types="Patient,Condition,Procedure")
    body["request"] += "&_since=2026-05-15T00:00:00Z"
    folder = without_conditions(tmp_path, body)
    m = folder_manifest([folder])
    assert m.vouched == [] and m.partial == []
    assert lost(folder) == {NOT_HELD, IN_PART}  # as without the manifest, and held in part (spark21)
    result, warnings = i1(tmp_path, folder)
    assert result == "unknown"
    assert any("only what changed since 2026-05-15T00:00:00Z (_since)" in w for w in warnings)


def test_an_until_export_vouches_for_nothing(tmp_path: Path) -> None:
    """``_until`` (Bulk STU3: what was last changed by a date) holds some records only, as ``_since``:
    a Condition updated after 2020 is not in it, so its count 0 is no "none" (it was: NETTER-2 I1 fail)."""
    body = manifest([out("Patient", 1), out("Condition", 0), out("Observation")], types="Patient,Condition,Procedure")
    body["request"] += "&_until=2020-01-01T00:00:00Z"
    folder = without_conditions(tmp_path, body)
    assert folder_manifest([folder]).vouched == []
    result, warnings = i1(tmp_path, folder)
    assert result == "unknown"
    assert any("only what changed by 2020-01-01T00:00:00Z (_until)" in w for w in warnings)


def test_a_type_filter_leaves_its_types_unvouched(tmp_path: Path) -> None:
    """``_typeFilter=Condition?clinical-status=active`` (URL-encoded): Condition counted 0 is "none
    matched", unknown; AllergyIntolerance counted 0, unfiltered, is still none."""
    body = manifest([out("Patient", 1), out("Condition", 0), out("AllergyIntolerance", 0)], types="Patient,Condition")
    body["request"] += "&_typeFilter=Condition%3Fclinical-status%3Dactive"
    folder = without_conditions(tmp_path, body)
    m = folder_manifest([folder])
    assert m.vouched == ["AllergyIntolerance"]
    assert any("filtered Condition (_typeFilter)" in n for n in m.notes)
    assert m.incomplete == ["Condition"]  # spark21: the filtered type holds only what matched
    assert lost(folder) == {NOT_HELD, IN_PART}
    assert i1(tmp_path, folder)[0] == "unknown"


# ------------------------------------------------------------------ 4. the files output lists


def test_files_as_the_manifest_lists_them_are_the_whole_export(tmp_path: Path) -> None:
    folder = whole(tmp_path)
    (folder / "manifest.json").write_text(json.dumps(manifest(listing(folder))))
    assert folder_manifest([folder]).partial == []
    assert i1(tmp_path, folder)[0] == "fail"


def test_a_listed_file_the_folder_lacks_leaves_its_type_unknown(tmp_path: Path) -> None:
    folder = whole(tmp_path)
    listed = [*listing(folder), {"type": "Condition", "url": "https://x/files/Condition-2.ndjson", "count": 2}]
    (folder / "manifest.json").write_text(json.dumps(manifest(listed)))
    assert folder_manifest([folder]).partial == ["Condition"]
    assert lost(folder) == {NOT_READ}
    result, warnings = i1(tmp_path, folder)
    assert result == "unknown"
    assert any("Condition-2.ndjson (Condition) is not in the folder" in w for w in warnings)


def test_a_listed_file_with_fewer_lines_than_its_count_leaves_its_type_unknown(tmp_path: Path) -> None:
    folder = whole(tmp_path)
    (folder / "manifest.json").write_text(json.dumps(manifest(listing(folder, Condition=3))))
    assert folder_manifest([folder]).partial == ["Condition"]
    result, warnings = i1(tmp_path, folder)
    assert result == "unknown"
    assert any("Condition.ndjson holds 2 resource(s), the manifest announced 3" in w for w in warnings)


def test_files_saved_under_other_names_are_not_checked_and_it_is_said(tmp_path: Path) -> None:
    folder = whole(tmp_path)
    renamed = [o | {"url": o["url"].replace(".ndjson", "-0001.ndjson")} for o in listing(folder)]
    (folder / "manifest.json").write_text(json.dumps(manifest(renamed)))
    m = folder_manifest([folder])
    assert m.partial == [] and any("not in the folder under their names" in n for n in m.notes)
    assert i1(tmp_path, folder)[0] == "fail"


# ------------------------------------------------------------------ 5. data files no reader reads


def test_a_bz2_file_is_read(tmp_path: Path) -> None:
    folder = whole(tmp_path)
    conditions = folder / "Condition.ndjson"
    (folder / "Condition.ndjson.bz2").write_bytes(bz2.compress(conditions.read_bytes()))
    conditions.unlink()
    result, warnings = i1(tmp_path, folder)
    assert result == "fail" and warnings == []


def test_a_dangling_link_or_a_file_without_suffix_leaves_its_type_unknown(tmp_path: Path) -> None:
    for name in ("link", "bare"):
        folder = whole(tmp_path / name)
        if name == "link":
            (folder / "Condition-2.ndjson").symlink_to(tmp_path / "nowhere.ndjson")
        else:
            (folder / "Condition-2").write_text('{"resourceType": "Condition"}\n')
        assert folder_manifest([folder]).partial == ["Condition"]
        result, warnings = i1(tmp_path / name, folder)
        assert result == "unknown", name
        assert any("Condition-2" in w and "its Condition records are unknown" in w for w in warnings), warnings


def test_a_data_file_of_no_stated_type_leaves_every_type_unknown(tmp_path: Path) -> None:
    """``extra.json.gz`` may hold any patient's Bundle: every type unknown for everyone."""
    folder = whole(tmp_path)
    (folder / "extra.json.gz").write_bytes(gzip.compress(b"{}"))
    assert folder_manifest([folder]).partial == ["*"]
    result, warnings = i1(tmp_path, folder)
    assert result == "unknown"
    assert any("extra.json.gz: not read" in w and "(of any type) are unknown" in w for w in warnings)


def test_a_folder_without_odd_files_loses_nothing(tmp_path: Path) -> None:
    folder = whole(tmp_path)
    (folder / "README.md").write_text("# export\n")
    assert folder_manifest([folder]).partial == []
    assert i1(tmp_path, folder) == ("fail", [])
