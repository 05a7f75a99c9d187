"""Check definitions beyond the fhir.resources R5 models: the invariants and bindings they skip.

Returns every problem with its location (file and element path); the CLI exits 1 if any.
"""

from __future__ import annotations

import importlib
import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fhirpathpy import compile as fp_compile
from pydantic import ValidationError

from fhir_eligibility import codes as cs
from fhir_eligibility.criteria.load import DefinitionSet, compile_trial
from fhir_eligibility.criteria.model import Unsupported
from fhir_eligibility.criteria.parse import COMBINATIONS, COMPARATORS, DEFINITION_KEYS, TIME_UNITS, valueset_codes
from fhir_eligibility.criteria.validate_group import check_group, is_r6_group
from fhir_eligibility.errors import DefinitionError
from fhir_eligibility.measures import units
from fhir_eligibility.terminology.site import SiteTerminology
from fhir_eligibility.terminology.site_checks import site_warnings

Json = dict[str, Any]


@dataclass(frozen=True)
class Problem:
    file: str
    location: str
    message: str

    def __str__(self) -> str:
        return f"{self.file}: {self.location}: {self.message}"


def _model(resource_type: str) -> Any:
    module = importlib.import_module(f"fhir.resources.{resource_type.lower()}")
    return getattr(module, resource_type)


def _quantities(obj: Any, path: str) -> Iterator[tuple[str, Json]]:
    if isinstance(obj, dict):
        if "value" in obj and ("code" in obj or "unit" in obj) and isinstance(obj.get("value"), (int, float)):
            yield path, obj
        for k, v in obj.items():
            yield from _quantities(v, f"{path}.{k}")
    elif isinstance(obj, list):
        for i, v in enumerate(obj):
            yield from _quantities(v, f"{path}[{i}]")


def _check_characteristic(ch: Json, path: str, ds: DefinitionSet, links: set[str], out: list[str]) -> None:
    present = [k for k in DEFINITION_KEYS if k in ch]
    if len(present) > 1:
        out.append(f"{path}: more than one definition element ({', '.join(present)}) violates evv-1")
    if not present and not ch.get("definitionExpression") and not ch.get("description"):
        out.append(f"{path}: no definition and no description")
    comb = ch.get("definitionByCombination")
    if comb is not None:
        code = comb.get("code")
        if code not in COMBINATIONS:
            out.append(f"{path}.definitionByCombination.code: {code!r} is not all-of/any-of/at-least/at-most")
        if code in ("at-least", "at-most") and not isinstance(comb.get("threshold"), int):
            out.append(f"{path}.definitionByCombination: {code} needs an integer threshold")
        for i, kid in enumerate(comb.get("characteristic") or []):
            _check_characteristic(kid, f"{path}.definitionByCombination.characteristic[{i}]", ds, links, out)
    tv = ch.get("definitionByTypeAndValue")
    if tv is not None:
        comp = (tv.get("valueQuantity") or {}).get("comparator")
        if comp is not None and comp not in COMPARATORS:
            out.append(f"{path}.definitionByTypeAndValue.valueQuantity.comparator: {comp!r} is not < <= >= >")
        ref = (tv.get("valueReference") or {}).get("reference")
        if ref is not None:
            vs = ds.resolve(ref)
            if vs is None:
                out.append(f"{path}.definitionByTypeAndValue.valueReference: {ref!r} does not resolve")
            elif vs.get("resourceType") == "ValueSet" and not valueset_codes(vs, ds.resolve):
                out.append(f"{path}.definitionByTypeAndValue.valueReference: value set {ref!r} is empty")
        for e in tv.get("extension") or []:
            if e.get("url") == cs.EXT_INPUT_VS:
                r = (e.get("valueReference") or {}).get("reference") or e.get("valueCanonical")
                if not r or ds.resolve(r) is None:
                    out.append(f"{path}.definitionByTypeAndValue.extension: input value set {r!r} does not resolve")
    expr = ch.get("definitionExpression")
    if isinstance(expr, dict) and expr.get("language") == "text/fhirpath":
        out.extend(f"{path}.definitionExpression.expression: {why}" for why in _fhirpath_problems(expr))
    for key in ("definitionCanonical", "definitionReference"):
        if key in ch:
            r = ch[key] if isinstance(ch[key], str) else (ch[key] or {}).get("reference", "")
            if ds.resolve(r) is None:
                out.append(f"{path}.{key}: {r!r} does not resolve")
    if "definitionId" in ch and ch["definitionId"] not in links:
        out.append(f"{path}.definitionId: {ch['definitionId']!r} is not a linkId of this EvidenceVariable")
    for i, tfe in enumerate(ch.get("timeFromEvent") or []):
        if "eventId" in tfe and tfe["eventId"] not in links:
            out.append(f"{path}.timeFromEvent[{i}].eventId: {tfe['eventId']!r} is not a linkId")
        for q_path, q in _quantities({k: v for k, v in tfe.items() if k in ("quantity", "range")}, ""):
            if q.get("code") not in TIME_UNITS:
                out.append(f"{path}.timeFromEvent[{i}]{q_path}: time unit {q.get('code')!r} is not d/wk/mo/a")


