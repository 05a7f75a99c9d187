"""The pure evaluation core: criterion x patient record x as-of date -> results with evidence.

No I/O, no clock, no logging of patient data. Every node yields an :class:`Outcome` (a Truth with
its reason and evidence); errors are values (UNKNOWN with a reason), never exceptions, so one
broken criterion or resource cannot abort a screening.

This module is the entry point callers import; a caller that evaluates many patients compiles the
trials once (:class:`~.program.Program`, whose ``evaluate`` is the explained entry) and keeps it.
The work is split by job: :mod:`.compiled` (a trial's per-node lookups, held by the caller),
:mod:`.context` (settings, outcomes, the per-patient context, what patients of a date share),
:mod:`.windows` (window bounds, event anchors), :mod:`.forms` (one module per characteristic
form), :mod:`.combination` (the tree walk, all-of/any-of/at-least/at-most) and :mod:`.trial`
(a trial's results and verdict).
"""

from __future__ import annotations

from fhir_eligibility.evaluation.compare import Compared
from fhir_eligibility.evaluation.compiled import CompiledTrial
from fhir_eligibility.evaluation.context import Outcome, Settings
from fhir_eligibility.evaluation.trial import evaluate_trial, evaluate_trials, trial_index, verdict_of

__all__ = [
    "Compared",
    "CompiledTrial",
    "Outcome",
    "Settings",
    "evaluate_trial",
    "evaluate_trials",
    "trial_index",
    "verdict_of",
]
