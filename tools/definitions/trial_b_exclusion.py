"""Trial B's exclusion criteria."""

from __future__ import annotations

from .common import BRAIN_HEADER_NOTE, RX_DRUG_NOTE, W28
from .fhir import Json, all_of, any_of, condition, judge, manual, obs, records, window, within
from .pregnancy import pregnancy_exclusion
from .vs_labs import lab


def exclusion() -> list[Json]:
    """B's exclusions, in protocol order."""
    out: list[Json] = []
    add = out.append
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
                        condition(
                            "History of brain metastases (a code naming the brain)",
                            "vs-brain-mets-certain",
                            history=True,
                        ),
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
                judge(
                    condition(
                        "Secondary neoplasm of the brain or its meninges (C79.3 header), or of the CNS: review",
                        "vs-brain-mets-review",
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
                BRAIN_HEADER_NOTE,
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
