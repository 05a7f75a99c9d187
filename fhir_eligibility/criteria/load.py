"""Load trial definitions (R5 JSON) from disk, index them, and compile each trial once."""

from __future__ import annotations

import json
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from fhir_eligibility.authoring.group import group_to_evidence_variable
from fhir_eligibility.codes import EXT_INPUT_VS
from fhir_eligibility.criteria.model import Combination, Criterion, TimeOffset, Trial, Window
from fhir_eligibility.criteria.parse import Parser, resolve_definition_ids
from fhir_eligibility.errors import DefinitionError
from fhir_eligibility.terminology.site import SiteTerminology

Json = dict[str, Any]
NCT_SYSTEMS = ("https://clinicaltrials.gov", "http://clinicaltrials.gov", "https://www.clinicaltrials.gov")


@dataclass
class DefinitionSet:
    """Every resource found under the definition paths, indexed by ``Type/id`` and canonical url."""

    resources: list[tuple[str, Json]] = field(default_factory=list)  # (file, resource)
    by_key: dict[str, Json] = field(default_factory=dict)
    file_of: dict[int, str] = field(default_factory=dict)
    converted: dict[int, Json] = field(default_factory=dict)  # id(Group) -> its EvidenceVariable

    def add(self, file: str, res: Json) -> None:
        """Index ``res``; a second, different resource with a url or ``Type/id`` already indexed is an error
        naming both files: it would silently replace the first (a site's ``vs-mi`` the bundled one)."""
        keys = [f"{res.get('resourceType')}/{res['id']}"] if res.get("id") else []
        keys += [str(res["url"])] if res.get("url") else []
        for key in keys:
            old = self.by_key.get(key)
            if old is not None and old is not res and old != res:
                first = self.file_of.get(id(old), "?")
                raise DefinitionError(f"{file}: {key!r} is already defined in {first}: one definition per url and id")
        self.resources.append((file, res))
        self.file_of[id(res)] = file
        for key in keys:
            self.by_key[key] = res

    def resolve(self, ref: str) -> Json | None:
        """By canonical url (``|version`` ignored), ``Type/id``, or an absolute URL ending in ``Type/id``."""
        base = ref.split("|")[0]
        if base in self.by_key:
            return self.by_key[base]
        tail = "/".join(base.rstrip("/").split("/")[-2:])
        return self.by_key.get(tail) if tail else None

    def eligibility(self, study: Json) -> Json | None:
        """The study's eligibility definition; an R6 Group is read as the EvidenceVariable it converts to."""
        ref = ((study.get("recruitment") or {}).get("eligibility") or {}).get("reference", "")
        res = self.resolve(ref)
        if res is not None and res.get("resourceType") == "Group":
            if id(res) not in self.converted:  # kept, so the ids file_of is keyed by stay valid
                ev = group_to_evidence_variable(res)[0]
                self.converted[id(res)] = ev
                self.file_of[id(ev)] = self.file_of.get(id(res), "")
            res = self.converted[id(res)]
        return res

    def studies(self) -> list[tuple[str, Json]]:
        return [(f, r) for f, r in self.resources if r.get("resourceType") == "ResearchStudy"]


def default_definitions_dir() -> Path:
    """``definitions/`` of the checkout (or the cwd) - where the trials live."""
    here = Path(__file__).resolve().parents[2] / "definitions"
    return here if here.is_dir() else Path.cwd() / "definitions"


def _shared_beside(paths: list[Path]) -> list[Path]:
    """The ``shared/`` folder next to each trial folder (or trial file's folder) given, not yet covered."""
    given = [p.resolve() for p in paths]
    out: list[Path] = []
    for p in given:
        folder = p if p.is_dir() else p.parent
        shared = folder.parent / "shared"
        covered = any(shared == g or g in shared.parents for g in given) or shared in out
        if folder != shared and shared.is_dir() and not covered:
            out.append(shared)
    return out


def read_definitions(paths: list[Path] | None = None) -> DefinitionSet:
    """Every resource under the paths; a trial folder finds the ``shared/`` terminology beside it,
    else the bundled one, when its references do not resolve without (``evaluate --definitions X/NCT...``)."""
    given = list(paths or [default_definitions_dir()])
    for p in given:
        if not p.exists():
            raise DefinitionError(f"definitions not found: {p}")
    ds = _read(given + _shared_beside(given))
    bundled = default_definitions_dir() / "shared"
    if paths and unresolved(ds) and bundled.is_dir() and not _read_already(ds, bundled):
        for file, res in _read([bundled]).resources:
            ds.add(file, res)
    return ds


