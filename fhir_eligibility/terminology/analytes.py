"""Which codes name different lab tests, as the criteria read them: one result coded as two tests proves neither.

Why: in FHIR every coding of one ``code`` names the same concept. A result coded both ALT (1742-6) and
AST (1920-8), or LOINC haemoglobin and a site code mapped to platelets, contradicts itself; read as
both, one value would decide two criteria (an ALT of 30 U/L passing the AST limit). Such a result's
value is invalid (clinical.md §0.16: contradictory data is unknown, never a decisive pass or fail), with
a warning naming it (terminology.evidence marks it, evaluation.observed sets its value aside). It follows
the product's rule for an invalid value (evaluation.values): a valid result of either test as recent or
newer decides; when it is the most recent, the latest value is not known and the criterion is unknown.

"Different tests" is told from the criteria's own measurement code sets (after site maps): two codes
differ when each is in a set the other is not in (ALT's set and AST's). A LOINC code and its variants in
one value set (718-7 and 30313-1), a LOINC code with a site code mapped to it, and a code no criterion
reads are one test. So are two codes of one analyte in the product's analyte table
(measures.analytes), and site codes mapped to them, though different criteria read them: trial E reads
24-h urine 5-HIAA by mass (1695-6) in one leaf and by moles (14573-0) in another, and a laboratory coding
its result with both reports one 5-HIAA, never two tests. A site map giving one site code two such
targets is refused (terminology.site).
"""

from __future__ import annotations

from collections.abc import Iterable

from fhir_eligibility.codes import Code
from fhir_eligibility.criteria.model import ObservationValue, Trial
from fhir_eligibility.measures.analytes import LOINC_SYSTEM, analyte_for_code


class Analytes:
    """Each code's measurement code sets (by number), and per distinct code set whether it names two tests."""

    def __init__(self, trials: Iterable[Trial]) -> None:
        trials = list(trials)
        ids: dict[frozenset[Code], int] = {}
        for t in trials:
            for top in t.criteria:
                for n in top.walk():
                    d = n.definition
                    if isinstance(d, ObservationValue) and d.codes:
                        ids.setdefault(d.codes, len(ids))
        sets: dict[Code, set[int]] = {}
        for codes, i in ids.items():
            for c in codes:
                sets.setdefault(c, set()).add(i)
        self.sets = {c: frozenset(s) for c, s in sets.items()}
        # the analyte of each read code (measures.analytes; a site code: its targets', when they have one):
        # two codes of one analyte are one test whatever sets read them (5-HIAA 1695-6 and 14573-0)
        named: dict[Code, set[str | None]] = {c: {a} for c in sets if (a := analyte_for_code(*c)) is not None}
        for t in trials:
            for m in t.mappings:
                if m.source in sets and m.source[0] != LOINC_SYSTEM:
                    named.setdefault(m.source, set()).add(analyte_for_code(*m.target))
        self.analyte = {c: a.pop() for c, a in named.items() if len(a) == 1 and None not in a}
        # one answer per distinct code set: a population codes its results a few ways (screening speed)
        self._seen: dict[frozenset[Code], tuple[Code, Code] | None] = {}

    def conflict(self, codes: frozenset[Code]) -> tuple[Code, Code] | None:
        """Two of the codes that name different tests (each read in a code set the other is not in), if any."""
        if codes in self._seen:
            return self._seen[codes]
        read = sorted((c, self.sets[c], self.analyte.get(c)) for c in codes if c in self.sets)
        found = next(
            (
                (a, b)
                for i, (a, sa, xa) in enumerate(read)
                for b, sb, xb in read[i + 1 :]
                if not sa <= sb and not sb <= sa and (xa is None or xa != xb)
            ),
            None,
        )
        self._seen[codes] = found
        return found


# the last trial lists seen, held so their ids stay theirs: an index is built once per run, not per patient
_BUILT: list[tuple[tuple[Trial, ...], Analytes]] = []


def analytes_of(trials: Iterable[Trial]) -> Analytes:
    """The index for these trials (the same list of trials: the same index)."""
    key = tuple(trials)
    for seen, index in _BUILT:
        if len(seen) == len(key) and all(a is b for a, b in zip(seen, key, strict=True)):
            return index
    index = Analytes(key)
    _BUILT.insert(0, (key, index))
    del _BUILT[4:]
    return index


__all__ = ["Analytes", "analytes_of"]
