"""Pass 2 of the partition reader: one shard's part files back into patients, one at a time.

Kept apart from :mod:`~fhir_eligibility.screening.partition` (pass 1) because it is what every
worker runs per shard: it needs the Medication index and what pass 1 could not read (``Drops``),
and applies the shared duplicate-Patient choice of :mod:`fhir_eligibility.retrieval.reading`.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any

import orjson

from fhir_eligibility.errors import InputError
from fhir_eligibility.record import PatientData, Resource
from fhir_eligibility.retrieval.assembly import assemble
from fhir_eligibility.retrieval.reading import UNAVAILABLE_MARK, Drops, not_held, unavailable


def read_shard(
    parts: Sequence[Path], medications: dict[str, dict[str, Any]], drops: Drops | None = None
) -> Iterator[PatientData]:
    """Pass 2: the patients of one shard, one at a time (sorted by id: deterministic order), each
    with the types its input lost unavailable (``drops`` from pass 1, marks from its Bundles)."""
    groups: dict[str, list[bytes]] = {}
    for path in parts:
        try:
            with path.open("rb") as fh:
                for line in fh:
                    key, _, text = line.partition(b"\t")
                    groups.setdefault(key.decode("utf-8"), []).append(text)
        except OSError as e:
            raise InputError(f"{path}: cannot read shard ({e.__class__.__name__})") from None
    for pid in sorted(groups):
        lines = groups.pop(pid)
        if drops is None or not drops.gone(pid):  # a deleted patient is no patient (warned in pass 1)
            yield patient_of(pid, lines, medications, drops)


def patient_of(
    pid: str, lines: Iterable[bytes], medications: dict[str, dict[str, Any]], drops: Drops | None = None
) -> PatientData:
    """One patient from their shard lines in input order (also the Spark engine's pass 2), through the
    one assembler (:func:`~fhir_eligibility.retrieval.assembly.assemble`): Medication references
    resolved against the global index, one Patient chosen and first, the types its input lost unavailable."""
    resources: list[Resource] = []
    lost = set() if drops is None else drops.of(pid)
    bundle = False
    for text in lines:
        res = orjson.loads(text)
        if res.get("resourceType") == UNAVAILABLE_MARK:
            lost.update(res["types"])
            bundle = bundle or "bundle" in res
        else:
            resources.append(res)
    # what the whole input holds no record of, for a patient with no Bundle (an export's records)
    census = not_held(drops) if drops is not None and not bundle else ()
    if drops is not None:  # what a deletion anywhere in the input deleted (reading.Drops.current)
        resources = drops.current(resources)
    return assemble(pid, resources, formulary=medications, unavailable=unavailable(lost) + census)


__all__ = ["patient_of", "read_shard"]
