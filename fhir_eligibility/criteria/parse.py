"""R5 EvidenceVariable characteristics -> immutable :class:`Criterion` trees (docs/encoding.md).

A form the engine cannot interpret becomes an :class:`Unsupported` node (evaluated UNKNOWN with
its reason), never a silent pass. Structural problems are collected by ``criteria.validate``.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, assert_never

from fhir_eligibility import codes as cs
from fhir_eligibility.codes import Code, codings
from fhir_eligibility.criteria.model import (
    Age,
    CodedTest,
    Combination,
    CountTest,
    Criterion,
    Definition,
    Derived,
    Expression,
    Gender,
    Manual,
    ObservationValue,
    PresentTest,
    QuantityTest,
    RangeTest,
    Records,
    Threshold,
    TimeOffset,
    Unsupported,
    ValueTest,
    Window,
    coded_values,
)
from fhir_eligibility.errors import DefinitionError
from fhir_eligibility.measures.concepts import DERIVED  # the derived-value registry
from fhir_eligibility.terminology.answers import answers

Json = dict[str, Any]
Resolver = Callable[[str], Json | None]

AGE_CODE = (cs.SNOMED, "397669002")
GENDER_CODE = (cs.SNOMED, "263495000")
CODEABLE_CONCEPT_TYPES = (
    "Condition",
    "MedicationAdministration",
    "MedicationDispense",
    "MedicationRequest",
    "MedicationStatement",
    "Observation",
    "Procedure",
)
RECORD_TYPES = {
    "Condition",
    "Procedure",
    "MedicationAdministration",
    "MedicationStatement",
    "AllergyIntolerance",
    "DiagnosticReport",
    "ImagingStudy",
    "Observation",
}
DEFINITION_KEYS = (
    "definitionReference",
    "definitionCanonical",
    "definitionCodeableConcept",
    "definitionId",
    "definitionByTypeAndValue",
    "definitionByCombination",
)
COMPARATORS = {"<", "<=", ">=", ">"}
TIME_UNITS = {"d", "wk", "mo", "a", "h", "min", "s"}  # UCUM time codes a window offset may use
COMBINATIONS = {"all-of", "any-of", "at-least", "at-most"}


def valueset_codes(vs: Json, resolve: Resolver, _seen: frozenset[str] = frozenset()) -> frozenset[Code]:
    """Codes of a ValueSet: its expansion plus compose concept lists (included value sets too)."""
    out: set[Code] = set()

    def walk(contains: list[Json]) -> None:
        for c in contains:
            n = cs.norm_code(c.get("system"), c.get("code"))
            if n:
                out.add(n)
            walk(c.get("contains") or [])

    walk((vs.get("expansion") or {}).get("contains") or [])
    for inc in (vs.get("compose") or {}).get("include") or []:
        for concept in inc.get("concept") or []:
            n = cs.norm_code(inc.get("system"), concept.get("code"))
            if n:
                out.add(n)
        for ref in inc.get("valueSet") or []:
            if ref in _seen:
                continue
            target = resolve(ref)
            if target is not None:
                out |= valueset_codes(target, resolve, _seen | {ref})
    for exc in (vs.get("compose") or {}).get("exclude") or []:
        for concept in exc.get("concept") or []:
            n = cs.norm_code(exc.get("system"), concept.get("code"))
            if n:
                out.discard(n)
    return frozenset(out)


def _offset(q: Json | None, where: str = "timeFromEvent") -> TimeOffset | None:
    """A window bound; a time unit that is not a UCUM time code is refused (``yr`` was read as days)."""
    if not q or q.get("value") is None:
        return None
    unit = str(q.get("code") or q.get("unit") or "d")
    if unit not in TIME_UNITS:
        raise DefinitionError(f"{where}: time unit {unit!r} is not one of {', '.join(sorted(TIME_UNITS))} (UCUM)")
    return TimeOffset(float(q["value"]), unit)


def _threshold(q: Json | None) -> Threshold | None:
    if not q or q.get("value") is None:
        return None
    unit = q.get("code") if q.get("system") in (None, cs.UCUM) else None
    return Threshold(float(q["value"]), unit)


def parse_windows(ch: Json) -> tuple[Window, ...]:
    """The characteristic's windows; a bound the engine would misread (a time unit it does not know, a
    quantity comparator other than < <= >= >) is a DefinitionError naming the characteristic."""
    out = []
    name = ch.get("linkId") or ch.get("description") or "characteristic"
    for i, tfe in enumerate(ch.get("timeFromEvent") or []):
        where = f"characteristic {name} timeFromEvent[{i}]"
        anchor = "study-start"
        if tfe.get("eventId"):
            anchor = str(tfe["eventId"])
        elif tfe.get("eventCodeableConcept"):
            evs = codings(tfe["eventCodeableConcept"])
            anchor = next((c for s, c in evs if s == cs.EV_EVENT), "study-start")
        if tfe.get("range"):
            r = tfe["range"]
            marked = _ext(tfe, cs.EXT_DEFAULT_LOOKBACK)
            lookback = marked is not None and marked.get("valueBoolean") is True
            low, high = _offset(r.get("low"), where), _offset(r.get("high"), where)
            out.append(Window(anchor, low, high, lookback=lookback))
        elif tfe.get("quantity"):
            q = tfe["quantity"]
            off = _offset(q, where)
            comp = q.get("comparator")
            if comp is not None and comp not in COMPARATORS:  # 'ad' (sufficient to achieve) is no window
                raise DefinitionError(f"{where}: quantity comparator {comp!r} is not < <= >= > (or none: that day)")
            if comp in ("<", "<="):
                out.append(Window(anchor, None, off, high_strict=comp == "<"))
            elif comp in (">", ">="):
                out.append(Window(anchor, off, None, low_strict=comp == ">"))
            else:
                out.append(Window(anchor, off, off))
        else:
            out.append(Window(anchor, None, TimeOffset(0, "d")))
    return tuple(out)


def _count(q: Json | None, r: Json | None) -> CountTest | None:
    if q and q.get("value") is not None:
        return CountTest(q.get("comparator"), float(q["value"]), unit=q.get("code"))
    if r:
        lo, hi = r.get("low") or {}, r.get("high") or {}
        return CountTest(
            None,
            None,
            float(lo["value"]) if lo.get("value") is not None else None,
            float(hi["value"]) if hi.get("value") is not None else None,
            unit=lo.get("code") or hi.get("code"),
        )
    return None


def _ext(element: Json, url: str) -> Json | None:
    for e in element.get("extension") or []:
        if e.get("url") == url:
            return dict(e)
    return None


class Parser:
    """Parses the characteristics of one EvidenceVariable; ``resolve`` finds referenced resources."""

    def __init__(self, resolve: Resolver) -> None:
        self.resolve = resolve

    def characteristic(self, ch: Json, path: str, depth: int = 0, seen: frozenset[int] = frozenset()) -> Criterion:
        """``seen``: the EvidenceVariables being expanded above this one (by identity), so a reference
        back to one of them is a cycle, refused at once rather than expanded 20 levels deep (3^20 nodes)."""
        cid = str(ch.get("linkId") or path)
        judgement = bool((_ext(ch, cs.EXT_JUDGEMENT) or {}).get("valueBoolean"))
        notes = tuple(str(n.get("text")) for n in ch.get("note") or [] if n.get("text"))
        return Criterion(
            id=cid,
            description=str(ch.get("description") or ""),
            definition=self.definition(ch, path, depth, seen),
            exclude=bool(ch.get("exclude")),
            judgement=judgement,
            windows=parse_windows(ch),
            notes=notes,
        )

    def definition(self, ch: Json, path: str, depth: int, seen: frozenset[int] = frozenset()) -> Definition:
        present = [k for k in DEFINITION_KEYS if k in ch]
        if len(present) > 1:
            return Unsupported(f"more than one definition element ({', '.join(present)}), invariant evv-1")
        if depth > 20:
            return Unsupported("definitions nested too deeply (reference cycle?)")
        if not present:
            if ch.get("definitionExpression"):
                expr = ch["definitionExpression"]
                return Expression(str(expr.get("expression") or ""), str(expr.get("language") or ""))
            return Manual()
        key = present[0]
        value = ch[key]
        if key == "definitionByCombination":
            return self.combination(value, path, depth, seen, name=str(ch.get("linkId") or path))
        if key == "definitionByTypeAndValue":
            return self.type_and_value(value, ch)
        if key == "definitionCodeableConcept":
            if not value.get("coding"):
                return Manual()
            # a drug code is read where a definitionByTypeAndValue drug criterion reads it (statements,
            # orders, dispenses too): an active MedicationStatement is never "none recorded"
            return Records(CODEABLE_CONCEPT_TYPES, codings(value))
        if key in ("definitionCanonical", "definitionReference"):
            ref = value if isinstance(value, str) else value.get("reference", "")
            target = self.resolve(ref)
            if target is None or target.get("resourceType") != "EvidenceVariable":
                return Unsupported(f"reference {ref!r} does not resolve to an EvidenceVariable")
            if id(target) in seen:
                raise DefinitionError(f"{path}: reference cycle: {ref!r} refers back to a definition that holds it")
            children = tuple(
                self.characteristic(c, f"{path}/{ref}[{i}]", depth + 1, seen | {id(target)})
                for i, c in enumerate(target.get("characteristic") or [])
            )
            return Combination("all-of", None, children)
        return Unsupported(f"{key} is resolved by the trial loader")  # definitionId, see loader

    def combination(
        self, comb: Json, path: str, depth: int, seen: frozenset[int] = frozenset(), name: str = ""
    ) -> Definition:
        """``name``: the characteristic's linkId (else its path), as a refusal names it."""
        code = comb.get("code")
        if code not in COMBINATIONS:
            return Unsupported(f"combination code {code!r} is not interpretable")
        threshold = comb.get("threshold")
        if code in ("at-least", "at-most") and not isinstance(threshold, int):
            return Unsupported(f"{code} needs a threshold")
        raw = comb.get("characteristic") or []
        children = tuple(self.characteristic(c, f"{path}.{i}", depth + 1, seen) for i, c in enumerate(raw))
        if not children:
            return Unsupported("combination without characteristics")
        marked = _ext(comb, cs.EXT_SAME_RECORD)
        same_record = marked is not None and marked.get("valueBoolean") is True
        why = _not_one_record(str(code), raw, children) if same_record else None
        if why:
            raise DefinitionError(
                f"characteristic {name or path}: extension {cs.EXT_SAME_RECORD} is read on an all-of of record "
                f"leaves only; {why}"
            )
        return Combination(str(code), threshold, children, same_record)

    def value_test(self, d: Json) -> ValueTest | Unsupported:
        offset = None
        if d.get("offset"):
            offs = codings(d["offset"])
            offset = next((c for s, c in offs if s == cs.OFFSET), None)
            if offset not in ("UNL", "LNL"):
                return Unsupported("offset must be UNL or LNL")
        if "valueQuantity" in d:
            q = d["valueQuantity"]
            comp = q.get("comparator")
            if comp is not None and comp not in COMPARATORS:
                return Unsupported(f"comparator {comp!r} is not interpretable")
            thr = _threshold(q)
            if thr is None:
                return Unsupported("valueQuantity without a value")
            alt = _ext(q, cs.EXT_ALT_THRESHOLD)
            ratio = offset is not None and thr.unit in ("1", None)
            return QuantityTest(
                comp,
                thr,
                offset=offset,
                ratio=ratio,
                alternate=_threshold(alt.get("valueQuantity")) if alt else None,
            )
        if "valueRange" in d:
            r = d["valueRange"]
            lo, hi = _threshold(r.get("low")), _threshold(r.get("high"))
            if lo is None and hi is None:
                return Unsupported("valueRange without bounds")
            bound = lo or hi
            unit = bound.unit if bound is not None else None
            return RangeTest(lo, hi, offset=offset, ratio=offset is not None and unit in ("1", None))
        if "valueCodeableConcept" in d:
            return CodedTest(*answers(codings(d["valueCodeableConcept"])))
        if "valueReference" in d:
            ref = d["valueReference"].get("reference", "")
            vs = self.resolve(ref)
            if vs is None or vs.get("resourceType") != "ValueSet":
                return Unsupported(f"valueReference {ref!r} does not resolve to a ValueSet")
            return CodedTest(*answers(valueset_codes(vs, self.resolve)))
        if "valueBoolean" in d:
            if d["valueBoolean"] is not True:
                return Unsupported("valueBoolean false: use exclude instead")
            return PresentTest()
        return Unsupported("definitionByTypeAndValue without an interpretable value[x]")

    def type_and_value(self, d: Json, ch: Json) -> Definition:
        type_codes = codings(d.get("type") or {})
        methods = frozenset(c for s, c in (x for m in d.get("method") or [] for x in codings(m)) if s == cs.PROJECT_CS)
        test = self.value_test(d)
        if isinstance(test, Unsupported):
            return test
        label = str((d.get("type") or {}).get("text") or "")
        fhir_types = tuple(sorted(c for s, c in type_codes if s == cs.FHIR_TYPES))
        project = [c for s, c in type_codes if s == cs.PROJECT_CS]
        instances = _count(ch.get("instancesQuantity"), ch.get("instancesRange"))
        duration = _count(ch.get("durationQuantity"), ch.get("durationRange"))
        if AGE_CODE in type_codes:
            _not_counted(ch, "an age", instances=True, duration=True)
            return Age(test)
        if GENDER_CODE in type_codes:
            _not_counted(ch, "a sex", instances=True, duration=True)
            return Gender(frozenset(c for s, c in coded_values(test) if s == cs.GENDER))
        if fhir_types:
            unknown = [t for t in fhir_types if t not in RECORD_TYPES]
            if unknown:
                return Unsupported(f"record type(s) {', '.join(unknown)} are not interpretable")
            match test:
                case CodedTest() | PresentTest():
                    pass
                case QuantityTest() | RangeTest():
                    return Unsupported("presence of records needs a coded value or value set")
                case _:
                    assert_never(test)
            types = set(fhir_types)
            if "MedicationAdministration" in types:
                types.add("MedicationStatement")
            if types & {"MedicationAdministration", "MedicationStatement"}:
                # orders and dispenses: what many sites hold of oral drugs (forms.records reads them
                # only where administrations and statements are silent)
                types |= {"MedicationRequest", "MedicationDispense"}
            return Records(tuple(sorted(types)), coded_values(test), methods, instances, duration, label)
        if project and project[0] in DERIVED:
            concept = project[0]
            inputs: frozenset[Code] = frozenset()
            ext = _ext(d, cs.EXT_INPUT_VS)
            if ext:
                ref = (ext.get("valueReference") or {}).get("reference") or ext.get("valueCanonical") or ""
                vs = self.resolve(ref)
                if vs is None:
                    return Unsupported(f"input value set {ref!r} does not resolve")
                inputs = valueset_codes(vs, self.resolve)
            _not_counted(ch, "a derived value", instances=True, duration=True)
            return Derived(concept, test, methods, inputs)
        # Any other coding (LOINC, or a local code where no standard one exists) names an observation.
        obs_codes = frozenset(c for c in type_codes if c not in (AGE_CODE, GENDER_CODE))
        if not obs_codes:
            return Unsupported("definitionByTypeAndValue.type has no interpretable coding")
        _not_counted(ch, "a measurement", instances="rising-series" not in methods, duration=True)
        return ObservationValue(obs_codes, test, methods, instances, label)


