"""Bad-input cases: what real export folders hold beside the data (manifests, links, FIFOs, other JSON)."""

from __future__ import annotations

import json
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.hardening.bad_inputs_base import Build, Case, bundle, ndjson_lines, write_bundle, write_ndjson

# Valid JSON that is no FHIR resource, as real export folders hold beside the data.
MANIFEST = {"transactionTime": "2026-05-31T00:00:00Z", "request": "x/$export", "output": [], "error": []}
CDS_REQUEST = {"hook": "patient-view", "context": {"patientId": "p1"}, "prefetch": {}}


def top_level(folder: Path, data: dict[str, Any]) -> list[Path]:
    path = folder / "manifest.json"
    path.write_text(json.dumps(data))
    return [path]


def folder_cases() -> list[Case]:
    def with_extra(extra: Callable[[Path], None], ndjson: bool = True) -> Build:
        def build(folder: Path) -> list[Path]:
            paths = write_ndjson(folder, ndjson_lines()) if ndjson else write_bundle(folder / "in", bundle())
            extra(paths[0] if ndjson else folder / "in")
            return [paths[0] if ndjson else folder / "in"]

        def wrapped(folder: Path) -> list[Path]:
            if not ndjson:
                (folder / "in").mkdir()
            return build(folder)

        return wrapped

    def fifo(d: Path) -> None:
        os.mkfifo(d / "stream.ndjson")

    def huge_document(folder: Path) -> list[Path]:
        path = folder / "export.json"
        with path.open("wb") as fh:
            fh.truncate(2**30 + 2**26)  # sparse
        return [path]

    def huge_line(d: Path) -> None:
        with (d / "Condition-2.ndjson").open("wb") as fh:
            fh.truncate(70 * 2**20)  # sparse: no disk used, 70 MiB of NUL bytes and no newline

    def linked_conditions(folder: Path) -> list[Path]:
        (export,) = write_ndjson(folder, ndjson_lines())
        elsewhere = folder / "elsewhere"
        elsewhere.mkdir()
        (export / "Condition.ndjson").rename(elsewhere / "Condition.ndjson")
        (export / "conditions").symlink_to(elsewhere)
        return [export]

    return [
        Case(
            "empty .ndjson beside data",
            "folders",
            with_extra(lambda d: (d / "Empty.ndjson").write_bytes(b"")),
            warns="empty file",
        ),
        Case(
            "blank-lines .ndjson",
            "folders",
            with_extra(lambda d: (d / "Blank.ndjson").write_bytes(b"\n\n \n")),
            warns="empty file",
        ),
        Case("FIFO in folder", "folders", with_extra(fifo), warns="not a regular file"),
        Case(
            "dangling symlink",
            "folders",
            with_extra(lambda d: (d / "gone.ndjson").symlink_to(d / "nowhere")),
            warns="not a regular file",
        ),
        Case("symlink loop", "folders", with_extra(lambda d: (d / "loop").symlink_to(d)), warns="already read"),
        # a 70 MiB line (a sparse file, no newline) was read whole (4 GB for 2 GB), a MemoryError
        # traceback under a limit: skipped as read, said, and its type (from the file name) unknown
        Case("a 70 MiB line in a Condition file", "folders", with_extra(huge_line), warns="longer than 64 MiB"),
        # the Conditions in a linked sub-folder were skipped, silently: "no diagnosis", ineligible
        Case("Conditions in a symlinked sub-folder", "folders", linked_conditions),
        Case("directory named x.json", "folders", with_extra(lambda d: (d / "x.json").mkdir(), ndjson=False)),
        Case("README beside data", "folders", with_extra(lambda d: (d / "README.md").write_text("# export"))),
        Case(
            "Bulk manifest.json beside NDJSON",
            "folders",
            with_extra(lambda d: (d / "manifest.json").write_text(json.dumps(MANIFEST))),
            warns="a Bulk Data export as of 2026-05-31T00:00:00Z",  # read as the export's (retrieval.manifest)
        ),
        Case(
            "CDS Hooks request beside Bundles",
            "folders",
            with_extra(lambda d: (d / "request.json").write_text(json.dumps(CDS_REQUEST)), ndjson=False),
            warns="file skipped",
        ),
        Case("a corrupt Bundle in a folder", "folders", with_extra(lambda d: (d / "x.json").write_text("{"), False), 2),
        Case("a manifest named by the user", "folders", lambda f: top_level(f, MANIFEST), 2),
        Case("empty folder", "folders", lambda f: [f], 2),
        # read whole and parsed at once: 4.2 GB of memory for 2 GB, a segfault in orjson under a limit
        Case("a 1.1 GiB .json file", "folders", huge_document, 2),
        Case("only an empty .ndjson", "folders", lambda f: write_ndjson(f, {"Patient": []}), 2),
        Case("FIFO as the argument", "folders", lambda f: (os.mkfifo(f / "p.ndjson"), [f / "p.ndjson"])[1], 2),
        Case("missing path", "folders", lambda f: [f / "nope.json"], 2),
    ]
