"""A site ValueSet's own codes: what its includes, expansion and excludes amount to (terminology.site).

Separate from reading the file because both the checks (what is wrong in an include or exclude) and
the merge into the trial's value set (extend_value_sets) compute the same codes: an exclude removes
from the site's own codes, never the trial's, and an include left with no concept is dropped, never
read as a whole code system.
"""

from __future__ import annotations

from typing import Any

from fhir_eligibility.codes import Code, norm_code, norm_system

Json = dict[str, Any]


def include_problems(inc: Json) -> list[tuple[str, str]]:
    """(where in the include, why) for includes that would be read as fewer or other codes than FHIR
    says: a whole code system, ``valueSet`` not a list of urls, or ``valueSet`` beside codes (their
    intersection). Each was ignored or read in part without a word."""
    refs = inc.get("valueSet")
    if refs is not None and not (isinstance(refs, list) and all(isinstance(r, str) for r in refs)):
        return [(".valueSet", 'valueSet is a list of value set urls (["http://..."])')]
    if refs and (inc.get("system") or inc.get("concept")):
        why = "valueSet beside system/concept means their intersection: give it in an include of its own"
        return [(".valueSet", why)]
    if inc.get("system") and not inc.get("concept") and not inc.get("filter") and not refs:
        system = inc["system"]
        return [
            (
                ".concept",
                f"includes every code of {system}: a whole code system needs a terminology server: list the concepts",
            )
        ]
    return []


def listed_codes(inc: Json) -> list[Code]:
    """The codes an include (or exclude) lists."""
    system = inc.get("system")
    return [c for x in inc.get("concept") or [] if (c := norm_code(system, x.get("code"))) is not None]


def _without_excluded(includes: list[Json], vs: Json) -> list[Json]:
    """The includes less the concepts ``compose.exclude`` lists (or its whole systems); an include left
    with no concept is dropped, never kept as a system without concepts (every code of it)."""
    excludes = [e for e in (vs.get("compose") or {}).get("exclude") or [] if isinstance(e, dict) and e.get("system")]
    if not excludes:
        return includes
    codes = {c for e in excludes for c in listed_codes(e)}
    systems = {norm_system(e["system"]) for e in excludes if not e.get("concept") and not e.get("filter")}
    out = []
    for inc in includes:
        if not inc.get("system") or not inc.get("concept"):
            out.append(inc)
            continue
        if norm_system(inc["system"]) in systems:
            continue
        kept = [x for x in inc["concept"] if norm_code(inc["system"], x.get("code")) not in codes]
        if kept:
            out.append({**inc, "concept": kept})
    return out


def included(vs: Json, excluding: bool = True) -> list[Json]:
    """A site value set's includes: its compose's, and its expansion's codes (what a terminology
    server's ``$expand`` returns) as one include per system, less what ``compose.exclude`` lists."""
    out = list((vs.get("compose") or {}).get("include") or [])
    by_system: dict[str, list[Json]] = {}
    todo = list((vs.get("expansion") or {}).get("contains") or [])
    while todo:
        item = todo.pop(0)
        todo.extend(item.get("contains") or [])  # a hierarchical expansion nests its codes
        if isinstance(item.get("system"), str) and isinstance(item.get("code"), str):
            by_system.setdefault(item["system"], []).append({"code": item["code"]})
    out += [{"system": system, "concept": concepts} for system, concepts in by_system.items()]
    return _without_excluded(out, vs) if excluding else out


__all__ = ["include_problems", "included", "listed_codes"]
