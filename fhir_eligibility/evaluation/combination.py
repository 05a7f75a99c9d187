"""The tree walk: a node's outcome from its form or its children, with judgement, answers and exclude applied.

Combinations (all-of, any-of, at-least, at-most) combine their children's truths with Kleene logic
(:mod:`fhir_eligibility.logic`). In screening (``explain=False``) they stop once the children decide
them; otherwise they gather every child's explanation. A same-record all-of (``Combination.same_record``)
met by no one record is REVIEW: a site code on one Condition and a NET morphology on another may be one
tumour coded twice or two tumours (a gastric NET beside an old colon cancer is no intestinal NET).
Leaves dispatch to :mod:`.forms`. Outcomes of subtrees that read none of the patient's data are shared
across patients (:mod:`.footprint`).
"""

from __future__ import annotations

from typing import assert_never

from fhir_eligibility import logic
from fhir_eligibility.criteria.model import (
    Age,
    Combination,
    Criterion,
    Derived,
    Expression,
    Gender,
    Leaf,
    Manual,
    ObservationValue,
    Records,
    Unsupported,
    Window,
)
from fhir_eligibility.evaluation import attestation
from fhir_eligibility.evaluation.anchor_days import each_day, uncertain
from fhir_eligibility.evaluation.context import Context, Outcome
from fhir_eligibility.evaluation.facts import Fact
from fhir_eligibility.evaluation.fhirpath import evaluate_expression
from fhir_eligibility.evaluation.forms.common import LABEL
from fhir_eligibility.evaluation.forms.derived import derived_leaf
from fhir_eligibility.evaluation.forms.observation import observation_leaf
from fhir_eligibility.evaluation.forms.patient import age_leaf, gender_leaf, manual_leaf
from fhir_eligibility.evaluation.forms.records import records_leaf
from fhir_eligibility.evaluation.results import Attestation, MissingData, Series
from fhir_eligibility.evaluation.windows import anchor_spans
from fhir_eligibility.logic import Truth


def _with_label(k: Criterion, o: Outcome, ctx: Context) -> str:
    return o.reason if isinstance(k.definition, Combination) else f"{ctx.index.label(k)}: {o.reason}"


def _combination_reason(d: Combination, t: Truth, kids: tuple[tuple[Criterion, Outcome], ...], ctx: Context) -> str:
    """Cite the children that decided the combination (or keep it undecided), not all of them."""
    deciding = [(k, o) for k, o in kids if o.truth is t]
    if t is Truth.TRUE and d.code == "all-of":
        return f"all {len(kids)} conditions met"
    if t is Truth.FALSE and d.code == "any-of":
        return "none of: " + "; ".join(_with_label(k, o, ctx) for k, o in kids[:4]) + ("; ..." if len(kids) > 4 else "")
    parts = [("not: " if k.exclude else "") + _with_label(k, o, ctx) for k, o in deciding[:3]]
    more = f" (+{len(deciding) - 3} more)" if len(deciding) > 3 else ""
    prefix = f"{d.code} {d.threshold}: " if d.threshold is not None else ""
    return prefix + "; ".join(parts) + more


_STOP = {"all-of": Truth.FALSE, "any-of": Truth.TRUE}
# a same-record all-of met, but by different records (Combination.same_record)
SPLIT = "needs clinical judgement: each met, but by different records (one condition recorded twice, or two?)"


def _combined(d: Combination, truths: list[Truth]) -> Truth:
    if d.code == "all-of":
        return logic.all_of(truths)
    if d.code == "any-of":
        return logic.any_of(truths)
    if d.code == "at-least":
        return logic.at_least(d.threshold or 0, truths)
    return logic.at_most(d.threshold or 0, truths)


