"""Characteristics several form tests evaluate, defined once."""

from __future__ import annotations

from tests.cases.builders import lab, q, window

OFFSET_UNL = {"coding": [{"system": "http://hl7.org/fhir/characteristic-offset", "code": "UNL"}]}
HB_GE_8 = {
    "linkId": "hb",
    "definitionByTypeAndValue": lab(["718-7", "59260-0"], valueQuantity=q(8, "g/dL", ">=")),
    "timeFromEvent": window(-28),
}
ECOG_0_2 = {
    "linkId": "ecog",
    "definitionByTypeAndValue": lab(["89247-1"], valueRange={"low": q(0, "{score}"), "high": q(2, "{score}")}),
}
ALT_EXCL = {
    "linkId": "alt",
    "exclude": True,
    "definitionByTypeAndValue": lab(["1742-6"], valueQuantity=q(2.5, "1", ">"), offset=OFFSET_UNL),
}
