"""Which drug a MedicationAdministration/Statement is about, and whether a somatostatin analogue is long-acting.

The drug is named in four shapes: R4 ``medicationCodeableConcept`` or ``medicationReference``,
R5 ``medication`` (a CodeableReference holding a ``concept`` or a ``reference``). A reference to
``#id`` names a ``contained`` Medication: it is resolved here, once, for every data source (the
sources resolve references to other Bundle entries before this point, by replacing them with
``medicationCodeableConcept``). A reference that resolves to nothing is not "no drug": it is an
:class:`~.validity.Unreadable` resource, so closed-world criteria over its type become unknown.

Long- vs short-acting SSA (clinical.md §0.17): octreotide's and pasireotide's ATC codes do not
tell the LAR depot from the short-acting injection. Product or dose-form wording ("Sandostatin
LAR", "depot", "prolonged-release"...) decides first, then the ingredient (lanreotide is only
marketed as a depot), then the route (intramuscular octreotide/pasireotide is the LAR; subcutaneous
or intravenous is short-acting). A record none of these decides stays undecided (a review).
"""

from __future__ import annotations

import re
from typing import TYPE_CHECKING, Any

from fhir_eligibility.codes import ATC, SNOMED, Code, codings, norm_system
from fhir_eligibility.evaluation.validity import Unreadable, concept_problem, readable_codes

if TYPE_CHECKING:  # the fact readers (medication_records) import this module
    from fhir_eligibility.evaluation.facts import Fact

Resource = dict[str, Any]
EDQM = "http://standardterms.edqm.eu"
V3_ROUTE = "http://terminology.hl7.org/CodeSystem/v3-RouteOfAdministration"

LONG_ACTING = "long-acting"
SHORT_ACTING = "short-acting"
# the methods of a Records criterion that keep only medication records of one form (or of undecided form)
FORM_METHODS = {LONG_ACTING: LONG_ACTING, SHORT_ACTING: SHORT_ACTING, "acting-form-unknown": None}

_LONG_WORDS = re.compile(
    r"\bLAR\b|depot|autogel|prolonged[- ]release|extended[- ]release|sustained[- ]release|long[- ]acting|"
    r"\bsomatuline\b|\bsignifor lar\b",
    re.IGNORECASE,
)
_SHORT_WORDS = re.compile(r"short[- ]acting|immediate[- ]release", re.IGNORECASE)
_ALWAYS_LONG = {(ATC, "H01CB03")}  # lanreotide: depot formulations only
_FORM_BY_ROUTE = {(ATC, "H01CB02"), (ATC, "H01CB05")}  # octreotide, pasireotide: the route tells LAR apart
_LONG_INGREDIENT = re.compile(r"lanreotide", re.IGNORECASE)
_ROUTE_INGREDIENT = re.compile(r"octreotide|pasireotide", re.IGNORECASE)
# route codes: SNOMED CT, EDQM standard terms, HL7 v3 RouteOfAdministration
_IM = {(SNOMED, "78421000"), (EDQM, "20035000"), (V3_ROUTE, "IM"), (V3_ROUTE, "IMINJ")}
_SC_IV = {
    (SNOMED, "34206005"),
    (SNOMED, "47625008"),
    (EDQM, "20066000"),
    (EDQM, "20045000"),
    *((V3_ROUTE, c) for c in ("SQ", "SC", "IV", "IVINJ", "IVINFUS")),
}
_IM_WORDS = re.compile(r"intra-?muscular|\bIM\b|\bi\.m\.", re.IGNORECASE)
_SC_IV_WORDS = re.compile(r"sub-?cutaneous|intra-?venous|\bSC\b|\bSQ\b|\bIV\b|\bs\.c\.|\bi\.v\.", re.IGNORECASE)


def of_form(facts: list[Fact], methods: frozenset[str]) -> list[Fact]:
    """The facts whose acting form is one the methods ask for (``acting-form-unknown``: undecided ones)."""
    wanted = {FORM_METHODS[m] for m in methods if m in FORM_METHODS}
    return [f for f in facts if f.form in wanted]


