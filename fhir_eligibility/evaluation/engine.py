"""The pure evaluation core: criterion x patient record x as-of date -> results with evidence.

No I/O, no clock, no logging of patient data. Every node yields an :class:`Outcome` (a Truth with
its reason and evidence); errors are values (UNKNOWN with a reason), never exceptions, so one
broken criterion or resource cannot abort a screening.

This module is the entry point callers import; the work is split by job:
:mod:`.context` (settings, outcomes, the per-patient context, cross-patient sharing),
:mod:`.windows` (window bounds, event anchors), :mod:`.forms` (one module per characteristic
form), :mod:`.combination` (the tree walk, all-of/any-of/at-least/at-most) and :mod:`.trial`
(a trial's results and verdict).
"""

from __future__ import annotations

from fhir_eligibility.evaluation.compare import Compared
from fhir_eligibility.evaluation.context import Outcome, Settings
from fhir_eligibility.evaluation.trial import evaluate_trial, trial_index, verdict_of

__all__ = ["Compared", "Outcome", "Settings", "evaluate_trial", "trial_index", "verdict_of"]
