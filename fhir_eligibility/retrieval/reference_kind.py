"""What a warning may say about a patient reference it could not place: its kind, never its value.

Why: a reference may carry an identifier (``Patient?identifier=urn:mrn|MRN9191``), and warnings reach
the report and standard error, with or without ``--deidentify`` (README: "the report names the
Condition, never the identifier"; docs/write-back.md: no MRN or identifier in logs). The resource
(type and id) and the kind of reference are enough to find the record in the input.
"""

from __future__ import annotations

import re

from fhir_eligibility.record import Resource
from fhir_eligibility.retrieval.reading import Position, WarningLog

_LITERAL = re.compile(r"([A-Z][A-Za-z]{1,63})/[^/?#]+(?:/_history/[^/?#]+)?")


def reference_kind(ref: str) -> str:
    """``ref`` in words that hold none of its values: the type it names, if a literal reference."""
    ref = ref.strip()
    if "?" in ref:
        return "a conditional reference by identifier" if "identifier=" in ref else "a conditional reference"
    if ref.startswith("urn:uuid:"):
        return "a urn:uuid reference"
    if ref.startswith("urn:"):
        return "a urn reference"
    if "://" in ref:
        return "an absolute reference"
    literal = _LITERAL.fullmatch(ref)
    if literal is not None:
        return f"a reference to a {literal.group(1)}"
    return "an unreadable reference"


def warn_reference(log: WarningLog, source: str, what: str, res: Resource, at: Position, ref: str) -> None:
    """Count a resource left out for its patient reference (``<source>: <what>; resource ignored``),
    naming the first one and the kind of its reference (:func:`reference_kind`)."""
    detail = f"{res.get('resourceType')}/{str(res.get('id', '?'))[:40]}, {reference_kind(ref)}"
    log.add(f"{source}: {what}; resource ignored", detail, at)


def warn_elsewhere(log: WarningLog, source: str, res: Resource, at: Position) -> None:
    """Count a record whose patient is on another server than its export's (``read_line``): named by
    the resource, never the URL's patient id."""
    detail = f"{res.get('resourceType')}/{str(res.get('id', '?'))[:40]}, an absolute reference to another server"
    log.add(f"{source}: patient of another server; resource ignored", detail, at)


__all__ = ["reference_kind", "warn_elsewhere", "warn_reference"]
