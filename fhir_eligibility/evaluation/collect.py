"""What to collect first for an undetermined patient (issue 16, Must have 2).

Why: each undetermined trial lists its own missing data, but a coordinator orders tests for a
patient, not for a trial: one haemoglobin may settle five criteria in four trials. The missing
items of every undetermined trial are merged by the codes they share (the same test under
slightly different code sets is one order), ranked by how many criteria and trials each would
settle, and given the dates between which a result counts for all of them (the intersection of
their windows). Trials the patient already fails are left out: no result can rescue them.
Pure: reads results only, never the record.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from fhir_eligibility.evaluation.results import MissingData, TrialResult, Verdict


@dataclass(frozen=True)
class Item:
    """One thing to collect: the criteria (``trial/criterion``) and trials it would settle, and when it counts."""

    what: str
    codes: tuple[str, ...]
    criteria: tuple[str, ...]
    trials: tuple[str, ...]
    not_before: str | None  # ISO date; None: any date
    by: str | None  # the latest date a result counts for all of them (the window's end)


# a parenthesis is cut only when it holds a number (a threshold or a window): "(serum)" names the test
CUT = re.compile(r"\s*(?:[<>=≤≥:;]|\((?=[^)]*\d)|\bin the last\b|\bwithin\b).*$")
# a lead-in before the test and its threshold ("... after 4 cycles: hemoglobin ≥ 8", "Adequate bone
# marrow reserve (Hb > 8 g/dl"): the test is what follows it
LEAD = re.compile(r"^[^<>=≤≥]*[:(]\s*(?=[^\W\d][^:()<>=≤≥]*[<>=≤≥])")


def _name(what: str) -> str:
    """The test a criterion's text names, without its threshold or window ("ALT > 5 x ULN" -> "ALT",
    "... after 4 cycles: hemoglobin ≥ 8 g/dL" -> "hemoglobin")."""
    return CUT.sub("", LEAD.sub("", what)).strip(" .") or what


def _bounds(window: str) -> tuple[str | None, str | None]:
    lo, _, hi = window.partition("..")
    return (None if lo in ("", "open", "any") else lo), (None if hi in ("", "open", "any") else hi)


def _groups(wanted: list[tuple[str, MissingData]]) -> list[list[tuple[str, MissingData]]]:
    """Items one order settles: an item joins an order whose codes it all accepts (the order is the
    most specific item's test; an item without codes goes by its text), the narrowest first.

    Why not any shared code: a serum hCG criterion shares codes with "any hCG" ones, but a urine test
    ordered under the joined name settles only the latter; an eGFR and a creatinine clearance share
    the serum creatinine code, yet a reported eGFR settles neither clearance. Ordered as the serum
    test, all three pregnancy criteria are settled; eGFR and clearance stay two orders."""
    groups: list[tuple[frozenset[str], list[tuple[str, MissingData]]]] = []
    keyed = [(frozenset(m.codes) or frozenset({"text:" + m.what}), (t, m)) for t, m in wanted]
    for codes, item in sorted(keyed, key=lambda k: (len(k[0]), sorted(k[0]))):
        home = next((g for order, g in groups if order <= codes), None)
        if home is None:
            groups.append((codes, [item]))
        else:
            home.append(item)
    return [g for _order, g in groups]


def collect_first(results: Iterable[TrialResult]) -> tuple[Item, ...]:
    """One patient's items to collect, the ones settling most criteria (then trials) first."""
    wanted = [(r.trial, m) for r in results if r.verdict is Verdict.UNDETERMINED for m in r.missing_data]
    items = []
    for group in _groups(wanted):
        lows = [lo for lo, _ in (_bounds(m.window) for _t, m in group) if lo]
        highs = [m.latest_useful for _t, m in group if m.latest_useful]
        first = group[0][1]  # the order's own test: the group's narrowest item (every other accepts its codes)
        items.append(
            Item(
                _name(first.what),
                tuple(sorted(first.codes)),
                tuple(sorted({f"{t}/{m.criterion}" for t, m in group})),
                tuple(sorted({t for t, _m in group})),
                max(lows) if lows else None,
                min(highs) if highs else None,
            )
        )
    return tuple(sorted(items, key=lambda i: (-len(i.criteria), -len(i.trials), i.what)))


__all__ = ["Item", "collect_first"]