FHIRPATH_VARIABLES = {"context", "patientResources", "ucum"}  # what evaluation.fhirpath binds (and fhirpathpy)
FHIRPATH_VARIABLE = re.compile(r"%(?:`([^`]*)`|'([^']*)'|([A-Za-z_]\w*))")


def _fhirpath_problems(expr: Json) -> list[str]:
    """Why an expression would be UNKNOWN for every patient: a variable evaluate does not bind
    (``%resource``: the Patient is ``%context`` and the root), or an expression that does not run on a
    Patient with no data (a syntax or arity error)."""
    text = str(expr.get("expression") or "")
    names = {next(g for g in m.groups() if g is not None) for m in FHIRPATH_VARIABLE.finditer(text)}
    unbound = sorted(names - FHIRPATH_VARIABLES)
    if unbound:
        bound = ", ".join(f"%{v}" for v in sorted(FHIRPATH_VARIABLES))
        return [f"variable(s) {', '.join('%' + v for v in unbound)} not bound (bound: {bound})"]
    try:
        fp_compile(text)({"resourceType": "Patient"}, {"patientResources": []})
    except Exception as e:
        return [f"does not evaluate ({e.__class__.__name__}: {str(e).splitlines()[0] if str(e) else ''})"]
    return []


def _links(chs: list[Json]) -> list[str]:
    out = []
    for ch in chs:
        if ch.get("linkId"):
            out.append(str(ch["linkId"]))
        out.extend(_links((ch.get("definitionByCombination") or {}).get("characteristic") or []))
    return out


def _r5_model_problems(file: str, rtype: str, res: Json) -> list[Problem]:
    try:
        _model(rtype).model_validate(res)
    except ValidationError as e:
        return [
            Problem(file, f"{rtype}." + ".".join(str(x) for x in err.get("loc", ())), str(err.get("msg")))
            for err in e.errors()[:10]
        ]
    except (ImportError, AttributeError):
        return [Problem(file, rtype, "unknown resource type")]
    return []


def validate(ds: DefinitionSet) -> list[Problem]:
    problems: list[Problem] = []
    for file, res in ds.resources:
        rtype = str(res.get("resourceType"))
        if rtype == "Group" and is_r6_group(res):  # R6 form: the R5 model would reject its own elements
            problems.extend(Problem(file, where, msg) for where, msg in check_group(res, ds.resolve))
        else:
            problems.extend(_r5_model_problems(file, rtype, res))
        for q_path, q in _quantities(res, rtype):
            if q.get("system") == cs.UCUM and q.get("code") and ".timeFromEvent" not in q_path:
                code = str(q["code"])
                if code not in TIME_UNITS and units.convert(1.0, code, code) is None:
                    problems.append(Problem(file, q_path, f"UCUM unit {code!r} does not parse"))
        if rtype == "ValueSet" and not valueset_codes(res, ds.resolve):
            problems.append(Problem(file, "ValueSet", f"value set {res.get('id')!r} is empty"))
        if rtype == "EvidenceVariable":
            if not res.get("characteristic"):  # nothing to meet: every patient would read as eligible
                problems.append(Problem(file, "EvidenceVariable.characteristic", "no criteria (an empty trial)"))
            links = _links(res.get("characteristic") or [])
            seen: set[str] = set()
            for link in links:
                if link in seen:
                    problems.append(Problem(file, "EvidenceVariable.characteristic", f"duplicate linkId {link!r}"))
                seen.add(link)
            msgs: list[str] = []
            for i, ch in enumerate(res.get("characteristic") or []):
                _check_characteristic(ch, f"characteristic[{i}]", ds, set(links), msgs)
            problems.extend(Problem(file, m.split(": ", 1)[0], m.split(": ", 1)[1]) for m in msgs)
    for file, study in ds.studies():
        try:
            trial = compile_trial(ds, file, study)
        except DefinitionError as e:
            msg = str(e).removeprefix(f"{file}: ")  # the file is said once; "characteristic X" stays
            problems.append(Problem(file, "ResearchStudy.recruitment.eligibility", msg))
            continue
        if not trial.id.startswith("NCT"):
            problems.append(
                Problem(file, "ResearchStudy.identifier", "no NCT number (system https://clinicaltrials.gov)")
            )
        for top in trial.criteria:
            for node in top.walk():
                if isinstance(node.definition, Unsupported):
                    problems.append(
                        Problem(
                            trial.source_files[1],
                            f"characteristic {node.id}",
                            f"not interpretable: {node.definition.reason}",
                        )
                    )
    return problems


def validate_terminology(paths: list[Path], ds: DefinitionSet, warn: Callable[[str], None]) -> list[Problem]:
    """The site terminology's content problems (an unusable file raises InputError, exit 2), and
    ``warn`` one line per thing it says that does nothing or less than it seems (terminology.site_checks),
    which never makes valid terminology exit 1."""
    if not paths:
        return []
    site = SiteTerminology.read(paths)
    problems = [Problem(*p) for p in [*site.problems, *site.extend_value_sets(ds)]]
    trials = []
    for file, study in ds.studies():
        try:
            trials.append(compile_trial(ds, file, study))
        except DefinitionError:
            continue  # validate() reports it
    problems += [Problem(*p) for p in site.redefinitions(trials)]
    for warning in site_warnings(site, trials):
        warn(f"warning: {Problem(*warning)}")
    return problems
