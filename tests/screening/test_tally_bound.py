"""The tally's candidate list is bounded (issue 17): memory flat in the population, the kept
candidates are exactly a full sort's best ``limit``, the rest are counted and said."""

from __future__ import annotations

import datetime as dt
import json
import random
import tracemalloc
from pathlib import Path

from fhir_eligibility.screening.core import MAX_CANDIDATES, Tally, TrialOutcome, TrialTally
from fhir_eligibility.synth import write_population
from tests.screening.helpers import AS_OF, invoke

CRITERIA = (("I1", "inclusion", "adult"), ("E1", "exclusion", "pregnant"))
VERDICTS = ("eligible", "needs-review", "undetermined", "ineligible")
ORDER = {"eligible": 0, "needs-review": 1, "undetermined": 2, "ineligible": 3}  # the report's ranking


def outcomes(n: int, seed: int = 7) -> list[TrialOutcome]:
    """``n`` candidates in random order: verdicts, missing items and 'eligible later' dates mixed."""
    rng = random.Random(seed)
    out = []
    for i in range(n):
        verdict = rng.choice(VERDICTS)
        later = f"2026-06-{rng.randint(2, 28):02d}" if verdict == "ineligible" else None
        results = ("fail", "pass") if verdict == "ineligible" else ("unknown", "pass")
        missing = tuple(f"I1: lab {k} (28 days)" for k in range(rng.randint(0, 3)))
        out.append(TrialOutcome("T", f"Patient/p{i:06d}", verdict, results, missing, eligible_from=later))
    rng.shuffle(out)
    return out


def expected_order(os: list[TrialOutcome]) -> list[str]:
    """Worked out from the ranking's definition, not from ``rank_key``: verdict, earliest date,
    fewest missing items, then the id."""
    ranked = sorted(os, key=lambda o: (ORDER[o.verdict], o.eligible_from or "", len(o.missing), o.patient))
    return [o.patient for o in ranked]


def test_fifty_thousand_candidates_keep_only_the_best_k_and_count_the_rest() -> None:
    entries = outcomes(50_000)
    tally = TrialTally("T", "Trial T", CRITERIA, limit=100)
    most = 0
    for o in entries:
        tally.add(o)
        most = max(most, len(tally.candidates))
    assert most < 200  # never more than twice the bound in memory
    screening = tally.screening()
    assert [c.patient for c in screening.candidates] == expected_order(entries)[:100]
    assert tally.listed == 50_000
    assert tally.bound_note() == "T: 50000 candidates, the 100 best ranked listed (--max-candidates)"
    assert sum(screening.counts.values()) == 50_000  # counts stay exact


def test_merging_partials_in_any_order_lists_the_same_best_k() -> None:
    entries = outcomes(20_000, seed=3)
    chunks = [entries[i : i + 700] for i in range(0, len(entries), 700)]
    lists = []
    for order in (chunks, chunks[::-1]):
        merged = TrialTally("T", "Trial T", CRITERIA, limit=50)
        for chunk in order:
            part = TrialTally("T", "Trial T", CRITERIA, limit=50)
            for o in chunk:
                part.add(o)
            merged.merge(part)
            assert len(merged.candidates) < 100
        lists.append([c.patient for c in merged.screening().candidates])
    assert lists[0] == lists[1] == expected_order(entries)[:50]


def test_under_the_bound_every_candidate_is_listed_and_nothing_is_said() -> None:
    entries = outcomes(300)
    tally = Tally({"T": TrialTally("T", "Trial T", CRITERIA, limit=300)})
    tally.add(entries)  # one patient's outcomes: here one per entry, enough for the list
    report = tally.report(dt.date(2026, 6, 1))
    assert [c.patient for c in report.trials[0].candidates] == expected_order(entries)
    assert report.warnings == ()
    assert MAX_CANDIDATES >= 5_000  # the default lists the 100,000-patient screening's candidates whole


def test_memory_held_does_not_grow_with_the_candidates_seen() -> None:
    def held(n: int, limit: int) -> int:
        entries = outcomes(n)
        tracemalloc.start()
        base = tracemalloc.get_traced_memory()[0]
        tally = TrialTally("T", "Trial T", CRITERIA, limit=limit)
        for o in entries:
            tally.add(o)
        tally.prune()
        size = tracemalloc.get_traced_memory()[0] - base
        tracemalloc.stop()
        return size

    small, large, unbounded = held(5_000, 500), held(50_000, 500), held(50_000, 10**9)
    # ten times the candidates seen: the same few hundred KiB (CPython's free lists of small
    # tuples, bounded, make the noise), where keeping them all takes megabytes
    assert large - small < 1024 * 1024
    assert unbounded > 10 * large


def test_the_cli_bound_lists_the_best_ranked_and_says_how_many_there_were(tmp_path: Path) -> None:
    write_population(tmp_path / "d", 200, seed=5)
    args = ["screen", str(tmp_path / "d"), "--as-of", AS_OF, "--format", "json", "--workers", "1"]
    full = json.loads(invoke(*args).output)
    out = invoke(*args, "--max-candidates", "3")
    assert out.exit_code == 0, out.output
    bounded = json.loads(out.output)
    said = 0
    for mine, theirs in zip(bounded["trials"], full["trials"], strict=True):
        assert mine["counts"] == theirs["counts"] and mine["funnel"] == theirs["funnel"]
        assert mine["candidates"] == theirs["candidates"][:3]
        note = f"{mine['trial']}: {len(theirs['candidates'])} candidates, the 3 best ranked listed (--max-candidates)"
        assert (note in bounded["warnings"]) == (len(theirs["candidates"]) > 3)
        said += note in bounded["warnings"]
    assert said  # 200 synthetic patients give some trial more than 3 candidates
    assert invoke(*args, "--max-candidates", "0").exit_code == 2
