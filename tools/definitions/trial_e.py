"""Trial E - NCT01842165 (seed 004): Belgian trial with patient-based and lesion-based criteria."""

from __future__ import annotations

from .fhir import Json
from .trial_e_exclusion import exclusion
from .trial_e_inclusion import inclusion

META = {
    "nct": "NCT01842165",
    "key": "E",
    "seed": "004",
    "title": "NCT01842165: 177Lu-octreotate treatment of GEP-NETs with patient-based and lesion-based eligibility "
    "(title not in the seed)",
    "conditions": [("Advanced gastro-entero-pancreatic neuroendocrine tumour (GEP-NET)", None)],
    "summary": "Belgian 177Lu-octreotate study in progressive advanced GEP-NETs with patient-based and lesion-based "
    "(68Ga-octreotate PET/CT target lesion) criteria. The seed holds only the eligibility section: title, "
    "phase, sponsor and recruitment status are not given and are left out.",
}


def characteristics() -> list[Json]:
    return [*inclusion(), *exclusion()]
