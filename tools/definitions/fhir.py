"""Small builders for the R5 EvidenceVariable characteristic forms of docs/encoding.md.

Every function returns plain JSON-shaped dicts; nothing here knows about a particular trial.
"""

from __future__ import annotations

from typing import Any

Json = dict[str, Any]

BASE = "http://fhir-eligibility.org/fhir"
PROJECT_CS = f"{BASE}/CodeSystem/eligibility"
EXT_JUDGEMENT = f"{BASE}/StructureDefinition/judgement"
EXT_INPUT_VS = f"{BASE}/StructureDefinition/input-valueset"
EXT_ALT = f"{BASE}/StructureDefinition/alternate-threshold"
EXT_SAME_RECORD = f"{BASE}/StructureDefinition/same-record"
UCUM = "http://unitsofmeasure.org"
LOINC = "http://loinc.org"
SNOMED = "http://snomed.info/sct"
ICD10CM = "http://hl7.org/fhir/sid/icd-10-cm"
ICD10 = "http://hl7.org/fhir/sid/icd-10"
ICDO3 = "http://terminology.hl7.org/CodeSystem/icd-o-3"
ATC = "http://www.whocc.no/atc"
RXNORM = "http://www.nlm.nih.gov/research/umls/rxnorm"
HCPCS = "http://www.cms.gov/Medicare/Coding/HCPCSReleaseCodeSets"
CPT = "http://www.ama-assn.org/go/cpt"
ICD10PCS = "http://www.cms.gov/Medicare/Coding/ICD10"  # ICD-10-PCS, as FHIR names it
FHIR_TYPES = "http://hl7.org/fhir/fhir-types"
GENDER = "http://hl7.org/fhir/administrative-gender"
EV_EVENT = "http://hl7.org/fhir/evidence-variable-event"
OFFSET = "http://hl7.org/fhir/characteristic-offset"

UNIT_TEXT = {"d": "days", "wk": "weeks", "mo": "months", "a": "years", "h": "hours"}


def q(value: float, code: str, comparator: str | None = None, unit: str | None = None) -> Json:
    """UCUM Quantity (``code`` is the UCUM code; ``unit`` the human text, defaults to it)."""
    out: Json = {"value": value}
    if comparator:
        out["comparator"] = comparator
    out["unit"] = unit or UNIT_TEXT.get(code, code)
    out["system"] = UCUM
    out["code"] = code
    return out


def study_start() -> Json:
    return {"coding": [{"system": EV_EVENT, "code": "study-start", "display": "Study Start"}]}


def window(
    low: float | None, high: float | None, unit: str = "d", event: str | None = None, description: str | None = None
) -> Json:
    """timeFromEvent with an inclusive range relative to study-start (or linkId ``event``)."""
    tfe: Json = {}
    if description:
        tfe["description"] = description
    if event:
        tfe["eventId"] = event
    else:
        tfe["eventCodeableConcept"] = study_start()
    rng: Json = {}
    if low is not None:
        rng["low"] = q(low, unit)
    if high is not None:
        rng["high"] = q(high, unit)
    tfe["range"] = rng
    return tfe


def within(n: float, unit: str = "d") -> list[Json]:
    """[T0 - n unit, T0]."""
    return [window(-n, 0, unit)]


def before() -> list[Json]:
    """Any time up to T0."""
    return [window(None, 0, "d")]


def coding(system: str, code: str, display: str | None = None) -> Json:
    out: Json = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def cc(*codings: Json, text: str | None = None) -> Json:
    out: Json = {}
    if codings:
        out["coding"] = list(codings)
    if text:
        out["text"] = text
    return out


def local(code: str, display: str | None = None) -> Json:
    return coding(PROJECT_CS, code, display)


def method(code: str) -> Json:
    return cc(local(code))


# ---- characteristics ------------------------------------------------------------------------


