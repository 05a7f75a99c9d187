"""Trial B's inclusions on the patient (B-I7 to B-I21): performance, organ function, pregnancy, HIV, consent."""

from __future__ import annotations

from .common import W28, anc, crcl, ecog, uln
from .fhir import Json, all_of, any_of, ch, condition, judge, manual, method, obs, records, window
from .pregnancy import HCG_RULE, hcg_negative
from .vs_labs import NOT_DETECTED, PLT_NOTE, lab

LAB_NOTE = "Window from the protocol: measured within 28 days prior to enrollment, i.e. [T0-28 d, T0]."


def _quantified_detected(c: Json) -> Json:
    """The characteristic with method quantified-detected: a measured amount is a detection."""
    d = c["definitionByTypeAndValue"]
    c["definitionByTypeAndValue"] = {"type": d["type"], "method": [method("quantified-detected")]} | {
        k: v for k, v in d.items() if k != "type"
    }
    return c


def inclusion_health() -> list[Json]:
    """B-I7 to B-I21, in protocol order."""
    out: list[Json] = []
    add = out.append
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
            note=[LAB_NOTE, PLT_NOTE],
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
    return out
