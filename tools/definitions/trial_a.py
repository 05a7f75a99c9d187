"""Trial A - NCT04954820 (seed 000): French Lutathera retreatment study."""

from __future__ import annotations

from .fhir import Json
from .trial_a_exclusion import exclusion
from .trial_a_inclusion import inclusion

META = {
    "nct": "NCT04954820",
    "key": "A",
    "seed": "000",
    "title": "Assessment of the Schema of Retreatment With Lutathera® in Patients With New Progression of Intestinal "
    "Well-differenciated Neuroendocrine Tumor",
    "status": "not-yet-recruiting",
    "status_display": "Not yet recruiting",
    "phase": "phase-2",
    "sponsor": "Institut du Cancer de Montpellier - Val d'Aurelle",
    "conditions": [("Intestinal well-differentiated neuroendocrine tumour", None)],
    "summary": "Two additional Lutathera® cycles versus active surveillance in patients with a new progression of an "
    "intestinal NET who were already retreated with two cycles after a first 4-cycle PRRT with clinical "
    "benefit.",
    "end": "2029-09-01",
}


def characteristics() -> list[Json]:
    return [*inclusion(), *exclusion()]
