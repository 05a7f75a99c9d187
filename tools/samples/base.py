"""The near-eligible base patients (PRRT, resected, NETTER-2) every sample varies, and their shared extras."""

from __future__ import annotations

from typing import Any

from .codes import ICD10CM, ICDO3, LAB, LANREOTIDE, LOINC, OBS_CATEGORY, SNOMED, Coding, cc, dt
from .sample import Extra, Sample

PRIMARY: dict[str, tuple[list[Coding], str]] = {
    "ileum": (
        [(ICD10CM, "C7A.012", "Malignant carcinoid tumor of the ileum")],
        "Well-differentiated neuroendocrine tumour of the ileum",
    ),
    "jejunum": (
        [(ICD10CM, "C7A.011", "Malignant carcinoid tumor of the jejunum")],
        "Well-differentiated neuroendocrine tumour of the jejunum",
    ),
    "duodenum": (
        [(ICD10CM, "C7A.010", "Malignant carcinoid tumor of the duodenum")],
        "Well-differentiated neuroendocrine tumour of the duodenum",
    ),
    "unknown": (
        [(ICD10CM, "C7A.00", "Malignant carcinoid tumor of unspecified site")],
        "Well-differentiated neuroendocrine tumour, primary site unknown",
    ),
    "pancreas": (
        [
            (ICD10CM, "C25.4", "Malignant neoplasm of endocrine pancreas"),
            (ICDO3, "8240/3", "Neuroendocrine tumor, NOS / grade 1"),
        ],
        "Well-differentiated neuroendocrine tumour of the pancreas",
    ),
    "ileum-icdo": (
        [(ICD10CM, "C17.2", "Malignant neoplasm of ileum"), (ICDO3, "8249/3", "Neuroendocrine tumor, grade 2")],
        "Neuroendocrine tumour of the ileum (site + ICD-O-3 morphology)",
    ),
}

METS: dict[str, tuple[list[Coding], str]] = {
    "liver": (
        [
            (ICD10CM, "C7B.02", "Secondary carcinoid tumors of liver"),
            (SNOMED, "94381002", "Secondary malignant neoplasm of liver (disorder)"),
        ],
        "Liver metastases",
    ),
    "liver-snomed": ([(SNOMED, "94381002", "Secondary malignant neoplasm of liver (disorder)")], "Liver metastases"),
    "nodes": (
        [(ICD10CM, "C7B.01", "Secondary carcinoid tumors of distant lymph nodes")],
        "Mesenteric and para-aortic lymph-node metastases",
    ),
}


def standard_labs(female: bool) -> dict[str, dict[str, Any] | None]:
    """The screening panel every base patient has (key -> keyword arguments of ``Sample.obs``)."""
    return {
        "hb": {"value": 12.8 if female else 13.2, "low": 12.0 if female else 13.0, "high": 15.5 if female else 17.0},
        "wbc": {"value": 5.8, "low": 4.0, "high": 10.0},
        "anc": {"value": 3.1, "low": 1.8, "high": 7.5},
        "plt": {"value": 210, "low": 150, "high": 400},
        "scr": {"value": 0.8 if female else 0.9, "low": 0.5 if female else 0.7, "high": 1.1 if female else 1.3},
        "weight": {"value": 65 if female else 78},
        "bili": {"value": 0.7, "low": 0.1, "high": 1.2},
        "alt": {"value": 28, "low": 7, "high": 40},
        "ast": {"value": 25, "low": 8, "high": 40},
        "alb": {"value": 4.1, "low": 3.5, "high": 5.0},
        "pt_pct": {"value": 95, "low": 70, "high": 130},
        "inr": {"value": 1.0, "low": 0.8, "high": 1.2},
        "fbg": {"value": 92, "low": 70, "high": 99},
        "mgfr": {"value": 82},
        "lvef": {"value": 60, "date": "2025-11-10", "low": 52},
    }


STANDARD_CYCLES = ["2023-01-16", "2023-03-13", "2023-05-08", "2023-07-03"]  # 8-weekly


def add_labs(s: Sample, labs: dict[str, dict[str, Any] | None], lab_date: str) -> None:
    for key, kw in labs.items():
        if kw is None:
            continue
        kw = dict(kw)
        kw.setdefault("date", lab_date)
        catalogue_key = kw.pop("key", key)
        s.obs(catalogue_key, **kw)


def merged(base: dict[str, Any], changes: dict[str, Any] | None) -> dict[str, Any]:
    """Overrides: ``None`` removes a lab, a dict updates it (``replace=True`` replaces it wholesale)."""
    out = dict(base)
    for k, v in (changes or {}).items():
        if v is None:
            out[k] = None
        elif v.get("replace"):
            out[k] = {kk: vv for kk, vv in v.items() if kk != "replace"}
        else:
            out[k] = {**(out.get(k) or {}), **v}
    return out


