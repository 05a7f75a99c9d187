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

from fhir_eligibility.evaluation.combination import evaluate_node
from fhir_eligibility.evaluation.compare import Compared
from fhir_eligibility.evaluation.context import Context, Outcome, Settings, shared_outcomes
from fhir_eligibility.evaluation.forms.derived import derived_value
from fhir_eligibility.evaluation.trial import evaluate_trial, trial_index, verdict_of
from fhir_eligibility.evaluation.windows import anchor_date, window_bounds

__all__ = [
    "Compared",
    "Context",
    "Outcome",
    "Settings",
    "anchor_date",
    "derived_value",
    "evaluate_node",
    "evaluate_trial",
    "shared_outcomes",
    "trial_index",
    "verdict_of",
    "window_bounds",
]