def combination_outcome(
    c: Criterion, d: Combination, ctx: Context, parity_here: int, windows: tuple[Window, ...]
) -> Outcome:
    """One loop over the children; ``ctx.short_circuit`` is the stop-early flag (the compiled program
    binds it for a same-record all-of, whose truth needs the records each child matched).

    Stopping early (screening): the truth and what-to-collect only, returned once the children
    decide it (Kleene). What a decided combination would collect is never read (parents collect
    from undecided children only), so stopping loses nothing, except where a judgement turns an
    any-of's TRUE into REVIEW: that one is evaluated whole. Children, matched records (but the
    references a same-record all-of compares) and attestation flags are not gathered; event anchors
    are evaluated without stopping (:mod:`.windows`).
    Otherwise every child is evaluated, in one pass collecting truths, explanations, matched
    records and series.
    """
    stop_early = ctx.short_circuit
    decisive = None if c.judgement and d.code == "any-of" else _STOP.get(d.code)
    stop = decisive if stop_early else None
    # a person's answer the outcome rests on: the first among the children read until one decides
    # it, so that stopping early (screening) and explaining agree on it
    answer: Attestation | None = None
    deciding = True
    kid_list: list[tuple[Criterion, Outcome]] = []
    truths: list[Truth] = []
    matched: list[Fact] = []
    missing: list[MissingData] = []
    series: list[Series] = []
    attested = False
    refs: list[frozenset[str]] | None = [] if d.same_record else None  # per child, the records meeting it
    for k in d.children:
        o = evaluate_node(k, ctx, parity_here, windows)
        if deciding:
            answer = answer or o.attestation
            deciding = o.truth is not decisive
        if o.truth is stop:
            return Outcome(o.truth, d.code, attestation=answer)
        truths.append(o.truth)
        if refs is not None:
            refs.append(frozenset(f.ref for f in o.matched))
        if o.missing and not o.truth.decided:
            missing.extend(o.missing)
        if stop_early:
            continue
        kid_list.append((k, o))
        if o.matched:
            matched.extend(o.matched)
        if o.series:
            series.extend(o.series)
        attested = attested or o.attested
    t = _combined(d, truths)
    split = refs is not None and t is Truth.TRUE and not frozenset.intersection(*refs)
    if split:
        t = Truth.REVIEW
    if stop_early:
        return Outcome(t, d.code, missing=tuple(missing), attestation=answer)
    kids = tuple(kid_list)
    if not ctx.settings.explain:
        reason = d.code
    elif split:
        reason = f"{SPLIT}: " + "; ".join(_with_label(k, o, ctx) for k, o in kids)
    else:
        reason = _combination_reason(d, t, kids, ctx)
    return Outcome(t, reason, (), kids, tuple(matched), tuple(missing), attested, tuple(series), answer)


def evaluate_node(c: Criterion, ctx: Context, parity: int, inherited: tuple[Window, ...]) -> Outcome:
    """Match of the characteristic (judgement and exclude applied); parity = excludes above it.

    A subtree that reads none of the patient's records (see :mod:`.footprint`) has the outcome it
    has on an empty record: with ``ctx.shared`` (the caller's batch) that outcome is computed once
    per date and settings, then shared.
    """
    windows = c.windows or inherited
    shared = ctx.shared
    if shared is not None:
        fp = ctx.index.footprint(c)
        # gender/age-gated subtrees are shared per (gender, age), in short-circuit mode only (no evidence there)
        if (
            fp is not None
            and (not fp.demographics or ctx.demographics is not None)
            and fp.keys.isdisjoint(ctx.record.present)
            and ctx.index.plain(windows)
        ):
            demo = ctx.demographics if fp.demographics else None
            key = (id(c), id(windows), parity % 2 + (2 if ctx.short_circuit else 0), demo)
            hit = shared.outcomes.get(key)
            if hit is not None and hit[0] is c and hit[1] is windows:
                return hit[2]
            out = _evaluate_node(c, ctx, parity, windows)
            shared.outcomes[key] = (c, windows, out)
            shared.alive[id(out)] = out
            return out
    return _evaluate_node(c, ctx, parity, windows)


