"""Trial B - NCT05773274 (seed 001): NET RETREAT (177Lu-DOTATATE retreatment vs everolimus)."""

from __future__ import annotations

from .common import (
    HCG_RULE,
    KI67_ANY,
    NET_SITE_NOTE,
    OPEN_WORLD_NOTE,
    RX_DRUG_NOTE,
    UNDER_WAY_NOTE,
    W28,
    anc,
    crcl,
    ecog,
    hcg_negative,
    imaging,
    net_site,
    pregnancy_exclusion,
    uln,
)
from .fhir import (
    Json,
    age,
    all_of,
    any_of,
    ch,
    condition,
    derived,
    judge,
    manual,
    method,
    obs,
    q,
    records,
    window,
    within,
)
from .vs_drugs import GENERIC_PROCEDURE_NOTE, LU177_CODES_NOTE
from .vs_labs import NOT_DETECTED, lab

META = {
    "nct": "NCT05773274",
    "key": "B",
    "seed": "001",
    "title": "Comparing Retreatment of 177Lu-DOTATATE PRRT Versus Everolimus in Patients With Metastatic Unresectable "
    "Midgut Neuroendocrine Tumors, NET RETREAT Trial",
    "status": "not-yet-recruiting",
    "status_display": "Not yet recruiting",
    "phase": "phase-2",
    "sponsor": "National Cancer Institute (NCI)",
    "conditions": [("Metastatic unresectable midgut neuroendocrine tumour", None)],
    "summary": "Phase II comparison of retreatment with 177Lu-DOTATATE PRRT versus everolimus in patients with "
    "metastatic, unresectable midgut NET who progressed after an initial PRRT.",
    "end": "2026-04-30",
}

LAB_NOTE = "Window from the protocol: measured within 28 days prior to enrollment, i.e. [T0-28 d, T0]."


def _quantified_detected(c: Json) -> Json:
    """The characteristic with method quantified-detected: a measured amount is a detection."""
    d = c["definitionByTypeAndValue"]
    c["definitionByTypeAndValue"] = {"type": d["type"], "method": [method("quantified-detected")]} | {
        k: v for k, v in d.items() if k != "type"
    }
    return c


