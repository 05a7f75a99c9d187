"""A Bulk Data export saved to a folder with the server's ``manifest.json``: what it says beyond the files.

Why: an export leaves out a type it holds no record of, so a folder without a Condition file says
nothing by itself (the input's lack of a type is unknown: :func:`~.reading.not_held`); the manifest
the server answered with does say it, by ``count`` 0 or by the types asked for in ``request``. And
an ``error`` file the folder did not keep means records may be missing; a ``deleted`` file it did not
keep, that any record it holds may be gone. Every file reader (``evaluate``'s
:func:`~.files.read_patients`, screening's partition, Spark's) applies it to its :class:`~.reading.Drops`,
so all entry points read a folder alike.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from fhir_eligibility.errors import InputError
from fhir_eligibility.requirements.model import CLOSED_WORLD_TYPES
from fhir_eligibility.retrieval.inputs import MANIFEST, ndjson_lines, tree, unread_files, unread_type
from fhir_eligibility.retrieval.reading import ANY_TYPE, NOT_SEARCHED, Drops
from fhir_eligibility.retrieval.resource_types import RESOURCE_TYPES

NAME = MANIFEST
# a kick-off parameter for which the export holds only the records changed in a time span (words for the note)
_PARTIAL = {"_since": "since", "_until": "by"}
# the types a _typeFilter value names (``Condition?clinical-status=active``; several, comma-separated)
_FILTERED = re.compile(r"(?:^|,)([A-Z][A-Za-z]+)\?")
# what a manifest says in a report (every line of FolderManifest.lines begins so): screening keeps
# these first, whatever else it must leave out (:func:`is_note`)
_SAYS = ("a Bulk Data export", "not a readable Bulk Data manifest", "the export ")
_NOTE = re.compile(rf"(?:^|[/\\]){re.escape(NAME)}: (?:{'|'.join(_SAYS)})")


@dataclass
class FolderManifest:
    """What the manifests of the folders given say: ``vouched``, the types the export says it has none
    of (their absence from the files is "none", as ``screen --server`` reads its own export:
    :func:`~.bulk.bulk_export`); ``partial``, the types (``*``: every one) it says were not all exported,
    or that a file it lists (or one the folder holds and no reader reads) would have held (unknown, a
    record found too); ``incomplete``, the types it holds only some records of (a ``_since`` or
    ``_typeFilter`` export): a record found is real, an absence decides nothing; ``notes`` (what the
    report says of the export) and ``warnings`` (a manifest that could not be read)."""

    vouched: list[str] = field(default_factory=list)
    partial: list[str] = field(default_factory=list)
    incomplete: list[str] = field(default_factory=list)
    bases: dict[Path, str] = field(default_factory=dict)  # folder -> the server its request names
    notes: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)

    def apply(self, drops: Drops) -> None:
        """Into a reader's drops: a vouched type is held (read as none where absent), a partial one lost
        for everyone in scope (unknown), an incomplete one held in part (as a search's unsearched types)."""
        drops.held.update(self.vouched)
        drops.everyone.update(self.partial)
        drops.everyone.update(NOT_SEARCHED + t for t in self.incomplete)

    def base_for(self, path: Path) -> str | None:
        """The server a file's export came from (the nearest folder's manifest ``request``), if known."""
        for folder in sorted(self.bases, key=lambda f: len(f.parts), reverse=True):
            if path == folder or folder in path.parents:
                return self.bases[folder]
        return None

    def lines(self) -> list[str]:
        """What a report shows of the manifests: what could not be read, then what they said."""
        return [*self.warnings, *self.notes]


def is_note(line: str) -> bool:
    """Whether a report line is one of :meth:`FolderManifest.lines`: it explains every verdict of the
    export (why a type is unknown, or none), so a report that must leave warnings out keeps it."""
    return _NOTE.search(line) is not None


@dataclass(frozen=True)
class _Output:
    kind: str
    name: str  # the last part of its url: the file's name in the folder
    count: int | None


def folder_manifest(paths: Iterable[Path]) -> FolderManifest:
    """The manifests of the folders given (``manifest.json`` at their top), and what the folders hold
    that no reader reads (:func:`~.inputs.unread_files`: its type partial).

    Vouched: a type the manifest's ``output`` lists with ``count`` 0, or one its ``request`` asked for
    (``_type``) that ``output`` leaves out, except the closed-world types, whose absence decides (a
    lenient export may skip them). Not when the export holds only some records: a ``_since`` export
    (what changed since) vouches nothing, a ``_typeFilter`` does not vouch the types it filters (a
    count of 0 says none matched). Such an export leaves the closed-world types incomplete too (every
    one for ``_since``/``_until``, the filtered ones for ``_typeFilter``): the records it lacks were
    not exported, not absent, so their absence decides nothing (the closed world needs the whole record).
    A POST kick-off keeps its parameters in its body, so ``request``
    names none: a non-empty ``deleted`` array (only a ``_since`` export has one) marks it a ``_since``
    export; without one, and no standard ``extension`` saying them, it reads as a whole export (a limit:
    save such an export with the parameters in ``request``, or without its manifest). A type listed
    with records is what the files hold: not vouched.
    Partial: a type whose listed file the folder does not hold (by the last part of its url), or holds
    with fewer lines than its ``count`` (unless none of the listed names is in the folder: saved
    under other names, not checked, and said); an ``error`` file the folder does not hold (what it
    reported is unknown: every type), or one naming a resource type; a ``deleted`` file (a ``_since``
    export's DELETE Bundles, which the readers apply when held) the folder does not hold: every type,
    since any record it holds may have been deleted since and must not decide. An unreadable manifest: a
    warning, the folder read as without one."""
    out = FolderManifest()
    paths = list(paths)
    out.partial.extend(sorted({unread_type(f) for f in unread_files(paths)}))
    for folder in (p for p in paths if p.is_dir()):
        path = folder / NAME
        if not path.is_file():
            continue
        try:
            manifest = json.loads(path.read_bytes())
            listed, errors, gone = manifest["output"], manifest.get("error") or [], manifest.get("deleted") or []
            if not all(isinstance(v, list) for v in (listed, errors, gone)):
                raise TypeError
            outputs = [_output(o) for o in listed]
            error_urls = [(e.get("type"), e.get("url")) for e in errors]
            deleted_names = [_name(d.get("url")) for d in gone]
            asked = manifest.get("request")
        except (OSError, ValueError, RecursionError, TypeError, KeyError, AttributeError):
            out.warnings.append(f"{path}: not a readable Bulk Data manifest; the folder is read without it")
            continue
        held = _names(folder)
        failed = [kind for kind, url in error_urls if _name(url) not in held]
        params = parse_qsl(urlsplit(asked).query) if isinstance(asked, str) else []
        base = _server(asked) if isinstance(asked, str) else None
        if base is not None:
            out.bases[folder] = base
        requested = {t for k, v in params if k == "_type" for t in v.split(",")} & RESOURCE_TYPES
        # _since (what changed since) and _until (what was last changed by, Bulk STU3) hold some records only
        since = next((f"{_PARTIAL[k]} {v} ({k})" for k, v in params if k in _PARTIAL), None)
        if since is None and deleted_names:  # only a _since export lists deletions (a POST's _since is in its body)
            since = "since an earlier export (it lists deleted records)"
        filtered = {t for k, v in params if k == "_typeFilter" for t in _FILTERED.findall(v)} & RESOURCE_TYPES
        counts: dict[str, set[bool]] = {}  # per type listed: whether each of its files is counted 0
        for o in outputs:
            counts.setdefault(o.kind, set()).add(o.count == 0)
        none = {k for k, c in counts.items() if c == {True} and k in RESOURCE_TYPES} | (requested - counts.keys())
        if since is not None:  # no type is whole: a diagnosis it lacks may be recorded before (clinical.md §0.7)
            out.incomplete.extend(CLOSED_WORLD_TYPES)
            out.notes.append(
                f"{path}: the export holds only what changed {since}: no type is whole, so a record it"
                " lacks is unknown, not none"
            )
            none = set()
        out.incomplete.extend(sorted(filtered & set(CLOSED_WORLD_TYPES)))  # holds only the records matched
        for kind in sorted(none & filtered):
            out.notes.append(f"{path}: the export filtered {kind} (_typeFilter): none matched, {kind} is unknown")
        for kind in sorted(none - filtered):
            if kind in counts or kind not in CLOSED_WORLD_TYPES:
                out.vouched.append(kind)
            else:
                out.notes.append(f"{path}: the export lists no {kind} file; {kind} is unknown, not none")
        _check_outputs(path, outputs, held, out)
        named = all(t in RESOURCE_TYPES and t != "OperationOutcome" for t in failed)  # (a server's own use)
        out.partial.extend(sorted({t for t in failed if isinstance(t, str)}) if named else [ANY_TYPE])
        if failed:
            out.notes.append(f"{path}: the export reported errors the folder does not hold: some data may be missing")
        lacking = [n or "a file" for n in deleted_names if n not in held]
        if lacking:  # any record held may have been deleted since: none may decide (as a lost error file)
            out.partial.append(ANY_TYPE)
            out.notes.append(
                f"{path}: the export's deletions ({', '.join(lacking[:3])}{', ...' if len(lacking) > 3 else ''})"
                " are not in the folder: any record may have been deleted since, every record unknown"
            )
        when = manifest.get("transactionTime")
        out.notes.insert(0, f"{path}: a Bulk Data export" + (f" as of {when}" if isinstance(when, str) else ""))
    out.vouched = [t for t in dict.fromkeys(out.vouched) if t not in out.partial and ANY_TYPE not in out.partial]
    out.partial = list(dict.fromkeys(out.partial))
    out.incomplete = list(dict.fromkeys(out.incomplete))
    return out


def _server(request: str) -> str | None:
    """The server base of an ``$export`` kick-off URL (``<base>[/Patient|/Group/<id>]/$export?...``),
    scheme and host lower-cased as :func:`~.patient_bases.base_of` compares them."""
    parts = urlsplit(request)
    path, found, _rest = parts.path.partition("/$export")
    if not found or not parts.scheme or not parts.netloc:
        return None
    segments = path.rstrip("/").split("/")
    if segments[-1] == "Patient":
        segments = segments[:-1]
    elif len(segments) >= 2 and segments[-2] == "Group":
        segments = segments[:-2]
    return f"{parts.scheme.lower()}://{parts.netloc.lower()}{'/'.join(segments).rstrip('/')}"


def _output(o: dict[str, object]) -> _Output:
    """One ``output`` entry (a KeyError, AttributeError or TypeError: not a manifest's)."""
    count = o.get("count")
    return _Output(str(o["type"]), _name(o.get("url")), count if type(count) is int else None)


def _name(url: object) -> str:
    """The last part of a manifest entry's url: the name its file is saved under."""
    return urlsplit(url).path.rsplit("/", 1)[-1] if isinstance(url, str) else ""


def _names(folder: Path) -> dict[str, Path]:
    """The files under ``folder`` by name (the first in sorted order; compressed ones also under their
    name without ``.gz``/``.bz2``, as a saved download may be kept)."""
    out: dict[str, Path] = {}
    for root, names in tree(folder):  # as the readers walk it
        for n in sorted(names):
            f = Path(root, n)
            if f.is_file():
                out.setdefault(n, f)
                stem, dot, codec = n.rpartition(".")
                if dot and codec.lower() in ("gz", "bz2"):
                    out.setdefault(stem, f)
    return out


def _check_outputs(path: Path, outputs: list[_Output], held: dict[str, Path], out: FolderManifest) -> None:
    """Whether the folder holds what ``output`` lists: a file it lacks, or holding fewer lines than
    its ``count`` (more lose nothing), leaves its type partial (records may be missing: before, a
    missing ``Condition-2.ndjson`` beside ``Condition-1.ndjson`` read as "no such diagnosis"). When
    the folder holds no listed file of the type, the files hold none of it: unknown already
    (:func:`~.reading.not_held`), and said. Files saved under other names are not checked."""
    expected = [o for o in outputs if o.count != 0]
    if expected and not any(o.name in held for o in outputs):
        out.notes.append(f"{path}: the export's files are not in the folder under their names: not checked against it")
        return
    kept = {o.kind for o in outputs if o.name in held}
    for o in expected:
        kind = o.kind if o.kind in RESOURCE_TYPES else ANY_TYPE
        what = "its records" if kind == ANY_TYPE else f"{kind}"
        if o.name not in held:
            if o.kind in kept or kind == ANY_TYPE:
                out.partial.append(kind)
            out.notes.append(f"{path}: the export's {o.name or 'file'} ({o.kind}) is not in the folder: {what} unknown")
            continue
        found = _lines(held[o.name])
        if o.count is not None and found is not None and found < o.count:
            out.partial.append(kind)
            out.notes.append(
                f"{path}: the export's {o.name} holds {found} resource(s), the manifest announced {o.count}:"
                f" {what} unknown"
            )


def _lines(path: Path) -> int | None:
    """The resources (non-blank lines) of an NDJSON file; None when it cannot be read (its reader says so)."""
    try:
        return sum(1 for line in ndjson_lines(path) if line.strip())
    except InputError:
        return None


__all__ = ["NAME", "FolderManifest", "folder_manifest", "is_note"]