def ch(
    description: str,
    *,
    link: str | None = None,
    exclude: bool = False,
    note: str | list[str] | None = None,
    judgement: bool = False,
    tfe: list[Json] | None = None,
    **definition: Any,
) -> Json:
    """One characteristic. ``definition`` holds exactly one definition* element (+ instances etc.)."""
    out: Json = {}
    if judgement:
        out["extension"] = [{"url": EXT_JUDGEMENT, "valueBoolean": True}]
    if link:
        out["linkId"] = link
    out["description"] = description
    if note:
        notes = [note] if isinstance(note, str) else note
        out["note"] = [{"text": n} for n in notes]
    if exclude:
        out["exclude"] = True
    out.update(definition)
    if tfe:
        out["timeFromEvent"] = tfe
    return out


def manual(description: str, **kw: Any) -> Json:
    """Only a person can attest: a characteristic with a description and no definition element."""
    return ch(description, **kw)


def all_of(description: str, children: list[Json], **kw: Any) -> Json:
    return ch(description, definitionByCombination={"code": "all-of", "characteristic": children}, **kw)


def any_of(description: str, children: list[Json], **kw: Any) -> Json:
    return ch(description, definitionByCombination={"code": "any-of", "characteristic": children}, **kw)


def obs_type(codes: list[tuple[str, str]], text: str | None = None) -> Json:
    return cc(*(coding(s or LOINC, c, d) for s, c, d in _norm(codes)), text=text)


def _norm(codes: list[Any]) -> list[tuple[str, str, str | None]]:
    out = []
    for item in codes:
        if len(item) == 2:
            out.append(("", item[0], item[1]))
        else:
            out.append(tuple(item))
    return out


def obs(
    description: str,
    codes: list[Any],
    comparator: str,
    value: float,
    unit: str,
    *,
    offset: str | None = None,
    alt: tuple[float, str] | None = None,
    unit_text: str | None = None,
    label: str | None = None,
    **kw: Any,
) -> Json:
    """Observation value compared with a threshold (``unit`` UCUM; ``1`` with an offset = x ULN)."""
    vq = q(value, unit, comparator, unit_text)
    if alt:
        vq = {"extension": [{"url": EXT_ALT, "valueQuantity": q(alt[0], alt[1])}], **vq}
    d: Json = {"type": obs_type(codes, label), "valueQuantity": vq}
    if offset:
        d["offset"] = cc(coding(OFFSET, offset, {"UNL": "Upper normal limit", "LNL": "Lower normal limit"}[offset]))
    return ch(description, definitionByTypeAndValue=d, **kw)


def obs_range(
    description: str,
    codes: list[Any],
    low: float | None,
    high: float | None,
    unit: str,
    label: str | None = None,
    **kw: Any,
) -> Json:
    rng: Json = {}
    if low is not None:
        rng["low"] = q(low, unit)
    if high is not None:
        rng["high"] = q(high, unit)
    return ch(description, definitionByTypeAndValue={"type": obs_type(codes, label), "valueRange": rng}, **kw)


def obs_coded(description: str, codes: list[Any], values: list[Json], label: str | None = None, **kw: Any) -> Json:
    vals = [v if isinstance(v, dict) else coding(*v) for v in values]
    return ch(
        description, definitionByTypeAndValue={"type": obs_type(codes, label), "valueCodeableConcept": cc(*vals)}, **kw
    )


def obs_present(description: str, codes: list[Any], label: str | None = None, **kw: Any) -> Json:
    return ch(description, definitionByTypeAndValue={"type": obs_type(codes, label), "valueBoolean": True}, **kw)


def obs_rising(description: str, codes: list[Any], n: int, label: str | None = None, **kw: Any) -> Json:
    d = {"type": obs_type(codes, label), "method": [method("rising-series")], "valueBoolean": True}
    return ch(description, definitionByTypeAndValue=d, instancesQuantity={"value": n}, **kw)


