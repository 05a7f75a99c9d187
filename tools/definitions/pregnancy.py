"""Pregnancy and the pregnancy tests, shared by the trials: what a test must show, when, and what rules a woman out."""

from __future__ import annotations

from typing import Any

from .common import W28, wocbp
from .fhir import (
    Json,
    all_of,
    any_of,
    condition,
    gender,
    judge,
    manual,
    obs,
    obs_coded,
    obs_present,
    records,
    window,
    within,
)
from .vs_labs import NEGATIVE, POSITIVE, PREGNANT, QUAL_HCG, QUANT_HCG, lab_codes

HCG_RULE = (
    "Quantitative hCG, read alike by the pregnancy-test inclusion and the pregnancy exclusion: < 5 IU/L "
    "(the usual cut-off; no protocol gives one, clinical.md names none) is negative; >= 5 IU/L, whatever its "
    "level, is not negative yet not proof of pregnancy (NETs can secrete hCG; a repeat test or an ultrasound "
    "decides): review in both, never a fail on its own. A positive qualitative test fails both."
)


def hcg_negative(
    days: int, serum_only: bool = False, review: str | None = None, tubal_occlusion: bool = False
) -> list[Json]:
    """Children of an any-of: not a WOCBP, or a pregnancy test within ``days`` that is not positive
    (``tubal_occlusion``: a coded tubal occlusion ends childbearing potential too, where the protocol says so).

    No test in the window -> UNKNOWN (the presence leaf reads a measurement); a positive or non-negative
    qualitative result -> FALSE; a quantitative hCG >= 5 IU/L with no such qualitative result -> REVIEW
    (``review`` words the judgement; HCG_RULE), as the pregnancy exclusion reads it. The result leaves are
    gated by a closed-world 'test done' leaf so that a missing test of the *other* kind does not leave it
    undecided.
    """
    qual = ["2118-8", "80385-8"] if serum_only else QUAL_HCG
    kind = " (serum)" if serum_only else ""
    tfe = within(days)
    qual_vs = "vs-hcg-serum-qual" if serum_only else "vs-hcg-qual"
    quant_high = obs(
        "Quantitative serum hCG >= 5 IU/L", lab_codes(*QUANT_HCG), ">=", 5, "[IU]/L", unit_text="IU/L", tfe=tfe
    )

    def qual_not_negative() -> Json:
        return all_of(
            "Qualitative test not negative",
            [
                records(f"Qualitative test{kind} done", ["Observation"], qual_vs, tfe=tfe),
                {**obs_coded("Qualitative test negative", lab_codes(*qual), NEGATIVE, tfe=tfe), "exclude": True},
            ],
        )

    quant_done = records("Quantitative hCG done", ["Observation"], "vs-hcg-quant", tfe=tfe)
    return [
        wocbp(exclude=True),
        *(
            [
                records(
                    "Tubal occlusion coded (permanent sterilisation in this protocol)",
                    ["Condition"],
                    "vs-tubal-occlusion",
                    methods=["history"],
                )
            ]
            if tubal_occlusion
            else []
        ),
        all_of(
            f"Pregnancy test{kind} in the window and not positive",
            [
                obs_present(f"Pregnancy test{kind} done", lab_codes(*qual, *QUANT_HCG), tfe=tfe),
                any_of(
                    "Pregnancy test not negative",
                    [qual_not_negative(), all_of("Quantitative hCG raised", [quant_done, quant_high])],
                    exclude=True,
                ),
            ],
        ),
        judge(
            all_of(
                review or "Raised quantitative hCG (>= 5 IU/L): pregnancy or tumour hCG, a clinician decides",
                [wocbp(), quant_done, quant_high, {**qual_not_negative(), "exclude": True}],
            )
        ),
    ]


def _test_done(vs_id: str, what: str) -> Json:
    """Closed-world gate: such an Observation exists in the last 28 days (FALSE, not UNKNOWN, when none)."""
    return records(f"{what} done in the last 28 days", ["Observation"], vs_id, tfe=W28)


POSTPARTUM_NOTE = (
    "Delivery and puerperium codes (vs-postpartum: O60-O92 deliveries and puerperal conditions, Z39.0, Z39.2) "
    "are not pregnancy (clinical.md VS-PREG takes the whole O chapter; a delivery three months ago would have "
    "excluded a woman who is not pregnant): one with onset in the last 12 months goes to review here, because "
    "the protocol also excludes breast-feeding and a recent delivery makes an unrecorded breast-feeding likely. "
    "Abortive outcomes (O03, O04, O08) are neither pregnancy nor a reason to ask about breast-feeding (PREG_LOSS_NOTE)."
)


