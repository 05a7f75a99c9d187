"""One patient's facts indexed by kind and code: the immutable view the evaluation core reads.

``build_record`` turns a :class:`PatientData` into it once per patient (:mod:`.facts` reads each
resource); every entry point calls it, so the same resources give the same record everywhere.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from fhir_eligibility.codes import Code
from fhir_eligibility.evaluation.dates import parse_date
from fhir_eligibility.evaluation.facts import Fact, facts_of
from fhir_eligibility.evaluation.observed import Who
from fhir_eligibility.evaluation.undated_answers import undated_warning
from fhir_eligibility.evaluation.validity import Unreadable, readable_codes
from fhir_eligibility.evaluation.vital import patient_problems
from fhir_eligibility.record import PatientData, Resource
from fhir_eligibility.requirements.model import CLOSED_WORLD_TYPES, Unavailable


@dataclass(frozen=True)
class PatientRecord:
    """Immutable, indexed view of one patient: what the evaluation core reads."""

    patient_id: str
    birth_date: str | None
    gender: str | None
    by_code: dict[tuple[str, Code], tuple[Fact, ...]]
    by_kind: dict[str, tuple[Fact, ...]]
    unavailable: tuple[Unavailable, ...]
    warnings: tuple[str, ...]
    # (kind, code) of every coded fact and (kind, None) of every kind present: see evaluation.footprint
    present: frozenset[tuple[str, Code | None]]
    patient: Resource | None = None
    raw: tuple[Resource, ...] = ()
    # facts() answers by (kinds, codes): criteria ask the same question in several windows and trials
    # (about 60 % of a screening's calls); a new record (dataclasses.replace) starts empty
    _asked: dict[tuple[tuple[str, ...], frozenset[Code]], list[Fact]] = field(
        default_factory=dict, init=False, repr=False, compare=False
    )

    def facts(self, kinds: tuple[str, ...] | list[str], codes: frozenset[Code]) -> list[Fact]:
        """Facts of these kinds having any of the codes (all facts of the kinds when codes is empty).

        The list is shared by every caller asking the same: read it, never change it."""
        key = (tuple(kinds), codes)
        out = self._asked.get(key)
        if out is None:
            out = self._asked[key] = self._facts(kinds, codes)
        return out

    def _facts(self, kinds: tuple[str, ...] | list[str], codes: frozenset[Code]) -> list[Fact]:
        seen: set[str] = set()
        out: list[Fact] = []
        for kind in kinds:
            of_kind = self.by_kind.get(kind, ())
            if not codes:
                candidates: list[Fact] | tuple[Fact, ...] = of_kind
            elif len(codes) > len(of_kind):  # big value set, few records: scan the records
                candidates = [f for f in of_kind if not f.codes.isdisjoint(codes)]
            else:
                candidates = [f for c in codes for f in self.by_code.get((kind, c), ())]
            for f in candidates:
                if f.ref not in seen:
                    seen.add(f.ref)
                    out.append(f)
        return out

    def unavailable_for(self, kinds: tuple[str, ...] | list[str], codes: frozenset[Code]) -> Unavailable | None:
        return unavailable_for(self.unavailable, kinds, codes)


def unavailable_for(
    unavailable: tuple[Unavailable, ...], kinds: tuple[str, ...] | list[str], codes: frozenset[Code]
) -> Unavailable | None:
    """What leaves a criterion reading ``kinds`` (with ``codes``) short of data, strongest first:

    - a fault in any of them (records exist that were not delivered): unknown;
    - every one of them a type the source does not hold (``unsupported``: a server without it, an
      export without its file): nothing here to read, unknown;
    - a closed-world one the source does not hold, or holds only in part (``partial``: a record a
      merge replaced, a patient without a Patient resource): what is recorded is real, so a record
      found may decide (``forms.records``), but an absence decides nothing;
    - None: only types that add to others are missing (an export without ImagingStudy still holds
      the imaging procedures), read as none."""
    weak = unheld = None
    for u in unavailable:
        if u.resource_type in kinds and (not u.codes or not codes or u.codes & codes):
            if not u.unsupported and not u.partial:
                return u
            if u.partial or u.resource_type in CLOSED_WORLD_TYPES:
                weak = weak or u
            unheld = unheld or (u if u.unsupported else None)
    if unheld is not None:
        gone = {u.resource_type for u in unavailable if u.unsupported and (not u.codes or not codes or u.codes & codes)}
        if all(k in gone for k in kinds):
            return unheld
    return weak


def _focus_elsewhere(res: Resource, patient_id: str) -> str | None:
    """Whom an Observation is about instead of its patient (FHIR ``focus``: a fetus, a donor, a relative):
    another Patient (``Patient/x`` or an absolute URL of one), a RelatedPerson or a Group. A focus that is
    no person (a tumour's BodyStructure) or cannot be told (a Bundle-local ``urn:uuid``) leaves it theirs."""
    focus = res.get("focus")
    for f in focus if isinstance(focus, list) else []:
        ref = f.get("reference") if isinstance(f, dict) else None
        if not isinstance(ref, str):
            continue
        path = ref.split("?")[0].split("/_history")[0].rstrip("/").split("/")
        if len(path) >= 2 and path[-2] in ("RelatedPerson", "Group"):
            return "/".join(path[-2:])[:80]
        if len(path) >= 2 and path[-2] == "Patient" and path[-1] != patient_id:
            return "/".join(path[-2:])[:80]
    return None


def build_record(
    data: PatientData, include_preliminary: bool = False, systems: Mapping[str, frozenset[str]] | None = None
) -> PatientRecord:
    """Normalise once; a resource that cannot be read is a warning, never an abort.

    The warnings are also appended to ``data.warnings``, the list every entry point reports, and a
    dropped resource becomes unavailable data of its type (and codes, when readable). ``systems``:
    per type, the code systems the trials' record criteria read (``criteria.model.record_systems``);
    a diagnosis or treatment coded in none of them (NDC only, an unmapped local code) is warned of.
    """
    by_code: dict[tuple[str, Code], list[Fact]] = {}
    by_kind: dict[str, list[Fact]] = {}
    new: list[str] = []
    dropped: list[Unavailable] = []
    undated: list[str] = []
    uncoded: list[str] = []
    unread: dict[str, None] = {}  # records coded only in systems no criterion reads for their type
    unread_systems: dict[str, None] = {}
    birth, gender, patient = None, None, None
    # whose the results are, for reference ranges restricted by sex or age (the Patient may come last)
    first = next((r for r in data.resources if r.get("resourceType") == "Patient"), None)
    born = first.get("birthDate") if first is not None else None
    sex = first.get("gender") if first is not None else None
    who = Who(sex if isinstance(sex, str) else None, parse_date(born) if isinstance(born, str) else None)
    for res in data.resources:
        kind = res.get("resourceType")
        ref = f"{kind}/{res.get('id', '?')}"
        if kind == "Patient":
            patient = res
            birth = res.get("birthDate") if isinstance(res.get("birthDate"), str) else None
            gender = res.get("gender") if isinstance(res.get("gender"), str) else None
            new += [f"{ref}: {p}" for p in patient_problems(res)]
            continue
        problems: list[str] = []
        someone = _focus_elsewhere(res, data.patient_id) if kind == "Observation" else None
        if someone is not None:  # a result about someone else: not this patient's, and theirs may be missing
            new.append(f"{ref}: its focus is {someone}, not this patient; ignored")
            codes = readable_codes(res.get("code"))
            dropped.append(Unavailable("Observation", codes, f"{ref} is about {someone} (Observation.focus)"))
            continue
        try:
            facts = facts_of(res, include_preliminary, problems, who)
        except Unreadable as e:
            new.append(f"{ref}: unreadable ({e.reason}), ignored")
            dropped.append(Unavailable(str(kind), e.codes, f"{ref} could not be read ({e.reason})"))
            continue
        except (TypeError, ValueError, AttributeError, KeyError, IndexError) as e:
            new.append(f"{ref}: unreadable ({e.__class__.__name__}), ignored")
            codes = readable_codes(res.get("code"))
            dropped.append(Unavailable(str(kind), codes, f"{ref} could not be read ({e.__class__.__name__})"))
            continue
        if problems:
            new += [f"{ref}: {p}" for p in problems]
        if kind == "Observation" and facts and facts[0].date is None:
            undated.append(ref)
        elif facts and kind in CLOSED_WORLD_TYPES and not facts[0].codes:
            uncoded.append(ref)  # text only: read by no criterion, so its absence decides
        elif facts and systems is not None and kind in CLOSED_WORLD_TYPES and kind in systems:
            read = systems[str(kind)]
            if not any(system in read for system, _ in facts[0].codes):
                unread[ref] = None
                unread_systems.update((system[:80], None) for system, _ in facts[0].codes)
        for f in facts:
            by_kind.setdefault(f.kind, []).append(f)
            for c in f.codes:
                by_code.setdefault((f.kind, c), []).append(f)
    if undated:  # one line per patient: an export may leave hundreds of results undated
        shown = ", ".join(undated[:5]) + (f" and {len(undated) - 5} more" if len(undated) > 5 else "")
        new.append(
            f"Patient/{data.patient_id}: {len(undated)} Observation(s) with no date (effective[x] nor issued), "
            f"not usable in a time window: {shown}"
        )
    if uncoded:  # named, never quoted: the text is a clinician's (it may name the patient)
        shown = ", ".join(uncoded[:5]) + (f" and {len(uncoded) - 5} more" if len(uncoded) > 5 else "")
        new.append(
            f"Patient/{data.patient_id}: {len(uncoded)} record(s) with no code, only text, which no criterion "
            f"reads (a diagnosis or a treatment recorded only so counts as not recorded): {shown}"
        )
    if unread:  # systems named, never codes or text
        refs = list(unread)
        shown = ", ".join(refs[:5]) + (f" and {len(refs) - 5} more" if len(refs) > 5 else "")
        new.append(
            f"Patient/{data.patient_id}: {len(refs)} record(s) coded only in code systems no criterion reads for "
            f"their type ({', '.join(list(unread_systems)[:3])}): a diagnosis or a treatment recorded only so "
            f"counts as not recorded; map the codes (site terminology): {shown}"
        )
    # an attestation with no date: it decides nothing, yet may be the latest answer (a withdrawal)
    undated_answers = undated_warning(data.patient_id, data.resources)
    if undated_answers is not None:
        new.append(undated_answers)
    data.warnings.extend(w for w in new if w not in data.warnings)
    return PatientRecord(
        patient_id=data.patient_id,
        birth_date=birth,
        gender=gender,
        by_code={k: tuple(v) for k, v in by_code.items()},
        by_kind={k: tuple(v) for k, v in by_kind.items()},
        unavailable=(*data.unavailable, *dropped),
        warnings=tuple(data.warnings),
        present=frozenset([*((k, None) for k in by_kind), *by_code]),
        patient=patient,
        raw=tuple(data.resources),
    )
