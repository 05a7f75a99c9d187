"""Patients people can recognise: name, birth date and MRN next to the id (issue 14 item 6).

The pipeline puts a :class:`PatientLabel` on every result from the Patient resource; the edge then
applies an :class:`IdentityPolicy`: another MRN system (``--mrn-system``), or ``--deidentify`` (the
label dropped, so no report carries more than the id). Nothing here logs: names, birth dates and
MRNs never reach a log line. De-identified, the dates of evidence read from the Patient resource
(the birth date behind an age) go too; the age itself stays. So does every date derived from the
birth date (an 18th birthday as ``eligibleFrom``, an age changing in the timeline): a birthday
and the year of an age give the birth date back. Such a date becomes :data:`WITHHELD`, which
renderers leave out of dates and write as ``(withheld)`` in text.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from fhir_eligibility.evaluation.dates import parse_date
from fhir_eligibility.evaluation.results import Change, CriterionResult, PatientLabel, Report, TrialResult, When
from fhir_eligibility.plain_text import cleaned
from fhir_eligibility.record import PatientData

V2_0203 = "http://terminology.hl7.org/CodeSystem/v2-0203"  # identifier type MR = medical record number
WITHHELD = dt.date.min  # a date derived from the birth date, withheld by --deidentify
WITHHELD_TEXT = "(withheld)"
DAY = dt.timedelta(days=1)
_NAME_USE_ORDER = ("official", "usual")


def _list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else []


def _name(patient: dict[str, Any]) -> str | None:
    """The official (else usual, else first) current name, as its text or given names + family."""
    names = [n for n in _list(patient.get("name")) if isinstance(n, dict) and n.get("use") not in ("old", "anonymous")]
    names.sort(key=lambda n: _NAME_USE_ORDER.index(n["use"]) if n.get("use") in _NAME_USE_ORDER else 2)
    for n in names:
        text = n.get("text")
        if not (isinstance(text, str) and text.strip()):
            family = n.get("family")
            parts = [g for g in _list(n.get("given")) if isinstance(g, str)] + [
                family if isinstance(family, str) else ""
            ]
            text = " ".join(parts)
        if text.strip():
            return " ".join(text.split())
    return None


def _is_mr(ident: dict[str, Any]) -> bool:
    codings = (ident.get("type") or {}).get("coding") if isinstance(ident.get("type"), dict) else None
    return any(
        isinstance(c, dict) and c.get("system") == V2_0203 and c.get("code") == "MR"
        for c in (codings if isinstance(codings, list) else [])
    )


def label_of(patient: dict[str, Any]) -> PatientLabel | None:
    """The label of one Patient resource; None when it has nothing to show."""
    idents = [i for i in _list(patient.get("identifier")) if isinstance(i, dict) and isinstance(i.get("value"), str)]
    mrn = next((i["value"] for i in idents if _is_mr(i)), None)
    birth = patient.get("birthDate") if isinstance(patient.get("birthDate"), str) else None
    name = _name(patient)
    # a U+202E in an MRN shows "1234" as "4321" (another patient's) in HTML and CSV: no such character
    # reaches a report (plain_text)
    label = PatientLabel(
        name=cleaned(name) if name is not None else None,
        birth_date=cleaned(birth) if birth is not None else None,
        mrn=cleaned(mrn) if mrn is not None else None,
        identifiers=tuple(cleaned(f"{i.get('system') or ''}|{i['value']}") for i in idents),
    )
    return label if label != PatientLabel() else None


def patient_label(data: PatientData) -> PatientLabel | None:
    patient = next(
        (r for r in data.resources if r.get("resourceType") == "Patient" and r.get("id") == data.patient_id), None
    )
    return label_of(patient) if patient is not None else None


def _undated(c: CriterionResult, patient: str) -> CriterionResult:
    """The criterion without the dates of evidence read from the Patient resource (birth, death)."""
    evidence = tuple(dataclasses.replace(e, date=None) if e.reference == patient and e.date else e for e in c.evidence)
    children = tuple(_undated(k, patient) for k in c.children)
    return dataclasses.replace(c, evidence=evidence, children=children)


def _birthdays(birth: str) -> set[tuple[int, int]]:
    """(month, day) an age from ``birth`` may change on: both ends of a partial date (the timeline's
    rule); 29 February as 28 February and 1 March."""
    first = parse_date(birth)
    if first is None:
        return set()
    days = {(first.month, first.day)}
    if len(birth) == 4:
        days.add((12, 31))
    elif len(birth) == 7:
        days.add((first.month, ((first.replace(day=28) + 4 * DAY).replace(day=1) - DAY).day))
    if (2, 29) in days:
        days |= {(2, 28), (3, 1)}
    return days


def from_birthday(day: dt.date, births: Iterable[str]) -> bool:
    """Whether ``day`` may be derived from a birth date: an age changes on it, or on the next day (the
    last day an age limit holds). Any date falling there is withheld, so what is left tells nothing."""
    ends = set().union(*(_birthdays(b) for b in births))
    near = (day, day + DAY) if day < dt.date.max else (day,)
    return any((d.month, d.day) in ends for d in near)


def _births(r: TrialResult) -> set[str]:
    """The birth dates a result reads: its label's and those on the Patient's own evidence."""
    out = {r.label.birth_date} if r.label is not None and r.label.birth_date else set()
    todo = list(r.criteria)
    while todo:
        c = todo.pop()
        out.update(e.date for e in c.evidence if e.reference == r.patient and e.date)
        todo.extend(c.children)
    return out


def _scrub(text: str, days: Iterable[dt.date]) -> str:
    for d in days:
        text = text.replace(d.isoformat(), WITHHELD_TEXT)
    return text


def withheld_when(w: When, births: Iterable[str]) -> When:
    """``w`` without the dates derived from ``births``: :data:`WITHHELD` instead, their events after the
    dated ones (their place would bound the day) and the dates cut out of every event's text; the
    verdict on ``eligible_from`` is kept (it says eligible or needs review when the day is not)."""
    births = set(births)
    dated = [w.eligible_from, w.eligible_until, *(c.date for c in w.timeline)]
    hidden = {d for d in dated if d is not None and from_birthday(d, births)}
    if not hidden:
        return w

    def change(c: Change) -> Change:
        day = WITHHELD if c.date in hidden else c.date
        return Change(day, c.criterion, c.before, c.after, _scrub(c.text, hidden))

    kept = [change(c) for c in w.timeline if c.date not in hidden]
    gone = [change(c) for c in w.timeline if c.date in hidden]
    return When(
        WITHHELD if w.eligible_from in hidden else w.eligible_from,
        WITHHELD if w.eligible_until in hidden else w.eligible_until,
        (*kept, *gone),
        w.horizon,
        w.verdict_from,
    )


@dataclass(frozen=True)
class IdentityPolicy:
    """How reports name patients: the MR-typed identifier, or the one of ``mrn_system``; or the id only."""

    mrn_system: str | None = None
    deidentify: bool = False

    def label(self, label: PatientLabel | None) -> PatientLabel | None:
        if self.deidentify or label is None:
            return None
        if self.mrn_system is None:
            return label
        prefix = self.mrn_system + "|"
        mrn = next((i[len(prefix) :] for i in label.identifiers if i.startswith(prefix)), None)
        return dataclasses.replace(label, mrn=mrn)

    def result(self, r: TrialResult) -> TrialResult:
        label = self.label(r.label)
        if self.deidentify:  # the birth date also rides on the age evidence read from the Patient
            criteria = tuple(_undated(c, r.patient) for c in r.criteria)
            when = withheld_when(r.when, _births(r)) if r.when is not None else None
            return dataclasses.replace(r, label=None, criteria=criteria, when=when)
        return r if label is r.label else dataclasses.replace(r, label=label)

    def report(self, report: Report) -> Report:
        return dataclasses.replace(report, results=tuple(self.result(r) for r in report.results))


AS_RECORDED = IdentityPolicy()  # the MR-typed identifier as MRN, labels kept


def label_text(label: PatientLabel | None) -> str:
    """``Jane Doe, born 1963-09-14, MRN 12345`` (the parts there are); empty without a label."""
    if label is None:
        return ""
    parts = [
        label.name or "",
        f"born {label.birth_date}" if label.birth_date else "",
        f"MRN {label.mrn}" if label.mrn else "",
    ]
    return ", ".join(p for p in parts if p)


def label_json(label: PatientLabel | None) -> dict[str, str] | None:
    if label is None:
        return None
    out = {"name": label.name, "birthDate": label.birth_date, "mrn": label.mrn}
    return {k: v for k, v in out.items() if v is not None}


__all__ = [
    "AS_RECORDED",
    "V2_0203",
    "WITHHELD",
    "WITHHELD_TEXT",
    "IdentityPolicy",
    "from_birthday",
    "label_json",
    "label_of",
    "label_text",
    "patient_label",
    "withheld_when",
]
