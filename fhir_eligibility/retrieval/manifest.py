"""A Bulk Data export saved to a folder with the server's ``manifest.json``: what it says beyond the files.

Why: an export leaves out a type it holds no record of, so a folder without a Condition file says
nothing by itself (the input's lack of a type is unknown: :func:`~.reading.not_held`); the manifest
the server answered with does say it, by ``count`` 0 or by the types asked for in ``request``. And
an ``error`` file the folder did not keep means records may be missing. Every file reader (``evaluate``'s
:func:`~.files.read_patients`, screening's partition, Spark's) applies it to its :class:`~.reading.Drops`,
so all entry points read a folder alike.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from fhir_eligibility.requirements.model import CLOSED_WORLD_TYPES
from fhir_eligibility.retrieval.reading import ANY_TYPE, Drops
from fhir_eligibility.retrieval.resource_types import RESOURCE_TYPES

NAME = "manifest.json"


@dataclass
class FolderManifest:
    """What the manifests of the folders given say: ``vouched``, the types the export says it has none
    of (their absence from the files is "none", as ``screen --server`` reads its own export:
    :func:`~.bulk.bulk_export`); ``partial``, the types (``*``: every one) it says were not all exported;
    ``notes`` (what the report says of the export) and ``warnings`` (a manifest that could not be read)."""

    vouched: list[str] = field(default_factory=list)
    partial: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def apply(self, drops: Drops) -> None:
        """Into a reader's drops: a vouched type is held (read as none where absent), a partial one lost
        for everyone in scope (unknown)."""
        drops.held.update(self.vouched)
        drops.everyone.update(self.partial)

    def lines(self) -> list[str]:
        """What a report shows of the manifests: what could not be read, then what they said."""
        return [*self.warnings, *self.notes]


def folder_manifest(paths: Iterable[Path]) -> FolderManifest:
    """The manifests of the folders given (``manifest.json`` at their top). Vouched: a type the
    manifest's ``output`` lists with ``count`` 0, or one its ``request`` asked for (``_type``) that
    ``output`` leaves out, except the closed-world types, whose absence decides (a lenient export may
    skip them). A type listed with records is what the files hold: not vouched (its file may be
    missing). Partial: an ``error`` file the folder does not hold (what it reported is unknown: every
    type), or one naming a resource type. An unreadable manifest: a warning, the folder read as
    without one."""
    out = FolderManifest()
    for folder in (p for p in paths if p.is_dir()):
        path = folder / NAME
        if not path.is_file():
            continue
        try:
            manifest = json.loads(path.read_bytes())
            listed, errors = manifest["output"], manifest.get("error") or []
            if not isinstance(listed, list) or not isinstance(errors, list):
                raise TypeError
            outputs = [(str(o["type"]), o.get("count") == 0 and o["count"] is not False) for o in listed]
            failed = [e.get("type") for e in errors if not _held_file(folder, e.get("url"))]
            asked = manifest.get("request")
        except (OSError, ValueError, RecursionError, TypeError, KeyError, AttributeError):
            out.warnings.append(f"{path}: not a readable Bulk Data manifest; the folder is read without it")
            continue
        query = urlsplit(asked).query if isinstance(asked, str) else ""
        requested = {t for k, v in parse_qsl(query) if k == "_type" for t in v.split(",")} & RESOURCE_TYPES
        counts: dict[str, set[bool]] = {}  # per type listed: whether each of its files is counted 0
        for kind, zero in outputs:
            counts.setdefault(kind, set()).add(zero)
        none = {k for k, c in counts.items() if c == {True} and k in RESOURCE_TYPES} | (requested - counts.keys())
        for kind in sorted(none):
            if kind in counts or kind not in CLOSED_WORLD_TYPES:
                out.vouched.append(kind)
            else:
                out.notes.append(f"{path}: the export lists no {kind} file; {kind} is unknown, not none")
        named = all(t in RESOURCE_TYPES and t != "OperationOutcome" for t in failed)  # (a server's own use)
        out.partial.extend(sorted(set(failed)) if named else [ANY_TYPE])
        if failed:
            out.notes.append(f"{path}: the export reported errors the folder does not hold: some data may be missing")
        when = manifest.get("transactionTime")
        out.notes.insert(0, f"{path}: a Bulk Data export" + (f" as of {when}" if isinstance(when, str) else ""))
    out.vouched = [t for t in dict.fromkeys(out.vouched) if t not in out.partial and ANY_TYPE not in out.partial]
    out.partial = list(dict.fromkeys(out.partial))
    return out


def _held_file(folder: Path, url: object) -> bool:
    """Whether the folder holds the file a manifest entry names (by the last part of its URL): a saved
    error file is read with the data (:func:`~.files.outcome_in_data`)."""
    name = urlsplit(url).path.rsplit("/", 1)[-1] if isinstance(url, str) else ""
    return bool(name) and any(f.is_file() for f in folder.rglob(name))


__all__ = ["NAME", "FolderManifest", "folder_manifest"]
