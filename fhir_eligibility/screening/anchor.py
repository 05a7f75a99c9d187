"""The anchoring diagnosis of a trial and the Condition searches that narrow a server's population.

Pure (no network): derived from the criteria tree, never hard-coded; see
:mod:`fhir_eligibility.screening.server` for why screening narrows first.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import assert_never
from urllib.parse import quote

from fhir_eligibility.codes import Code
from fhir_eligibility.criteria.model import (
    Age,
    Combination,
    Criterion,
    Derived,
    Expression,
    Gender,
    Manual,
    ObservationValue,
    Records,
    Trial,
    Unsupported,
)
from fhir_eligibility.requirements.search import code_tokens

MAX_URL = 1800
PAGE_SIZE = 500


def necessary_condition_codes(c: Criterion) -> frozenset[Code] | None:
    """Codes of which a patient must have a Condition for ``c`` not to be FALSE; None if no such set.

    A Condition-presence leaf needs its codes; all-of needs what any one child needs; any-of (and
    at-least n >= 1) needs the union of what every child needs. Negated or counted nodes give none.
    """
    if c.exclude:
        return None
    d = c.definition
    match d:
        case Records():
            if d.resource_types == ("Condition",) and d.codes and d.instances is None and d.duration is None:
                return d.codes
            return None
        case Combination():
            kids = [necessary_condition_codes(k) for k in d.children]
            if d.code == "all-of":
                return next((k for k in kids if k), None)
            union_needed = d.code == "any-of" or (d.code == "at-least" and (d.threshold or 0) >= 1)
            if union_needed and kids and all(k for k in kids):
                return frozenset().union(*(k for k in kids if k))
            return None
        # an attestation, a lab, age or sex may decide these: none needs a Condition
        case ObservationValue() | Derived() | Age() | Gender() | Manual() | Expression() | Unsupported():
            return None
        case _:
            assert_never(d)


@dataclass(frozen=True)
class Anchor:
    trial: str
    criterion: str
    codes: frozenset[Code]


def anchor_codes(trial: Trial) -> Anchor | None:
    """The first inclusion criterion that requires a coded diagnosis, with its codes."""
    for c in trial.criteria:
        if c.exclude:
            continue
        codes = necessary_condition_codes(c)
        if codes:
            return Anchor(trial.id, c.id, codes)
    return None


def search_tokens(codes: Iterable[Code]) -> list[str]:
    """``system|code`` tokens and the bare codes (ICD-10 dotted and not:
    :func:`~fhir_eligibility.requirements.search.code_tokens`): a diagnosis sent in another spelling of
    its system must not leave its patient out as undiagnosed."""
    return sorted({t for system, code in codes for t in code_tokens(system, code)})


def condition_search_urls(base: str, codes: Iterable[Code], page_size: int = PAGE_SIZE) -> list[str]:
    """``Condition?code=...`` searches, codes OR-ed with commas, split to stay under MAX_URL."""
    head = f"{base}/Condition?_count={page_size}&code="
    urls: list[str] = []
    current: list[str] = []
    length = len(head)
    for token in search_tokens(codes):
        q = quote(token, safe=":/|")
        if current and length + len(q) + 3 > MAX_URL:
            urls.append(head + ",".join(current))
            current, length = [], len(head)
        current.append(q)
        length += len(q) + 3
    if current:
        urls.append(head + ",".join(current))
    return urls


__all__ = [
    "MAX_URL",
    "PAGE_SIZE",
    "Anchor",
    "anchor_codes",
    "condition_search_urls",
    "necessary_condition_codes",
    "search_tokens",
]