PREG_ENDED_NOTE = (
    "A delivery may have ended the pregnancy: a pregnancy Condition in the last 10 months fails the line only when "
    "no delivery or puerperium record (vs-postpartum, any status) is also dated in those 10 months; with one, a "
    "person decides whether it ended the pregnancy (review; yes passes): a delivery after the pregnancy's onset "
    "ends it (a pregnancy left active on the problem list), a pregnancy begun after the delivery is a new one. Comparing the two dates would take a "
    "window relative to the pregnancy's event, which makes the criterion patient-specific for the engine's "
    "shared outcomes (evaluation/footprint.py); the review is safe either way. Before, Z33.1 left active after an "
    "O80 delivery failed the line."
)
PREG_LOSS_NOTE = (
    "A pregnancy ends as surely in a miscarriage or a termination as in a birth: a pregnancy Condition in the last "
    "10 months with a vs-preg-loss record (O03, O04, O08, Z33.2; WHO O03-O06, O08; SNOMED CT 17369002 "
    "Miscarriage, 57797005 Termination of pregnancy; any status) also in those 10 months is reviewed, as with a "
    "delivery (PREG_ENDED_NOTE); before, it failed. An ectopic or molar pregnancy or other abnormal product of "
    "conception (O00-O02, SNOMED CT 34801009, 417044008) is in both value sets: pregnant on its date, yet it "
    "cannot go on (it ends within weeks, by itself or by treatment), so one in the last 10 months is reviewed, "
    "never failed or passed on its word. O07 (failed attempted termination) leaves the pregnancy: it fails. A loss "
    "does not ask about breast-feeding as a delivery does: there is no infant to feed (an abortion is a loss "
    "before 20 weeks). A termination or a delivery recorded only as a Procedure is not read (a Condition is)."
)
POSTPARTUM_ASK_NOTE = (
    "A delivery or puerperal condition (vs-postpartum, any status) in the last 12 months goes to review: the "
    "protocol asks breast-feeding to stop during treatment, and a recent delivery makes an unrecorded "
    "breast-feeding likely (as the trials that exclude breast-feeding ask; POSTPARTUM_NOTE)."
)


PREG_MIXED_NOTE = (
    "A chapter O category whose codes record a pregnancy and a childbirth or puerperium alike (vs-preg-mixed: "
    "O24.4 gestational diabetes over O24.41x in pregnancy / O24.42x in childbirth / O24.43x in the puerperium, "
    "O10.0, O26, O26.6, O99.3, O60 preterm labour ...; 70 ICD-10-CM, 2 WHO) is reviewed when its onset (any "
    "status) is in the last 10 months, 12 where breast-feeding also excludes (a delivery then asks about "
    "breast-feeding): she may be pregnant or may have delivered, so it neither fails nor passes. Before, these "
    "headers were in vs-preg and failed while their delivery children went to review."
)


