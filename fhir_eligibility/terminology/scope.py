"""The code system of a ConceptMap group that names none (``group.source`` is optional in R4 and R5).

FHIR R4 ``ConceptMap.group.source``: not needed "if the source value set is specified and it contains
concepts from only a single system". The map's source scope (R4/R4B ``sourceUri``/``sourceCanonical``,
R5 ``sourceScopeUri``/``sourceScopeCanonical``) is a value set url; it settles the system only when
the terminology files say what it is: a CodeSystem (its ``url``, or its ``valueSet``, the value set of
all its codes) or a ValueSet whose codes are of one system. Anything else would be a guess (an
element has no system of its own in R4 or R5), so it is a located error, never a system made up.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from fhir_eligibility.codes import norm_system

Json = dict[str, Any]
SCOPE_KEYS = ("sourceUri", "sourceCanonical", "sourceScopeUri", "sourceScopeCanonical")


def _canonical(value: object) -> str:
    return str(value or "").split("|")[0] if isinstance(value, str) else ""


@dataclass(frozen=True)
class Scopes:
    """The CodeSystems and ValueSets of the site's terminology files that a map's source scope may name."""

    code_systems: dict[str, str]  # CodeSystem.url or CodeSystem.valueSet -> the code system url
    value_sets: dict[str, Json]
    named: frozenset[str]  # value set urls some map names as its source scope: the site's codes, no addition

    @classmethod
    def of(cls, resources: Iterable[tuple[str, Json]]) -> Scopes:
        code_systems: dict[str, str] = {}
        value_sets: dict[str, Json] = {}
        scopes: set[str] = set()
        for _file, res in resources:
            url = _canonical(res.get("url"))
            match res.get("resourceType"):
                case "CodeSystem" if url:
                    code_systems[url] = url
                    if _canonical(res.get("valueSet")):
                        code_systems[_canonical(res.get("valueSet"))] = url
                case "ValueSet" if url:
                    value_sets[url] = res
                case "ConceptMap":
                    scopes.add(scope(res))
        return cls(code_systems, value_sets, frozenset(scopes & set(value_sets)))

    def system(self, cm: Json) -> tuple[str, str]:
        """(the code system, "") the map's source scope settles, or ("", why not)."""
        name = scope(cm)
        if not name:
            return "", "give group.source (the code system of the site's codes): no sourceUri/sourceScope either"
        if name in self.code_systems:
            return self.code_systems[name], ""
        vs = self.value_sets.get(name)
        if vs is None:
            why = "is not a CodeSystem or ValueSet of the terminology files"
            return "", f"give group.source: the map's source scope {name!r} {why}"
        systems = _systems(vs)
        if systems is not None and len(systems) == 1:
            return next(iter(systems.values())), ""
        held = "codes of other value sets" if systems is None else f"{len(systems)} code systems"
        return "", f"give group.source: the map's source scope {name!r} holds {held}"


def scope(cm: Json) -> str:
    """The map's source scope url (R4/R4B ``source[x]``, R5 ``sourceScope[x]``), "" when none."""
    return next((_canonical(cm.get(k)) for k in SCOPE_KEYS if _canonical(cm.get(k))), "")


def _systems(vs: Json) -> dict[str, str] | None:
    """The code systems of a value set's includes and expansion (as matched -> as written); None when
    an include names other value sets, whose systems the files may not say."""
    out: dict[str, str] = {}
    compose, expansion = vs.get("compose") or {}, vs.get("expansion") or {}
    if not isinstance(compose, dict) or not isinstance(expansion, dict):
        return None
    for inc in compose.get("include") or []:
        if not isinstance(inc, dict) or not isinstance(inc.get("system"), str) or inc.get("valueSet"):
            return None
        out.setdefault(norm_system(inc["system"]), inc["system"])
    todo = list(expansion.get("contains") or [])
    while todo:
        item = todo.pop()
        if isinstance(item, dict):
            todo.extend(item.get("contains") or [])
            if isinstance(item.get("system"), str):
                out.setdefault(norm_system(item["system"]), item["system"])
    return out


__all__ = ["Scopes", "scope"]
