"""Trial E's inclusion criteria, with the notes on the registry text they read."""

from __future__ import annotations

from .common import (
    EVEROLIMUS_USE_NOTE,
    IMAGING_TYPES,
    MINEN,
    MINEN_NOTE,
    NET_SITE_NOTE,
    OPEN_WORLD_NOTE,
    QUICK_NEWEST_NOTE,
    RX_DRUG_NOTE,
    UNSITED_NOTE,
    W28,
    anc,
    ecog,
    everolimus_use_unknown,
    imaging,
    net_site,
    quick_above,
    uln,
)
from .fhir import Json, age, all_of, any_of, condition, judge, manual, obs, obs_present, obs_rising, records, window
from .pregnancy import HCG_RULE, hcg_negative
from .vs_labs import PLT_NOTE, lab

NOTE_SIGNS = (
    "The seed lost every '≥'/'≤' sign ('='); the clinically obvious direction is restored "
    "(clinical.md §1.5 ambiguities)."
)
REGISTRY_TEXT = "Registry text: "


def lost_sign(line: str, reading: str) -> str:
    """The registry's own words, kept verbatim (seedcheck reads them), while the description states the rule."""
    return (
        f"{REGISTRY_TEXT}\"{line}\" - the registry lost the comparator ('=' for '≥'/'≤'); "
        f"clinical.md §1.5 reads it as {reading}."
    )


NOTE_BASELINE = "Baseline window of E-I12: within 4 weeks before the first 177Lu injection (D0 = T0): [T0-28 d, T0]."
W12M = [window(-12, 0, "mo")]


