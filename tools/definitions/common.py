"""Building blocks shared by several trials (labs in a window, ECOG, liver tests, cardiac history, NET sites...)."""

from __future__ import annotations

from typing import Any

from .fhir import (
    Json,
    all_of,
    any_of,
    ch,
    condition,
    derived,
    judge,
    obs,
    obs_present,
    obs_range,
    one_record,
    q,
    records,
    study_start,
    window,
    within,
)
from .vs_labs import ANC_CODES_NOTE, lab, lab_codes
from .vs_net import NET_MORPH_TEXT

WOCBP_URL = "http://fhir-eligibility.org/fhir/EvidenceVariable/wocbp"
DEFAULT_WINDOW_NOTE = (
    "The protocol gives no time window for this result: the default 28-day lookback "
    "(clinical.md §0.2, configurable) is written as [T0-28 d, T0] and marked default-lookback: "
    "--lookback-days replaces the 28 days."
)
W28 = within(28)

IMAGING_TYPES = ["Procedure", "ImagingStudy", "DiagnosticReport"]
TREATMENT_TYPES = ["MedicationAdministration", "Procedure"]
OPEN_WORLD_NOTE = (
    "Open world (clinical.md §0.14): the exam is one a screening visit would produce, so when no record of it is "
    "found the criterion is undetermined with an item to collect (method open-world), never failed. Diagnoses and "
    "treatment history stay closed-world (§0.7)."
)


def imaging(description: str, valueset: str, types: list[str] | None = None, **kw: Any) -> Json:
    """An imaging study done in a window: open world (no record = UNKNOWN, to collect; clinical.md §0.14)."""
    return records(description, types or IMAGING_TYPES, valueset, methods=["open-world"], **kw)


def wocbp(exclude: bool = False) -> Json:
    return ch(
        "Woman of childbearing potential (shared definition, clinical.md §0.11)",
        definitionCanonical=WOCBP_URL,
        exclude=exclude,
    )


ECOG_NOTE = (
    "ECOG read as LOINC 89247-1 or its SNOMED CT observable 423740007 (clinical.md lists 89247-1; 423740007 is "
    "the code the German Medical Informatics Initiative (MII) oncology ECOG profile and a NZ cancer-data "
    "profile fix for this Observation, with that meaning in each: added as verified). Scores as valueInteger or "
    "as coded answers: LOINC LA9622-7..LA9627-6 and SNOMED CT grade findings 425389002, 422512005, 422894000, "
    "423053003, 423237006 (clinical.md V(code)); a grade finding charted as the code of a valueless Observation "
    "counts too. No other SNOMED CT ECOG code is read: none is verified (a site's own ECOG code is mapped with a "
    "ConceptMap)."
)


def ecog(link: str, description: str, high: int, tfe: list[Json] | None = None, note: Any = None) -> Json:
    notes = [*([note] if isinstance(note, str) else note or []), ECOG_NOTE]
    return obs_range(description, lab("vs-ecog"), 0, high, "{score}", link=link, tfe=tfe or W28, note=notes)


PT_NEWEST_NOTE = (
    "Seconds, INR and Quick % are three reports of one test: the most recent PT result in the window decides, "
    "whatever its form (clinical.md §0.3), so an older normal result of one form does not outweigh a newer abnormal "
    "one of the other. Seconds and INR are one form (the newest of them is read). Results of both forms on the same "
    "day (one specimen) are normal only when each form's is (§0.3's tie rule, least favourable); issued times are not "
    "compared across forms. Normal: seconds/INR <= the upper limit of the result's reference range, Quick % >= the "
    "lower limit."
)


def _newest_form(description: str, latest: Json, normal: Json, newer_other_form: Json) -> Json:
    """One PT form's branch: its latest result (``latest``, the event its day is read from) is normal and no
    result of the other form is dated on or after it (``newer_other_form``, excluded)."""
    return all_of(description, [latest, normal, newer_other_form])