def no_trials(paths: list[Path] | None) -> DefinitionError:
    """Definitions that hold no ResearchStudy (an empty folder, a patient's Bundle): exit 1, never a run that
    evaluates nothing and exits 0 with an empty report (README: exit 1 = definition problems)."""
    where = ", ".join(str(p) for p in paths or [default_definitions_dir()])
    return DefinitionError(f"no trial definitions in {where}")


def _read_already(ds: DefinitionSet, folder: Path) -> bool:
    folder = folder.resolve()
    return any(folder in Path(f).resolve().parents for f, _ in ds.resources)


def _read(paths: list[Path]) -> DefinitionSet:
    ds = DefinitionSet()
    files: list[Path] = []
    for p in paths:
        files.extend(sorted(p.rglob("*.json")) if p.is_dir() else [p])
    files = list({f.resolve(): f for f in files}.values())  # a file under two given folders is read once
    for f in files:
        try:
            data = json.loads(f.read_text(encoding="utf-8"))
        except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
            raise DefinitionError(f"{f}: not readable JSON ({e.__class__.__name__})") from None
        if not isinstance(data, dict) or "resourceType" not in data:
            raise DefinitionError(f"{f}: not a FHIR resource")
        if data["resourceType"] == "Bundle":
            for entry in data.get("entry") or []:
                if isinstance(entry.get("resource"), dict):
                    ds.add(str(f), entry["resource"])
        else:
            ds.add(str(f), data)
    return ds


def unresolved(ds: DefinitionSet) -> list[tuple[str, str, str]]:
    """(file, location, reference) of every reference a trial's criteria need that does not resolve:
    value sets (and the value sets they include), input value sets, referenced EvidenceVariables."""
    out: list[tuple[str, str, str]] = []
    seen: set[int] = set()

    def need(file: str, where: str, ref: str, rtype: str) -> Json | None:
        target = ds.resolve(ref) if ref else None
        if target is None or target.get("resourceType") != rtype:
            out.append((file, where, ref))
            return None
        return target

    def value_set(file: str, where: str, ref: str) -> None:
        vs = need(file, where, ref, "ValueSet")
        if vs is not None and id(vs) not in seen:
            seen.add(id(vs))
            for i, inc in enumerate((vs.get("compose") or {}).get("include") or []):
                for r in inc.get("valueSet") or []:
                    value_set(ds.file_of.get(id(vs), file), f"ValueSet/{vs.get('id')}.compose.include[{i}]", str(r))

    def characteristics(file: str, chs: list[Json], path: str) -> None:
        for i, ch in enumerate(chs):
            where = f"{path}[{i}]"
            tv = ch.get("definitionByTypeAndValue") or {}
            if "valueReference" in tv:
                value_set(
                    file, f"{where}.definitionByTypeAndValue.valueReference", tv["valueReference"].get("reference", "")
                )
            for e in tv.get("extension") or []:
                if e.get("url") == EXT_INPUT_VS:
                    ref = (e.get("valueReference") or {}).get("reference") or e.get("valueCanonical") or ""
                    value_set(file, f"{where}.definitionByTypeAndValue.extension", str(ref))
            for key in ("definitionCanonical", "definitionReference"):
                if key in ch:
                    ref = ch[key] if isinstance(ch[key], str) else (ch[key] or {}).get("reference", "")
                    ev = need(file, f"{where}.{key}", str(ref), "EvidenceVariable")
                    if ev is not None and id(ev) not in seen:
                        seen.add(id(ev))
                        characteristics(ds.file_of.get(id(ev), file), ev.get("characteristic") or [], "characteristic")
            kids = (ch.get("definitionByCombination") or {}).get("characteristic") or []
            characteristics(file, kids, f"{where}.definitionByCombination.characteristic")

    for file, study in ds.studies():
        ev = ds.eligibility(study)
        if ev is not None and id(ev) not in seen:
            seen.add(id(ev))
            characteristics(ds.file_of.get(id(ev), file), ev.get("characteristic") or [], "characteristic")
    return out


def nct_number(study: Json) -> str:
    for ident in study.get("identifier") or []:
        if ident.get("system") in NCT_SYSTEMS and ident.get("value"):
            return str(ident["value"])
    for ident in study.get("identifier") or []:
        if str(ident.get("value", "")).startswith("NCT"):
            return str(ident["value"])
    return str(study.get("id") or "unknown")


def _sponsor(study: Json) -> str | None:
    for party in study.get("associatedParty") or []:
        roles = [c.get("code") for c in (party.get("role") or {}).get("coding") or []]
        if "sponsor" in roles or "lead-sponsor" in roles:
            return str(party.get("name") or (party.get("party") or {}).get("display") or "") or None
    return None


