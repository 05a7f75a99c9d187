"""FHIRPath criteria through fhirpathpy, with the evaluation date pinned to the as-of date.

fhirpathpy reads a process-global clock on every evaluation (``constants.reset()`` calls
``datetime.now()``); we pin it under a lock so ``now()``/``today()`` mean the screening date and
results are reproducible.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from functools import lru_cache
from typing import Any

from fhirpathpy import compile as fp_compile
from fhirpathpy.engine.invocations.constants import systemtime

from fhir_eligibility.criteria.model import Expression
from fhir_eligibility.evaluation.patient_record import PatientRecord
from fhir_eligibility.logic import Truth

_LOCK = threading.Lock()
LANGUAGES = {"text/fhirpath", "fhirpath"}


@contextmanager
def pinned_clock(as_of: dt.date) -> Iterator[None]:
    moment = dt.datetime.combine(as_of, dt.time(12, 0))
    with _LOCK:
        original = systemtime.reset

        def reset() -> None:
            systemtime.expressionExecutionDateTime = moment

        systemtime.reset = reset  # type: ignore[method-assign]
        try:
            yield
        finally:
            systemtime.reset = original  # type: ignore[method-assign]


@lru_cache(maxsize=256)
def _compiled(expression: str) -> Callable[[Any, Any], list[Any]]:
    """Parse once per expression, not once per patient (parsing dominated FHIRPath criteria)."""
    return fp_compile(expression)


# A boolean literal is that boolean for every patient (FHIRPath: ``true`` evaluates to [true] on any
# input): answered without running the engine, which took 8 % of a screening for B-I14's ``true``
_LITERALS = {"true": Truth.TRUE, "false": Truth.FALSE}


def evaluate_expression(expr: Expression, record: PatientRecord, as_of: dt.date) -> tuple[Truth, str]:
    """TRUE/FALSE when the expression yields one boolean; UNKNOWN (with why) otherwise."""
    if expr.language not in LANGUAGES:
        return Truth.UNKNOWN, f"form not interpretable: expression language {expr.language!r}"
    literal = _LITERALS.get(expr.expression.strip())
    if literal is not None:
        return literal, f"FHIRPath {expr.expression!r} is {expr.expression.strip()}"
    patient: dict[str, Any] = record.patient or {"resourceType": "Patient", "id": record.patient_id}
    try:
        with pinned_clock(as_of):
            out = _compiled(expr.expression)(patient, {"patientResources": list(record.raw)})
    except Exception as e:  # fhirpathpy raises bare Exceptions on parse and type errors
        return Truth.UNKNOWN, f"FHIRPath error: {e.__class__.__name__}"
    if out == [True]:
        return Truth.TRUE, f"FHIRPath {expr.expression!r} is true"
    if out == [False]:
        return Truth.FALSE, f"FHIRPath {expr.expression!r} is false"
    if not out:
        return Truth.UNKNOWN, f"FHIRPath {expr.expression!r} gave no value"
    return Truth.UNKNOWN, f"FHIRPath {expr.expression!r} did not give a single boolean"
