"""Which results may be "the most recent value" of a lab criterion (clinical.md §0.3, §0.16).

A final result with no value (``dataAbsentReason``) or with an invalid one (NaN, a negative count)
is not a value: it never replaces an older valid result in the window, and the reason says it was
skipped. Results with no date cannot be placed in a window: they are not used there, and the
reason says so instead of a bare "no result".
"""

from __future__ import annotations

from fhir_eligibility.evaluation.facts import Fact

MAX_CITED = 3


def has_value(f: Fact) -> bool:
    return f.quantity is not None or bool(f.value_codes) or f.value_int is not None or f.value_bool is not None


def _cite(facts: list[Fact]) -> str:
    parts = [
        f"{f.ref.split('#')[0]}{' on ' + f.date.isoformat() if f.date else ''}: {f.note or 'no value'}"
        for f in facts[:MAX_CITED]
    ]
    return "; ".join(parts) + (f" (+{len(facts) - MAX_CITED} more)" if len(facts) > MAX_CITED else "")


def invalid(f: Fact) -> bool:
    """A result whose value was written but is not usable (a number as text, an impossible value, a
    valueRange, a concept with only text, a value beside a ``dataAbsentReason``, an interpretation
    with no value, a code naming two tests: :func:`.observed.value_fields`): unlike a
    ``dataAbsentReason`` alone, it reports a measurement, whose value is not known here."""
    return f.note is not None and f.note.startswith("invalid value")


def valued(inside: list[Fact]) -> tuple[list[Fact], list[Fact]]:
    """(the results that may be the most recent value, the newer ones without a valid value).

    A newer result with no value (``dataAbsentReason``) is skipped (clinical.md §0.16); a newer one
    whose value is invalid was a measurement all the same, possibly the patient's current value
    (Hb "7.0 g/dL" as text after an older 13.2), so then no result is usable (the caller is unknown).
    """
    if all(has_value(f) for f in inside):
        return inside, []
    good = [f for f in inside if has_value(f)]
    bad = [f for f in inside if not has_value(f)]
    if not good:
        return [], bad
    latest = max((f.date, f.instant, f.issued) for f in good if f.date) if any(f.date for f in good) else None
    newer = [f for f in bad if latest is None or (f.date is not None and (f.date, f.instant, f.issued) > latest)]
    newer.sort(key=lambda f: (f.date, f.instant), reverse=True)
    return ([] if any(invalid(f) for f in newer) else good), newer


def skipped_note(usable: list[Fact], skipped: list[Fact], inside: list[Fact]) -> str:
    """What :func:`valued` left out, for the reason: all of ``inside`` when nothing is usable."""
    if not usable:
        if skipped and any(has_value(f) for f in inside):
            return f"the most recent value is not known: a newer result has an invalid value ({_cite(skipped)})"
        return f"no valid value in the window ({_cite([f for f in inside if not has_value(f)])})"
    return f"; newer result skipped as it has no valid value ({_cite(skipped)})" if skipped else ""


def undated_note(facts: list[Fact]) -> str:
    """Results with no date at all: cannot be placed in the window (said, not silently dropped)."""
    undated = [f.ref.split("#")[0] for f in facts if f.date is None]
    if not undated:
        return ""
    shown = ", ".join(sorted(set(undated))[:MAX_CITED])
    return f"; {len(set(undated))} undated result(s) not usable in a window ({shown})"
