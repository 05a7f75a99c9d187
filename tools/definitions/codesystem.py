"""The project CodeSystem: derived values, evaluation methods, local concepts without a standard code."""

from __future__ import annotations

from fhir_eligibility.measures import concepts as registry

from .fhir import PROJECT_CS, Json

CONCEPTS: list[tuple[str, str, str, list[tuple[str, str, str]]]] = [
    # (code, display, definition, children)
    (
        "derived-value",
        "Derived values",
        "Values the engine computes from several records.",
        [],  # read from the derived-value registry when the CodeSystem is built (_listed)
    ),
    (
        "method",
        "Evaluation methods",
        "Codes for definitionByTypeAndValue.method.",
        [
            (
                "history",
                "History of (any clinical status)",
                "Conditions count whatever their clinicalStatus ('history of').",
            ),
            (
                "first-course",
                "First treatment course only",
                "Counts only the first treatment course (a gap > 182 days, configurable, starts a new course).",
            ),
            ("after-first-course", "After the first treatment course", "Keeps only events after the first course."),
            (
                "open-world",
                "Absent record means not yet collected",
                "For records of a test or imaging study that a screening visit would produce (clinical.md §0.14): "
                "no matching record in the window is UNKNOWN with a what-to-collect item, not FALSE. Diagnoses and "
                "treatment history stay closed-world (§0.7).",
            ),
            (
                "max-364-days",
                "Largest sum within any 364-day period",
                "For cumulative-activity: the maximum over start dates s of the sum of doses dated in [s, s + 364 d].",
            ),
            (
                "rising-series",
                "Rising series",
                "Matches on n successive rises (instancesQuantity n): the last n results in the window each exceed "
                "the result before them, so n + 1 results.",
            ),
            (
                "quantified-detected",
                "A measured amount is a detection",
                "For a coded 'not detected' answer: a result reported as a measured amount (a quantity above zero, "
                "or a lower bound such as '>60') was detected, so it is not that answer; a result reported below a "
                "limit ('<20') may be either and stays undecided (a numeric test beside it decides it).",
            ),
            (
                "long-acting",
                "Long-acting formulation only",
                "Medication records whose product, dose form, ingredient or route shows a long-acting form "
                "(clinical.md §0.17: LAR/depot wording, lanreotide, intramuscular octreotide or pasireotide).",
            ),
            (
                "short-acting",
                "Short-acting formulation only",
                "Medication records shown to be short-acting (subcutaneous or intravenous octreotide or pasireotide).",
            ),
            (
                "acting-form-unknown",
                "Formulation undecided",
                "Medication records whose product, dose form, ingredient and route do not tell long- from "
                "short-acting (a review).",
            ),
        ],
    ),
    (
        "local-concept",
        "Local concepts",
        "Concepts for which no verified standard code was found (clinical.md §2).",
        [
            (
                "sstr-imaging",
                "Somatostatin receptor imaging exam",
                "Any somatostatin-receptor imaging (PET/CT with 68Ga/64Cu-DOTA-peptides, or scintigraphy with "
                "111In-pentetreotide / 99mTc-octreotide). No LOINC/SNOMED code found.",
            ),
            (
                "sstr-pet",
                "Somatostatin receptor PET/CT",
                "PET/CT with a 68Ga- or 64Cu-labelled somatostatin analogue (DOTATATE, DOTATOC, DOTANOC).",
            ),
            (
                "sstr-scintigraphy",
                "Somatostatin receptor scintigraphy",
                "Planar/SPECT scintigraphy with 111In-pentetreotide or 99mTc-octreotide.",
            ),
            (
                "mgfr-51cr-edta",
                "GFR by 51Cr-EDTA plasma clearance",
                "Measured glomerular filtration rate by 51Cr-EDTA plasma clearance, mL/min/1.73 m2 (no LOINC code found).",
            ),
            (
                "rotterdam-uptake-score",
                "Rotterdam (Krenning) SSTR uptake score",
                "Lesion uptake on SSTR imaging graded 0-4 relative to liver and spleen (Krenning/Rotterdam scale); "
                "no standard code or answer list found.",
            ),
            (
                "liver-mri",
                "MRI of the liver",
                "Contrast MRI of the liver (no verified LOINC/SNOMED code in the project's terminology sources).",
            ),
            (
                "everolimus-use-unknown",
                "Everolimus, use not coded",
                "Everolimus coded by its ingredient alone (no product strength, no ATC class): anticancer therapy "
                "(Afinitor) or a transplant immunosuppressant (Zortress) cannot be told. The ingredient RxCUI is "
                "not verified; a site maps its code here to have it reviewed.",
            ),
        ],
    ),
]


def _listed() -> list[tuple[str, str, str, list[tuple[str, str, str]]]]:
    """CONCEPTS with the derived values of the registry: a concept declared there is listed here."""
    derived = [(c.name, c.display, c.definition) for c in registry.REGISTRY]
    return [(code, d, text, derived if code == "derived-value" else kids) for code, d, text, kids in CONCEPTS]


def codesystem(date: str) -> Json:
    def concept(code: str, display: str, definition: str, children: list) -> Json:
        out: Json = {"code": code, "display": display, "definition": definition}
        if children:
            out["concept"] = [concept(*c, []) for c in children]
        return out

    listed = _listed()
    count = sum(1 + len(c[3]) for c in listed)
    return {
        "resourceType": "CodeSystem",
        "id": "eligibility",
        "url": PROJECT_CS,
        "version": "0.1.0",
        "name": "FhirEligibilityCodes",
        "title": "fhir-eligibility project codes",
        "status": "active",
        "experimental": False,
        "date": date,
        "publisher": "fhir-eligibility",
        "description": "Derived values, evaluation methods and local concepts used by the fhir-eligibility trial "
        "definitions (docs/encoding.md).",
        "caseSensitive": True,
        "hierarchyMeaning": "grouped-by",
        "content": "complete",
        "count": count,
        "concept": [concept(*c) for c in listed],
    }


def all_codes() -> set[str]:
    out = set()
    for code, _, _, children in _listed():
        out.add(code)
        out |= {c[0] for c in children}
    return out
