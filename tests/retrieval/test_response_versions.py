"""Two versions of one QuestionnaireResponse with no ``meta``: the one authored later is the current one.

Found by an adversarial review: an amended "no" (authored 2026-05-25) and the completed "yes" it replaced
(authored 2026-05-20), same id, in two files: the last file read won, so the older consent decided in one
order and the withdrawal in the other. R4 ``QuestionnaireResponse.authored``: "the date and/or time that
this set of answers were last changed".
"""

from __future__ import annotations

from typing import Any

import pytest

from fhir_eligibility.retrieval.versions import choose_patient


def _qr(authored: str, answer: bool, status: str) -> dict[str, Any]:
    item = [{"linkId": "A-I14", "answer": [{"valueBoolean": answer}]}]
    return {"resourceType": "QuestionnaireResponse", "id": "qr1", "status": status, "authored": authored, "item": item}


@pytest.mark.parametrize("order", [(0, 1), (1, 0)])
def test_the_later_authored_version_is_current_in_either_order(order: tuple[int, int]) -> None:
    versions = [_qr("2026-05-25", False, "amended"), _qr("2026-05-20T09:00:00+02:00", True, "completed")]
    chosen, differed = choose_patient([versions[i] for i in order])
    assert differed and chosen["authored"] == "2026-05-25"
