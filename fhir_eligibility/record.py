"""A patient's data as every source delivers it, and the indexed record the evaluator reads.

Sources (bundle/NDJSON files, FHIR server, CDS prefetch) produce :class:`PatientData`: the raw
FHIR JSON of one patient, in whatever version (R4, R4B, R5) it came, plus what could not be
fetched. :func:`build_record` normalises it once into an immutable :class:`PatientRecord`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from fhir_eligibility.requirements.model import Unavailable

Resource = dict[str, Any]


@dataclass
class PatientData:
    patient_id: str
    resources: list[Resource]  # the Patient and everything about them, raw JSON
    unavailable: tuple[Unavailable, ...] = ()
    warnings: list[str] = field(default_factory=list)
