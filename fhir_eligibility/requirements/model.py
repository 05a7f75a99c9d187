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
    """Data a source could not deliver (timeout, 5xx, refused): criteria needing it are UNKNOWN.

    ``unsupported``: the source does not hold the type at all (a server without MedicationDispense:
    its CapabilityStatement leaves it out, or the search answers "not supported"). For orders and
    dispenses, an addition to the administrations and statements, that is no fault: the site has no
    such records, as a file without them has none. A source turns these into a warning and keeps them
    out of :attr:`PatientData.unavailable
    <fhir_eligibility.record.PatientData.unavailable>`, which holds faults only (every reader of it,
    the evaluator and the write-back's "incomplete", treats an entry as data that exists but was not
    delivered). Any other type stays unavailable: a server without Condition has not said there is
    no diagnosis. The same holds for a Bulk export with no record of a type at all
    (:func:`~fhir_eligibility.retrieval.reading.not_held`). How a criterion reads each kind:
    ``unavailable_for`` in :mod:`fhir_eligibility.evaluation.patient_record`.
    """

    resource_type: str
    codes: frozenset[tuple[str, str]]
    reason: str
    unsupported: bool = False
    # ``partial``: the type was delivered, but more of its records may be filed elsewhere (under a
    # record this patient's replaced in a merge): what is here is real, its absence decides nothing
    partial: bool = False


# What absence decides (closed world: diagnoses, procedures, treatment history, allergies; clinical.md
# §0 items 7, 8): a type of these a source does not hold (``unsupported``), or holds only in part
# (``partial``), leaves a criterion reading it to what is recorded; its absence decides nothing.
CLOSED_WORLD_TYPES = ("AllergyIntolerance", "Condition", "MedicationAdministration", "MedicationStatement", "Procedure")
