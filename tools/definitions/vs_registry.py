"""The value-set registry every domain module adds to with ``vs()``: concepts, parts and SNOMED CT hierarchy."""

from __future__ import annotations

from .vs_concepts import Concept

VALUESETS: dict[str, tuple[str, str, list[Concept]]] = {}
# value set -> the value sets it is the union of (or includes): written as compose.include.valueSet
# besides the flattened concepts, so a site that extends a part (terminology/site.py) extends the
# union the criteria read (the builder checks each part's concepts are already in the union)
PARTS: dict[str, list[str]] = {
    "vs-chemo": ["vs-alkylator", "vs-rtki"],
    # everolimus as an anticancer drug only (vs-chemo holds its L01 codes): not its transplant codes (vs_drugs)
    "vs-systemic-net-therapy": ["vs-chemo", "vs-ifn", "vs-lu177"],
    "vs-liver-directed": ["vs-liver-resection", "vs-embolization"],
    "vs-anticancer-nonsurgical": ["vs-chemo", "vs-ifn", "vs-lu177", "vs-ebrt", "vs-embolization"],
    "vs-anticancer-treatment": ["vs-anticancer-nonsurgical", "vs-liver-resection"],
}
# vs id -> (SNOMED CT roots included with 'is-a', roots excluded with 'is-a'); the compose states the intent,
# the expansion stays the explicit reviewed list (the engine reads the expansion and the concept lists).
HIERARCHY: dict[str, tuple[list[Concept], list[Concept]]] = {}

EXPANSION_NOTE = (
    " SNOMED CT: compose includes is-a {inc}{exc}. No terminology server is reachable from the product's tests, "
    "so the shipped expansion is an explicit reviewed list (beside the ICD codes, where the value set has them): "
    "the SNOMED CT concepts verified in clinical.md §2 or emitted by Synthea / mCODE data (../shared/realdata "
    "and their public sources), each checked to fall under the root; a site may extend it with its own "
    "terminology."
)


def vs(
    vs_id: str,
    title: str,
    description: str,
    concepts: list[Concept],
    *,
    is_a: list[Concept] | None = None,
    not_a: list[Concept] | None = None,
) -> None:
    """Register a value set; ``is_a``/``not_a`` roots become compose filters and are named in the description."""
    assert vs_id not in VALUESETS, vs_id
    if is_a:
        inc = ", ".join(f"{c} |{d}|" for _, c, d in is_a)
        exc = (" minus is-a " + ", ".join(f"{c} |{d}|" for _, c, d in not_a)) if not_a else ""
        description += EXPANSION_NOTE.format(inc=inc, exc=exc)
        HIERARCHY[vs_id] = (is_a, not_a or [])
    VALUESETS[vs_id] = (title, description, concepts)
