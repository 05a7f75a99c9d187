"""The warning for a trial's QuestionnaireResponse with no ``authored`` (docs/attestations.md).

Why apart from :mod:`.attestation`: the warning is made with the patient's other data warnings
(:func:`~fhir_eligibility.evaluation.patient_record.build_record`), which that module imports. ``authored``
is 0..1 in R4, so such a response is valid; its answers decide nothing (when they were given is unknown), yet
any but a favourable one may be the latest and keeps a favourable answer from counting: a coordinator
should date it or mark it entered-in-error.
"""

from __future__ import annotations

from collections.abc import Iterable

from fhir_eligibility.criteria.attestable import BASE_URL
from fhir_eligibility.evaluation.dates import parse_date
from fhir_eligibility.record import Resource

VALID_STATUS = ("completed", "amended")  # the responses that count (attestation.VALID_STATUS)
_TRIALS = f"{BASE_URL}/eligibility-"  # a trial's Questionnaire (criteria.attestable.questionnaire_url)


def undated(res: Resource) -> bool:
    """A response to a trial's Questionnaire that would count but gives no readable ``authored``."""
    questionnaire = res.get("questionnaire")
    return (
        res.get("resourceType") == "QuestionnaireResponse"
        and res.get("status") in VALID_STATUS
        and isinstance(questionnaire, str)
        and questionnaire.startswith(_TRIALS)
        and parse_date(res.get("authored")) is None
    )


def undated_warning(patient_id: str, resources: Iterable[Resource]) -> str | None:
    """One line per patient naming its undated responses (None: there are none)."""
    refs = [f"QuestionnaireResponse/{r.get('id', '?')}" for r in resources if undated(r)]
    if not refs:
        return None
    shown = ", ".join(refs[:5]) + (f" and {len(refs) - 5} more" if len(refs) > 5 else "")
    return (
        f"Patient/{patient_id}: {len(refs)} attestation response(s) with no date (authored): their answers decide"
        f" nothing and, unless favourable, keep a favourable answer to the item from counting (they may be the"
        f" latest); date them or mark them entered-in-error: {shown}"
    )


__all__ = ["undated", "undated_warning"]