def _evaluate_node(c: Criterion, ctx: Context, parity: int, windows: tuple[Window, ...]) -> Outcome:
    parity_here = parity + (1 if c.exclude else 0)
    d = c.definition
    out: Outcome
    if isinstance(d, Combination):
        out = combination_outcome(c, d, ctx, parity_here, windows)
    else:
        # Leaves repeat across trials (Hb in 28 days, age, pregnancy tests...): evaluate each once per patient.
        # by identity: load_trials interns equal definitions and windows across trials; the memo is this
        # patient's and keeps no definition alive, so it must not outlive the evaluation of its trials
        memo = ctx.memo
        key = (id(d), id(windows), parity_here % 2)
        cached = memo.get(key) if memo is not None else None
        if cached is None:
            cached = leaf_outcome(c, d, ctx, parity_here, windows)
            if memo is not None and ctx.index.plain(windows):
                memo[key] = cached
        out = _labelled(cached, c, ctx)
    if c.judgement and out.truth is Truth.TRUE:
        kids = out.children[:3]
        why = "; ".join(_with_label(k, o, ctx) for k, o in kids) if kids else out.reason  # the values
        out = _with_truth(out, Truth.REVIEW, f"needs clinical judgement: {why}")
    # with the patient's responses unavailable (record.unavailable), no answer read may be the latest
    if (ctx.answers or ctx.record.unavailable) and (
        out.truth is Truth.MANUAL or out.truth is Truth.REVIEW or out.attested
    ):
        out = _answered(c, out, ctx, parity_here)
    if c.exclude:
        out = _with_truth(out, logic.negate(out.truth), out.reason)
    return out


def _labelled(o: Outcome, c: Criterion, ctx: Context) -> Outcome:
    """Leaf outcomes are shared between criteria: name this criterion in what to collect."""
    if not o.missing:
        return o
    label = ctx.index.label(c)
    missing = tuple(
        MissingData(m.criterion, m.what.replace(LABEL, label), m.codes, m.window, m.latest_useful)
        if LABEL in m.what
        else m
        for m in o.missing
    )
    return Outcome(o.truth, o.reason, o.evidence, o.children, o.matched, missing, o.attested, o.series, o.attestation)


def leaf_outcome(
    c: Criterion, d: Leaf, ctx: Context, parity_here: int, windows: tuple[Window, ...], by_day: bool = True
) -> Outcome:
    """The one dispatch over the leaf forms (the compiled program binds it too); in a window relative
    to an event dated only by its month or year, over the days it may be on (:mod:`.anchor_days`,
    which calls back with ``by_day`` off for one day's outcome)."""
    if by_day and windows and not ctx.index.plain(windows):
        spans = anchor_spans(windows, ctx)
        if spans is not None and uncertain(spans):
            return each_day(ctx, windows, spans, lambda: leaf_outcome(c, d, ctx, parity_here, windows, False))
    match d:
        case ObservationValue():
            return observation_leaf(d, c, ctx, parity_here, windows)
        case Records():
            return records_leaf(d, c, ctx, windows)
        case Age():
            return age_leaf(d, ctx)
        case Gender():
            return gender_leaf(d, ctx)
        case Derived():
            return derived_leaf(d, c, ctx, windows)
        case Manual():
            return manual_leaf(c, ctx, parity_here)
        case Expression():
            t, reason = evaluate_expression(d, ctx.record, ctx.as_of)
            return Outcome(t, reason)
        case Unsupported():
            return Outcome(Truth.UNKNOWN, f"form not interpretable: {d.reason}")
        case _:
            assert_never(d)


def _with_truth(o: Outcome, truth: Truth, reason: str) -> Outcome:
    """A copy with another truth (cheaper than dataclasses.replace on this hot path)."""
    return Outcome(truth, reason, o.evidence, o.children, o.matched, o.missing, o.attested, o.series, o.attestation)


def _answered(c: Criterion, o: Outcome, ctx: Context, parity_here: int) -> Outcome:
    """A person's answer to this criterion's item decides it (replacing a --assume-attested what-if)."""
    answers = ctx.answers or {}
    decided = attestation.decide(c, o.truth, o.reason, o.evidence, answers, ctx.record, parity_here, ctx.as_of)
    if decided is None:
        return o
    t, reason, evidence, att = decided
    if att is None and t is not o.truth:  # the responses were unavailable: unknown, they are what to collect
        missing = (*o.missing, attestation.wanted())
        return Outcome(t, reason, evidence, o.children, o.matched, missing, False, o.series)
    if att is None:
        return Outcome(o.truth, reason, evidence, o.children, o.matched, o.missing, o.attested, o.series)
    return Outcome(t, reason, evidence, o.children, o.matched, (), False, o.series, att)