def characteristics() -> list[Json]:
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
                "Transverse colon (C7A.023: proximal part is midgut), large intestine of unspecified portion "
                "(C7A.029: may be the caecum or ascending colon, midgut; before, it failed) and unknown primary "
                "(C7A.00: 'thought to be of midgut origin') go to review; duodenum (C7A.010) is foregut and does "
                "not count; small intestine unspecified (C7A.019) is midgut (clinical.md VS-NET-MIDGUT). "
                "Grade from the most recent Ki-67 of any date.",
                NET_SITE_NOTE,
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
    add(
        ecog(
            "B-I7",
            "Eastern Cooperative Oncology Group (ECOG) performance status =< 2",
            2,
            note="No window in the protocol for ECOG: the 28-day lab window of this protocol is applied by analogy.",
        )
    )
    add(
        obs(
            "Hemoglobin >= 80 g/L (>= 8.0 g/dL) (measured within 28 days prior to enrollment)",
            lab("vs-hb"),
            ">=",
            80,
            "g/L",
            link="B-I8",
            tfe=W28,
            note=LAB_NOTE,
        )
    )
    add(
        anc(
            "Absolute neutrophil count >= 1.0 x 10^9/L (>= 1000/mm^3) (measured within 28 days prior to enrollment)",
            1.0,
            link="B-I9",
            tfe=W28,
            note=LAB_NOTE,
        )
    )
    add(
        obs(
            "Platelets >= 80 x 10^9/L (>= 80 x 10^3/mm^3) (measured within 28 days prior to enrollment)",
            lab("vs-plt"),
            ">=",
            80,
            "10*9/L",
            link="B-I10",
            tfe=W28,
            note=LAB_NOTE,
        )
    )
    add(
        any_of(
            "Total bilirubin < 1.5 x upper limit of normal (ULN) (upper limit of normal) (measured within 28 days "
            "prior to enrollment)",
            [
                uln("Total bilirubin < 1.5 x ULN", "vs-bili", "<", 1.5, W28),
                condition("Confirmed Gilbert syndrome (decided by B-I11-gilbert)", "vs-gilbert", history=True),
            ],
            link="B-I11",
            note=[
                LAB_NOTE,
                "Patients with Gilbert syndrome are judged by the next protocol line "
                "(B-I11-gilbert), so they pass this one.",
            ],
        )
    )
    add(
        any_of(
            "If confirmed Gilbert's, eligible providing =< criteria x ULN",
            [
                {**condition("Gilbert syndrome", "vs-gilbert", history=True), "exclude": True},
                uln("Total bilirubin < 1.5 x ULN", "vs-bili", "<", 1.5, W28),
                judge(
                    all_of(
                        "Gilbert syndrome with bilirubin >= 1.5 x ULN: the allowed multiple is missing from the protocol",
                        [
                            condition("Gilbert syndrome", "vs-gilbert", history=True),
                            uln("Total bilirubin >= 1.5 x ULN", "vs-bili", ">=", 1.5, W28),
                        ],
                    )
                ),
            ],
            link="B-I11-gilbert",
            note="Separate seed line that clinical.md merges into B-I11. The multiplier is lost in the "
            "text ('=< criteria x ULN'): a Gilbert patient with bilirubin >= 1.5 x ULN goes to "
            "review instead of failing.",
        )
    )
    add(
        crcl(
            "Creatinine clearance > 50 mL/min (measured within 28 days prior to enrollment)",
            ">",
            50,
            W28,
            link="B-I12",
            note=[
                LAB_NOTE,
                "Strict '>'. Measured 24-h clearance (2164-2) governs when present, else a "
                "reported or computed Cockcroft-Gault (engine derivation order).",
            ],
        )
    )
    add(
        ch(
            "Creatinine clearance to be measured directly by 24 hour urine sampling or as calculated by Cockcroft and "
            "Gault equation",
            definitionId="B-I12",
            link="B-I12-method",
            note="Separate seed line that clinical.md merges into B-I12: it fixes the method of B-I12 (measured 24-h "
            "urine or Cockcroft-Gault, which is exactly the creatinine-clearance derivation), so it evaluates as "
            "B-I12 (definitionId).",
        )
    )
    add(
        manual(
            "Patient is able (i.e. sufficiently fluent) and willing to complete the quality of life questionnaires in "
            "either English, French or Spanish. The baseline assessment must be completed within required timelines, "
            "prior to enrollment. Inability (lack of comprehension in English, French or Spanish, or other "
            "equivalent reason such as cognitive issues or lack of competency) to complete the questionnaires will "
            "not make the patient ineligible for the study. However, ability but unwillingness to complete the "
            "questionnaires will make the patient ineligible",
            link="B-I13",
        )
    )
    add(
        ch(
            "Prior or current use of somatostatin analogues is allowed for carcinoid syndrome control or in PRRT "
            "re-treatment patient population (Arm 1). Patients randomized to everolimus (Arm 2) will not be allowed to "
            "continue somatostatin analogues unless they have functional carcinoid syndrome",
            link="B-I14",
            definitionExpression={
                "language": "text/fhirpath",
                "expression": "true",
                "description": "Permission, not a filter: always satisfied",
            },
            note="Not an eligibility filter (clinical.md B-I14): it permits SSA use and restricts it per arm after "
            "randomisation, so it always passes.",
        )
    )
    add(
        manual(
            "Patient consent must be appropriately obtained in accordance with applicable local and regulatory "
            "requirements. Each patient must sign a consent form prior to enrollment in the trial to document their "
            "willingness to participate",
            link="B-I15",
        )
    )
    add(
        manual(
            "Patients of childbearing potential must have agreed to use a highly effective contraceptive method during "
            "protocol treatment and for 7 months after the last dose of protocol treatment. A woman is considered to "
            'be of "childbearing potential" if she has had menses at any time in the preceding 12 consecutive '
            'months. In addition to routine contraceptive methods, "effective contraception" also includes '
            "heterosexual celibacy and surgery intended to prevent pregnancy (or with a side-effect of pregnancy "
            "prevention) defined as a hysterectomy, bilateral oophorectomy or bilateral tubal ligation, or "
            "vasectomy/vasectomized partner. However, if at any point a previously celibate patient chooses to become "
            "heterosexually active during the time period for use of contraceptive measures outlined in the protocol, "
            "he/she is responsible for beginning contraceptive measures",
            link="B-I16",
        )
    )
    add(
        any_of(
            "Women of childbearing potential will have a pregnancy test to determine eligibility as part of the "
            "Pre-Study Evaluation; this may include an ultrasound to rule-out pregnancy if a false-positive is "
            "suspected. For example, when beta-human chorionic gonadotropin is high and partner is vasectomized, it "
            "may be associated with tumour production of human chorionic gonadotropin (hCG), as seen with some "
            "cancers. Patient will be considered eligible if an ultrasound is negative for pregnancy",
            hcg_negative(
                28, review="Raised quantitative hCG (>= 5 IU/L): pregnancy may be ruled out by ultrasound (tumour hCG)"
            ),
            link="B-I16-hcg",
            note=[
                "Separate seed line that clinical.md merges into B-I16.",
                "No window is given for the test: the "
                "28-day lab window of this protocol is assumed (clinical.md B-I16). A raised quantitative hCG goes "
                "to review (ultrasound may rule out pregnancy).",
                HCG_RULE,
                "Who needs the test is the shared WOCBP definition (clinical.md §0.11). B defines childbearing "
                "potential by menses in the last 12 months and lists tubal ligation as effective contraception, "
                "so a coded tubal ligation (Z98.51) does not spare the test: undetermined until one is on file.",
            ],
        )
    )
    add(
        manual(
            "Patients must be accessible for treatment, response assessment, and follow up. Patients enrolled on this "
            "trial must be treated and followed at the participating center. Investigators must assure themselves "
            "the patients enrolled on this trial will be available for complete documentation of the treatment, "
            "adverse events, and follow-up",
            link="B-I17",
        )
    )
    add(
        manual(
            "Patients must agree to return to their primary care facility for any adverse events which may occur "
            "through the course of the trial",
            link="B-I18",
        )
    )
    add(
        manual(
            "Patient must have access to everolimus. In the event that site/investigator is unable to provide access "
            "to the drug, patient will not be eligible for this trial",
            link="B-I19",
        )
    )
    add(
        any_of(
            "Human immunodeficiency virus (HIV) infected patients on effective anti-retroviral therapy with "
            "undetectable viral load within 6 months are eligible for this trial",
            [
                all_of(
                    "No HIV infection shown: no diagnosis, and no HIV-1 viral load in the last 6 months",
                    [
                        {**condition("HIV infection", "vs-hiv", history=True), "exclude": True},
                        records(
                            "HIV-1 viral load in the last 6 months",
                            ["Observation"],
                            "vs-hiv-vl",
                            tfe=[window(-6, 0, "mo")],
                            exclude=True,
                        ),
                    ],
                ),
                ch(
                    "HIV-1 RNA not detected in the last 6 months",
                    definitionByTypeAndValue={
                        "type": {"coding": [{"system": "http://loinc.org", "code": "20447-9"}]},
                        "method": [method("quantified-detected")],
                        "valueCodeableConcept": {
                            "coding": [{"system": s, "code": c, "display": d} for s, c, d in NOT_DETECTED]
                        },
                    },
                    timeFromEvent=[window(-6, 0, "mo")],
                ),
                _quantified_detected(
                    obs(
                        "HIV-1 RNA reported below a detection limit of at most 50 copies/mL (undetectable) in the "
                        "last 6 months",
                        lab("vs-hiv-vl"),
                        "<",
                        50,
                        "{copies}/mL",
                        unit_text="copies/mL",
                        tfe=[window(-6, 0, "mo")],
                    )
                ),
            ],
            link="B-I20",
            note="Patients without HIV pass. With HIV the most recent viral load in the last 6 "
            "months must be undetectable (clinical.md B-I20): coded 'not detected' (or an equivalent answer "
            "code), or reported below a detection limit ('<20', '<50'); no viral load -> undetermined. Effective "
            "ART is implied by the undetectable load (no verified antiretroviral codes). Any quantified load "
            "(a measured amount, or '>') is detectable: fail (method quantified-detected on both arms), even "
            "one under 50 copies/mL (a quantified 40 copies/mL was a pass before: 'suppressed' is not "
            "'undetectable'). A '<' bound above 50 copies/mL from an older assay ('<200') cannot show the load "
            "undetectable by current assays: undetermined, where clinical.md reads every '<' as undetectable. "
            "A coded 'Detected' without an amount: undetermined (to collect the amount). A viral load "
            "in the last 6 months puts the patient on the HIV path whether or not the diagnosis is coded "
            "(exports often leave out sensitive diagnoses; a quantified load proves infection): a detectable "
            "load fails without B20/Z21 too (before, 'HIV infection: none recorded' passed it); an undetectable "
            "one passes; one that cannot show either ('<200', unreadable) is undetermined. A viral load only "
            "older than 6 months, without a diagnosis, is not read (as before).",
        )
    )
    add(
        manual(
            "Patients with a prior or concurrent malignancy whose natural history or treatment does not have the "
            "potential to interfere with the safety or efficacy assessment of the investigational regimen are "
            "eligible for this trial",
            link="B-I21",
            note="Permissive: judged by the investigator.",
        )
    )
    # ---------------- exclusion ----------------
    add(
        any_of(
            "Major surgical procedures within 6 weeks from randomization date",
            [
                records("Hepatic resection in the last 42 days", ["Procedure"], "vs-major-surgery", tfe=within(42)),
                manual("Other major surgery in the last 6 weeks"),
            ],
            link="B-E1",
            exclude=True,
            note="6 weeks = 42 days. Only hepatic resections have verified codes (SNOMED CT excision / lobectomy of "
            "liver, CPT hepatectomy 47120-47130); other major surgery is attested.",
        )
    )
    add(
        any_of(
            "Known brain metastases, unless these metastases have been treated, stabilized and off steroids for at "
            "least 4 weeks prior to enrollment in the study. Patients with a history of brain metastases must have a "
            "head CT and/or MRI with contrast to document stable disease prior to enrollment in the study",
            [
                all_of(
                    "Brain metastases while on systemic corticosteroids in the last 4 weeks",
                    [
                        condition("History of brain metastases", "vs-brain-mets", history=True),
                        records(
                            "Systemic glucocorticoid less than 4 weeks before T0 (last dose in [T0-27 d, T0])",
                            ["MedicationAdministration"],
                            "vs-steroid",
                            tfe=[window(-27, 0, "d")],
                        ),
                    ],
                ),
                judge(
                    condition(
                        "History of brain metastases: treatment and stability need review",
                        "vs-brain-mets",
                        history=True,
                    )
                ),
            ],
            link="B-E2",
            exclude=True,
            note=[
                "Brain metastases (any clinical status: 'known' / 'history of') with a systemic glucocorticoid "
                "(ATC H02AB or an oral glucocorticoid RxNorm product) taken less than 4 weeks before T0 fail: 'off "
                "steroids for at least 4 weeks' is met by a last dose exactly 28 days before T0, so the window is "
                "(T0-28 d, T0] = [T0-27 d, T0], the same reading as E-I5 and D-E1 (clinical.md B-E2 writes "
                "[T0-28 d, T0], which would fail a patient who stopped exactly 4 weeks ago).",
                "Brain metastases off steroids go to review: 'treated' and 'stabilized' (imaging) need judgement.",
                RX_DRUG_NOTE,
            ],
        )
    )
    add(
        any_of(
            "Uncontrolled congestive heart failure no worse than New York Heart Association Class (NYHA) IIB",
            [
                all_of(
                    "Heart failure with NYHA class III or IV",
                    [
                        condition("Heart failure", "vs-hf"),
                        obs("NYHA class >= III", lab("vs-nyha"), ">=", 3, "{score}", tfe=W28),
                    ],
                ),
                judge(condition("Heart failure ('uncontrolled' needs judgement)", "vs-hf")),
            ],
            link="B-E3",
            exclude=True,
            note="The sentence is self-contradictory ('uncontrolled ... no worse than NYHA IIB'; "
            "NYHA has no class IIB). Proposed rule (clinical.md B-E3): any active heart "
            "failure -> review; NYHA >= III (most recent, 28 days) -> fail.",
        )
    )
    add(
        manual(
            "Inability to swallow oral medications or gastrointestinal disease limiting absorption of oral agents",
            link="B-E4",
            exclude=True,
        )
    )
    add(
        manual(
            "Patients with any other significant medical or surgical condition, currently uncontrolled by treatment, "
            "which may interfere with completion of the study",
            link="B-E5",
            exclude=True,
        )
    )
    add(
        pregnancy_exclusion(
            "B-E6",
            "Pregnant women are excluded from this study because 177Lu-DOTATATE is a peptide "
            "receptor radionuclide therapy with the potential for teratogenic or abortifacient effects. "
            "Because there is an unknown but potential risk for adverse events in nursing infants "
            "secondary to treatment of the mother with 177Lu-DOTATATE, breastfeeding should be "
            "discontinued if the mother is treated with everolimus or 177Lu-DOTATATE and for 2.5 months "
            "following the last treatment",
            lactation=False,
            lactation_attested="Breast-feeding patient does not agree to stop breast-feeding during treatment with "
            "everolimus or 177Lu-DOTATATE and for 2.5 months after the last treatment",
            note="Only pregnancy excludes. The breast-feeding sentence is a condition of participation "
            "('breastfeeding should be discontinued if the mother is treated ... and for 2.5 months following "
            "the last treatment'), not an exclusion: a coded breast-feeding is not a fail but an attested item "
            "(agrees to stop breast-feeding), asked when breast-feeding is coded (closed world, as the other "
            "trials' breast-feeding items). This departs from clinical.md B-E6 (VS-LACT present -> fail).",
        )
    )
    return out
