"""Kleene three-valued logic, with the "undecided" value split by why it is undecided.

Every criterion evaluates to a :class:`Truth`. ``TRUE`` and ``FALSE`` are decided. The three
other members are Kleene's *unknown*, carrying the reason nothing could be decided:

* ``UNKNOWN`` - data missing, stale, unparseable or unavailable;
* ``REVIEW``  - the data call for a clinician's judgement;
* ``MANUAL``  - only a person can attest (consent, willingness, imaging reads).

The combinators are exactly Kleene's strong logic on the projection {T, F, U}; when the result
is undecided its kind is the most pressing kind among the undecided inputs, in the trial-verdict
order UNKNOWN > REVIEW > MANUAL (missing data must be collected before judging).
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Iterable, Sequence
from typing import TypeVar

T = TypeVar("T")


class Truth(enum.Enum):
    TRUE = "true"
    FALSE = "false"
    UNKNOWN = "unknown"
    REVIEW = "review"
    MANUAL = "manual"

    @property
    def decided(self) -> bool:
        return self is Truth.TRUE or self is Truth.FALSE

    @classmethod
    def of(cls, value: bool | None) -> Truth:
        """Lift a Python bool (None = unknown) into Truth."""
        if value is None:
            return cls.UNKNOWN
        return cls.TRUE if value else cls.FALSE


def _most_pressing(undecided: list[Truth]) -> Truth:
    """UNKNOWN > REVIEW > MANUAL (membership tests compare identity; hashing an Enum runs Python code)."""
    if Truth.UNKNOWN in undecided:
        return Truth.UNKNOWN
    return Truth.REVIEW if Truth.REVIEW in undecided else Truth.MANUAL


def negate(value: Truth) -> Truth:
    if value is Truth.TRUE:
        return Truth.FALSE
    if value is Truth.FALSE:
        return Truth.TRUE
    return value


def all_of(values: Iterable[Truth]) -> Truth:
    """Kleene AND: any FALSE decides; otherwise undecided if any input is; else TRUE."""
    undecided: list[Truth] = []
    for v in values:
        if v is Truth.FALSE:
            return Truth.FALSE
        if not v.decided:
            undecided.append(v)
    return _most_pressing(undecided) if undecided else Truth.TRUE


def any_of(values: Iterable[Truth]) -> Truth:
    """Kleene OR: any TRUE decides; otherwise undecided if any input is; else FALSE."""
    undecided: list[Truth] = []
    for v in values:
        if v is Truth.TRUE:
            return Truth.TRUE
        if not v.decided:
            undecided.append(v)
    return _most_pressing(undecided) if undecided else Truth.FALSE


def all_of_calls(fns: Sequence[Callable[[T], Truth]], arg: T) -> Truth:
    """:func:`all_of` of ``fn(arg)`` for each fn, none called after the first FALSE: the same rule
    without a generator per call (the compiled program's inner loop; tests/test_logic.py proves them equal)."""
    return _calls(fns, arg, Truth.FALSE, Truth.TRUE)


def any_of_calls(fns: Sequence[Callable[[T], Truth]], arg: T) -> Truth:
    """:func:`any_of` of ``fn(arg)`` for each fn, none called after the first TRUE."""
    return _calls(fns, arg, Truth.TRUE, Truth.FALSE)


def _calls(fns: Sequence[Callable[[T], Truth]], arg: T, decisive: Truth, neutral: Truth) -> Truth:
    """Kleene AND (decisive FALSE, neutral TRUE) or OR (the reverse) of ``fn(arg)``, stopping at ``decisive``."""
    undecided: list[Truth] = []
    for fn in fns:
        v = fn(arg)
        if v is decisive:
            return decisive
        if v is not neutral:
            undecided.append(v)
    return _most_pressing(undecided) if undecided else neutral


def at_least(n: int, values: Iterable[Truth]) -> Truth:
    """TRUE when at least n inputs are TRUE, FALSE when even all undecided ones could not reach n."""
    vals = list(values)
    true = sum(v is Truth.TRUE for v in vals)
    undecided = [v for v in vals if not v.decided]
    if true >= n:
        return Truth.TRUE
    if true + len(undecided) < n:
        return Truth.FALSE
    return _most_pressing(undecided)


def at_most(n: int, values: Iterable[Truth]) -> Truth:
    """TRUE when at most n inputs are TRUE, FALSE as soon as more than n are TRUE."""
    vals = list(values)
    true = sum(v is Truth.TRUE for v in vals)
    undecided = [v for v in vals if not v.decided]
    if true > n:
        return Truth.FALSE
    if true + len(undecided) <= n:
        return Truth.TRUE
    return _most_pressing(undecided)
