"""Trial E's exclusion criteria."""

from __future__ import annotations

from .common import EVEROLIMUS_USE_NOTE, RX_DRUG_NOTE, UNDER_WAY_NOTE, everolimus_use_unknown
from .fhir import Json, any_of, condition, judge, manual, records, window, within
from .pregnancy import pregnancy_exclusion
from .vs_drugs import GENERIC_PROCEDURE_NOTE
from .vs_procedures import COURSE_NOTE


def exclusion() -> list[Json]:
    """E's exclusions, in protocol order."""
    out: list[Json] = []
    add = out.append
    add(manual("1. Resectable tumor with curative intent.", link="E-E1", exclude=True))
    add(
        any_of(
            "2. Any major surgery within the last 6 weeks prior to inclusion in the study",
            [
                records("Hepatic resection in the last 42 days", ["Procedure"], "vs-major-surgery", tfe=within(42)),
                manual("Other major surgery in the last 6 weeks"),
            ],
            link="E-E2",
            exclude=True,
            note="6 weeks = 42 days. Only hepatic resections have verified codes (SNOMED CT, CPT 47120-47130).",
        )
    )
    add(
        any_of(
            "3. Radiotherapy, chemotherapy, embolization, mammalian target of rapamycin (mTOR)-inhibitors, receptor "
            "tyrosine-kinase inhibitors, interferon, or other investigational therapy within the last 12 weeks prior "
            "to inclusion in the study.",
            [
                records(
                    "Radiotherapy (incl. PRRT), chemotherapy, embolisation, mTOR or tyrosine-kinase inhibitor or "
                    "interferon in the last 12 weeks",
                    ["MedicationAdministration", "Procedure"],
                    "vs-anticancer-nonsurgical",
                    tfe=[window(-83, 0, "d")],
                ),
                manual("Other investigational therapy in the last 12 weeks"),
                everolimus_use_unknown(tfe=[window(-83, 0, "d")]),
            ],
            link="E-E3",
            exclude=True,
            note=[
                "12 weeks = 84 days: last exposure in (T0-84 d, T0] = [T0-83 d, T0] fails. The value set covers ATC "
                "L01 (incl. mTOR and tyrosine-kinase inhibitors), interferons, radiotherapy, PRRT and embolisation; "
                "not surgery (the protocol lists therapies; surgery has its own 6-week window, E-E2). "
                "Investigational products have no codes." + GENERIC_PROCEDURE_NOTE + " " + RX_DRUG_NOTE + " "
                "Radiotherapy and embolisation are also read as CPT (treatment delivery; 37243), and radiotherapy as "
                "an mCODE course summary (SNOMED CT 1217123003, external beam or brachytherapy: radiotherapy either "
                "way). " + UNDER_WAY_NOTE,
                EVEROLIMUS_USE_NOTE,
            ],
        )
    )
    add(
        condition(
            "4. Diffuse bone marrow infiltration on the baseline 68Ga-octreotate PET/CT confirmed by MRI.",
            "vs-marrow",
            link="E-E4",
            exclude=True,
            note="A coded bone-marrow infiltration (C79.52 / 94217008) is taken as the confirmed finding.",
        )
    )
    add(
        judge(
            records(
                "5. Prior external beam radiotherapy on kidneys or on more than 25% of bone marrow.",
                ["Procedure"],
                "vs-ebrt",
                link="E-E5",
                exclude=True,
                note="Any prior external beam radiotherapy (SNOMED CT or the CPT treatment-delivery codes of vs-ebrt) "
                "goes to review: the irradiated site (kidney) and marrow share are not computable "
                "(Procedure.bodySite is not part of the encoding profile). " + COURSE_NOTE,
            )
        )
    )
    add(
        judge(
            condition(
                "6. Patients with known uncontrolled brain metastases.",
                "vs-brain-mets",
                link="E-E6",
                exclude=True,
                note="Active brain metastases go to review: 'uncontrolled' needs judgement.",
            )
        )
    )
    add(
        manual(
            "7. Patients with a significant medical, neuro-psychiatric, or surgical condition, currently uncontrolled by "
            "treatment, which, in the investigator's opinion, may interfere with completion of the study.",
            link="E-E7",
            exclude=True,
        )
    )
    add(pregnancy_exclusion("E-E8", "8. Pregnant or lactating patients."))
    add(
        manual(
            "9. Women of childbearing potential and men with partners of child-bearing potential refusing an "
            "adequate contraception.",
            link="E-E9",
            exclude=True,
        )
    )
    return out
