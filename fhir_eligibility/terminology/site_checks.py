"""What ``validate --terminology`` warns about: site terminology that is valid but does not do what it
seems to, so a site learns it from one command rather than from a patient's verdict.

Each warning is (file, element, message), never patient data:
  a mapping whose target no criterion reads (it adds the site code nowhere);
  a chain, a target that is itself another mapping's source: not followed (A -> B -> C is not A -> C);
  a "may be" mapping (narrower, specializes, source-is-broader-than-target): the criteria whose answer a
  record with it makes unknown rather than a decision, or, on a measurement, that it is not read;
  and what reading found (terminology.site): ``group.unmapped``, suggestions (relatedto, inexact),
  ``dependsOn``/``product`` targets, a ``compose.exclude`` that removes none of the site's codes.
"""

from __future__ import annotations

from fhir_eligibility.codes import Code, display, with_atc_groups
from fhir_eligibility.criteria.model import CodeMapping, Records, Trial
from fhir_eligibility.terminology.relationships import MAYBE
from fhir_eligibility.terminology.site import Problem, SiteTerminology
from fhir_eligibility.terminology.usage import read_codes


def site_warnings(site: SiteTerminology, trials: list[Trial]) -> list[Problem]:
    """The warnings about ``site`` for ``trials`` (compiled without the site's maps: ``apply`` is run here)."""
    applied = site.apply(trials)
    used = {m for t in applied for m in t.mappings}
    read = read_codes(trials)
    every = [*site.mappings, *site.maybe]
    by_source: dict[Code, CodeMapping] = {}
    for m in every:
        by_source.setdefault(m.source, m)
    out = list(site.warnings)
    for m in every:
        file, where = site.where[m]
        link = f"{display(m.source)} -> {display(m.target)}"
        nxt = by_source.get(m.target)
        if nxt is not None and nxt is not m:
            at = ": ".join(site.where[nxt])
            why = f"{display(m.target)} is itself mapped to {display(nxt.target)} ({at}): chains are not followed"
            out.append((file, where, f"{why}, {display(m.source)} does not count as {display(nxt.target)}"))
        elif m in used and m.relationship in MAYBE:
            names = _maybe_criteria(m, applied)
            crits = ", ".join(names[:6]) + (f" and {len(names) - 6} more" if len(names) > 6 else "")
            why = f"{link} is {m.relationship!r}: the site code may mean more than the concept"
            out.append((file, where, f"{why}, so a record with it alone leaves {crits} unknown, never a decision"))
        elif m not in used and m.relationship in MAYBE and with_atc_groups(frozenset({m.target})) & read:
            why = f"{link} is {m.relationship!r} and not read: the criteria reading {display(m.target)} are"
            out.append((file, where, f"{why} measurements, where a broader site code may be another analyte"))
        elif m not in used and not with_atc_groups(frozenset({m.target})) & read:
            out.append((file, where, f"no criterion reads {display(m.target)}: {link} does nothing"))
        elif m not in used:
            out.append((file, where, f"{link} ({m.relationship}) is applied by no criterion"))
    return out


def _maybe_criteria(m: CodeMapping, trials: list[Trial]) -> list[str]:
    """``NCT... criterion`` (as reports name it) of each criterion where the mapping's site code is a
    "may be" of a presence criterion it holds."""
    targets = with_atc_groups(frozenset({m.target}))
    out: dict[str, None] = {}
    for t in trials:
        for top in t.criteria:
            for n in top.walk():
                d = n.definition
                if isinstance(d, Records) and m.source in d.maybe and not targets.isdisjoint(d.codes):
                    out[f"{t.id} {top.id}"] = None
    return list(out)


__all__ = ["site_warnings"]