def pt_normal(tfe: list[Json], link: str) -> Json:
    """Prothrombin time within the normal range by its most recent result, in whichever form the lab reports
    it (seconds/INR or Quick %): each form's branch holds only when no result of the other form is dated on or
    after its own latest one (``link``.pt-time / ``link``.pt-quick are those dates), or when both forms' latest
    results are normal; unknown, to collect, when it has none (a form absent is no evidence)."""
    time_link, quick_link = f"{link}.pt-time", f"{link}.pt-quick"
    time_done = records("PT (seconds) or INR done", ["Observation"], "vs-pt-time", tfe=tfe)
    quick_done = records("Prothrombin activity (Quick %) done", ["Observation"], "vs-pt-percent", tfe=tfe)
    time_normal = obs(
        "Latest PT (seconds) or INR not above the upper limit of its reference range",
        lab("vs-pt-time"),
        "<=",
        1,
        "1",
        offset="UNL",
        tfe=tfe,
    )
    quick_normal = obs(
        "Latest prothrombin activity (Quick %) not below the lower limit of its reference range",
        lab("vs-pt-percent"),
        ">=",
        1,
        "1",
        offset="LNL",
        tfe=tfe,
    )
    return any_of(
        "Prothrombin time within the normal range by its most recent result (seconds or INR <= upper limit, "
        "Quick % >= lower limit)",
        [
            _newest_form(
                "Most recent PT in seconds or INR, normal (no Quick % on or after its day)",
                records("PT (seconds) or INR done", ["Observation"], "vs-pt-time", link=time_link, tfe=tfe),
                time_normal,
                records(
                    "Quick % on or after the day of the latest PT (seconds) or INR",
                    ["Observation"],
                    "vs-pt-percent",
                    tfe=[*tfe, window(0, None, "d", event=time_link)],
                    exclude=True,
                ),
            ),
            _newest_form(
                "Most recent PT as Quick %, normal (no PT in seconds or INR on or after its day)",
                records(
                    "Prothrombin activity (Quick %) done", ["Observation"], "vs-pt-percent", link=quick_link, tfe=tfe
                ),
                quick_normal,
                records(
                    "PT (seconds) or INR on or after the day of the latest Quick %",
                    ["Observation"],
                    "vs-pt-time",
                    tfe=[*tfe, window(0, None, "d", event=quick_link)],
                    exclude=True,
                ),
            ),
            all_of(
                "Latest PT normal in both forms (whichever is the most recent)",
                [time_done, time_normal, quick_done, quick_normal],
            ),
            all_of(
                "No prothrombin time on file: to collect",
                [
                    {**time_done, "exclude": True},
                    {**quick_done, "exclude": True},
                    obs_present("Prothrombin time measured", [*lab("vs-pt-time"), *lab("vs-pt-percent")], tfe=tfe),
                ],
            ),
        ],
    )


QUICK_NEWEST_NOTE = (
    "The protocol's PT is the Quick % (> 70 %); seconds, INR and Quick % are reports of one test and the most "
    "recent decides (clinical.md §0.3). A newer PT in seconds or INR within its range agrees with the Quick %: it "
    "does not stand in for a missing Quick % nor lift one <= 70 %. A newer prolonged one (above its reference range's "
    "upper limit) means the older Quick % no longer describes the patient, and seconds/INR give no % (the "
    "conversion depends on the reagent): unknown, a Quick % after it to collect - not fail, since with no Quick % "
    "a prolonged INR is unknown too. Prolonged on the Quick %'s own day (one specimen): least favourable, fail."
)


def quick_above(link: str, value: float, tfe: list[Json]) -> Json:
    """Quick % above ``value`` by its latest result, unless a newer PT in seconds or INR is prolonged: the Quick %
    no longer describes the patient and seconds/INR give no % (unknown, a newer Quick % to collect); prolonged on
    its own day (one specimen) is least favourable (fail). ``link``.pt-quick / ``link``.pt-time are the latest
    results' dates."""
    quick_link, time_link = f"{link}.pt-quick", f"{link}.pt-time"
    shown = f"{value:g} %"

    def quick(description: str, when: list[Json]) -> Json:
        return obs(description, lab("vs-pt-percent"), ">", value, "%", tfe=when)

    def prolonged(description: str, when: list[Json]) -> Json:
        return all_of(
            description,
            [
                records("PT (seconds) or INR done", ["Observation"], "vs-pt-time", tfe=when),
                obs(
                    "Latest PT (seconds) or INR above the upper limit of its reference range",
                    lab("vs-pt-time"),
                    ">",
                    1,
                    "1",
                    offset="UNL",
                    tfe=when,
                ),
            ],
        )

    return any_of(
        f"Prothrombin time (Quick) > {shown} by the most recent PT result",
        [
            all_of(
                f"Latest Quick % > {shown}, no prolonged PT (seconds or INR) on or after its day",
                [
                    quick(f"Prothrombin time (Quick) > {shown}", tfe),
                    {
                        **prolonged(
                            "Prolonged PT (seconds or INR) on or after the day of the latest Quick %",
                            [*tfe, window(0, None, "d", event=quick_link)],
                        ),
                        "exclude": True,
                    },
                ],
            ),
            all_of(
                f"Quick % > {shown}, then a prolonged PT (seconds or INR) on a later day: a newer Quick % to collect",
                [
                    records(
                        "Prothrombin activity (Quick %) done",
                        ["Observation"],
                        "vs-pt-percent",
                        link=quick_link,
                        tfe=tfe,
                    ),
                    records("PT (seconds) or INR done", ["Observation"], "vs-pt-time", link=time_link, tfe=tfe),
                    prolonged(
                        "Prolonged PT (seconds or INR) after the day of the latest Quick %",
                        [*tfe, window(1, None, "d", event=quick_link)],
                    ),
                    quick(f"Prothrombin time (Quick) > {shown}", tfe),
                    quick(
                        f"Prothrombin time (Quick) > {shown} after the day of the latest PT (seconds) or INR",
                        [*tfe, window(1, None, "d", event=time_link)],
                    ),
                ],
            ),
        ],
    )


