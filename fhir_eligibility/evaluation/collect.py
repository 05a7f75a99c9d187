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


CUT = re.compile(r"\s*(?:[<>=≤≥(:;]|\bin the last\b|\bwithin\b).*$")


def _name(what: str) -> str:
    """The test a criterion's text names, without its threshold or window ("ALT > 5 x ULN" -> "ALT")."""
    return CUT.sub("", what).strip(" .") or what


def _bounds(window: str) -> tuple[str | None, str | None]:
    lo, _, hi = window.partition("..")
    return (None if lo in ("", "open", "any") else lo), (None if hi in ("", "open", "any") else hi)


def _groups(wanted: list[tuple[str, MissingData]]) -> list[list[tuple[str, MissingData]]]:
    """Items sharing a code are one order (union-find on codes; an item without codes by its text)."""
    parent = list(range(len(wanted)))

    def root(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    owner: dict[str, int] = {}
    for i, (_trial, m) in enumerate(wanted):
        for key in m.codes or ("text:" + m.what,):
            if key in owner:
                parent[root(i)] = root(owner[key])
            else:
                owner[key] = i
    groups: dict[int, list[tuple[str, MissingData]]] = {}
    for i, item in enumerate(wanted):
        groups.setdefault(root(i), []).append(item)
    return list(groups.values())


def collect_first(results: Iterable[TrialResult]) -> tuple[Item, ...]:
    """One patient's items to collect, the ones settling most criteria (then trials) first."""
    wanted = [(r.trial, m) for r in results if r.verdict is Verdict.UNDETERMINED for m in r.missing_data]
    items = []
    for group in _groups(wanted):
        lows = [lo for lo, _ in (_bounds(m.window) for _t, m in group) if lo]
        highs = [m.latest_useful for _t, m in group if m.latest_useful]
        items.append(
            Item(
                min((_name(m.what) for _t, m in group), key=lambda w: (len(w), w)),
                tuple(sorted({c for _t, m in group for c in m.codes})),
                tuple(sorted({f"{t}/{m.criterion}" for t, m in group})),
                tuple(sorted({t for t, _m in group})),
                max(lows) if lows else None,
                min(highs) if highs else None,
            )
        )
    return tuple(sorted(items, key=lambda i: (-len(i.criteria), -len(i.trials), i.what)))


__all__ = ["Item", "collect_first"]
