"""Trial B's inclusion criteria on the NET and its prior treatment (B-I1 to B-I6)."""

from __future__ import annotations

from .common import (
    EVEROLIMUS_USE_NOTE,
    KI67_ANY,
    NET_SITE_NOTE,
    OPEN_WORLD_NOTE,
    RX_DRUG_NOTE,
    UNDER_WAY_NOTE,
    UNSITED_NOTE,
    everolimus_use_unknown,
    imaging,
    net_site,
)
from .fhir import Json, age, all_of, any_of, ch, condition, derived, manual, obs, q, records, window
from .vs_drugs import GENERIC_PROCEDURE_NOTE, LU177_CODES_NOTE
from .vs_labs import lab


def inclusion_disease() -> list[Json]:
    """B-I1 to B-I6, in protocol order."""
    out: list[Json] = []
    add = out.append
    add(age("Patients must be at least >= 18 years of age", ">=", 18, link="B-I1"))
    add(
        all_of(
            "Metastatic, histologically confirmed grade 1 or 2 well-differentiated midgut neuroendocrine "
            "tumours, including NETs of unknown primary thought to be of midgut origin,",
            [
                net_site(
                    "vs-net-midgut",
                    "vs-midgut-site",
                    "Midgut NET (jejunum, ileum, appendix, caecum, ascending colon, midgut NOS; duodenum is foregut)",
                    review_vs="vs-net-midgut-review",
                    review_text="NET whose midgut origin needs review (transverse colon, large intestine "
                    "unspecified, unknown primary)",
                    review_site_vs="vs-midgut-review-site",
                    same_record=True,
                ),
                obs(
                    "Grade 1 or 2: Ki-67 index <= 20 % (most recent, any date)",
                    lab("vs-ki67"),
                    "<=",
                    20,
                    "%",
                    tfe=KI67_ANY,
                ),
                condition("Metastatic disease coded (active secondary malignant neoplasm, any site)", "vs-metastatic"),
            ],
            link="B-I2a",
            note=[
                "'Metastatic' is a state on T0, not a history: a secondary malignant neoplasm counts when its "
                "Condition is active, recurrence or relapse (no status: read as written, active; clinical.md §0.7). "
                "Metastases marked inactive, remission or resolved (resected, or in complete response) are past "
                "disease: with no current metastasis coded the closed-world rule for diagnoses makes B-I2a fail. A "
                "status that says neither (R5 'unknown', a site's own code) makes it unknown.",
                "Transverse colon (C7A.023: proximal part is midgut), large intestine of unspecified portion "
                "(C7A.029: may be the caecum or ascending colon, midgut; before, it failed) and unknown primary "
                "(C7A.00: 'thought to be of midgut origin') go to review; duodenum (C7A.010) is foregut and does "
                "not count; small intestine unspecified (C7A.019) is midgut (clinical.md VS-NET-MIDGUT). "
                "Grade from the most recent Ki-67 of any date.",
                "The same sites coded as a primary-site code with a NET morphology are reviewed alike "
                "(vs-midgut-review-site: C18.4 transverse colon, C18.3 hepatic flexure, C18.9/C18/C18.8 colon "
                "unspecified or overlapping, C17/C17.8 small intestine header or overlapping, duodenum included, "
                "C17.3 Meckel's diverticulum, ileal but not in clinical.md's midgut list; SNOMED CT alike). "
                "Before, only the C7A codes had a review route and C18.4 + 8240/3 failed while C7A.023 was "
                "reviewed. C17.0 duodenum, C18.5-C18.7, C19, C20 (hindgut) with a NET morphology still fail.",
                NET_SITE_NOTE,
                UNSITED_NOTE,
            ],
        )
    )
    add(
        all_of(
            "with positive Gallium-68 DOTATATE scan or Copper-64 DOTATATE scan within the last 12 months is "
            "recommended but within the last 36 months is allowed. Lesions on Gallium-68 or Copper-64 DOTATATE scan "
            "will be considered positive if the maximum standardized uptake value (SUVmax) of target lesion is > SUV "
            "mean of normal liver parenchyma",
            [
                imaging(
                    "68Ga- or 64Cu-DOTATATE PET in the last 36 months",
                    "vs-sstr-pet",
                    tfe=[window(-36, 0, "mo")],
                ),
                manual("DOTATATE scan positive: SUVmax of the target lesion > SUVmean of normal liver"),
            ],
            link="B-I2b",
            note=[
                "36 months is the allowed limit (12 months only recommended): a scan 12-36 months old passes. "
                "Positivity (SUVmax vs liver SUVmean) is an imaging read.",
                OPEN_WORLD_NOTE,
            ],
        )
    )
    add(
        any_of(
            "Have received 3 or 4 cycles of PRRT or a cumulative exposure of 22,200 MBq (600mCi) or 29,600 MBq "
            "(800 mCi) within a 52-week period.",
            [
                records(
                    "3 or 4 Lutathera cycles in the first PRRT course",
                    ["MedicationAdministration", "Procedure"],
                    "vs-lu177",
                    methods=["first-course"],
                    instances_range=(3, 4),
                ),
                derived(
                    "Cumulative 177Lu-DOTATATE activity of the first course within any 52-week period between 22 200 and "
                    "29 600 MBq",
                    "cumulative-activity",
                    None,
                    None,
                    "MBq",
                    rng=(22200, 29600),
                    methods=["first-course", "max-364-days"],
                    input_valueset="vs-lu177-drug",
                ),
            ],
            link="B-I3a",
            note="Evaluated on the first PRRT course (later courses are caught by B-I5). '22,200 MBq or 29,600 "
            "MBq' (3 or 4 x 7.4 GBq) is read as the interval [22 200, 29 600] MBq, inclusive; 52 weeks = "
            "364 days. Either the cycle count or the activity suffices. Records a day or less apart are one cycle."
            + GENERIC_PROCEDURE_NOTE
            + LU177_CODES_NOTE,
        )
    )
    add(
        all_of(
            "Previous therapy with everolimus for a maximum period of 1 month is permitted.",
            [
                records(
                    "Everolimus taken for more than 31 days in total",
                    ["MedicationAdministration"],
                    "vs-everolimus",
                    duration=q(31, "d", ">"),
                    exclude=True,
                ),
            ],
            link="B-I3b",
            note="'A maximum period of 1 month' = at most 31 days of total exposure (merged periods: overlapping "
            "records count each day once). Kept in days, as clinical.md B-I3b reads it, not as a calendar month "
            "(28 to 31 days depending on the first day). " + UNDER_WAY_NOTE,
        )
    )
    add(
        manual(
            "No previous targeted alpha therapy is permitted.",
            link="B-I3c",
            note="No verified codes for targeted alpha therapy (e.g. 212Pb/225Ac-DOTATATE): attested.",
        )
    )
    add(
        all_of(
            "No previous alkylator therapy (i.e. Temodar) is permitted",
            [
                records(
                    "Any alkylating agent (ATC L01A, e.g. temozolomide) at any time",
                    ["MedicationAdministration"],
                    "vs-alkylator",
                    exclude=True,
                ),
            ],
            link="B-I3d",
            note=[
                "'Alkylator' = ATC L01A (temozolomide L01AX03, streptozocin L01AD04 ...), any time before T0; platinum "
                "compounds are ATC L01XA and are not counted.",
                RX_DRUG_NOTE,
            ],
        )
    )
    add(
        manual(
            "Have had radiological progression per RECIST 1.1 after prior PRRT treatment and no sooner than 12 months "
            "from last scan performed post completion of initial PRRT where either stable disease, partial response, "
            "or complete response has been maintained throughout",
            link="B-I4",
        )
    )
    add(
        all_of(
            "Have not received any intervening therapy after initial PRRT",
            [
                records(
                    "Lutathera after the first course (a second course)",
                    ["MedicationAdministration", "Procedure"],
                    "vs-lu177",
                    methods=["after-first-course"],
                    exclude=True,
                ),
                records(
                    "Anticancer drug, radiotherapy or liver-directed therapy after the last cycle of the first PRRT",
                    ["MedicationAdministration", "Procedure"],
                    "vs-anticancer-treatment",
                    exclude=True,
                    tfe=[window(1, None, "d", event="B-I5.prrt1"), window(None, 0, "d")],
                ),
                manual(
                    "No other intervening therapy after the first PRRT that the record does not code (ablation, "
                    "SIRT / radioembolisation, bland embolisation, surgery for the NET, investigational agent)"
                ),
                ch(
                    "Anchor: last administration of the first PRRT course",
                    link="B-I5.prrt1",
                    definitionByTypeAndValue={
                        "type": {
                            "coding": [
                                {
                                    "system": "http://hl7.org/fhir/fhir-types",
                                    "code": "MedicationAdministration",
                                    "display": "MedicationAdministration",
                                },
                                {
                                    "system": "http://hl7.org/fhir/fhir-types",
                                    "code": "Procedure",
                                    "display": "Procedure",
                                },
                            ]
                        },
                        "method": [
                            {
                                "coding": [
                                    {
                                        "system": "http://fhir-eligibility.org/fhir/CodeSystem/eligibility",
                                        "code": "first-course",
                                    }
                                ]
                            }
                        ],
                        "valueReference": {"reference": "ValueSet/vs-lu177"},
                    },
                ),
                {
                    **everolimus_use_unknown(tfe=[window(1, None, "d", event="B-I5.prrt1"), window(None, 0, "d")]),
                    "exclude": True,
                },
            ],
            link="B-I5",
            note=[
                "Somatostatin analogues are allowed (B-I14) and are not in the value set. 'After initial PRRT' "
                "= from the day after the last first-course cycle (anchor B-I5.prrt1, whose most recent "
                "matching record is that cycle) up to T0. The anchor leaf also requires a first PRRT course "
                "to exist, as B-I3a does." + GENERIC_PROCEDURE_NOTE,
                "Therapies with no verified code (ablation, SIRT, bland embolisation other than CPT 37243, "
                "investigational agents) are an attested item inside the line, as in E-E3: otherwise that part "
                "of the protocol line would be silently dropped. Coded therapies (ATC/RxNorm drugs, SNOMED CT and "
                "CPT radiotherapy, embolisation and hepatectomy codes) are read.",
                RX_DRUG_NOTE,
                EVEROLIMUS_USE_NOTE,
            ],
        )
    )
    add(
        manual(
            "No ongoing toxicity from prior PRRT that is grade 3 or higher according to Common Terminology Criteria "
            "for Adverse Events (CTCAE) 5.0",
            link="B-I6",
            note="AdverseEvent is not a record type of the encoding profile: attested.",
        )
    )
    return out