def albumin_unless_pt(link: str, description: str, value: float, unit: str, tfe: list[Json], note: Any = None) -> Json:
    shown = f"{value:g} {unit}"
    return all_of(
        description,
        [
            obs(f"Serum albumin < {shown}", lab("vs-alb"), "<", value, unit, tfe=tfe),
            {**pt_normal(tfe, link), "exclude": True},
        ],
        link=link,
        exclude=True,
        note=[PT_NEWEST_NOTE, *([note] if isinstance(note, str) else note or [])],
    )


def uln(description: str, vs_id: str, comparator: str, multiple: float, tfe: list[Json], **kw: Any) -> Json:
    return obs(description, lab(vs_id), comparator, multiple, "1", offset="UNL", tfe=tfe, **kw)


CARDIAC_12M_NOTE = (
    "'During the last 12 months' is read by the kind of event. Acute events (MI, stroke, PE, unstable angina, "
    "revascularisation) count when their onset (else recorded date) is in [T0-12 months, T0], any clinical "
    "status. Chronic conditions (heart failure, arrhythmia, bradycardia) count when present at any time in the "
    "window: active now (active/recurrence/relapse, any onset - a heart failure diagnosed in 2020 and still "
    "active is heart failure during the last 12 months), or with onset in the window (any status). A chronic "
    "condition recorded earlier and now inactive may have ended inside the window or before it; the engine does "
    "not read abatement dates, so such a record goes to review instead of being ignored."
)


def chronic_in_window(description: str, valueset: str, w12: list[Json]) -> Json:
    """A chronic condition present at some time in the window: active now (any onset) or begun in it."""
    return any_of(
        description,
        [
            condition("Active now (active, recurrence or relapse; any onset)", valueset),
            condition("Onset in the last 12 months (any clinical status)", valueset, history=True, tfe=w12),
        ],
    )


def cardiac_events_12m(hf_fails: bool, with_htn: bool, tfe_bp: list[Json]) -> list[Json]:
    w12 = [window(-12, 0, "mo")]
    fail = [
        condition("Myocardial infarction in the last 12 months", "vs-mi", history=True, tfe=w12),
        condition("Stroke in the last 12 months", "vs-stroke", history=True, tfe=w12),
        condition("Pulmonary embolism in the last 12 months", "vs-pe", history=True, tfe=w12),
        condition("Unstable angina in the last 12 months", "vs-ua", history=True, tfe=w12),
        records("Coronary revascularisation in the last 12 months", ["Procedure"], "vs-revasc", tfe=w12),
    ]
    review = [
        chronic_in_window(
            "Cardiac arrhythmia during the last 12 months ('uncontrolled' needs judgement)", "vs-arrhythmia", w12
        ),
        chronic_in_window(
            "Bradycardia during the last 12 months ('clinically significant' needs judgement)", "vs-brady", w12
        ),
    ]
    if hf_fails:
        fail.insert(0, chronic_in_window("Heart failure during the last 12 months", "vs-hf", w12))
    else:
        review.insert(
            0,
            chronic_in_window(
                "Heart failure during the last 12 months ('uncontrolled decompensated' needs judgement)", "vs-hf", w12
            ),
        )
    earlier = [
        ("Heart failure", "vs-hf"),
        ("Cardiac arrhythmia", "vs-arrhythmia"),
        ("Bradycardia", "vs-brady"),
    ]
    review += [
        condition(
            f"{what} with onset before the last 12 months (any status): if it has ended, did it end inside the "
            "window? (abatement dates are not read)",
            vs_id,
            history=True,
            tfe=[window(None, -12, "mo")],
        )
        for what, vs_id in earlier
    ]
    out = fail + [judge(r) for r in review]
    if with_htn:
        out.append(hypertension_review(tfe_bp))
    return out


