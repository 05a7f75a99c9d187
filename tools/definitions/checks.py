"""Structural checks the R5 models do not enforce (evv-1, required bindings, references)."""

from __future__ import annotations

from typing import Any

from .codesystem import all_codes
from .fhir import EXT_INPUT_VS, FHIR_TYPES, PROJECT_CS

DEF_KEYS = (
    "definitionReference",
    "definitionCanonical",
    "definitionCodeableConcept",
    "definitionId",
    "definitionByTypeAndValue",
    "definitionByCombination",
)
COMPARATORS = {"<", "<=", ">=", ">"}
COMBINATIONS = {"all-of", "any-of", "at-least", "at-most"}
RECORD_TYPES = {
    "Condition",
    "Procedure",
    "MedicationAdministration",
    "AllergyIntolerance",
    "DiagnosticReport",
    "ImagingStudy",
    "Observation",
}
TIME_UNITS = {"d", "wk", "mo", "a", "h"}


def walk(chars: list[dict[str, Any]], depth: int = 0):
    for c in chars:
        yield c, depth
        comb = c.get("definitionByCombination")
        if comb:
            yield from walk(comb.get("characteristic") or [], depth + 1)


def is_computable(c: dict[str, Any]) -> bool:
    present = [k for k in DEF_KEYS if k in c]
    if not present and not c.get("definitionExpression"):
        return False
    if present == ["definitionCodeableConcept"] and not c["definitionCodeableConcept"].get("coding"):
        return False
    if present == ["definitionByCombination"]:
        return any(is_computable(k) for k in c["definitionByCombination"]["characteristic"])
    return True


def check_ev(ev: dict[str, Any], resources: dict[str, dict[str, Any]], errors: list[str]) -> None:
    name = f"EvidenceVariable/{ev['id']}"
    links: dict[str, int] = {}
    for c, _ in walk(ev.get("characteristic") or []):
        if c.get("linkId"):
            links[c["linkId"]] = links.get(c["linkId"], 0) + 1
    for link, n in links.items():
        if n > 1:
            errors.append(f"{name}: linkId {link} used {n} times")
    local_codes = all_codes()

    def quantity(qv: dict[str, Any] | None, where: str, time: bool = False) -> None:
        if not qv:
            return
        if qv.get("comparator") is not None and qv["comparator"] not in COMPARATORS:
            errors.append(f"{where}: comparator {qv['comparator']!r}")
        if time and qv.get("code") not in TIME_UNITS:
            errors.append(f"{where}: time unit {qv.get('code')!r}")

    for c, _depth in walk(ev.get("characteristic") or []):
        where = f"{name} {c.get('linkId') or c.get('description', '')[:50]!r}"
        if not c.get("description"):
            errors.append(f"{where}: no description")
        present = [k for k in DEF_KEYS if k in c]
        if len(present) > 1:
            errors.append(f"{where}: evv-1 violated ({present})")
        comb = c.get("definitionByCombination")
        if comb:
            if comb.get("code") not in COMBINATIONS:
                errors.append(f"{where}: combination code {comb.get('code')!r}")
            if comb.get("code") in ("at-least", "at-most") and not isinstance(comb.get("threshold"), int):
                errors.append(f"{where}: {comb['code']} without threshold")
            if not comb.get("characteristic"):
                errors.append(f"{where}: empty combination")
        if "definitionCanonical" in c and c["definitionCanonical"] not in resources:
            errors.append(f"{where}: definitionCanonical {c['definitionCanonical']} does not resolve")
        if "definitionId" in c and c["definitionId"] not in links:
            errors.append(f"{where}: definitionId {c['definitionId']} does not resolve")
        for tfe in c.get("timeFromEvent") or []:
            if "eventId" in tfe and tfe["eventId"] not in links:
                errors.append(f"{where}: eventId {tfe['eventId']} does not resolve")
            if "range" in tfe:
                quantity(tfe["range"].get("low"), where, True)
                quantity(tfe["range"].get("high"), where, True)
                if not tfe["range"]:
                    errors.append(f"{where}: empty time range")
            quantity(tfe.get("quantity"), where, True)
        quantity(c.get("instancesQuantity"), where)
        quantity(c.get("durationQuantity"), where)
        d = c.get("definitionByTypeAndValue")
        if d:
            values = [k for k in d if k.startswith("value")]
            if len(values) != 1:
                errors.append(f"{where}: value[x] count {len(values)}")
            if d.get("valueBoolean") is False:
                errors.append(f"{where}: valueBoolean false")
            quantity(d.get("valueQuantity"), where)
            if "valueReference" in d and d["valueReference"]["reference"] not in resources:
                errors.append(f"{where}: valueReference {d['valueReference']['reference']} does not resolve")
            for ext in d.get("extension") or []:
                if ext["url"] == EXT_INPUT_VS and ext["valueReference"]["reference"] not in resources:
                    errors.append(f"{where}: input value set does not resolve")
            codings = d["type"].get("coding") or []
            if not codings:
                errors.append(f"{where}: type without coding")
            for cd in codings:
                if cd["system"] == FHIR_TYPES and cd["code"] not in RECORD_TYPES:
                    errors.append(f"{where}: record type {cd['code']}")
                if cd["system"] == PROJECT_CS and cd["code"] not in local_codes:
                    errors.append(f"{where}: local code {cd['code']} not declared")
            for m in d.get("method") or []:
                for cd in m.get("coding") or []:
                    if cd["system"] == PROJECT_CS and cd["code"] not in local_codes:
                        errors.append(f"{where}: method {cd['code']} not declared")
            if d.get("offset"):
                oc = d["offset"]["coding"][0]["code"]
                if oc not in ("UNL", "LNL"):
                    errors.append(f"{where}: offset {oc}")


def check_valueset(vs: dict[str, Any], errors: list[str]) -> None:
    exp = {(c["system"], c["code"]) for c in vs.get("expansion", {}).get("contains", [])}
    comp = {
        (inc["system"], c["code"]) for inc in vs.get("compose", {}).get("include", []) for c in inc.get("concept", [])
    }
    for part in ("include", "exclude"):
        for inc in vs.get("compose", {}).get(part, []):
            if "filter" in inc and "concept" in inc:
                errors.append(f"ValueSet/{vs['id']}: an include has both concept and filter")
            for f in inc.get("filter", []):
                if f.get("property") != "concept" or f.get("op") != "is-a" or not f.get("value"):
                    errors.append(f"ValueSet/{vs['id']}: unsupported filter {f}")
    if not exp:
        errors.append(f"ValueSet/{vs['id']}: empty expansion")
    if exp != comp:
        errors.append(f"ValueSet/{vs['id']}: expansion and compose differ")
    if vs["url"] != f"http://fhir-eligibility.org/fhir/ValueSet/{vs['id']}":
        errors.append(f"ValueSet/{vs['id']}: url {vs['url']}")
    for s, code in exp:
        local = s == PROJECT_CS
        if local and code not in all_codes():
            errors.append(f"ValueSet/{vs['id']}: local code {code} not declared in the CodeSystem")
