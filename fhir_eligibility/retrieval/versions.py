"""Which of several versions of one record is the one to read: the one rule of every reader.

Why its own module: a record can arrive twice (a full export and a later ``_since`` one, a
history Bundle, two files given), and every entry point must keep the same version, with the
same warning (:data:`LATEST_RULE`).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence

from fhir_eligibility.record import Resource


def updated(res: Resource) -> dt.datetime | None:
    meta = res.get("meta")
    return _instant(meta.get("lastUpdated") if isinstance(meta, dict) else None)


def _instant(text: object) -> dt.datetime | None:
    """A FHIR instant as an aware datetime (UTC when it gives no zone); None when it is not one."""
    if not isinstance(text, str):
        return None
    try:
        when = dt.datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    return when if when.tzinfo else when.replace(tzinfo=dt.UTC)


def version_id(res: Resource) -> str | None:
    """``meta.versionId`` when it is non-empty text."""
    meta = res.get("meta")
    vid = meta.get("versionId") if isinstance(meta, dict) else None
    return vid if isinstance(vid, str) and vid else None


OLDEST = dt.datetime.min.replace(tzinfo=dt.UTC)


def newest(versions: Sequence[tuple[str | None, dt.datetime | None]], issued: Sequence[dt.datetime | None] = ()) -> int:
    """Which of several versions of one record is the current one, given each one's
    ``(versionId, lastUpdated)`` in order from oldest to newest when nothing else says: the highest
    ``versionId`` when every one is a number (many servers count versions; others write opaque ids,
    GUIDs, whose order means nothing: then not compared), then the latest ``lastUpdated`` (missing
    counts as oldest), then the latest ``issued`` (a result's: an amended one is issued after the one
    it corrects), then the last in that order."""
    ids = [v for v, _when in versions]
    if all(v is not None and v.isdigit() for v in ids):
        keys: list[int] = [int(v) for v in ids if v is not None]
    else:
        keys = [0] * len(versions)
    released = [*issued, *[None] * (len(versions) - len(issued))]
    ranked = [(keys[i], when or OLDEST, released[i] or OLDEST, i) for i, (_v, when) in enumerate(versions)]
    return max(range(len(versions)), key=lambda i: ranked[i])


def choose_patient(candidates: Sequence[Resource]) -> tuple[Resource, bool]:
    """(the version to use, whether the candidates disagreed), candidates in input order: a Patient's,
    or any record's (the highest ``meta.versionId`` when all have one, else the latest
    ``meta.lastUpdated``, else the latest ``issued`` or ``authored``; on a tie, the last in input order:
    :func:`newest`)."""
    distinct: list[Resource] = []
    for c in candidates:
        if c not in distinct:
            distinct.append(c)
    if len(distinct) == 1:
        return distinct[0], False
    best = newest([(version_id(c), updated(c)) for c in candidates], [_released(c) for c in candidates])
    return candidates[best], True


def _released(res: Resource) -> dt.datetime | None:
    """When this version was written, as the resource says: a result's ``issued``, or a
    QuestionnaireResponse's ``authored`` ("the date the answers were last changed", R4)."""
    return _instant(res.get("issued")) or _instant(res.get("authored"))


# how one of several versions of a record is chosen (choose_patient), as every warning says it
LATEST_RULE = (
    "used the latest (the highest numeric meta.versionId, else the latest meta.lastUpdated, else the latest "
    "issued or authored; on a tie, the last in input order)"
)


def duplicate_warning(patient_id: str) -> str:
    return f"Patient/{patient_id}: different Patient resources with this id; {LATEST_RULE}"


def one_patient(patient_id: str, resources: Iterable[Resource], warnings: list[str]) -> list[Resource]:
    """A patient's resources with exactly one Patient first (the chosen one), the rest in input order."""
    patients: list[Resource] = []
    others: list[Resource] = []
    for r in resources:
        (patients if r.get("resourceType") == "Patient" else others).append(r)
    if not patients:
        warnings.append(f"Patient/{patient_id}: no Patient resource in the input (age and sex unknown)")
        return others
    chosen, conflict = choose_patient(patients)
    if conflict:
        warnings.append(duplicate_warning(patient_id))
        chosen = _undecided(patient_id, chosen, patients, warnings)
    return [chosen, *others]


# what a Patient's versions decide by (age, sex): unknown when unordered versions disagree on it
_DECIDING = ("birthDate", "gender")


def _undecided(patient_id: str, chosen: Resource, patients: Sequence[Resource], warnings: list[str]) -> Resource:
    """``chosen`` without the deciding elements its versions disagree on when nothing orders them (no
    numeric ``versionId``, no ``lastUpdated`` telling one newer): the input's order is no evidence of
    which birth date is right, so the age is unknown, not the last one listed."""
    ids = [version_id(p) for p in patients]
    numbered = all(v is not None and v.isdigit() for v in ids)  # as :func:`newest` compares them
    ranks = [
        (int(v) if numbered and v is not None else 0, updated(p) or OLDEST) for v, p in zip(ids, patients, strict=True)
    ]
    best = max(ranks)
    if sum(1 for r, p in zip(ranks, patients, strict=True) if r == best and p != chosen) == 0:
        return chosen  # the chosen version is newer than every other: it decides
    tied = [p for r, p in zip(ranks, patients, strict=True) if r == best]
    differ = [k for k in _DECIDING if len({repr(p.get(k)) for p in tied}) > 1]
    if not differ:
        return chosen
    warnings.append(
        f"Patient/{patient_id}: versions with this id disagree on {' and '.join(differ)} and nothing orders "
        "them (meta.versionId, meta.lastUpdated): read as unknown"
    )
    return {k: v for k, v in chosen.items() if k not in differ}


__all__ = [
    "LATEST_RULE",
    "OLDEST",
    "choose_patient",
    "duplicate_warning",
    "newest",
    "one_patient",
    "updated",
    "version_id",
]
