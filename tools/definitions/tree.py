"""The characteristics tree of a generated EvidenceVariable, walked by the README and seed checks."""

from __future__ import annotations

from typing import Any

from fhir_eligibility.criteria.parse import DEFINITION_KEYS as DEF_KEYS  # the parser's own list


def walk(chars: list[dict[str, Any]], depth: int = 0):
    for c in chars:
        yield c, depth
        comb = c.get("definitionByCombination")
        if comb:
            yield from walk(comb.get("characteristic") or [], depth + 1)


def is_computable(c: dict[str, Any]) -> bool:
    present = [k for k in DEF_KEYS if k in c]
    if not present and not c.get("definitionExpression"):
        return False
    if present == ["definitionCodeableConcept"] and not c["definitionCodeableConcept"].get("coding"):
        return False
    if present == ["definitionByCombination"]:
        return any(is_computable(k) for k in c["definitionByCombination"]["characteristic"])
    return True