def inclusion() -> list[Json]:
    """E's inclusions, in protocol order."""
    out: list[Json] = []
    add = out.append
    add(age("1. Age above or equal to 18 years.", ">=", 18, link="E-I1"))
    add(
        all_of(
            "2. Histology-proven advanced GEP-NETs.",
            [
                net_site("vs-gep-net", "vs-gep-site", "GEP-NET (any grade of NET)", same_record=True),
                condition("Advanced: active metastatic disease coded", "vs-metastatic"),
                {**condition("Neuroendocrine carcinoma", "vs-nec", history=True), "exclude": True},
                {**judge(MINEN), "exclude": True},
            ],
            link="E-I2",
            note=[
                "NET of any grade (G3 NET allowed). 'Advanced' is read as metastatic disease coded. A coded NEC "
                "fails: an interpretation (NEC is not a NET), flagged.",
                NET_SITE_NOTE,
                UNSITED_NOTE,
                MINEN_NOTE,
            ],
        )
    )
    markers = [
        obs_rising("Chromogranin A rising in 2 successive measurements", lab("vs-cga"), 2, tfe=W12M),
        obs_rising("NSE rising in 2 successive measurements", lab("vs-nse"), 2, tfe=W12M),
        obs_rising("Urine 5-HIAA (mass/24 h) rising in 2 successive measurements", [lab("vs-5hiaa")[0]], 2, tfe=W12M),
        obs_rising("Urine 5-HIAA (molar/24 h) rising in 2 successive measurements", [lab("vs-5hiaa")[1]], 2, tfe=W12M),
    ]
    add(
        any_of(
            "3. Disease progression defined as follows (at least one of the following):",
            [
                manual(
                    "- Radiological disease progression (according to RECIST 1.1) on an MRI or CT over the last 12 months Or",
                    link="E-I3.radiological",
                ),
                manual(
                    "- Disease progression on a somatostatin receptor-imaging, PET/CT or SPECT/CT over the last 12 months "
                    "[apparition of new lesion(s) or increase in the transaxial plane diameter of more than 30% on the same "
                    "imaging modality] Or",
                    link="E-I3.sstr",
                ),
                all_of(
                    "- Both of the following criteria (a+b):",
                    [
                        any_of(
                            "1. clinical progression:",
                            [
                                manual(
                                    "- sustained (for more than 2 weeks) increase of NET-specific hormonal hypersecretion related "
                                    "symptom frequency by 50% or,",
                                    link="E-I3.clinical-frequency",
                                ),
                                manual(
                                    "- sustained (for more than 2 weeks) increase of severity by 1 grade (according to NCI-CTCAE "
                                    "version 4.03).",
                                    link="E-I3.clinical-severity",
                                ),
                            ],
                            link="E-I3.clinical",
                        ),
                        any_of(
                            "2. biochemical progression: by increase of NET-specific tumor markers (plasma Chromogranin A, plasma "
                            "NSE, urine 5-HIAA or other) in two successive measurements.",
                            markers,
                            link="E-I3.biochemical",
                        ),
                    ],
                    link="E-I3.clinical-and-biochemical",
                ),
            ],
            link="E-I3",
            note=[
                "The sub-lines of criterion 3 are alternatives (OR), so they are nested characteristics (each "
                "with its own linkId and wording), not top-level ones (top level is AND).",
                "Biochemical progression: for one marker, the last 3 results in the 12 months each higher than "
                "the one before (two successive increases, method rising-series with n = 2); 5-HIAA mass and "
                "molar results are tested separately (same unit required). Radiological and clinical "
                "progression are attested.",
            ],
        )
    )
    add(
        all_of(
            "4. Disease refractory to SSA's and/or standard systemic therapy available in Belgium at the time of "
            "inclusion criteria.",
            [
                any_of(
                    "Treated with a somatostatin analogue or a standard systemic therapy",
                    [
                        records("Somatostatin analogue", ["MedicationAdministration"], "vs-ssa"),
                        records(
                            "Systemic anticancer therapy (ATC L01, interferon)",
                            ["MedicationAdministration"],
                            "vs-systemic-net-therapy",
                        ),
                        everolimus_use_unknown(),
                    ],
                ),
                manual("Disease refractory to that therapy"),
            ],
            link="E-I4",
            note=[
                "Exposure is computable: a somatostatin analogue (vs-ssa) or a standard systemic therapy "
                "(vs-systemic-net-therapy: ATC L01 incl. antineoplastic everolimus, interferon, PRRT), any time "
                "before T0; no such "
                "record fails (closed world for treatment history). 'Refractory' (progression on that therapy) is "
                "attested. Which systemic therapies were 'available in Belgium' is not checked.",
                RX_DRUG_NOTE,
                EVEROLIMUS_USE_NOTE,
            ],
        )
    )
    add(
        all_of(
            "5. Long-acting SSAs should be discontinued at least 4 weeks before study treatment start date and, if "
            "needed, switched to short-acting analogues which should be stopped 48h before the treatment date.",
            [
                any_of(
                    "Somatostatin analogue too close to D0",
                    [
                        records(
                            "Any somatostatin analogue in the last 48 hours before D0",
                            ["MedicationAdministration"],
                            "vs-ssa",
                            tfe=[window(-1, 0, "d")],
                        ),
                        records(
                            "Long-acting SSA (lanreotide; octreotide or pasireotide LAR by product, dose form or "
                            "intramuscular route) in the last 4 weeks before D0",
                            ["MedicationAdministration"],
                            "vs-ssa",
                            methods=["long-acting"],
                            tfe=[window(-27, 0, "d")],
                        ),
                        judge(
                            records(
                                "Somatostatin analogue 2-27 days before D0 whose product, dose form and route do not "
                                "tell long-acting (stop 4 weeks before) from short-acting (48 h)",
                                ["MedicationAdministration"],
                                "vs-ssa",
                                methods=["acting-form-unknown"],
                                tfe=[window(-27, -2, "d")],
                            )
                        ),
                    ],
                    exclude=True,
                ),
            ],
            link="E-I5",
            note="D0 = T0 when no separate D0 is given (clinical.md §0.1). Last long-acting dose "
            "must be <= D0-28 d, last short-acting dose <= D0-2 d. SSAs are read by ATC code or RxNorm "
            "product (vs-ssa). "
            "Long- vs short-acting (clinical.md §0.17): product or dose-form wording (LAR, depot, autogel, "
            "prolonged-release) first; lanreotide exists only as a depot; intramuscular octreotide or "
            "pasireotide is the LAR, subcutaneous or intravenous is short-acting. Only a dose 2-27 days "
            "before D0 that none of these decides is reviewed.",
        )
    )
    add(
        obs(
            "Measured GFR (51Cr-EDTA) ≥ 50 mL/min/1.73 m²",
            lab("vs-mgfr"),
            ">=",
            50,
            "mL/min/{1.73_m2}",
            unit_text="mL/min/1.73m2",
            link="E-I6",
            tfe=W28,
            note=[
                lost_sign(
                    "6. Adequate renal function with GFR = 50 mL/min/1.73m2 (evaluated by 51Cr-EDTA test).",
                    "GFR ≥ 50 mL/min/1.73 m²",
                ),
                "Only a measured 51Cr-EDTA GFR counts (local code: no "
                "LOINC exists); eGFR or creatinine clearance cannot substitute, so without it the criterion is "
                "undetermined.",
                NOTE_BASELINE,
            ],
        )
    )
    add(
        obs(
            "Hemoglobin ≥ 9 g/dL",
            lab("vs-hb"),
            ">=",
            9.0,
            "g/dL",
            link="E-I7-hb",
            tfe=W28,
            note=[lost_sign("7. Adequate bone marrow function with hemoglobin = 9 g/dL;", "≥ 9 g/dL"), NOTE_BASELINE],
        )
    )
    add(
        anc(
            "Neutrophils ≥ 1.5 × 10⁹/L",
            1.5,
            link="E-I7-anc",
            tfe=W28,
            note=[lost_sign("neutrophil = 1.5·103/µL;", "≥ 1.5 × 10³/µL = 1.5 × 10⁹/L"), NOTE_BASELINE],
        )
    )
    add(
        obs(
            "Platelets ≥ 100 × 10⁹/L",
            lab("vs-plt"),
            ">=",
            100,
            "10*9/L",
            link="E-I7-plt",
            tfe=W28,
            note=[
                lost_sign("platelet count = 100·103/µL.", "≥ 100 × 10³/µL = 100 × 10⁹/L"),
                NOTE_BASELINE,
                PLT_NOTE,
            ],
        )
    )
    add(
        uln(
            "Total bilirubin ≤ 2 × ULN",
            "vs-bili",
            "<=",
            2,
            W28,
            link="E-I8-bili",
            note=[lost_sign("8. Adequate liver function with total bilirubin = 2 x ULN", "≤ 2 × ULN"), NOTE_BASELINE],
        )
    )
    add(
        all_of(
            "Transaminases (ALT and AST) ≤ 5 × ULN",
            [uln("ALT ≤ 5 × ULN", "vs-alt", "<=", 5, W28), uln("AST ≤ 5 × ULN", "vs-ast", "<=", 5, W28)],
            link="E-I8-transaminases",
            note=[lost_sign("transaminases = 5 x ULN,", "≤ 5 × ULN, for ALT and AST"), NOTE_BASELINE],
        )
    )
    add(
        all_of(
            "serum albumin > 3 g/dL with normal prothrombin time (> 70%).",
            [
                obs("Serum albumin > 3.0 g/dL", lab("vs-alb"), ">", 3.0, "g/dL", tfe=W28),
                quick_above("E-I8-albumin-pt", 70, W28),
            ],
            link="E-I8-albumin-pt",
            note=[
                "Conjunction here (albumin AND normal PT), unlike A/C/D. PT is the prothrombin "
                "activity in % (LOINC 5894-1; clinical.md §2.1 verifies it, §2.6 still lists it "
                "as unverified).",
                QUICK_NEWEST_NOTE,
                NOTE_BASELINE,
            ],
        )
    )
    add(
        ecog(
            "E-I9",
            "ECOG performance status ≤ 1 (0-1)",
            1,
            note=[
                lost_sign(
                    "9. ECOG Performance Status = 1.",
                    "ECOG ≤ 1 (0-1); the literal reading would exclude ECOG 0 - flagged",
                ),
                NOTE_BASELINE,
            ],
        )
    )
    add(
        manual(
            "10. Women of childbearing potential and men with partners of childbearing potential must "
            "agree to use a highly-effective form of contraception for the duration of study participation and up "
            "to six months after the end of the treatment.",
            link="E-I10-contraception",
        )
    )
    add(
        any_of(
            "A pregnancy test (serum) must be performed within 4 weeks prior to inclusion for every "
            "female patient of childbearing potential and it must be negative.",
            hcg_negative(28, serum_only=True),
            link="E-I10-hcg",
            note=[
                "WOCBP only: a negative serum test in [T0-28 d, T0]; a urine test does not count (undetermined).",
                HCG_RULE,
            ],
        )
    )
    add(manual("11. Patient's written informed consent obtained prior to any study procedure.", link="E-I11"))
    add(
        all_of(
            "12. All necessary baseline procedures should be performed within 4 weeks prior to first 177Lu-octreotate "
            "injection (D0).",
            [
                obs_present("Haemoglobin in the last 4 weeks", lab("vs-hb"), tfe=W28),
                any_of(
                    "Neutrophils in the last 4 weeks (a count, or a differential to compute it from)",
                    [
                        obs_present("Neutrophil count in the last 4 weeks", lab("vs-anc"), tfe=W28),
                        obs_present("Neutrophil differential in the last 4 weeks", lab("vs-neut-pct"), tfe=W28),
                    ],
                ),
                obs_present("Platelets in the last 4 weeks", lab("vs-plt"), tfe=W28),
                obs_present("Bilirubin in the last 4 weeks", lab("vs-bili"), tfe=W28),
                obs_present("ALT in the last 4 weeks", lab("vs-alt"), tfe=W28),
                obs_present("AST in the last 4 weeks", lab("vs-ast"), tfe=W28),
                obs_present("Albumin in the last 4 weeks", lab("vs-alb"), tfe=W28),
                obs_present("Prothrombin time in the last 4 weeks", lab("vs-pt-percent"), tfe=W28),
                obs_present("51Cr-EDTA GFR in the last 4 weeks", lab("vs-mgfr"), tfe=W28),
                obs_present("ECOG in the last 4 weeks", lab("vs-ecog"), tfe=W28),
            ],
            link="E-I12",
            note=[
                "D0 = T0. The baseline results the criteria read must exist in [T0-28 d, T0] "
                "(the same window is applied to each of those criteria).",
                "Neutrophils: an absolute count or a neutrophil percentage (vs-neut-pct), since E-I7-anc computes "
                "the ANC from a differential when no count decides.",
            ],
        )
    )
    add(
        all_of(
            "13. The patient must have at least one target lesion fulfilling all of the below criteria:",
            [
                all_of(
                    "- On the 68Ga-octreotate PET/CT: tumor uptake higher than the physiological liver uptake (grade III or IV "
                    "of the Rotterdam visual score) in a lesion with longest transaxial plane diameter =20mm (measured on the "
                    "CT, part of the PET/CT);",
                    [
                        any_of(
                            "A 68Ga-octreotate PET/CT as the baseline scan (item 12: within 4 weeks before D0)",
                            [
                                records(
                                    "68Ga-octreotate PET/CT in the 4 weeks before D0 (baseline procedure, E-I12)",
                                    IMAGING_TYPES,
                                    "vs-sstr-pet",
                                    tfe=W28,
                                ),
                                all_of(
                                    "Only an older 68Ga-octreotate PET/CT",
                                    [
                                        imaging(
                                            "68Ga-octreotate PET/CT more than 4 weeks before D0",
                                            "vs-sstr-pet",
                                            tfe=[window(None, -29, "d")],
                                        ),
                                        manual(
                                            "The 68Ga-octreotate PET/CT is older than 4 weeks before D0: a baseline "
                                            "PET/CT within 4 weeks before D0 (item 12) is done before D0, or the "
                                            "investigator accepts the older scan"
                                        ),
                                    ],
                                ),
                            ],
                        ),
                        manual(
                            "Lesion uptake > liver (Rotterdam grade III or IV) and longest transaxial diameter >= 20 mm"
                        ),
                    ],
                    link="E-I13a",
                ),
                manual(
                    "- At least one of these lesions morphologically measurable according to RECIST 1.1 and progressive on "
                    "the MRI (or CT if MRI is not applicable);",
                    link="E-I13b",
                ),
                manual("- Target lesion should not have been previously irradiated.", link="E-I13c"),
            ],
            link="E-I13",
            note=[
                "The three sub-lines must hold for the same lesion, so they are nested under criterion 13 "
                "(ids E-I13a/b/c of clinical.md) rather than split into independent top-level criteria.",
                NOTE_SIGNS + " Diameter '=20mm' is read as >= 20 mm.",
                "The target lesion is defined on the baseline 68Ga-octreotate PET/CT (exclusion 4 calls it 'the "
                "baseline 68Ga-octreotate PET/CT'), and item 12 says every baseline procedure should be performed "
                "within 4 weeks before D0, so the PET has a window, [T0-28 d, T0] (D0 = T0), as E-I12's labs: a PET "
                "in it satisfies the computable part. A PET only older than that is not ignored (the lesion can be "
                "selected on it, and D0 usually follows inclusion, leaving time to repeat the scan) but no longer "
                "passes silently: it adds an attested item (baseline PET repeated within 4 weeks before D0, or the "
                "older scan accepted). No PET at all is to collect. clinical.md E-I13a gives no window; this "
                "reading follows the protocol's item 12 ('should': a firm expectation, not an automatic fail). "
                "Uptake grade and size are the imaging read. A local code for the Rotterdam score exists in the "
                "project CodeSystem, but lesion-level scores are not routinely coded, so the read stays manual.",
                OPEN_WORLD_NOTE + " A missing PET record makes E-I13 undetermined (collect the PET/CT), "
                "clinical.md lists E-I13a as an attestation item.",
            ],
        )
    )
    return out
