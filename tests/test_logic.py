"""Kleene truth tables and algebraic properties of the undecided-with-a-reason logic."""

from __future__ import annotations

import itertools

import pytest
from hypothesis import given
from hypothesis import strategies as st

from fhir_eligibility.logic import Truth, all_of, all_of_calls, any_of, any_of_calls, at_least, at_most, negate

T, F, U, R, M = Truth.TRUE, Truth.FALSE, Truth.UNKNOWN, Truth.REVIEW, Truth.MANUAL
truths = st.sampled_from(list(Truth))

# Kleene strong logic on {T, F, U}
AND = {(T, T): T, (T, F): F, (T, U): U, (F, T): F, (F, F): F, (F, U): F, (U, T): U, (U, F): F, (U, U): U}
OR = {(T, T): T, (T, F): T, (T, U): T, (F, T): T, (F, F): F, (F, U): U, (U, T): T, (U, F): U, (U, U): U}


@pytest.mark.parametrize(("a", "b"), list(AND))
def test_and_truth_table(a: Truth, b: Truth) -> None:
    assert all_of([a, b]) is AND[(a, b)]


@pytest.mark.parametrize(("a", "b"), list(OR))
def test_or_truth_table(a: Truth, b: Truth) -> None:
    assert any_of([a, b]) is OR[(a, b)]


@pytest.mark.parametrize(("a", "expected"), [(T, F), (F, T), (U, U), (R, R), (M, M)])
def test_negation(a: Truth, expected: Truth) -> None:
    assert negate(a) is expected


def test_undecided_kind_precedence() -> None:
    # Missing data outranks a judgement, which outranks an attestation (verdict order).
    assert all_of([T, M, R]) is R
    assert all_of([R, U, M]) is U
    assert any_of([F, M]) is M
    assert all_of([F, U]) is F
    assert any_of([T, U]) is T


def test_empty_combinations() -> None:
    assert all_of([]) is T
    assert any_of([]) is F


def test_at_least_and_at_most() -> None:
    assert at_least(2, [T, T, F]) is T
    assert at_least(2, [T, F, F]) is F
    assert at_least(2, [T, U, F]) is U
    assert at_most(1, [T, T, U]) is F
    assert at_most(1, [T, F, F]) is T
    assert at_most(1, [T, U, F]) is U
    assert at_most(1, [F, U, F]) is T


def _project(t: Truth) -> Truth:
    return t if t.decided else U


@given(truths, truths)
def test_commutative(a: Truth, b: Truth) -> None:
    assert all_of([a, b]) is all_of([b, a])
    assert any_of([a, b]) is any_of([b, a])


@given(truths, truths, truths)
def test_associative(a: Truth, b: Truth, c: Truth) -> None:
    assert all_of([all_of([a, b]), c]) is all_of([a, all_of([b, c])])
    assert any_of([any_of([a, b]), c]) is any_of([a, any_of([b, c])])


@given(st.lists(truths, max_size=6))
def test_de_morgan(xs: list[Truth]) -> None:
    assert negate(all_of(xs)) is any_of([negate(x) for x in xs])
    assert negate(any_of(xs)) is all_of([negate(x) for x in xs])


@given(st.lists(truths, max_size=6))
def test_projection_is_kleene(xs: list[Truth]) -> None:
    """Undecided kinds never change decidedness: the projection is plain Kleene logic."""
    assert _project(all_of(xs)) is _project(all_of([_project(x) for x in xs]))
    assert _project(any_of(xs)) is _project(any_of([_project(x) for x in xs]))


@given(st.lists(truths, min_size=1, max_size=6), st.data())
def test_monotone_resolution(xs: list[Truth], data: st.DataObject) -> None:
    """Resolving an undecided input never flips an already decided result."""
    before_and, before_or = all_of(xs), any_of(xs)
    resolved = [data.draw(st.sampled_from([T, F])) if not x.decided else x for x in xs]
    for before, after in ((before_and, all_of(resolved)), (before_or, any_of(resolved))):
        if before.decided:
            assert after is before


@given(st.lists(truths, max_size=6), st.integers(min_value=0, max_value=6), st.data())
def test_threshold_monotone(xs: list[Truth], n: int, data: st.DataObject) -> None:
    resolved = [data.draw(st.sampled_from([T, F])) if not x.decided else x for x in xs]
    for f in (at_least, at_most):
        before = f(n, xs)
        if before.decided:
            assert f(n, resolved) is before


@given(st.lists(st.sampled_from([T, F]), max_size=6), st.integers(min_value=0, max_value=6))
def test_threshold_on_decided_inputs(xs: list[Truth], n: int) -> None:
    count = sum(x is T for x in xs)
    assert at_least(n, xs) is Truth.of(count >= n)
    assert at_most(n, xs) is Truth.of(count <= n)


def test_truth_of() -> None:
    assert [Truth.of(v) for v in (True, False, None)] == [T, F, U]
    assert list(itertools.chain([T.decided, F.decided], [U.decided, R.decided, M.decided])) == [
        True,
        True,
        False,
        False,
        False,
    ]


@pytest.mark.parametrize("n", [0, 1, 2, 3])
def test_the_lazy_combinations_are_all_of_and_any_of(n: int) -> None:
    """Every input of up to three truths: the same answer, and no input read after the deciding one."""
    for xs in itertools.product(list(Truth), repeat=n):
        called: list[int] = []
        fns = [lambda _arg, i=i, xs=xs, called=called: called.append(i) or xs[i] for i in range(n)]
        assert all_of_calls(fns, None) is all_of(xs), xs
        assert called == list(range(xs.index(F) + 1 if F in xs else n)), xs
        called.clear()
        assert any_of_calls(fns, None) is any_of(xs), xs
        assert called == list(range(xs.index(T) + 1 if T in xs else n)), xs
