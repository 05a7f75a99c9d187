"""Variations of the NETTER-2 base patient (NCT03972488, trial F): newly diagnosed grade 2-3 GEP-NET (issue 18)."""

from __future__ import annotations

from .base import chain, netter2_patient
from .codes import qty
from .real_exports import octreotide_admin
from .sample import Sample


def netter2_samples() -> list[Sample]:
    lar = chain(
        octreotide_admin("2026-04-20", "IM", "Octreotide LAR 30 mg", qty(30, "mg")),
        octreotide_admin("2026-05-18", "IM", "Octreotide LAR 30 mg", qty(30, "mg")),
    )
    return [
        netter2_patient(
            111,
            "netter2-g3-pancreatic-untreated",
            "NETTER-2 base: pancreatic NET Ki-67 25 % with liver metastases diagnosed 2026-03-02, untreated, "
            "PET 2026-04-20, KPS 80, 72 kg: eligible for F once its manual lines are attested; A-E fail it "
            "(no prior PRRT, no resection, G3).",
        ),
        netter2_patient(
            112,
            "netter2-ki67-60-percent",
            "NETTER-2 base with Ki-67 60 % and serum potassium 6.4 mmol/L: above the 55 % bound (I2) and "
            "hyperkalaemia > 6.0 not corrected by screening (E7), ineligible for F on both.",
            ki67=60,
            potassium=6.4,
        ),
        netter2_patient(
            113,
            "netter2-age-16-weight-39-5-kg",
            "NETTER-2 base aged 16 weighing 39.5 kg: old enough for F (>= 15) but not > 40 kg, so ineligible for "
            "F (I3); under 18 for A-E.",
            birth="2010-02-11",
            name=("Luca", "Berger"),
            weight=39.5,
        ),
        netter2_patient(
            114,
            "netter2-karnofsky-missing",
            "NETTER-2 base with no Karnofsky score (ECOG only): F undetermined (I6, a score to collect).",
            kps=None,
        ),
        netter2_patient(
            115,
            "netter2-octreotide-lar-two-doses",
            "NETTER-2 base given octreotide LAR 30 mg i.m. on 2026-04-20 and 2026-05-18: somatostatin analogue "
            "pretreatment is a judgement for F (E4 review: needs-review).",
            extra=lar,
        ),
        netter2_patient(
            116,
            "netter2-diagnosed-over-6-months",
            "NETTER-2 base diagnosed on 2025-11-20, 8 months before screening (F's window starts 2025-12-01): "
            "not newly diagnosed, ineligible for F (I1).",
            diagnosed="2025-11-20",
        ),
        netter2_patient(
            117,
            "netter2-weight-exactly-40-kg",
            "NETTER-2 base weighing exactly 40 kg: 'weight > 40 kg' is strict, ineligible for F (I3); its "
            "potassium of exactly 6.0 mmol/L is not '> 6.0', so E7 passes.",
            weight=40,
            potassium=6.0,
        ),
    ]