HTN_TREATED_NOTE = (
    "Treated hypertension: an antihypertensive drug (vs-antihypertensive: ATC C02, C03, C07, C08, C09, any "
    "code under them) given or taken in the BP window (an active statement begun earlier counts), or a coded "
    "hypertension, which stands for its treatment (clinical.md A-E11 names both). A BP at or above the limit "
    "with neither is not 'despite medications': pass."
)


def hypertension_review(tfe: list[Json]) -> Json:
    """Treated hypertension (HTN_TREATED_NOTE) with the most recent BP at or above 160/95: review."""
    return judge(
        all_of(
            "Treated hypertension with BP >= 160/95 mmHg ('despite optimal therapy' needs judgement)",
            [
                any_of(
                    "On antihypertensive treatment",
                    [
                        records(
                            "Antihypertensive drug in the BP window",
                            ["MedicationAdministration"],
                            "vs-antihypertensive",
                            tfe=tfe,
                        ),
                        condition("Hypertension diagnosed (stands for its treatment)", "vs-htn"),
                    ],
                ),
                any_of(
                    "Most recent BP at or above 160/95 mmHg",
                    [
                        obs("Systolic BP >= 160 mmHg", lab_codes("8480-6"), ">=", 160, "mm[Hg]", tfe=tfe),
                        obs("Diastolic BP >= 95 mmHg", lab_codes("8462-4"), ">=", 95, "mm[Hg]", tfe=tfe),
                    ],
                ),
            ],
        )
    )


ANC_NOTE = (
    "ANC: the laboratory's absolute neutrophil count (751-8, 26499-4) decides; when none does (none in the "
    "window, or a differential is newer), ANC = WBC (6690-2, 26464-8) x neutrophils % (770-8, 23761-0, 26511-6) "
    "/ 100, the percentage and the WBC paired only when they share the effective date and time (one draw; "
    "time zone applied): neither a day-only date nor another draw of the same day pairs. Units by UCUM "
    "(10*9/L = 10*3/uL = 1000/mm3; %). Unpaired, a bound, unconvertible or a percentage outside 0-100: "
    "unknown, never a fail. " + ANC_CODES_NOTE
)


def anc(description: str, value: float, tfe: list[Json], note: Any = None, **kw: Any) -> Json:
    """Absolute neutrophil count >= value x 10^9/L, reported or computed from a differential (ANC_NOTE)."""
    notes = [*([note] if isinstance(note, str) else note or []), ANC_NOTE]
    return derived(description, "absolute-neutrophil-count", ">=", value, "10*9/L", tfe=tfe, note=notes, **kw)


def crcl(description: str, comparator: str, value: float, tfe: list[Json], **kw: Any) -> Json:
    return derived(description, "creatinine-clearance", comparator, value, "mL/min", tfe=tfe, **kw)