def prrt_patient(
    num: int,
    slug: str,
    exercises: str,
    *,
    gender: str = "male",
    birth: str = "1963-09-14",
    name: tuple[str, str] = ("Henri", "Lambert"),
    primary: str = "ileum",
    mets: str | None = "liver",
    ki67: float | None = 8,
    labs: dict[str, Any] | None = None,
    lab_date: str = LAB,
    ecog: tuple[int, bool] | None = (1, False),
    ecog_date: str | None = None,
    cycles: list[tuple[str, float, str]] | None = None,
    lu_codes: str = "both",
    ssa: tuple[str, str | None, str] | None = ("2021-03-01", "2026-04-15", "completed"),
    pet: list[str] | None = None,
    bp: tuple[float, float] | None = (128, 78),
    extra: Extra | None = None,
) -> Sample:
    """Base A/B/C/E candidate: ileal G2 NET with liver metastases after 4 x 7.4 GBq Lutathera (2023)."""
    s = Sample(num, slug, exercises, gender=gender, birth=birth, name=name)
    codings, text = PRIMARY[primary]
    s.condition(codings, text, "2021-02-15")
    if mets:
        mcod, mtext = METS[mets]
        s.condition(mcod, mtext, "2021-02-15")
    if ki67 is not None:
        s.obs("ki67", ki67, date="2021-02-20", note="Biopsy of liver metastasis: well-differentiated NET")
    if ssa:
        start, end, status = ssa
        s.med_statement(
            LANREOTIDE,
            "Lanreotide 120 mg (Somatuline Autogel)",
            start,
            end,
            status=status,
            dosage="120 mg deep subcutaneous injection every 28 days",
        )
    for day, value, unit in cycles if cycles is not None else [(d, 7400, "MBq") for d in STANDARD_CYCLES]:
        s.lutathera(day, value, unit, codes=lu_codes)
    for day in pet if pet is not None else ["2026-04-10"]:
        s.sstr_pet(day)
    if ecog is not None:
        s.ecog(ecog[0], as_integer=ecog[1], date=ecog_date or lab_date)
    add_labs(s, merged(standard_labs(gender == "female"), labs), lab_date)
    if bp:
        s.blood_pressure(*bp, date=lab_date)
    if extra:
        extra(s)
    return s


def resected_patient(
    num: int,
    slug: str,
    exercises: str,
    *,
    gender: str = "male",
    birth: str = "1968-11-02",
    name: tuple[str, str] = ("Pieter", "Janssens"),
    primary: str = "pancreas",
    ki67: float = 5,
    surgery: str = "2026-03-16",
    mri: str = "2026-02-20",
    pet: str = "2026-02-10",
    labs: dict[str, Any] | None = None,
    ecog: tuple[int, bool] = (0, False),
    extra: Extra | None = None,
) -> Sample:
    """Base D candidate: G1 NET, liver metastases resected (R0) with the primary; no systemic therapy."""
    s = Sample(num, slug, exercises, gender=gender, birth=birth, name=name)
    codings, text = PRIMARY[primary]
    s.condition(codings, text, "2026-01-10")  # the NET stays an active problem during adjuvant care
    mcod, mtext = METS["liver"]
    s.condition(mcod, mtext + " (resected)", "2026-01-10", clinical="resolved", abatement=surgery)
    s.sstr_pet(pet)
    s.liver_mri(mri)
    s.procedure(
        [(SNOMED, "107963000", "Excision of liver (procedure)")],
        "Resection of liver metastases (segments 6/7), R0",
        surgery,
    )
    s.procedure([], "Synchronous resection of the primary tumour", surgery)
    s.obs("ki67", ki67, date=surgery, note="Resection specimen: well-differentiated NET, margins clear (R0)")
    s.ecog(ecog[0], as_integer=ecog[1])
    female = gender == "female"
    base = merged(standard_labs(female), {"weight": {"value": 82 if not female else 66}, "mgfr": {"value": 88}})
    add_labs(s, merged(base, labs), LAB)
    s.blood_pressure(124, 80)
    if extra:
        extra(s)
    return s


# ----------------------------------------------------------------------------------------------------------
# shared extras
# ----------------------------------------------------------------------------------------------------------


def cond(codings: list[Coding], text: str, onset: str, **kw: Any) -> Extra:
    return lambda s: s.condition(codings, text, onset, **kw)


def chain(*fns: Extra) -> Extra:
    def run(s: Sample) -> None:
        for f in fns:
            f(s)

    return run


def netter2_patient(
    num: int,
    slug: str,
    exercises: str,
    *,
    birth: str = "1969-04-22",
    name: tuple[str, str] = ("Tomas", "Berger"),
    diagnosed: str = "2026-03-02",
    ki67: float = 25,
    kps: int | None = 80,
    weight: float = 72,
    potassium: float = 4.3,
    extra: Extra | None = None,
) -> Sample:
    """Base F candidate: pancreatic G3 NET (Ki-67 25 %) with liver metastases, diagnosed 3 months before
    screening, never treated; SSTR PET 6 weeks before screening; Karnofsky 80 (mCODE valueInteger); serum
    potassium with the screening labs (F-E7; no other trial reads it)."""
    s = Sample(num, slug, exercises, gender="male", birth=birth, name=name)
    codings, text = PRIMARY["pancreas"]
    s.condition(codings, text, diagnosed)
    mcod, mtext = METS["liver"]
    s.condition(mcod, mtext, diagnosed)
    s.obs("ki67", ki67, date=diagnosed, note="Liver biopsy: well-differentiated NET, grade by Ki-67")
    s.sstr_pet("2026-04-20")
    s.ecog(1)
    if kps is not None:
        s.add(
            {
                "resourceType": "Observation",
                "status": "final",
                "category": [cc([(OBS_CATEGORY, "survey", "Survey")])],
                "code": cc([(LOINC, "89243-0", "Karnofsky Performance Status score")], "Karnofsky score"),
                "subject": s.subject,
                "effectiveDateTime": dt(LAB),
                "issued": f"{LAB}T12:00:00.000+00:00",
                "valueInteger": kps,
            }
        )
    add_labs(s, merged(standard_labs(False), {"weight": {"value": weight}}), LAB)
    s.obs("potassium", potassium, low=3.5, high=5.1)
    s.blood_pressure(126, 79)
    if extra:
        extra(s)
    return s