def _not_counted(ch: Json, what: str, *, instances: bool, duration: bool) -> None:
    """A count or duration the engine does not evaluate on this leaf is refused, never ignored: "Hb > 8
    in at least 2 results" read as "the latest Hb > 8" would pass a patient the protocol excludes."""
    keys: list[str] = [k for k in ("instancesQuantity", "instancesRange") if instances and k in ch]
    keys += [k for k in ("durationQuantity", "durationRange") if duration and k in ch]
    if keys:
        name = ch.get("linkId") or ch.get("description") or "characteristic"
        raise DefinitionError(
            f"{', '.join(keys)} on characteristic {name} ({what}) is not evaluated, so it is refused (counts and "
            "durations are read on records of drugs, procedures, conditions; a measurement's count only with "
            "method rising-series)"
        )


def _not_one_record(code: str, raw: list[Json], children: tuple[Criterion, ...]) -> str | None:
    """Why the same-record flag cannot be read here (None: it can). It is read on an all-of of plain
    presence leaves only: what "one record meets every leaf" means for a count, a duration, an absence
    (exclude), a review or a nested combination is not defined, so it is refused rather than read in a
    way nobody wrote. An uninterpretable leaf stays (UNKNOWN, never TRUE; validate names it), except a
    definitionId, which the loader makes a combination."""
    if code != "all-of":
        return f"it is {code}"
    for i, (ch, kid) in enumerate(zip(raw, children, strict=True)):
        d = kid.definition
        if kid.exclude or kid.judgement:
            return f"its characteristic {i} is {'excluded' if kid.exclude else 'a judgement'}"
        if isinstance(d, Records) and (d.instances is not None or d.duration is not None):
            return f"its characteristic {i} counts records (instances or duration)"
        if not isinstance(d, (Records, Unsupported)) or "definitionId" in ch:
            return f"its characteristic {i} is not a record leaf (Conditions, Procedures, medications... by code)"
    return None


