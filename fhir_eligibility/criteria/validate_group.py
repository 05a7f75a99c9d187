"""Structural checks of an R6 eligibility Group (EBM StudyEligibilityCriteria, FHIR 6.0.0-ballot).

fhir.resources has R5 models only, and an R5 Group has no ``combinationMethod``, no characteristic
``description`` or ``timing``: checking an R6 Group against it reports the standard's own elements as
errors. These checks cover what the loader relies on instead, each problem with its element path.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from fhir_eligibility.authoring.group import EBM_PROFILE
from fhir_eligibility.criteria.parse import COMPARATORS, valueset_codes

Json = dict[str, Any]
Problems = list[tuple[str, str]]  # (element path, message)

METHODS = {"all-of", "any-of", "at-least", "at-most", "except-subset"}
VALUES = (
    "valueCodeableConcept",
    "valueBoolean",
    "valueQuantity",
    "valueRange",
    "valueReference",
    "valueUri",
    "valueExpression",
)
CHARACTERISTIC = {"id", "extension", "modifierExtension", "code", "exclude", "description", "method", "offset"}
CHARACTERISTIC |= {"determinedByReference", "determinedByExpression", "instancesQuantity", "instancesRange"}
CHARACTERISTIC |= {"durationDuration", "durationRange", "timing", "period", *VALUES}
TIMING = {"id", "extension", "modifierExtension", "contextReference", "contextDefinition", "contextPath"}
TIMING |= {"contextCode", "offsetDuration", "offsetRange", "text"}
TIME_UNITS = {"d", "wk", "mo", "a", "h", "min", "s"}


def is_r6_group(res: Json) -> bool:
    """A Group written in R6 form: the EBM profile, definitional membership or an R6-only element."""
    profiles = (res.get("meta") or {}).get("profile") or []
    chs = [c for c in res.get("characteristic") or [] if isinstance(c, dict)]
    return (
        EBM_PROFILE in profiles
        or res.get("membership") == "definitional"
        or "combinationMethod" in res
        or any("description" in c or "timing" in c for c in chs)
    )


def check_group(
    res: Json, resolve: Callable[[str], Json | None], path: str = "Group", contained: dict[str, Json] | None = None
) -> Problems:
    """Every structural problem of one R6 eligibility Group and its contained Groups (which, like any
    contained resource, reference each other through the container's ``#id``s)."""
    out: Problems = []
    if contained is None:
        contained = {str(c.get("id")): c for c in res.get("contained") or [] if isinstance(c, dict)}
    if path == "Group" and not res.get("type"):
        out.append((f"{path}.type", "missing (Group.type is required)"))
    if res.get("membership") != "definitional":
        out.append((f"{path}.membership", f"{res.get('membership')!r}: eligibility criteria are 'definitional'"))
    method = res.get("combinationMethod")
    if method is not None and method not in METHODS:
        out.append((f"{path}.combinationMethod", f"{method!r} is not {'/'.join(sorted(METHODS))}"))
    if method in ("at-least", "at-most") and not isinstance(res.get("combinationThreshold"), int):
        out.append((f"{path}.combinationThreshold", f"{method} needs an integer threshold"))
    chs = res.get("characteristic")
    if not isinstance(chs, list) or not chs:
        out.append((f"{path}.characteristic", "no characteristic: a definitional Group needs at least one"))
        chs = []
    for i, ch in enumerate(chs):
        where = f"{path}.characteristic[{i}]"
        if not isinstance(ch, dict):
            out.append((where, "not an object"))
            continue
        out += _characteristic(ch, where, contained, resolve)
    for k, c in enumerate(res.get("contained") or []):
        if isinstance(c, dict) and c.get("resourceType") == "Group":
            out += check_group(c, resolve, f"{path}.contained[{k}]", contained)
    return out


def _characteristic(
    ch: Json, where: str, contained: dict[str, Json], resolve: Callable[[str], Json | None]
) -> Problems:
    out: Problems = [(f"{where}.{k}", "not an R6 Group.characteristic element") for k in ch if k not in CHARACTERISTIC]
    code = ch.get("code")
    if not isinstance(code, dict) or not (code.get("coding") or code.get("text")):
        out.append((f"{where}.code", "missing (a coding or text is required)"))
    values = [k for k in VALUES if k in ch]
    if len(values) != 1:
        out.append((f"{where}.value[x]", f"exactly one value[x] is required, found {len(values)}"))
    if not isinstance(ch.get("exclude"), bool):
        out.append((f"{where}.exclude", "missing or not a boolean (required in R6)"))
    comp = (ch.get("valueQuantity") or {}).get("comparator")
    if comp is not None and comp not in COMPARATORS:
        out.append((f"{where}.valueQuantity.comparator", f"{comp!r} is not < <= >= >"))
    ref = (ch.get("valueReference") or {}).get("reference")
    if isinstance(ref, str):
        if ref.startswith("#"):
            if ref[1:] not in contained:
                out.append((f"{where}.valueReference", f"{ref!r} is not a contained resource"))
        else:
            target = resolve(ref)
            if target is None:
                out.append((f"{where}.valueReference", f"{ref!r} does not resolve"))
            elif target.get("resourceType") == "ValueSet" and not valueset_codes(target, resolve):
                out.append((f"{where}.valueReference", f"value set {ref!r} is empty"))
    for j, t in enumerate(ch.get("timing") or []):
        tw = f"{where}.timing[{j}]"
        if not isinstance(t, dict):
            out.append((tw, "not an object"))
            continue
        out += [(f"{tw}.{k}", "not an R6 Group.characteristic.timing element") for k in t if k not in TIMING]
        for key in ("offsetDuration", "offsetRange"):
            for q_path, q in _time_quantities(t.get(key), f"{tw}.{key}"):
                if q.get("code") not in TIME_UNITS:
                    out.append((q_path, f"time unit {q.get('code')!r} is not d/wk/mo/a"))
    return out


def _time_quantities(obj: Any, path: str) -> list[tuple[str, Json]]:
    if not isinstance(obj, dict):
        return []
    if "value" in obj:
        return [(path, obj)]
    return [(f"{path}.{k}", v) for k, v in obj.items() if k in ("low", "high") and isinstance(v, dict)]