def age(description: str, comparator: str, years: float, **kw: Any) -> Json:
    d = {"type": cc(coding(SNOMED, "397669002", "Age")), "valueQuantity": q(years, "a", comparator)}
    return ch(description, definitionByTypeAndValue=d, **kw)


def gender(description: str, code: str, **kw: Any) -> Json:
    d = {
        "type": cc(coding(SNOMED, "263495000", "Gender")),
        "valueCodeableConcept": cc(coding(GENDER, code, code.capitalize())),
    }
    return ch(description, definitionByTypeAndValue=d, **kw)


RECORD_DISPLAY = {
    "Condition": "Condition",
    "Procedure": "Procedure",
    "MedicationAdministration": "MedicationAdministration",
    "AllergyIntolerance": "AllergyIntolerance",
    "DiagnosticReport": "DiagnosticReport",
    "ImagingStudy": "ImagingStudy",
    "Observation": "Observation",
}


def records(
    description: str,
    types: list[str],
    valueset: str,
    *,
    methods: list[str] | None = None,
    instances: Json | None = None,
    instances_range: tuple[float | None, float | None] | None = None,
    duration: Json | None = None,
    label: str | None = None,
    **kw: Any,
) -> Json:
    """Presence (closed world) of records whose code is in ValueSet ``valueset`` (an id)."""
    d: Json = {"type": cc(*(coding(FHIR_TYPES, t, RECORD_DISPLAY[t]) for t in types), text=label)}
    if methods:
        d["method"] = [method(m) for m in methods]
    d["valueReference"] = {"reference": f"ValueSet/{valueset}"}
    extra: Json = {}
    if instances is not None:
        extra["instancesQuantity"] = instances
    if instances_range is not None:
        rng: Json = {}
        if instances_range[0] is not None:
            rng["low"] = {"value": instances_range[0]}
        if instances_range[1] is not None:
            rng["high"] = {"value": instances_range[1]}
        extra["instancesRange"] = rng
    if duration is not None:
        extra["durationQuantity"] = duration
    return ch(description, definitionByTypeAndValue=d, **extra, **kw)


def condition(description: str, valueset: str, *, history: bool = False, **kw: Any) -> Json:
    return records(description, ["Condition"], valueset, methods=["history"] if history else None, **kw)


def derived(
    description: str,
    concept: str,
    comparator: str | None,
    value: float | None,
    unit: str,
    *,
    rng: tuple[float, float] | None = None,
    methods: list[str] | None = None,
    input_valueset: str | None = None,
    unit_text: str | None = None,
    **kw: Any,
) -> Json:
    d: Json = {}
    if input_valueset:
        d["extension"] = [{"url": EXT_INPUT_VS, "valueReference": {"reference": f"ValueSet/{input_valueset}"}}]
    d["type"] = cc(local(concept))
    if methods:
        d["method"] = [method(m) for m in methods]
    if rng is not None:
        d["valueRange"] = {"low": q(rng[0], unit, None, unit_text), "high": q(rng[1], unit, None, unit_text)}
    else:
        assert value is not None
        d["valueQuantity"] = q(value, unit, comparator, unit_text)
    return ch(description, definitionByTypeAndValue=d, **kw)


def canonical(description: str, url: str, **kw: Any) -> Json:
    return ch(description, definitionCanonical=url, **kw)


def judge(c: Json) -> Json:
    """Mark a characteristic as a judgement item (REVIEW instead of TRUE when it matches)."""
    out = {"extension": [{"url": EXT_JUDGEMENT, "valueBoolean": True}]}
    out.update({k: v for k, v in c.items() if k != "extension"})
    return out


def one_record(c: Json) -> Json:
    """Mark an all-of of record leaves as met by one record only (REVIEW when different records meet its leaves)."""
    comb = {"extension": [{"url": EXT_SAME_RECORD, "valueBoolean": True}], **c["definitionByCombination"]}
    return {**c, "definitionByCombination": comb}
