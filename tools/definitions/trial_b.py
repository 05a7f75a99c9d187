"""Trial B - NCT05773274 (seed 001): NET RETREAT (177Lu-DOTATATE retreatment vs everolimus)."""

from __future__ import annotations

from .fhir import Json
from .trial_b_disease import inclusion_disease
from .trial_b_exclusion import exclusion
from .trial_b_health import inclusion_health

META = {
    "nct": "NCT05773274",
    "key": "B",
    "seed": "001",
    "title": "Comparing Retreatment of 177Lu-DOTATATE PRRT Versus Everolimus in Patients With Metastatic Unresectable "
    "Midgut Neuroendocrine Tumors, NET RETREAT Trial",
    "status": "not-yet-recruiting",
    "status_display": "Not yet recruiting",
    "phase": "phase-2",
    "sponsor": "National Cancer Institute (NCI)",
    "conditions": [("Metastatic unresectable midgut neuroendocrine tumour", None)],
    "summary": "Phase II comparison of retreatment with 177Lu-DOTATATE PRRT versus everolimus in patients with "
    "metastatic, unresectable midgut NET who progressed after an initial PRRT.",
    "end": "2026-04-30",
}


def characteristics() -> list[Json]:
    return [*inclusion_disease(), *inclusion_health(), *exclusion()]