def net_site(
    vs_direct: str,
    vs_site: str,
    description: str,
    review_vs: str | None = None,
    review_text: str = "",
    review_site_vs: str | None = None,
    same_record: bool = False,
) -> Json:
    """The NET of a site: pre-coordinated, site + morphology, a code whose site a person reads (``review_vs``,
    worded by ``review_text``; ``review_site_vs``: a primary-site code that with a NET morphology may or may
    not be the trial's site), a NET whose primary site no code names (reviewed: UNSITED_NOTE), or known only
    by its metastases or history (reviewed). ``same_record``: site and morphology on one record
    (ONE_RECORD_NOTE)."""
    morphology = condition(
        f"NET coded without its site: a NET morphology ({NET_MORPH_TEXT}) or C7A, C7A.0, C7A.00, C7A.09, C7A.8",
        "vs-net-unsited",
        history=True,
    )
    route = all_of(
        ONE_RECORD_TEXT if same_record else "Primary-site code together with a NET morphology (ICD-10 + ICD-O-3 route)",
        [condition("Malignant neoplasm of the site", vs_site, history=True), morphology],
    )
    kids = [
        condition("NET coded with a pre-coordinated site code", vs_direct, history=True),
        one_record(route) if same_record else route,
    ]
    if review_vs:
        kids.append(judge(condition(review_text, review_vs, history=True)))
    if review_site_vs:
        kids.append(
            judge(
                all_of(
                    "Primary-site code that may or may not be the trial's site, with a NET morphology: site to review",
                    [condition("Malignant neoplasm of a site to review", review_site_vs, history=True), morphology],
                )
            )
        )
    kids.append(
        judge(
            all_of(
                "NET coded without its site, and no primary-site code naming an organ (alone, or beside C26.0, "
                "C26.9, C76.2, C80.x): primary site to review",
                [
                    morphology,
                    {
                        **condition(
                            "Primary malignant neoplasm of a named organ", "vs-primary-site-known", history=True
                        ),
                        "exclude": True,
                    },
                ],
            )
        )
    )
    kids.append(
        all_of(
            "NET coded by its metastases (C7B) or as a resected carcinoid (Z85.0x0), its primary not coded",
            [
                judge(
                    condition(
                        "Secondary carcinoid or carcinoid history: primary site to review",
                        "vs-net-elsewhere",
                        history=True,
                    )
                ),
                # where the NET itself is coded (C7A, C25.4, a NET morphology), its metastases add nothing to its
                # site: that code decides above (a named site, or the unsited review)
                {
                    **condition("The NET itself coded (C7A, C25.4 or a NET morphology)", "vs-net-any", history=True),
                    "exclude": True,
                },
            ],
        )
    )
    return any_of(description, kids)


ONE_RECORD_TEXT = (
    "Primary-site code together with a NET morphology on one Condition (ICD-10 + ICD-O-3 route; on two "
    "Conditions, one tumour or two: review)"
)
ONE_RECORD_NOTE = (
    "Site + morphology on one record (extension same-record): the primary-site code and the NET morphology (or "
    "a C7A code naming no site) count together when one Condition carries both, in its code or in its mCODE "
    "histology-morphology-behavior extension (C18.2 + 8240/3 in one Condition passes). Carried by two Conditions "
    "they may be one tumour coded twice or two tumours, so here they are reviewed (the reason says so; a "
    "clinician's yes or no decides), never read as the site's NET: a gastric NET (C16.9 + 8240/3) beside an old "
    "colon adenocarcinoma (C18.7) is no intestinal NET, a lung NET beside an old rectal cancer no GEP-NET, and "
    "the trial's site beside a NET code of another Condition (C18.2 + C7A.00) is reviewed too. Before, any site "
    "code of the record was combined with any NET morphology of the record, and all of these passed."
)


KI67_ANY = [window(None, 0, "d")]


def since(n: float, unit: str) -> list[Json]:
    """(T0 - n unit, T0]: the window of "at least n units since" an event, its start day left out (a last
    dose exactly n units ago satisfies it), in calendar units where a day count cannot say it (12 months
    before 2026-06-01 is 2025-06-01: clinical.md §0.1). The engine reads a quantity '> -n' as a strict low."""
    return [{"eventCodeableConcept": study_start(), "quantity": q(-n, unit, ">")}]


