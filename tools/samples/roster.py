"""Every sample, in file order."""

from __future__ import annotations

from .attested import attested_by_coordinator
from .demographics import age_variations, wocbp_variations
from .netter2 import netter2_samples
from .prrt import prrt_variations
from .real_exports import real_export_samples, snomed_only_sample
from .sample import Sample
from .trial_b import trial_b_variations
from .trial_d import trial_d_variations


def samples() -> list[Sample]:
    return [
        *prrt_variations(),
        *wocbp_variations(),
        *age_variations(),
        *trial_b_variations(),
        *trial_d_variations(),
        *real_export_samples(),
        attested_by_coordinator(),
        *netter2_samples(),
        snomed_only_sample(),
    ]
