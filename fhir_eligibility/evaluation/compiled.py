"""One trial compiled for evaluation: the lookups the engine makes per node, held by the caller.

Why an object and not module caches: trials are immutable, so what the engine looks up per node
(a criterion by its link, its footprint, its display label, the plain copy of an anchor event,
whether its windows are relative to the study start, the timeline's reads) is fixed per trial. It
was kept in module-level dicts keyed by ``id()``; here it is kept by the object whoever evaluates
the trial holds (a :class:`~fhir_eligibility.evaluation.program.Program`, the CDS service), so two
trial objects never share or leak state and nothing outlives its trial. Entries are filled on first
use (a one-off evaluation pays only for what it reads); they are keyed by ``id`` of objects the
trial keeps alive, each checked by identity, so a foreign criterion never takes another's entry.
Compiled by mypyc (its lookups run per node of every patient), hence no ``cached_property``.
"""

from __future__ import annotations

import textwrap
from dataclasses import replace
from functools import lru_cache
from typing import TYPE_CHECKING

from fhir_eligibility.criteria.attestable import items, questionnaire_url
from fhir_eligibility.criteria.model import Criterion, Trial, Window
from fhir_eligibility.evaluation.footprint import Footprint, Key, footprint

if TYPE_CHECKING:
    from fhir_eligibility.evaluation.timeline import Reads


class CompiledTrial:
    """A trial and its per-node lookups (all derived from the trial alone: no patient, no date)."""

    def __init__(self, trial: Trial, pool: dict[Reads, Reads] | None = None) -> None:
        self.trial = trial
        # equal reads of the trials compiled together, as one object: a patient's timeline computes
        # a criterion's dates once per such object (:class:`~.timeline.Later`), not once per trial
        self._pool: dict[Reads, Reads] = {} if pool is None else pool
        self.url = questionnaire_url(trial)  # where this trial's answers are filed
        # the Questionnaire's items: an answer to any other linkId (a whole criterion holding a
        # clinician-judgement item) decides nothing
        self.items = frozenset(i.link_id for i in items(trial))
        self._plain: dict[int, tuple[tuple[Window, ...], bool]] = {}
        self._footprints: dict[int, tuple[Criterion, Footprint | None]] = {}
        self._labels: dict[int, tuple[Criterion, str]] = {}
        self._events: dict[int, tuple[Criterion, Criterion]] = {}
        self._reads: dict[int, dict[str, Reads]] = {}
        self._by_link: dict[str, Criterion] | None = None
        self._tops: tuple[tuple[Criterion, frozenset[Key] | None], ...] | None = None

    @property
    def by_link(self) -> dict[str, Criterion]:
        """Criterion id -> criterion (the events windows are relative to)."""
        if self._by_link is None:
            self._by_link = {n.id: n for top in self.trial.criteria for n in top.walk()}
        return self._by_link

    @property
    def tops(self) -> tuple[tuple[Criterion, frozenset[Key] | None], ...]:
        """Top-level criteria with their record keys (None: never the same result for all patients)."""
        if self._tops is None:
            out = []
            for c in self.trial.criteria:
                fp = self.footprint(c)
                out.append((c, None if fp is None or fp.demographics else fp.keys))
            self._tops = tuple(out)
        return self._tops

    def footprint(self, c: Criterion) -> Footprint | None:
        hit = self._footprints.get(id(c))
        if hit is None or hit[0] is not c:
            hit = self._footprints[id(c)] = (c, footprint(c))
        return hit[1]

    def plain(self, windows: tuple[Window, ...]) -> bool:
        """All windows relative to the study start (the same bounds for every patient of a date)."""
        hit = self._plain.get(id(windows))
        if hit is None or hit[0] is not windows:
            hit = self._plain[id(windows)] = (windows, all(w.anchor == "study-start" for w in windows))
        return hit[1]

    def label(self, c: Criterion) -> str:
        """Short display name of a criterion (whole words)."""
        hit = self._labels.get(id(c))
        if hit is None or hit[0] is not c:
            hit = self._labels[id(c)] = (c, short_label(getattr(c.definition, "label", "") or c.description or c.id))
        return hit[1]

    def event(self, crit: Criterion) -> Criterion:
        """The anchor criterion as a plain match (one object per criterion: outcome caches key on identity)."""
        hit = self._events.get(id(crit))
        if hit is None or hit[0] is not crit:
            hit = self._events[id(crit)] = (crit, replace(crit, exclude=False, judgement=False))
        return hit[1]

    def reads(self, lookback: int) -> dict[str, Reads]:
        """Criterion id -> what its breakpoints come from (:mod:`.timeline`), per default look-back."""
        hit = self._reads.get(lookback)
        if hit is None:
            from fhir_eligibility.evaluation.timeline import reads_of  # the timeline evaluates through this

            pool = self._pool
            hit = {c.id: pool.setdefault(r, r) for c in self.trial.criteria for r in (reads_of(c, self, lookback),)}
            self._reads[lookback] = hit
        return hit


@lru_cache(maxsize=4096)
def short_label(text: str) -> str:
    """A criterion's text cut to 90 characters at a word (a pure function of a string: the cache is bounded)."""
    return textwrap.shorten(text, 90, placeholder="…")


__all__ = ["CompiledTrial", "short_label"]