NET_SITE_NOTE = (
    "Site + morphology route: a primary-site code (ICD-10-CM/WHO C16-C20/C25, SNOMED CT site primaries incl. "
    "372003004 / 372014001 'Primary malignant neoplasm of pancreas / stomach') together with a well-differentiated "
    "NET morphology (" + NET_MORPH_TEXT + ": serotonin / ECL-cell NETs and the pancreatic NETs 8150-8158 besides "
    "8240/8249), coded as a Condition or in the mCODE histology-morphology-behavior extension. A NET coded only "
    "by its metastases (secondary carcinoid C7B.0x/C7B.8) or as a resected carcinoid (Z85.020/030/040/060) is "
    "reviewed (its primary site and histology by a person), not read as no NET (vs-net-elsewhere)."
)
UNSITED_NOTE = (
    "A NET coded without its primary site (vs-net-unsited: a NET morphology - ICD-O-3 or SNOMED CT 1286768001, "
    "as a Condition or in the mCODE histology extension - or an ICD-10-CM code naming no site: the headers C7A, "
    "C7A.0, C7A.09, and C7A.00 unspecified site, C7A.8 other malignant NETs) is read with the primary-site "
    "codes beside it: with the trial's site it is that site's NET (site + morphology route: C18.2 + C7A.00 "
    "passes as C18.2 + 8240/3 does); with no primary-site code naming an organ (vs-primary-site-known: "
    "ICD-10-CM/WHO C00-C76 and C4A except C26.0/C26.8/C26.9 intestinal tract or digestive system unspecified, "
    "C76.2 abdomen, C80.x primary unknown; the C7A carcinoids of a named site or gut region; the SNOMED CT "
    "site primaries of vs-gep-site and vs-other-malig) it is reviewed, never failed: a code that may be the "
    "trial's site cannot rule it out. Before, these failed, the more so with more data (8240/3 beside C80.1 "
    "or C26.0, 1286768001 in the mCODE extension of C80.1, C7A or C7A.8 with a secondary carcinoid), because "
    "a NET code switched off the secondary-carcinoid review and no other branch took them. Beside a named "
    "organ that is not the trial's (C16 stomach for an intestinal NET, C34 lung for a GEP-NET) it is read as "
    "that organ's NET and fails: the engine cannot tell which Condition carries the morphology when they are "
    "separate resources."
)
BRAIN_HEADER_NOTE = (
    "Brain metastases fail only on a code that names the brain (vs-brain-mets-certain: C79.31, WHO C79.3, "
    "SNOMED CT 94225005). The ICD-10-CM header C79.3 covers the brain (C79.31) and the cerebral meninges "
    "(C79.32), and SNOMED CT 94243009 the whole central nervous system: reviewed, never failed (before, "
    "C79.3 failed as brain metastases); C79.32 alone (meninges) is not brain metastases."
)
INTOLERANCE_NOTE = (
    "A record whose AllergyIntolerance.type is 'intolerance' (a reaction judged not immune-mediated, such "
    "as a somatostatin analogue's diarrhoea) is not shown to be the hypersensitivity the protocol excludes: "
    "unknown, a clinician's call, never a fail; one that says more (criticality high, a reaction of severity "
    "severe, an anaphylaxis SNOMED CT 39579001) fails as an allergy does (FHIR calls 'type' unreliable)."
)
UNDER_WAY_NOTE = (
    "A treatment still under way on T0 (a MedicationAdministration or Procedure in progress, an active "
    "statement) is exposure up to T0, however long ago it began (clinical.md §0.8)."
)
RX_DRUG_NOTE = (
    "Drugs are matched by ATC class or RxNorm code (clinical.md §0.8): the value sets list the RxNorm ingredient "
    "and product codes that public sources confirm (terminology.RXNORM_SOURCES), since the engine matches codes "
    "exactly."
)
# MiNEN (ICD-O-3 8154/3): a NEC component only sometimes (clinical.md §2.5 VS-NEC "8154/3 MiNEN -> review"),
# read alike by every criterion that reads NEC (A-E5, C-I1, D-E2, E-I2)
MINEN = condition("Mixed neuroendocrine-non-neuroendocrine neoplasm (ICD-O-3 8154/3): review", "vs-minen", history=True)
MINEN_NOTE = (
    "MiNEN (ICD-O-3 8154/3, any clinical status) has a neuroendocrine carcinoma component only sometimes: "
    "reviewed, neither failed as a NEC nor passed (clinical.md VS-NEC, as A-E5). Before, it passed."
)
EVEROLIMUS_USE_NOTE = (
    "Everolimus counts as anticancer therapy only under its antineoplastic codes (ATC L01EG02 / L01XE10, the "
    "RxNorm tablets of Afinitor strength: vs-mtori within vs-chemo). ATC classes a substance by its use: "
    "L04AH02 / L04AA18 and the 0.25-1 mg tablets (Zortress) are a transplant immunosuppressant, no therapy for "
    "the NET (clinical.md VS-MTORI is L01EG, VS-CHEMO L01; seed 003 excludes treatment 'for their metastatic "
    "NET'). Before, they failed the line. A code that names only the ingredient does not tell the use: its "
    "RxCUI is unverified and not listed, so a site maps it to the project code everolimus-use-unknown, which "
    "is reviewed here, never failed (vs-everolimus-use-unknown)."
)


def everolimus_use_unknown(tfe: list[Json] | None = None) -> Json:
    """Everolimus coded by its ingredient alone, in the criterion's window: REVIEW (EVEROLIMUS_USE_NOTE)."""
    return judge(
        records(
            "Everolimus coded without its use (anticancer or transplant immunosuppressant): review",
            ["MedicationAdministration"],
            "vs-everolimus-use-unknown",
            tfe=tfe,
        )
    )