def resolve_definition_ids(criteria: tuple[Criterion, ...], raw: list[Json]) -> tuple[Criterion, ...]:
    """Replace ``definitionId`` nodes by the characteristic with that linkId (same EV)."""
    by_link = {c.id: c for top in criteria for c in top.walk()}
    raw_by_link: dict[str, Json] = {}

    def index(chs: list[Json]) -> None:
        for ch in chs:
            if ch.get("linkId"):
                raw_by_link[str(ch["linkId"])] = ch
            index((ch.get("definitionByCombination") or {}).get("characteristic") or [])

    index(raw)

    def fix(c: Criterion, raw_ch: Json | None, depth: int = 0) -> Criterion:
        d = c.definition
        if raw_ch is not None and "definitionId" in raw_ch and isinstance(d, Unsupported):
            target = by_link.get(str(raw_ch["definitionId"]))
            if target is None or depth > 10:
                return _replace(c, Unsupported(f"definitionId {raw_ch['definitionId']!r} does not resolve"))
            return _replace(c, Combination("all-of", None, (fix(target, raw_by_link.get(target.id), depth + 1),)))
        if isinstance(d, Combination) and raw_ch is not None:
            kids = (raw_ch.get("definitionByCombination") or {}).get("characteristic") or []
            new = tuple(fix(k, kids[i] if i < len(kids) else None, depth) for i, k in enumerate(d.children))
            return _replace(c, Combination(d.code, d.threshold, new, d.same_record))
        return c

    return tuple(fix(c, raw[i] if i < len(raw) else None) for i, c in enumerate(criteria))


def _replace(c: Criterion, d: Definition) -> Criterion:
    return Criterion(c.id, c.description, d, c.exclude, c.judgement, c.windows, c.notes)