def medication_of(res: Resource) -> tuple[object, Resource | None]:
    """The drug's CodeableConcept and, when it was a ``contained`` Medication, that resource.

    Raises :class:`Unreadable` when the drug is referenced but cannot be found or read.
    """
    if "medicationCodeableConcept" in res:
        concept = res["medicationCodeableConcept"]
        _check(concept, "medicationCodeableConcept")
        return concept, None
    med = res.get("medication")
    if med is not None:  # R5 CodeableReference
        if not isinstance(med, dict):
            raise Unreadable(f"medication is a {type(med).__name__}, not a CodeableReference")
        if "concept" in med:
            _check(med["concept"], "medication.concept")
            return med["concept"], None
        if "reference" in med:
            return _referenced(res, med["reference"])
        _check(med, "medication")
        return med, None
    if "medicationReference" in res:
        return _referenced(res, res["medicationReference"])
    # medication[x] is required: a record of some drug given, which one not said, may be any drug
    raise Unreadable("no medication[x]: which drug is not recorded")


def _check(concept: object, where: str) -> None:
    problem = concept_problem(concept)
    if problem:
        raise Unreadable(f"{where}: {problem}", readable_codes(concept))


def _referenced(res: Resource, ref: object) -> tuple[object, Resource | None]:
    if not isinstance(ref, dict) or not isinstance(ref.get("reference"), str):
        raise Unreadable(f"medication reference {str(ref)[:40]!r} is not a Reference")
    target = ref["reference"]
    if target.startswith("#"):
        for c in res.get("contained") or []:
            if isinstance(c, dict) and c.get("resourceType") == "Medication" and c.get("id") == target[1:]:
                _check(c.get("code"), f"contained Medication {target}")
                return c.get("code"), c
    raise Unreadable(f"medication {target[:60]!r} not found (not contained, not in the input)")


def ingredient_codes(medication: Resource | None) -> frozenset[Code]:
    """The codes of a Medication's active ingredients (R4 ``itemCodeableConcept``, R5 ``item``).

    Why: a site may code the product by text or a local code and only its ingredient in ATC or
    RxNorm ("TMZ caps", ingredient L01AX03): read by ``code`` alone, the drug was never given and a
    closed-world exclusion passed. An ingredient marked ``isActive: false`` (an excipient) is not the drug."""
    items = medication.get("ingredient") if medication is not None else None
    out: frozenset[Code] = frozenset()
    for ing in items if isinstance(items, list) else []:
        if isinstance(ing, dict) and ing.get("isActive") is not False:
            item = ing.get("itemCodeableConcept") or ing.get("item")
            if concept_problem(item) is None:
                out |= codings(item)
    return out


def _texts(concept: object) -> list[str]:
    if not isinstance(concept, dict):
        return []
    inner = concept.get("concept", concept)
    if not isinstance(inner, dict):
        return []
    out = [inner["text"]] if isinstance(inner.get("text"), str) else []
    for c in inner.get("coding") or []:
        if isinstance(c, dict) and isinstance(c.get("display"), str):
            out.append(c["display"])
    return out


def _routes(res: Resource) -> list[object]:
    dosage = res.get("dosage")
    dosages = [dosage] if isinstance(dosage, dict) else dosage if isinstance(dosage, list) else []
    out: list[object] = []
    for d in dosages:
        if isinstance(d, dict):
            out.append(d.get("route"))
            if isinstance(d.get("text"), str):
                out.append({"text": d["text"]})
    return out


def acting_form(res: Resource, concept: object, medication: Resource | None, codes: frozenset[Code]) -> str | None:
    """``long-acting``, ``short-acting`` or None (undecided) for one medication record (see module doc)."""
    product = _texts(concept)
    if medication is not None:
        product += _texts(medication.get("form")) + _texts(medication.get("doseForm"))
        for ing in medication.get("ingredient") or []:
            if isinstance(ing, dict):
                product += _texts(ing.get("itemCodeableConcept") or ing.get("item"))
                codes = codes | codings(ing.get("itemCodeableConcept") or ing.get("item"))
    text = " ".join(product)
    if _LONG_WORDS.search(text):
        return LONG_ACTING
    if _SHORT_WORDS.search(text):
        return SHORT_ACTING
    if codes & _ALWAYS_LONG or _LONG_INGREDIENT.search(text):
        return LONG_ACTING
    if not (codes & _FORM_BY_ROUTE or _ROUTE_INGREDIENT.search(text)):
        return None
    route_codes: set[Code] = set()
    route_text: list[str] = []
    for r in _routes(res):
        route_codes |= {(norm_system(s), c) for s, c in codings(r)}
        route_text += _texts(r)
    im = bool(route_codes & _IM) or any(_IM_WORDS.search(t) for t in route_text)
    sc_iv = bool(route_codes & _SC_IV) or any(_SC_IV_WORDS.search(t) for t in route_text)
    if im != sc_iv:
        return LONG_ACTING if im else SHORT_ACTING
    return None
