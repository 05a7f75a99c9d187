"""R5 EvidenceVariable <-> R6 Group (EBM StudyEligibilityCriteria, FHIR 6.0.0-ballot).

The Group is the standard's newer home for eligibility; the engine reads EvidenceVariables, so a Group
is converted on load. What one side cannot express is carried in an extension and reported as a
warning, never dropped; a Group form the engine cannot read becomes a manual line (a person decides),
never a silently looser rule.
"""

from __future__ import annotations

import copy
import json
from typing import Any

from fhir_eligibility import codes as cs
from fhir_eligibility.errors import DefinitionError

Json = dict[str, Any]
EBM_PROFILE = "http://hl7.org/fhir/uv/ebm/StructureDefinition/study-eligibility-criteria"
EBM_COMBINATION = "http://hl7.org/fhir/uv/ebm/StructureDefinition/combination-method"
EXT = f"{cs.PROJECT}/StructureDefinition"
EXT_LINK = f"{EXT}/characteristic-link-id"
EXT_NOTE = f"{EXT}/characteristic-note"
EXT_MANUAL = f"{EXT}/manual-criterion"
EXT_EVENT_ID = f"{EXT}/timing-event-id"
EXT_R5 = f"{EXT}/r5-characteristic"  # an EvidenceVariable characteristic a Group cannot express (JSON)
EXT_R6 = f"{EXT}/r6-characteristic"  # a Group characteristic an EvidenceVariable cannot express (JSON)
COMBINED = "Defined by combination"
TV_VALUES = ("valueCodeableConcept", "valueBoolean", "valueQuantity", "valueRange", "valueReference")
R6_NATIVE = {"code", "exclude", "description", "method", "offset", "timing", "extension"} | set(TV_VALUES)
R6_NATIVE |= {"instancesQuantity", "instancesRange", "durationDuration", "durationRange", "valueExpression"}
R5_KEYS = {"linkId", "description", "note", "exclude", "extension", "definitionByTypeAndValue", "timeFromEvent"}
R5_KEYS |= {"definitionByCombination", "definitionExpression", "instancesQuantity", "instancesRange"}
R5_KEYS |= {"durationQuantity", "durationRange"}
TV_KEYS = {"type", "method", "offset", "extension", *TV_VALUES}
TIME_KEYS = {"description", "note", "eventCodeableConcept", "eventId", "quantity", "range"}


def _r5_only(ch: Json) -> list[str]:
    """The parts of an EvidenceVariable characteristic with no Group form (carried whole)."""
    out = [k for k in ch if k not in R5_KEYS]
    out += [f"definitionByTypeAndValue.{k}" for k in ch.get("definitionByTypeAndValue") or {} if k not in TV_KEYS]
    out += [
        f"definitionByCombination.{k}"
        for k in ch.get("definitionByCombination") or {}
        if k not in ("code", "threshold", "characteristic")
    ]
    out += [f"timeFromEvent.{k}" for t in ch.get("timeFromEvent") or [] for k in t if k not in TIME_KEYS]
    return out