def compile_trial(ds: DefinitionSet, file: str, study: Json) -> Trial:
    ref = ((study.get("recruitment") or {}).get("eligibility") or {}).get("reference", "")
    ev = ds.eligibility(study)
    if ev is None or ev.get("resourceType") != "EvidenceVariable":
        raise DefinitionError(f"{file}: ResearchStudy.recruitment.eligibility {ref!r} does not resolve")
    parser = Parser(ds.resolve)
    raw = ev.get("characteristic") or []
    criteria = tuple(
        parser.characteristic(ch, f"characteristic[{i}]", 0, frozenset({id(ev)})) for i, ch in enumerate(raw)
    )
    criteria = resolve_definition_ids(criteria, raw)
    phase = ", ".join(c.get("code", "") for c in (study.get("phase") or {}).get("coding") or []) or None
    status = None
    for ps in study.get("progressStatus") or []:
        status = ", ".join(c.get("code", "") for c in (ps.get("state") or {}).get("coding") or []) or status
    conditions = tuple(
        str(c.get("text") or next((x.get("display") for x in c.get("coding") or [] if x.get("display")), ""))
        for c in study.get("condition") or []
    )
    return Trial(
        id=nct_number(study),
        title=str(study.get("title") or study.get("name") or ""),
        criteria=criteria,
        url=study.get("url"),
        phase=phase,
        status=status,
        sponsor=_sponsor(study),
        conditions=conditions,
        source_files=(file, ds.file_of.get(id(ev), "")),
    )


def intern_definitions(trials: list[Trial]) -> list[Trial]:
    """Make equal leaf definitions and windows the same objects across trials (compared once, here),
    so the evaluator can recognise a leaf it already evaluated for this patient by identity."""
    seen: dict[object, object] = {}

    def canon(x: object) -> Any:
        return seen.setdefault(x, x)

    def walk(c: Criterion) -> Criterion:
        d = c.definition
        d = replace(d, children=tuple(walk(k) for k in d.children)) if isinstance(d, Combination) else canon(d)
        return replace(c, definition=d, windows=canon(c.windows))

    return [replace(t, criteria=tuple(walk(c) for c in t.criteria)) for t in trials]


def with_lookback(trials: list[Trial], days: int) -> list[Trial]:
    """Each window marked as the protocol's silence (``Window.lookback``) reaching back ``days``
    days: clinical.md §0.2's default look-back is a site's setting, not a constant of the definitions."""
    offset = TimeOffset(-days, "d")

    def window(w: Window) -> Window:
        return replace(w, low=offset) if w.lookback and w.anchor == "study-start" else w

    def walk(c: Criterion) -> Criterion:
        d = c.definition
        if isinstance(d, Combination):
            d = replace(d, children=tuple(walk(k) for k in d.children))
        return replace(c, definition=d, windows=tuple(window(w) for w in c.windows))

    return [replace(t, criteria=tuple(walk(c) for c in t.criteria)) for t in trials]


def load_trials(
    paths: list[Path] | None = None,
    only: list[str] | None = None,
    terminology: list[Path] | None = None,
    lookback_days: int | None = None,
) -> list[Trial]:
    """Compile every ResearchStudy found; ``only`` selects by NCT number (error if unknown).

    A reference that does not resolve is an error (exit 1), never a silently undetermined criterion;
    ``terminology`` adds a site's ConceptMaps and value-set includes (fhir_eligibility.terminology);
    ``lookback_days`` replaces the default look-back the definitions mark (:func:`with_lookback`).
    """
    ds = read_definitions(paths)
    if not ds.studies():
        raise no_trials(paths)
    missing = unresolved(ds)
    if missing:
        file, where, ref = missing[0]
        more = f" (and {len(missing) - 1} more)" if len(missing) > 1 else ""
        raise DefinitionError(
            f"{file}: {where}: {ref!r} does not resolve{more}; pass the shared value sets with --definitions"
        )
    site = SiteTerminology.read(terminology) if terminology else None
    if site is not None:
        site.raise_problems(site.extend_value_sets(ds))
    compiled = sorted((compile_trial(ds, f, s) for f, s in ds.studies()), key=lambda t: t.id)
    if site is not None:
        site.raise_problems(site.redefinitions(compiled))
    sited = site.apply(compiled) if site is not None else compiled
    trials = intern_definitions(with_lookback(sited, lookback_days) if lookback_days is not None else sited)
    if only:
        known = {t.id for t in trials}
        missing_ids = [o for o in only if o not in known]
        if missing_ids:
            raise DefinitionError(f"unknown trial(s): {', '.join(missing_ids)}; known: {', '.join(sorted(known))}")
        trials = [t for t in trials if t.id in only]
    return trials
