"""Trial A's exclusion criteria (A-E1 to A-E18)."""

from __future__ import annotations

from .common import (
    BRAIN_HEADER_NOTE,
    CARDIAC_12M_NOTE,
    DEFAULT_WINDOW_NOTE,
    HTN_TREATED_NOTE,
    INTOLERANCE_NOTE,
    W28,
    albumin_unless_pt,
    cardiac_events_12m,
    hypertension_review,
    uln,
)
from .fhir import Json, all_of, any_of, condition, derived, judge, manual, one_record, records, window
from .pregnancy import pregnancy_exclusion
from .vs_net import NET_MORPH_TEXT
from .vs_procedures import COURSE_NOTE


def gep_or_unsited() -> Json:
    """A malignancy of a GEP site or of no named organ, or a NET of another organ, in the last 5 years: may be
    the NET itself (or its spread)."""
    return condition(
        "Malignancy of stomach, intestine or pancreas, or of no named organ (C26.0, C26.9, C76.2, C80.x), or a "
        "NET of another organ (C7A.090-C7A.094, C7A.098), in the last 5 years",
        "vs-net-primary-candidate",
        history=True,
        tfe=[window(-5, 0, "a")],
    )


def exclusion() -> list[Json]:
    """A-E1 to A-E18, in protocol order."""
    out: list[Json] = []
    add = out.append
    add(manual('Patient who did not respond (no CR, PR or SD) to "first PRRT".', link="A-E1", exclude=True))
    add(
        manual(
            'Radiological progression after two cycles of "Second PRRT" according to RECIST version 1.1,',
            link="A-E2",
            exclude=True,
        )
    )
    add(
        any_of(
            "Grade 4 hematotoxicity and/or nephrotoxicity during the initial PRRT, or unresolved AEs categorized as "
            "Grade 2 or higher (as per Common Terminology Criteria for Adverse Events (CTCAE v5.0) from previous "
            "PRRT cycles or any other therapy for NET, excluding alopecia and peripheral neuropathy,",
            [
                judge(
                    all_of(
                        "Reduced Lutathera® dosing in the first PRRT (a reduced dose suggests toxicity: review)",
                        [
                            records(
                                "A first PRRT course was given",
                                ["MedicationAdministration"],
                                "vs-lu177-drug",
                                methods=["first-course"],
                            ),
                            derived(
                                "First-course cumulative Lutathera® activity below 4 x 7.4 GBq - 10 % of one dose",
                                "cumulative-activity",
                                "<",
                                28.86,
                                "GBq",
                                methods=["first-course"],
                                input_valueset="vs-lu177-drug",
                                tfe=[window(None, 0, "d")],
                            ),
                        ],
                    )
                ),
                manual(
                    "Grade 4 haemato-/nephrotoxicity during the first PRRT, or unresolved grade >= 2 adverse "
                    "event (CTCAE v5.0) other than alopecia or peripheral neuropathy"
                ),
            ],
            link="A-E3",
            exclude=True,
            note="AdverseEvent is not a record type of the encoding profile, so CTCAE grades are attested. Proxy "
            "from clinical.md: a first-course dose reduction (total < 28.86 GBq = 29.6 GBq minus 10 % of one "
            "7.4 GBq dose) is sent to review.",
        )
    )
    add(
        any_of(
            "Pancreatic NET,",
            [
                condition("Endocrine pancreas malignancy (C25.4)", "vs-pnet", history=True),
                one_record(
                    all_of(
                        "Pancreatic primary with a NET morphology on one Condition (on two Conditions, one tumour or "
                        "two: review)",
                        [
                            condition("Malignant neoplasm of pancreas", "vs-pancreas-site", history=True),
                            condition(
                                f"NET coded without its site: a NET morphology ({NET_MORPH_TEXT}) or C7A, C7A.0, "
                                "C7A.00, C7A.09, C7A.8",
                                "vs-net-unsited",
                                history=True,
                            ),
                        ],
                    )
                ),
            ],
            link="A-E4",
            exclude=True,
            note="Pancreatic NET (clinical.md VS-PNET): C25.4 (endocrine pancreas) or SNOMED CT 93843007 alone, or any "
            "pancreatic primary-site code (C25.x, SNOMED CT 363418001 / 372003004 and sub-sites) together with a NET "
            "morphology, which includes the pancreatic NET morphologies ICD-O-3 815x/3 (non-functioning PanNET, "
            "insulinoma, glucagonoma, gastrinoma, VIPoma, somatostatinoma, ACTH-producing) besides 8240/3 and "
            "8249/3. Any clinical status (history of). A pancreatic primary with a NEC morphology is A-E5's. A C7A "
            "code naming no site (C7A, C7A.0, C7A.00, C7A.09, C7A.8: vs-net-unsited) beside a pancreatic primary is "
            "read as the pancreas's NET too, as the inclusions read it (UNSITED_NOTE). The pancreatic primary and "
            "the NET morphology must be on one Condition (extension same-record, as A-I2 reads its site): on two "
            "(a lung NET beside an old pancreatic adenocarcinoma) they may be two tumours, so they are reviewed, "
            "not read as a pancreatic NET (before, that failed A-E4).",
        )
    )
    add(
        any_of(
            "NeuroEndocrine Carcinoma,",
            [
                condition(
                    "Neuroendocrine carcinoma (C7A.1, ICD-O-3 8246/3, 8013/3, 8041/3, SNOMED NEC)",
                    "vs-nec",
                    history=True,
                ),
                judge(
                    condition(
                        "Mixed neuroendocrine-non-neuroendocrine neoplasm (ICD-O-3 8154/3): review",
                        "vs-minen",
                        history=True,
                    )
                ),
            ],
            link="A-E5",
            exclude=True,
            note="NEC coded as C7A.1, ICD-O-3 8246/3, 8013/3, 8041/3 (as a Condition or in the mCODE morphology "
            "extension) or SNOMED CT NEC concepts -> fail, any clinical status (a NEC is never cured into a NET). "
            "MiNEN (8154/3) has a neuroendocrine carcinoma component only sometimes: reviewed (clinical.md VS-NEC). "
            "A Ki-67 > 20 % is not read as NEC here: G3 NET is a NET (WHO 2019); A-I2 already requires G1/G2.",
        )
    )
    add(
        judge(
            records(
                "Prior external beam radiation therapy to more than 25% of the bone marrow,",
                ["Procedure"],
                "vs-ebrt",
                link="A-E6",
                exclude=True,
                note="Any prior external beam radiotherapy (SNOMED CT or the CPT treatment-delivery codes of "
                "vs-ebrt) goes to review: the share of marrow irradiated is not computable. " + COURSE_NOTE,
            )
        )
    )
    add(
        any_of(
            "Severe renal (measured Glomerular Filtration Rate (GFR) according to Modification of "
            "Diet in Renal Disease (MDRD) < 40 mL/min or nephrotic syndrome)",
            [
                derived(
                    "MDRD eGFR < 40 mL/min/1.73 m2 (reported, else computed from serum creatinine)",
                    "egfr-mdrd",
                    "<",
                    40,
                    "mL/min/{1.73_m2}",
                    unit_text="mL/min/1.73m2",
                    tfe=W28,
                ),
                condition("Nephrotic syndrome", "vs-nephrotic"),
            ],
            link="A-E7a",
            exclude=True,
            note=[
                "'Measured GFR according to MDRD' is read as the MDRD estimate in mL/min/1.73 m2 (MDRD is indexed; no BSA "
                "de-indexing) - clinical.md A-E7a.",
                DEFAULT_WINDOW_NOTE,
            ],
        )
    )
    alt_ast_25 = any_of(
        "ALT or AST > 2.5 x ULN",
        [uln("ALT > 2.5 x ULN", "vs-alt", ">", 2.5, W28), uln("AST > 2.5 x ULN", "vs-ast", ">", 2.5, W28)],
    )
    add(
        any_of(
            "hepatic insufficiency (Alanine aminotransferase (ALT)/ aspartate aminotransferase (AST) > 2.5 x "
            "ULN or ALT/AST > 5 x ULN if liver function abnormalities are due to the underlying malignancy and/or "
            "total serum bilirubin > 2.5 x ULN),",
            [
                uln("ALT > 5 x ULN", "vs-alt", ">", 5, W28),
                uln("AST > 5 x ULN", "vs-ast", ">", 5, W28),
                all_of(
                    "ALT or AST > 2.5 x ULN without liver metastases",
                    [alt_ast_25, {**condition("Liver metastases", "vs-liver-mets"), "exclude": True}],
                ),
                judge(
                    all_of(
                        "ALT or AST 2.5-5 x ULN with liver metastases: attribution to the malignancy needs judgement",
                        [alt_ast_25, condition("Liver metastases", "vs-liver-mets")],
                    )
                ),
                uln("Total bilirubin > 2.5 x ULN", "vs-bili", ">", 2.5, W28),
            ],
            link="A-E7b",
            exclude=True,
            note=[
                "ULN = referenceRange.high of the same Observation. ALT/AST between 2.5 and 5 x ULN pass the 5 x ULN "
                "allowance only if due to the malignancy: with coded liver metastases this is reviewed, without them it "
                "fails.",
                DEFAULT_WINDOW_NOTE,
            ],
        )
    )
    add(
        albumin_unless_pt(
            "A-E8",
            "Serum albumin < 3.0 g/dL unless prothrombin time is within the normal range,",
            3.0,
            "g/dL",
            W28,
            note=DEFAULT_WINDOW_NOTE,
        )
    )
    add(
        uln(
            "Uncontrolled diabetes mellitus as defined by a fasting blood glucose above 2 ULN,",
            "vs-fbg",
            ">",
            2,
            W28,
            link="A-E9",
            exclude=True,
            note=["'Above 2 ULN' = strictly > 2 x ULN.", DEFAULT_WINDOW_NOTE],
        )
    )
    add(
        any_of(
            "Uncontrolled decompensated heart failure, myocardial infarction uncontrolled, stroke, pulmonary embolism "
            "or revascularization procedure, unstable angina pectoris, uncontrolled cardiac arrhythmia, and "
            "clinically significant bradycardia during the last 12 months,",
            cardiac_events_12m(hf_fails=False, with_htn=False, tfe_bp=W28),
            link="A-E10",
            exclude=True,
            note=[
                CARDIAC_12M_NOTE,
                "MI, stroke, PE, unstable angina, revascularisation fail; heart failure, arrhythmia and bradycardia go "
                "to review because 'uncontrolled'/'clinically significant' need judgement.",
            ],
        )
    )
    add(
        any_of(
            "Hypertension that cannot be controlled despite medications (≥ 160/95 mmHg despite optimal medical "
            "therapy)",
            [hypertension_review(W28)],
            link="A-E11",
            exclude=True,
            note=[
                "Evaluated only for patients on treatment: most recent BP >= 160 systolic or >= 95 diastolic -> "
                "review ('optimal medical therapy' is a judgement).",
                HTN_TREATED_NOTE,
                DEFAULT_WINDOW_NOTE,
            ],
        )
    )
    add(
        any_of(
            "Brain metastases (unless these metastases have been treated and stabilized for at least 24 weeks, prior "
            "to enrolment in the study. Patients with a history of brain metastases must have a head CT scan with "
            "contrast or MRI to document stable disease prior to enrolment in the study),",
            [
                all_of(
                    "Brain metastases not treated at least 24 weeks ago (untreated or treated recently)",
                    [
                        condition(
                            "History of brain metastases (a code naming the brain)",
                            "vs-brain-mets-certain",
                            history=True,
                            link="A-E12.mets",
                        ),
                        records(
                            "Radiotherapy, radiosurgery or excision since the brain metastases, at least 168 days "
                            "before T0 (proxy for treated brain metastases)",
                            ["Procedure"],
                            "vs-brain-mets-treatment",
                            tfe=[window(0, None, "d", event="A-E12.mets"), window(None, -168, "d")],
                            exclude=True,
                        ),
                    ],
                ),
                judge(
                    all_of(
                        "Brain metastases treated >= 24 weeks ago: stability on CT/MRI needs review",
                        [
                            condition("History of brain metastases", "vs-brain-mets-certain", history=True),
                            records(
                                "Radiotherapy, radiosurgery or excision since the brain metastases, at least 168 days "
                                "before T0",
                                ["Procedure"],
                                "vs-brain-mets-treatment",
                                tfe=[window(0, None, "d", event="A-E12.mets"), window(None, -168, "d")],
                            ),
                        ],
                    )
                ),
                judge(
                    condition(
                        "Secondary neoplasm of the brain or its meninges (C79.3 header), or of the CNS: review",
                        "vs-brain-mets-review",
                        history=True,
                    )
                ),
            ],
            link="A-E12",
            exclude=True,
            note=[
                "24 weeks = 168 days. A treatment of the metastases (vs-brain-mets-treatment: external beam "
                "radiotherapy of any site, as Procedure.bodySite is not in the profile, stereotactic radiosurgery CPT "
                "77371/77372, or a craniotomy excising a brain tumour CPT 61510/61518) dated >= 168 days before T0 and "
                "on or after the most recent brain-metastasis onset (a treatment that predates the metastases treated "
                "something else) stands for 'treated and stable for 24 weeks' -> review (stability is an imaging "
                "read); brain metastases without such a treatment fail (untreated, or treated too recently). A "
                "treatment coded otherwise (SNOMED neurosurgery, a site's own code) is not read: map it with "
                "--terminology, or the investigator overrides.",
                "The metastases are dated by their onset, else their recordedDate (clinical.md §0.7): brain "
                "metastases with no onset recorded on 2025-06-01 and radiosurgery on 2025-07-01, >= 168 days before "
                "T0, are reviewed; a treatment dated before the recorded date fails as treating something else.",
                BRAIN_HEADER_NOTE,
            ],
        )
    )
    add(pregnancy_exclusion("A-E13", "Pregnancy or breast feeding,"))
    add(
        manual(
            "Substance abuse, medical, psychological, or social conditions that may interfere with the patient's "
            "participation in the study or evaluation of the study results,",
            link="A-E14",
            exclude=True,
        )
    )
    add(
        any_of(
            "Known hypersensitivity to any of the study drugs, study drug classes, or any constituent of the products,",
            [
                records(
                    "Allergy or intolerance to a somatostatin analogue or to Lutathera®",
                    ["AllergyIntolerance"],
                    "vs-study-drug-allergy",
                ),
                manual("Other known hypersensitivity to the study drugs, their class or excipients"),
            ],
            link="A-E15",
            exclude=True,
            note="A coded allergy (any clinical status read as for conditions: active, or no status) "
            "to a somatostatin analogue or to Lutathera fails: vs-study-drug-allergy holds the ATC codes and the "
            "RxNorm / HCPCS product codes of the study drugs. No SNOMED CT substance concept or RxNorm ingredient "
            "RxCUI for these drugs could be verified, so an allergy coded only that way, or to an excipient or the "
            "drug class, stays with the manual item (attested). " + INTOLERANCE_NOTE,
        )
    )
    add(
        manual(
            "Concomitant participation or participation within the last 30 days in another clinical trial,",
            link="A-E16",
            exclude=True,
        )
    )
    add(
        any_of(
            "History of other solid tumor in 5 years before the inclusion excepted of cancer in situ of the cervix "
            "and skin cancer (basal or squamous cell) treated and controlled.",
            [
                condition(
                    "Other solid malignancy with onset in the last 5 years",
                    "vs-other-malig",
                    history=True,
                    tfe=[window(-5, 0, "a")],
                ),
                condition(
                    "Other solid malignancy active now (active, recurrence or relapse; any onset)", "vs-other-malig"
                ),
                all_of(
                    "GEP-site or unsited malignancy in the last 5 years while no NET code identifies it as the NET",
                    [
                        gep_or_unsited(),
                        {
                            **condition("NET coded (C7A, C25.4 or NET morphology)", "vs-net-any", history=True),
                            "exclude": True,
                        },
                    ],
                ),
                judge(
                    all_of(
                        "GEP-site or unsited malignancy, or a NET of another organ, in the last 5 years that may be "
                        "the NET itself (or its spread): review",
                        [
                            gep_or_unsited(),
                            condition("NET coded (C7A, C25.4 or NET morphology)", "vs-net-any", history=True),
                        ],
                    )
                ),
                judge(
                    condition(
                        "Skin cancer of unspecified type in the last 5 years (may be an excepted basal or squamous "
                        "cell carcinoma): review",
                        "vs-skin-unspecified",
                        history=True,
                        tfe=[window(-5, 0, "a")],
                    )
                ),
                judge(
                    condition(
                        "Skin cancer of unspecified type active now (any onset): review",
                        "vs-skin-unspecified",
                    )
                ),
            ],
            link="A-E17",
            exclude=True,
            note=[
                "Onset in [T0-5 years, T0], any clinical status, or active now with any onset (a cancer present "
                "or recurred today is a tumour of the last 5 years; as the chronic cardiac conditions, expected "
                "verdicts ambiguity 14). BCC/SCC of skin and cervical carcinoma in situ "
                "(D06) are outside the value set. C16-C20/C25 codes are where the NET itself is often coded (WHO "
                "ICD-10 has no C7A): without any NET code they count as another cancer, with one they are reviewed. "
                "So are the codes naming no organ (vs-net-primary-candidate: C26.0/C26.9 intestinal tract or digestive "
                "system unspecified, C76.2 abdomen, C80.x primary unknown): beside a NET code they are most likely "
                "the NET itself (before, C80.1 or C26.0 with a NET morphology failed here as another cancer).",
                "A NET of another organ than the intestine (ICD-10-CM C7A.090 lung, C7A.091 thymus, C7A.092 "
                "stomach, C7A.093 kidney, C7A.094 foregut unspecified, C7A.098 other sites; in "
                "vs-net-primary-candidate) with onset in the last 5 years is reviewed, never failed: it is a solid "
                "tumour, but the protocol does not say whether a second NET primary is 'other', and the code cannot "
                "tell a second primary from a metastasis of the intestinal NET (lung, ovary) or, for the foregut "
                "unspecified, from a duodenal NET under study. Before, every C7A code read as the NET under study and "
                "A-E17 passed. A second intestinal NET code (C7A.01x, C7A.02x, C7A.095, C7A.096) is the multifocal "
                "disease the trial studies, not another tumour; a pancreatic NET fails A-E4. A lung NET coded as "
                "C34 (+ a NET morphology) stays another cancer: the morphology cannot be tied to the C34 record. "
                "A C7A.09x NET still active with its onset more than 5 years ago is not reviewed: these codes share "
                "the GEP-site review (by onset only), where an 'active now' reading would review every NET coded by "
                "its site.",
                "Skin cancer of unspecified type (vs-skin-unspecified: ICD-10-CM C44.x0/C44.x0x 'unspecified "
                "malignant neoplasm of skin' and the C44 headers over basal cell, squamous cell and other types; "
                "WHO C44, which does not separate the types) may be the excepted basal or squamous cell carcinoma: "
                "review, never a fail (before, C44.90 or C44.9 failed and WHO C44 passed). C44.x9 'other specified' "
                "(adnexal, sebaceous carcinoma ...) is another cancer; C44.x1/C44.x2 (BCC/SCC) are excepted. Whether "
                "the excepted skin cancer was 'treated and controlled' is not read: the exception is taken as coded.",
            ],
        )
    )
    add(
        manual(
            "Legal incapacity or physical, psychological or mental status interfering with the patient's ability to "
            "sign the informed consent or to terminate the study.",
            link="A-E18",
            exclude=True,
        )
    )
    return out
