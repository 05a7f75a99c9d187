"""What data the selected trials need: the contract between planning and every data source."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date


@dataclass(frozen=True, order=True)
class DataRequirement:
    """One kind of patient data: a resource type, optionally narrowed to codes and a start date.

    ``codes`` empty means every resource of the type (Patient, or a criterion matching any
    record). ``date_from`` None means the whole history is needed.
    """

    resource_type: str
    codes: frozenset[tuple[str, str]] = frozenset()
    date_from: date | None = None
    criteria: frozenset[str] = field(default=frozenset(), compare=False)


@dataclass(frozen=True)
class Unavailable:
    """Data a source could not deliver (timeout, 5xx, refused): criteria needing it are UNKNOWN."""

    resource_type: str
    codes: frozenset[tuple[str, str]]
    reason: str