class Converter:
    """One conversion: the contained Groups it builds and the warnings it collects."""

    def __init__(self) -> None:
        self.contained: list[Json] = []
        self.warnings: list[str] = []

    # ---- R5 -> R6 ---------------------------------------------------------------------------------

    def to_group(self, ch: Json, where: str) -> Json:
        carried = _r5_only(ch)
        if carried:
            self.warnings.append(f"{where}: {', '.join(carried)} has no Group form; carried in extension {EXT_R5}")
            return {
                "extension": [{"url": EXT_R5, "valueString": json.dumps(ch, ensure_ascii=False)}],
                "description": ch.get("description") or "",
                "code": {"text": "Defined by an EvidenceVariable characteristic (see extension)"},
                "valueBoolean": True,
                "exclude": bool(ch.get("exclude")),
            }
        g: Json = {}
        ext = list(ch.get("extension") or [])
        if ch.get("linkId"):
            ext.append({"url": EXT_LINK, "valueString": ch["linkId"]})
        ext += [{"url": EXT_NOTE, "valueAnnotation": n} for n in ch.get("note") or []]
        if "description" in ch:
            g["description"] = ch["description"]
        tv = ch.get("definitionByTypeAndValue")
        comb = ch.get("definitionByCombination")
        if tv is not None:
            g["code"] = tv.get("type") or {}
            for key in ("method", "offset"):
                if key in tv:
                    g[key] = tv[key]
            for key in TV_VALUES:
                if key in tv:
                    g[key] = tv[key]
            ext += list(tv.get("extension") or [])  # input-valueset: urls are unique, it goes back
        elif comb is not None:
            gid = f"c{len(self.contained) + 1}"
            inner: Json = {"resourceType": "Group", "id": gid, "membership": "definitional"}
            self.contained.append(inner)
            inner |= self._combination(comb, f"{where}.definitionByCombination")
            g["code"] = {"text": COMBINED}
            g["valueReference"] = {"reference": f"#{gid}"}
        elif "definitionExpression" in ch:
            g["code"] = {"text": "Defined by expression"}
            g["valueExpression"] = ch["definitionExpression"]
        else:
            g["code"] = {"text": ch.get("description") or "manual criterion"}
            g["valueBoolean"] = True
            ext.append({"url": EXT_MANUAL, "valueBoolean": True})
        for src, dst in (
            ("instancesQuantity", "instancesQuantity"),
            ("instancesRange", "instancesRange"),
            ("durationQuantity", "durationDuration"),
            ("durationRange", "durationRange"),
        ):
            if src in ch:
                g[dst] = ch[src]
        if ch.get("timeFromEvent"):
            g["timing"] = [self._timing(t) for t in ch["timeFromEvent"]]
        g["exclude"] = bool(ch.get("exclude"))
        if ext:
            g["extension"] = ext
        return {k: g[k] for k in sorted(g, key=_order)}

    def _combination(self, comb: Json, where: str) -> Json:
        out: Json = {"combinationMethod": comb.get("code")}
        if "threshold" in comb:
            out["combinationThreshold"] = comb["threshold"]
        kids = comb.get("characteristic") or []
        out["characteristic"] = [self.to_group(k, f"{where}.characteristic[{i}]") for i, k in enumerate(kids)]
        return out

    @staticmethod
    def _timing(t: Json) -> Json:
        rt: Json = {}
        if t.get("description"):
            rt["text"] = t["description"]
        if t.get("eventCodeableConcept"):
            rt["contextCode"] = t["eventCodeableConcept"]
        if t.get("eventId"):
            rt["extension"] = [{"url": EXT_EVENT_ID, "valueString": t["eventId"]}]
        if "quantity" in t:
            rt["offsetDuration"] = t["quantity"]
        if "range" in t:
            rt["offsetRange"] = t["range"]
        for n in t.get("note") or []:
            rt.setdefault("extension", []).append({"url": EXT_NOTE, "valueAnnotation": n})
        return rt

    # ---- R6 -> R5 ---------------------------------------------------------------------------------

    def to_characteristic(
        self, g: Json, where: str, contained: dict[str, Json], depth: int = 0, seen: frozenset[str] = frozenset()
    ) -> Json:
        """``seen``: the contained Groups being expanded above this one; a reference back to one is a
        cycle (3 references back to #c1 grow without end), refused as a definition error."""
        ext = [e for e in g.get("extension") or [] if isinstance(e, dict)]
        for e in ext:
            if e.get("url") == EXT_R5:
                return dict(json.loads(e["valueString"]))
        ch: Json = {}
        link = next((e.get("valueString") for e in ext if e.get("url") == EXT_LINK), None)
        if link:
            ch["linkId"] = link
        if "description" in g:
            ch["description"] = g["description"]
        notes = [e["valueAnnotation"] for e in ext if e.get("url") == EXT_NOTE and "valueAnnotation" in e]
        if notes:
            ch["note"] = notes
        own = [e for e in ext if e.get("url") not in (EXT_LINK, EXT_NOTE, EXT_MANUAL, cs.EXT_INPUT_VS)]
        if own:
            ch["extension"] = own
        if g.get("exclude"):
            ch["exclude"] = True
        problems = self._inexpressible(g, contained)
        if problems or depth > 20:
            self.warnings.append(
                f"{where}: {', '.join(problems) or 'nesting too deep'} has no EvidenceVariable form; "
                f"read as a manual line, carried in extension {EXT_R6}"
            )
            carried = {"url": EXT_R6, "valueString": json.dumps(g, ensure_ascii=False)}
            ch["extension"] = [*ch.get("extension", []), carried]
            why = f"R6 Group form not readable by the engine ({', '.join(problems) or 'nesting too deep'}): manual."
            ch["note"] = [*ch.get("note", []), {"text": why}]
            ch.setdefault("description", str((g.get("code") or {}).get("text") or "criterion"))
            return ch
        ref = (g.get("valueReference") or {}).get("reference", "")
        if (g.get("code") or {}).get("text") == COMBINED and ref.startswith("#"):
            if ref[1:] in seen:
                raise DefinitionError(f"{where}: reference cycle: {ref!r} refers back to a Group that holds it")
            inner = contained[ref[1:]]
            comb: Json = {"code": inner.get("combinationMethod") or _ebm_method(inner)}
            if "combinationThreshold" in inner:
                comb["threshold"] = inner["combinationThreshold"]
            kids = inner.get("characteristic") or []
            comb["characteristic"] = [
                self.to_characteristic(k, f"{where}{ref}.characteristic[{i}]", contained, depth + 1, seen | {ref[1:]})
                for i, k in enumerate(kids)
            ]
            ch["definitionByCombination"] = comb
        elif "valueExpression" in g:
            ch["definitionExpression"] = g["valueExpression"]
        elif not any(e.get("url") == EXT_MANUAL for e in ext):
            tv: Json = {"type": g.get("code") or {}}
            for key in ("method", *TV_VALUES, "offset"):
                if key in g:
                    tv[key] = g[key]
            inputs = [e for e in ext if e.get("url") == cs.EXT_INPUT_VS]
            if inputs:
                tv["extension"] = inputs
            ch["definitionByTypeAndValue"] = tv
        for src, dst in (
            ("instancesQuantity", "instancesQuantity"),
            ("instancesRange", "instancesRange"),
            ("durationDuration", "durationQuantity"),
            ("durationRange", "durationRange"),
        ):
            if src in g:
                ch[dst] = g[src]
        if g.get("timing"):
            ch["timeFromEvent"] = [_time_from_event(t) for t in g["timing"]]
        return ch

    @staticmethod
    def _inexpressible(g: Json, contained: dict[str, Json]) -> list[str]:
        """The R6 elements of one characteristic an EvidenceVariable (as the engine reads it) cannot hold."""
        out = sorted(k for k in g if k not in R6_NATIVE and k not in ("id", "modifierExtension"))
        out += [
            f"timing.{k}" for t in g.get("timing") or [] for k in t if k in ("contextReference", "contextDefinition")
        ]
        out += [f"timing.{k}" for t in g.get("timing") or [] for k in t if k == "contextPath"]
        ref = (g.get("valueReference") or {}).get("reference", "")
        if (g.get("code") or {}).get("text") == COMBINED:
            inner = contained.get(ref[1:]) if ref.startswith("#") else None
            if inner is None:
                out.append(f"combination reference {ref!r} (not a contained Group)")
            elif (inner.get("combinationMethod") or _ebm_method(inner)) == "except-subset":
                out.append("combinationMethod except-subset")
        return out