def pregnancy_exclusion(
    link: str,
    description: str,
    *,
    lactation: bool = True,
    lactation_attested: str | None = None,
    note: Any = None,
) -> Json:
    w10 = [window(-10, 0, "mo")]
    # a delivery in the 10 months turns the pregnancy into a question (PREG_ENDED_NOTE): judged, so the
    # excluded leaf is REVIEW, never TRUE; no delivery -> the pregnancy fails the line as before
    delivered = condition(
        "Delivery or puerperium recorded in the last 10 months: did it end the pregnancy? (yes if dated after the "
        "pregnancy's onset; a pregnancy begun after the delivery is a new one)",
        "vs-postpartum",
        history=True,
        tfe=w10,
    )
    # a miscarriage, a termination or an ectopic / molar pregnancy ends it as surely (PREG_LOSS_NOTE)
    lost = condition(
        "Miscarriage, termination, or ectopic or molar pregnancy recorded in the last 10 months: did it end the "
        "pregnancy? (yes if dated after the pregnancy's onset, or if it is that pregnancy)",
        "vs-preg-loss",
        history=True,
        tfe=w10,
    )
    kids = [
        all_of(
            "Pregnancy recorded as a condition in the last 10 months, not ended by a delivery or a loss",
            [
                condition("Pregnancy recorded as a condition in the last 10 months", "vs-preg", tfe=w10),
                {**judge(delivered), "exclude": True},
                {**judge(lost), "exclude": True},
            ],
        ),
        all_of(
            "Pregnancy status recorded as pregnant (last 28 days)",
            [
                _test_done("vs-preg-status", "Pregnancy status"),
                obs_coded("Pregnancy status: pregnant", lab_codes("82810-3"), PREGNANT, tfe=W28),
            ],
        ),
        all_of(
            "Positive qualitative pregnancy test in a woman (last 28 days)",
            [
                gender("Female", "female"),
                _test_done("vs-hcg-qual", "Qualitative pregnancy test"),
                obs_coded("Qualitative pregnancy test positive", lab_codes(*QUAL_HCG), POSITIVE, tfe=W28),
            ],
        ),
        judge(
            all_of(
                "Raised quantitative hCG in a woman of childbearing potential (pregnancy or tumour hCG: review)",
                [
                    wocbp(),
                    _test_done("vs-hcg-quant", "Quantitative hCG"),
                    obs(
                        "Quantitative serum hCG >= 5 IU/L",
                        lab_codes(*QUANT_HCG),
                        ">=",
                        5,
                        "[IU]/L",
                        unit_text="IU/L",
                        tfe=W28,
                    ),
                ],
            )
        ),
    ]
    months = 12 if lactation else 10
    kids.append(
        judge(
            condition(
                f"Pregnancy-or-delivery category code (O24.4, O26, O99.3 ...) in the last {months} months: pregnant "
                "or delivered, ask",
                "vs-preg-mixed",
                history=True,
                tfe=[window(-months, 0, "mo")],
            )
        )
    )
    if lactation:
        kids.append(
            condition(
                "Breast-feeding recorded as an active condition, begun in the last 36 months",
                "vs-lact",
                tfe=[window(-36, 0, "mo")],
            )
        )
        # an 'active' breast-feeding begun longer ago is most likely a problem-list entry never closed (as a
        # pregnancy older than 10 months): a person checks, never a fail on a stale record
        kids.append(judge(condition("Breast-feeding recorded as active, begun over 36 months ago: ask", "vs-lact")))
        kids.append(
            judge(
                condition(
                    "Delivery or puerperal condition in the last 12 months, breast-feeding not recorded: ask",
                    "vs-postpartum",
                    history=True,
                    tfe=[window(-12, 0, "mo")],
                )
            )
        )
    elif lactation_attested:
        kids.append(
            all_of(
                "Breast-feeding recorded, and not to be stopped as the protocol requires",
                [
                    condition("Breast-feeding recorded as an active condition", "vs-lact"),
                    manual(lactation_attested),
                ],
            )
        )
        # breast-feeding is to stop, not excluded: a recent delivery asks whether she breast-feeds, as the
        # trials that exclude it do (POSTPARTUM_ASK_NOTE)
        kids.append(
            judge(
                condition(
                    "Delivery or puerperal condition in the last 12 months: ask whether she breast-feeds (to be "
                    "stopped as the protocol requires)",
                    "vs-postpartum",
                    history=True,
                    tfe=[window(-12, 0, "mo")],
                )
            )
        )
    notes = [
        "Pregnancy: a pregnancy Condition (vs-preg: Z33/Z34/Z3A and the chapter O codes of a current pregnancy) "
        "counts only when its onset is in the last 10 months (a pregnancy cannot be older; stale 'active' records "
        "would otherwise exclude). Pregnancy status and tests are read only when one "
        "exists in the last 28 days (closed-world gate on the Observation, so a patient without a test is not "
        "undetermined here: the pregnancy-test inclusion, where the protocol has one, asks for the test).",
        PREG_ENDED_NOTE,
        PREG_LOSS_NOTE,
        HCG_RULE,
    ]
    if lactation_attested:
        notes.append(POSTPARTUM_ASK_NOTE)
    if lactation:
        notes.append(
            "Breast-feeding: an active breast-feeding Condition (vs-lact) begun in the last 36 months excludes; "
            "one begun earlier (or with no onset) is reviewed, not failed: breast-feeding for over 3 years is "
            "rare, and such a record is most likely a problem-list entry never closed."
        )
    if lactation:
        notes.append(POSTPARTUM_NOTE)
    notes.append(PREG_MIXED_NOTE)
    if note:
        notes += [note] if isinstance(note, str) else note
    return any_of(description, kids, link=link, exclude=True, note=notes)
