"""Trial A's inclusion criteria (A-I1 to A-I16)."""

from __future__ import annotations

from .common import (
    DEFAULT_WINDOW_NOTE,
    IMAGING_TYPES,
    KI67_ANY,
    NET_SITE_NOTE,
    ONE_RECORD_NOTE,
    OPEN_WORLD_NOTE,
    UNSITED_NOTE,
    W28,
    anc,
    ecog,
    imaging,
    net_site,
    since,
)
from .fhir import Json, age, all_of, any_of, manual, obs, records, window
from .pregnancy import HCG_RULE, hcg_negative
from .vs_drugs import GENERIC_PROCEDURE_NOTE, LU177_CODES_NOTE
from .vs_labs import PLT_NOTE, lab

HB_ANC_PLT_NOTE = DEFAULT_WINDOW_NOTE


def inclusion() -> list[Json]:
    """A-I1 to A-I16, in protocol order."""
    out: list[Json] = []
    add = out.append
    add(age("Age ≥ 18 years,", ">=", 18, link="A-I1"))
    add(
        all_of(
            "Histologically proven intestinal G1 or G2 neuroendocrine tumors (NET),",
            [
                net_site(
                    "vs-net-intestinal",
                    "vs-intestine-site",
                    "Intestinal NET (small intestine, appendix, colon, rectum; not pancreas or stomach)",
                    review_vs="vs-net-intestinal-review",
                    review_text="NET whose intestinal origin needs review (unknown primary)",
                    same_record=True,
                ),
                obs(
                    "Grade G1/G2: Ki-67 index <= 20 % (most recent, any date)",
                    lab("vs-ki67"),
                    "<=",
                    20,
                    "%",
                    tfe=KI67_ANY,
                ),
            ],
            link="A-I2",
            note=[
                "Grade is read from Ki-67 (WHO 2019: G1 < 3 %, G2 3-20 %) because ICD-O 8249/3 covers G2 and "
                "G3; the most recent Ki-67 of any date is used (histology is not repeated).",
                "A NET of unknown primary (C7A.00) may be intestinal: reviewed, as B-I2a reads it for midgut "
                "(before, it failed); so are the non-billable headers C7A.0 and C7A.09 (other sites, midgut and "
                "hindgut NOS among them), which name no site (vs-net-intestinal-review). A stomach NET "
                "(C7A.092) is not intestinal: fail.",
                NET_SITE_NOTE,
                UNSITED_NOTE,
                ONE_RECORD_NOTE,
            ],
        )
    )
    add(
        records(
            'Patient previously treated with 4 cycles of Lutathera® (defined as "First PRRT"),',
            ["MedicationAdministration", "Procedure"],
            "vs-lu177",
            methods=["first-course"],
            instances={"value": 4},
            link="A-I3",
            note="Cycles are counted in the first treatment course only (a gap > 182 days starts a new course, "
            "clinical.md §1.6); reduced-dose cycles count. Exactly 4 cycles. Records a day or less apart are one "
            "cycle (an administration and its Procedure, one moment in two time zones, an infusion over midnight)."
            + GENERIC_PROCEDURE_NOTE
            + LU177_CODES_NOTE,
        )
    )
    add(
        all_of(
            'Disease control after "First PRRT" ≥ 12 months,',
            [
                records(
                    "No first-course Lutathera® cycle in the last 12 months (the first PRRT ended >= 12 months ago)",
                    ["MedicationAdministration", "Procedure"],
                    "vs-lu177",
                    methods=["first-course"],
                    tfe=since(12, "mo"),
                    exclude=True,
                ),
                manual("First documented progression >= 12 months after the last cycle of the first PRRT"),
            ],
            link="A-I4",
            note="No standard code dates a progression event, so the control duration itself is attested. The "
            "computable necessary part: disease control >= 12 months after the first course implies that "
            "its last cycle is at least 12 months before T0. Exactly 12 months satisfies '>= 12', so the "
            "excluding window is half-open, (T0 - 12 months, T0]: a timeFromEvent quantity '> -12 mo' (strict "
            "low), i.e. from the day after the same day-of-month 12 calendar months before T0 (clinical.md "
            "§0.1), as E-E3's (T0-84 d, T0]. As of 2026-06-01 a last cycle on 2025-06-01 passes, 2025-06-02 "
            "fails (before, the inclusive [T0 - 12 months, T0] failed 2025-06-01).",
        )
    )
    add(
        manual(
            "Patient presenting a progression of disease (clinic, biologic and/or radiologic) after a first PRRT,",
            link="A-I5",
        )
    )
    add(
        manual(
            'Decision of retreatment with Lutathera® (defined as "Second PRRT") validated by RENATEN and/or '
            "multidisciplinary tumor board and in the scope of the French reimbursement process,",
            link="A-I6",
        )
    )
    add(ecog("A-I7", "ECOG performance status 0-2,", 2, note=DEFAULT_WINDOW_NOTE))
    add(manual("Life expectancy ≥ 6 months as prognosticated by the physician,", link="A-I8"))
    add(
        all_of(
            "Somatostatin receptor imaging positive imaging (SSTRi+) disease within 4 months prior to randomization: "
            "(may be PET imaging (68Ga-based SSTR analogues) or scintigraphy imaging: 111In-pentetreotide or "
            "99mTc-octreotide. At least 90% of lesions must be positive for SSTRi with a significant uptake (>= liver "
            "of surrounding tissue),",
            [
                imaging(
                    "SSTR imaging (68Ga PET, 111In-pentetreotide or 99mTc-octreotide scintigraphy) in the last "
                    "4 months",
                    types=[*IMAGING_TYPES, "MedicationAdministration"],
                    valueset="vs-sstr-imaging",
                    tfe=[window(-4, 0, "mo")],
                ),
                manual("SSTR imaging positive: at least 90 % of lesions with uptake >= liver"),
            ],
            link="A-I9",
            note=[
                "The exam date is computable (tracer codes, or the site's exam code mapped to the project code: no "
                "SNOMED/LOINC code for an SSTR exam was found); positivity and the 90 % rule are an imaging read.",
                OPEN_WORLD_NOTE,
            ],
        )
    )
    add(
        manual(
            "Measurable disease per RECIST 1.1 (Appendix 1), on CT/MRI scans, defined as at least 1 lesion with ≥ 1 "
            "cm in longest diameter, and ≥ 2 radiological tumors lesions in total,",
            link="A-I10",
        )
    )
    add(
        obs(
            "Adequate bone marrow reserve (Hb > 8 g/dl",
            lab("vs-hb"),
            ">",
            8.0,
            "g/dL",
            link="A-I11-hb",
            tfe=W28,
            note=[HB_ANC_PLT_NOTE, "Strict '>' as written (trials B and C use >=)."],
        )
    )
    add(
        anc(
            "neutrophils ≥ 1500/mm³",
            1.5,
            link="A-I11-anc",
            tfe=W28,
            note=[HB_ANC_PLT_NOTE, "1500/mm³ = 1.5 x 10^9/L."],
        )
    )
    add(
        obs(
            "platelets ≥ 80 000/mm³),",
            lab("vs-plt"),
            ">=",
            80,
            "10*9/L",
            link="A-I11-plt",
            tfe=W28,
            note=[HB_ANC_PLT_NOTE, "80 000/mm³ = 80 x 10^9/L.", PLT_NOTE],
        )
    )
    add(
        any_of(
            "Negative pregnancy test in women of childbearing potential (the β-HCG dosage must be ≤ 4 days before "
            "inclusion). Women who have no reproductive potential are postmenopausal women or women who have had "
            "permanent sterilization, eg. tubal occlusion, hysterectomy, bilateral salpingectomy),",
            hcg_negative(4, tubal_occlusion=True),
            link="A-I12",
            note=[
                "Only women of childbearing potential need the test (shared WOCBP definition: female, < 55 years, "
                "no hysterectomy/bilateral oophorectomy/post-menopausal state coded); this protocol names tubal "
                "occlusion as permanent sterilisation, so a coded tubal ligation (Z98.51) needs no test here. Most recent test in [T0-4 d, T0]; none -> "
                "undetermined. Negative = coded negative, or quantitative hCG < 5 IU/L.",
                HCG_RULE,
            ],
        )
    )
    add(
        manual(
            "Effective contraception in men or women of childbearing or pre-menopausal age and up to a minimum of 6 "
            "months following the end of treatment,",
            link="A-I13",
        )
    )
    add(manual("Patient´s signed written informed consent,", link="A-I14"))
    add(
        manual(
            "Willingness and ability to comply with scheduled visits, treatment plan, laboratory tests and other "
            "study procedures,",
            link="A-I15",
        )
    )
    add(manual("Affiliation to the French Social Security System", link="A-I16"))
    return out