def _ebm_method(group: Json) -> str | None:
    """The EBM IG's R5 form: combinationMethod as an extension on the Group."""
    for e in group.get("extension") or []:
        if e.get("url") == EBM_COMBINATION:
            return str(e.get("valueCode"))
    return None


def _time_from_event(rt: Json) -> Json:
    t: Json = {}
    for e in rt.get("extension") or []:
        if e.get("url") == EXT_EVENT_ID:
            t["eventId"] = e["valueString"]
    if rt.get("text"):
        t["description"] = rt["text"]
    notes = [e["valueAnnotation"] for e in rt.get("extension") or [] if e.get("url") == EXT_NOTE]
    if notes:
        t["note"] = notes
    if rt.get("contextCode"):
        t["eventCodeableConcept"] = rt["contextCode"]
    if "offsetDuration" in rt:
        t["quantity"] = rt["offsetDuration"]
    if "offsetRange" in rt:
        t["range"] = rt["offsetRange"]
    return t


ORDER = ["extension", "description", "code", *TV_VALUES, "valueExpression", "method", "offset", "exclude"]


def _order(key: str) -> int:
    return ORDER.index(key) if key in ORDER else len(ORDER)


META = ("url", "identifier", "version", "name", "title", "status", "date", "publisher", "description", "note")


def evidence_variable_to_group(ev: Json) -> tuple[Json, list[str]]:
    """(Group, warnings): the R6 StudyEligibilityCriteria form of an eligibility EvidenceVariable."""
    conv = Converter()
    group: Json = {
        "resourceType": "Group",
        "id": str(ev.get("id") or "eligibility"),
        "meta": {"profile": [EBM_PROFILE]},
    }
    for key in META:
        if key in ev:
            group[key] = copy.deepcopy(ev[key])
    if "url" in group:
        group["url"] = str(group["url"]).replace("/EvidenceVariable/", "/Group/")
    group |= {"type": "person", "membership": "definitional", "combinationMethod": "all-of"}
    chs = ev.get("characteristic") or []
    group["characteristic"] = [conv.to_group(ch, f"characteristic[{i}]") for i, ch in enumerate(chs)]
    if conv.contained:
        group["contained"] = conv.contained
    return group, conv.warnings


def group_to_evidence_variable(group: Json) -> tuple[Json, list[str]]:
    """(EvidenceVariable, warnings): what the engine reads from a StudyEligibilityCriteria Group."""
    conv = Converter()
    contained = {str(c.get("id")): c for c in group.get("contained") or [] if isinstance(c, dict)}
    ev: Json = {"resourceType": "EvidenceVariable", "id": str(group.get("id") or "eligibility")}
    for key in META:
        if key in group:
            ev[key] = copy.deepcopy(group[key])
    if "url" in ev:
        ev["url"] = str(ev["url"]).replace("/Group/", "/EvidenceVariable/")
    ev["actual"] = True
    method = group.get("combinationMethod") or _ebm_method(group) or "all-of"
    chs = [
        conv.to_characteristic(g, f"characteristic[{i}]", contained)
        for i, g in enumerate(group.get("characteristic") or [])
    ]
    if method != "all-of":  # top level of an EvidenceVariable is all-of: wrap the rest in one combination
        comb: Json = {"code": method, "characteristic": chs}
        if "combinationThreshold" in group:
            comb["threshold"] = group["combinationThreshold"]
        chs = [
            {
                "linkId": "group",
                "description": f"{method} of the Group's characteristics",
                "definitionByCombination": comb,
            }
        ]
        conv.warnings.append(f"top-level combinationMethod {method}: read as one combined criterion")
    ev["characteristic"] = chs
    return ev, conv.warnings
