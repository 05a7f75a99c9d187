"""Attestations and review decisions: a person's answers, read from the patient's QuestionnaireResponses.

Why here and pure: an answer is patient data like a lab value, so it arrives through every source
(files, NDJSON, FHIR server, CDS prefetch) inside the record, and it is read with the as-of date
as an argument. Rules (issue 14):

* only ``completed`` / ``amended`` responses to the trial's Questionnaire (``url`` with or without
  ``|version``) count; ``entered-in-error``, ``stopped``, ``in-progress`` are ignored, as is a
  response authored after the as-of date (it had not happened yet);
* per item the most recent response wins (``authored`` as an instant, to the microsecond; a bare date is
  any time of its day, unordered against a time that day: :func:`_before`), among the
  answers given to this item's current wording: an answer whose item ``text`` is another than the
  criterion's now (a protocol amendment moved or reworded it; nested linkIds are positional) is ignored,
  with the reason; of answers that may each be the latest the least favourable to the patient's
  eligibility decides (:func:`_settled`), never the response id (a random UUID); so do contradictory
  answers to one item inside one response (read as given at one instant);
* ``authored`` of a month or a year: a refusal is read at the earliest day it may be, a favourable answer at
  the latest (it may not be written yet); no ``authored`` (0..1 in R4): the answer decides nothing, but unless
  favourable it may be the latest, so a favourable answer does not count (:func:`_settled`); the reason says
  why an answer did not count, and writes the date as given;
* when the patient's responses could not be read (a source reported ``QuestionnaireResponse`` data
  unavailable), every attestable item the data leave open is unknown: a recorded refusal may be
  among them, so the verdict is never better than with the responses;
* that answer does not count, and the reason says why, when it names no author, when its author (or its
  ``source``, the person who answered) is anyone but study staff (:mod:`.attestation_authors`: an allow-list of
  Practitioner and PractitionerRole in any form a reference takes, or a name alone), when it is older
  than the validity window (``Settings.attestation_validity_days``; a refusal stands: :func:`decide`),
  or when a record the item reads (the data of a ``review`` criterion) is dated after the answer.

An answer is ``valueBoolean``, or a yes/no ``valueCoding`` (HL7 v2-0136 Y/N, SNOMED CT, LOINC
LA33-6/LA32-8) as EHR forms write it; any other answer to an item is recorded as an answer that
does not count (so it still supersedes an older one: a withdrawal in an unexpected shape must not
leave the old consent standing). Items nested under an answer (``answer[].item``) are read too.

The answer ``true`` means the criterion's statement holds as written (for an exclusion: the
excluding condition is present), so it becomes the characteristic's truth before negation.
"""

from __future__ import annotations

import datetime as dt
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from types import MappingProxyType
from typing import Any

from fhir_eligibility.criteria.attestable import questionnaire_url
from fhir_eligibility.criteria.model import Criterion, Trial
from fhir_eligibility.evaluation.attestation_authors import author_text, not_by_staff, yes_no
from fhir_eligibility.evaluation.dates import last_day, parse_date
from fhir_eligibility.evaluation.patient_record import PatientRecord
from fhir_eligibility.evaluation.results import Attestation, Evidence, MissingData
from fhir_eligibility.logic import Truth
from fhir_eligibility.plain_text import cleaned
from fhir_eligibility.requirements.plan import leaf_needs

VALID_STATUS = ("completed", "amended")
REVIEW_PREFIX = "Clinician judgement: "  # a review item's text (criteria.attestable)
# what "yes" does, as the Questionnaire words each item (report.questionnaire): by the parity :func:`decide` uses
# (the item's kind, whether yes refuses) -> the hint; a review item's yes is a judgement of the data
YES_MEANS: Mapping[tuple[str, bool], str] = MappingProxyType(
    {
        ("manual", True): " (yes = the excluding condition is present, which rules the patient out)",
        ("manual", False): " (yes = it holds, which counts toward eligibility)",
        ("review", True): " (yes = you judge the excluding condition present, which rules the patient out)",
        ("review", False): " (yes = you judge it acceptable, which counts toward eligibility)",
    }
)
# any such hint a response copied with the item text (the one before review 18 was "(yes = the excluding
# condition is present)"), compared away as the review prefix is
_YES_HINT = re.compile(r"\s*\(\s*yes\s*=[^()]*\)\W*$", re.IGNORECASE)
WANTED = "recorded attestations (the patient's QuestionnaireResponses)"


@dataclass(frozen=True)
class Answer:
    value: bool
    by: str
    date: str  # authored's date as given: ISO, or a month or year ("2026-05"); "" none (decides nothing)
    response: str  # QuestionnaireResponse/<id>
    problem: str | None = None  # why it does not count (no author)
    comment: str | None = None
    stale: str | None = None  # older than the validity window: a "yes" no longer counts, a refusal stands
    text: str | None = None  # the item's text as the response wrote it (None: not written)
    earlier: Answer | None = None  # the next older answer to the same linkId
    instant: str = ""  # authored as a UTC instant (:func:`_instant`) when it gives a time of day, else its day
    timed: bool = False  # authored gives a time of day (a bare date: any time of that day)
    until: str = ""  # the last day authored may be (a month "2026-05": its last day); "" undated
    first: str = ""  # the first day authored may be (ISO); "" undated
    pending: bool = False  # its last day is after the as-of date: it may not be written yet on that day

    def of(self) -> str:
        """The response and its date, for a reason (:func:`_named`)."""
        return _named(self.response, self.date)


def _named(ref: str, date: str) -> str:
    """A response and its date as given, for a reason: ``QuestionnaireResponse/x of 2026-05``."""
    return f"{ref} of {date}" if date else f"{ref} (no authored date)"


Answers = dict[str, Answer]  # linkId -> the most recent answer
_Key = tuple[str, str]  # (sort instant, response id): the most recent first; the id only keeps the order stable
_LEAP_SECOND = re.compile(r"(T\d\d:\d\d):60(?:\.\d+)?")


def _instant(text: str) -> str | None:
    """``authored`` as a UTC instant always written to the microsecond, so that one instant is one text
    (``10:00:00Z`` and ``12:00:00.000+02:00`` tie); None when it gives no time of day (a bare date, a month).
    A leap second (``23:59:60Z``, FHIR-legal) is the last microsecond before the next minute: read as text it
    had sorted before every time of its day, and a withdrawal written then lost to that morning's consent."""
    if "T" not in text:
        return None
    try:
        t = dt.datetime.fromisoformat(_LEAP_SECOND.sub(r"\1:59.999999", text, count=1))
    except ValueError:
        return None
    if t.tzinfo is not None:
        t = t.astimezone(dt.UTC).replace(tzinfo=None)
    return t.isoformat(timespec="microseconds")


def _before(a: Answer, b: Answer) -> bool:
    """Whether ``a`` was certainly given before ``b``. Two times of day: by instant. Else by day: a bare date
    (or a month) may be any time of it, so it is after every day before it and unordered against a time on
    the same day (the time's own written, local, day: a bare date is local too). An undated answer is
    unordered against every other. Unordered answers are settled by :func:`_settled` (the refusal wins).
    Not a total order: answers no other is certainly after are the ones that may be the latest."""
    if not (a.first and b.first):
        return False
    if a.timed and b.timed:
        return a.instant < b.instant
    return a.until < b.first


def _items(items: object) -> Iterable[dict[str, Any]]:
    """Every item, groups and items nested under answers flattened (inclusion/exclusion sections)."""
    for item in items if isinstance(items, list) else []:
        if isinstance(item, dict):
            yield item
            yield from _items(item.get("item"))
            answers = item.get("answer")
            for a in answers if isinstance(answers, list) else []:
                if isinstance(a, dict):
                    yield from _items(a.get("item"))


def _answers(item: dict[str, Any]) -> list[dict[str, Any]]:
    """An item's answers, without the malformed ones (bad data is absent data, never an exception). All of them:
    the items are not ``repeats``, so two answers (``[true, false]``) are invalid FHIR (qrs-2) whose order
    says nothing; read as given at one instant, the refusal wins (:func:`_settled`)."""
    answers = item.get("answer")
    return [a for a in answers if isinstance(a, dict) and a] if isinstance(answers, list) else []


def _read(res: dict[str, Any], as_of: dt.date, validity_days: int) -> tuple[_Key, dict[str, list[Answer]]] | None:
    """One response's answers, or None when it does not count at all (status; written after ``as_of``).

    A partial date ("2026-05") may be any of its days (clinical.md §0.12): it is read while its first day is on
    or before ``as_of``, and :func:`decide` reads a refusal at the earliest day it may be and a favourable answer
    at the latest (``pending``: may not be written yet); it goes stale from its first day. A response with no
    ``authored`` (0..1 in R4) is read undated: it decides nothing, but may be the latest answer."""
    authored = res.get("authored")
    day = parse_date(authored)
    if res.get("status") not in VALID_STATUS or (day is not None and day > as_of):
        return None
    written = (last_day(authored) if isinstance(authored, str) else None) or day
    by = author_text(res)
    # the date as the record gives it: a month is not its first day; a time's own (local) written day
    date = "" if day is None else str(authored) if len(str(authored)) in (4, 7) else day.isoformat()
    ref = f"QuestionnaireResponse/{res.get('id', '?')}"
    of = _named(ref, date)
    problem = stale = None
    outsider = not_by_staff(res)  # before "no author": a Patient named by its identifier alone is a patient
    if outsider is not None:
        problem = (
            f"the attestation in {of} is by {by or 'an unnamed author'} ({outsider}): eligibility"
            " is attested by study staff, it does not count"
        )
    elif by is None:
        problem = f"the attestation in {of} names no author, it does not count"
    elif day is not None and day < as_of - dt.timedelta(days=validity_days):
        stale = f"the attestation by {by} on {date} is older than {validity_days} days (stale), it does not count"
    # every answer to every item: one linkId twice in a response (no then yes) is read as answers given at one
    # instant, not the last (or first) one winning
    given = [
        (item, a) for item in _items(res.get("item")) if isinstance(item.get("linkId"), str) for a in _answers(item)
    ]
    comments: dict[str, str] = {}
    for item, a in given:
        if item["linkId"].endswith("-comment") and isinstance(a.get("valueString"), str):
            comments.setdefault(item["linkId"][: -len("-comment")], cleaned(a["valueString"], one_line=False))
    out: dict[str, list[Answer]] = {}
    instant = _instant(str(authored)) if day is not None else None
    timed = instant is not None
    until = written.isoformat() if written is not None else ""
    first = day.isoformat() if day is not None else ""
    pending = written is not None and written > as_of
    # a bare date sorts after its day's times (it may be its end), an undated answer first; the order only
    # keeps the chain stable, :func:`_before` decides which answers may be the latest
    moment = instant if instant is not None else f"{until}T24" if until else ""
    for item, a in given:
        link, text = item["linkId"], item.get("text")
        if link.endswith("-comment"):
            continue
        said = yes_no(a)
        # answered in a shape that cannot decide: it supersedes older answers, and does not count
        why = problem or (f"the attestation in {of}: {said}, it does not count" if isinstance(said, str) else None)
        value = said if isinstance(said, bool) else False
        answer = Answer(
            value,
            by or "no author",
            date,
            ref,
            why,
            comments.get(link),
            stale,
            text if isinstance(text, str) else None,
            None,
            moment,
            timed,
            until,
            first,
            pending,
        )
        out.setdefault(link, []).append(answer)
    return (moment, str(res.get("id", ""))), out


def _chained(given: list[tuple[_Key, Answer]]) -> Answer:
    """The most recent answer, each holding the next older one (:func:`decide` skips those given to
    another wording of the item)."""
    older: Answer | None = None
    # oldest first; of two with the same key (a response read twice) the first read ends up on top
    for _key, a in sorted(reversed(given), key=lambda ka: ka[0]):
        older = replace(a, earlier=older)
    assert older is not None
    return older


def _latest_per_item(record: PatientRecord, as_of: dt.date, validity_days: int) -> dict[str, Answers]:
    """Questionnaire url -> linkId -> the most recent answer (and, through it, the older ones)."""
    given: dict[str, dict[str, list[tuple[_Key, Answer]]]] = {}
    for res in record.raw:
        if res.get("resourceType") != "QuestionnaireResponse" or not isinstance(res.get("questionnaire"), str):
            continue
        read = _read(res, as_of, validity_days)
        if read is None:
            continue
        key, answers = read
        per_item = given.setdefault(str(res["questionnaire"]).split("|")[0], {})
        for link, read_answers in answers.items():
            per_item.setdefault(link, []).extend((key, answer) for answer in read_answers)
    return {url: {link: _chained(a) for link, a in items.items()} for url, items in given.items()}


def lost(record: PatientRecord) -> str | None:
    """Why the patient's QuestionnaireResponses could not all be read (None: they were)."""
    u = record.unavailable_for(["QuestionnaireResponse"], frozenset())
    return None if u is None else u.reason


def wanted() -> MissingData:
    """What to collect when the responses were unavailable (the tree walk names the criterion)."""
    return MissingData("", WANTED, (), "any", None)


def _plain(text: str) -> str:
    """Text compared as words: NFKC, case-folded, without punctuation, symbols' accents, marks, spaces or
    controls. Why: an EHR's form copies the item text as it can (an ASCII apostrophe for the Questionnaire's
    ``´``, a trailing comma dropped, another case or normalisation); such a withdrawal was read as given to
    another wording and skipped, and the older consent decided."""
    t = unicodedata.normalize("NFKC", text).casefold()
    return "".join(
        ch for ch in t if unicodedata.category(ch)[0] not in "PZC" and unicodedata.category(ch) not in _MARKS
    )


_MARKS = frozenset({"Mn", "Me", "Sk"})  # a lone accent (NFKC makes ``´`` a space and a combining acute)
_PREFIX = _plain(REVIEW_PREFIX)


def _wording(text: str) -> str:
    """An item's text as the criterion's description (:func:`_plain`): without the review prefix or the
    Questionnaire's "(yes = ...)" hint."""
    t = _plain(_YES_HINT.sub("", unicodedata.normalize("NFKC", text)))
    return t[len(_PREFIX) :] if t.startswith(_PREFIX) else t


def _to_wording(c: Criterion, answer: Answer) -> bool:
    """Whether the answer was given to the item's current wording (one that wrote no text: at its linkId)."""
    return answer.text is None or _wording(answer.text) == _plain(c.description or c.id)


def _chain(answer: Answer | None) -> list[Answer]:
    """The answers to one linkId, the most recent first (by the sort key; :func:`_before` orders them)."""
    out: list[Answer] = []
    while answer is not None:
        out.append(answer)
        answer = answer.earlier
    return out


def _refuses(a: Answer, refusing: bool) -> bool:
    """A dated refusal that counts (a stale one too: it stands)."""
    return a.problem is None and a.value is refusing and bool(a.first)


def _leaning(a: Answer, refusing: bool) -> tuple[int, bool]:
    """0: a refusal that counts, 1: an answer that does not count (an undated one, whatever it says), 2: a
    favourable one; then one that may not be written yet (``pending``) after one that is."""
    if _refuses(a, refusing):
        return 0, a.pending
    return (2 if a.problem is None and a.stale is None and a.first else 1), a.pending


def _latest(given: list[Answer]) -> list[Answer]:
    """Those that may be the latest: no other was certainly given after them (:func:`_before`)."""
    return [a for a in given if not any(_before(a, b) for b in given)] or given  # a cycle: all may be last


def _settled(given: list[Answer], refusing: bool) -> Answer | None:
    """Of the answers to this wording (most recent first), those that may be the latest, the least favourable
    to the patient's eligibility: a refusal that counts, else one that does not count (the item stays open),
    else a favourable one. Why: which of two answers given at the same instant (a site's data written to the
    second), or of a bare date and a time that day, came last is unknowable, and a withdrawn consent read as
    given enrols a patient who refused, while the other mistake only asks someone to answer again.

    A date only by its month or year: a refusal is read at the earliest day it may be (it is among the
    answers from its first day), any other answer at the latest (``pending``: it may not be written yet, so
    the answers without it are weighed too). An undated answer decides nothing; unless favourable it may be
    the latest (a withdrawal), so it is weighed as an answer that does not count. ``refusing``: the value that
    refuses. None: no answer to weigh (only undated favourable ones)."""
    dated = [a for a in given if a.first]
    maybe = [a for a in dated if a.pending and not _refuses(a, refusing)]
    without = [a for a in dated if not any(a is m for m in maybe)]
    weighed = _latest(dated) if dated else []
    weighed += [a for a in _latest(without) if not any(a is w for w in weighed)] if without else []
    weighed += [a for a in given if not a.first and (a.problem is not None or a.value is refusing)]
    return min(weighed, key=lambda a: _leaning(a, refusing)) if weighed else None  # of equals the first in the chain


def _undated(a: Answer) -> str:
    """Why an undated answer decides nothing (``authored`` is 0..1 in R4): when it was given is unknown, so a
    refusal may be long past and a consent the latest answer or not; unless favourable it may be a withdrawal,
    which is why it keeps a favourable answer from counting (:func:`_settled`)."""
    said = "yes" if a.value else "no"
    what = f"its answer {said!r}" if a.problem is None else "its answer"
    return (
        f"the attestation in {a.response} has no date (authored): {what} may be the latest or long past,"
        " it decides nothing"
    )


def _unwritten(a: Answer, as_of: dt.date) -> str:
    """Why a favourable answer dated only by its month or year does not count yet: read at its latest day."""
    return (
        f"the attestation in {a.of()} may be any day to {a.until}: it may not be written yet on {as_of.isoformat()},"
        " it does not count"
    )


def _reworded_since(answer: Answer, other: list[Answer]) -> str | None:
    """Why a favourable answer does not count when an answer at its linkId to another wording may be later
    (its text too far from the criterion's for :func:`_plain`): which item that person meant is unknown, and
    it may be a withdrawal, so the older consent must not stand. A refusal stands whatever comes after it in
    another wording."""
    later = next((o for o in other if not _before(o, answer)), None)
    if later is None:
        return None
    return (
        f"the answer in {later.of()}, at this item's linkId but to another wording "
        f"({later.text!r}), may be later than the one of {answer.date}, which does not count"
    )


def latest_answers(record: PatientRecord, as_of: dt.date, validity_days: int) -> dict[str, Answers]:
    """Questionnaire url -> the answers that may decide its items (read once per patient, for all trials)."""
    return _latest_per_item(record, as_of, validity_days)


def answers_for(record: PatientRecord, trial: Trial, as_of: dt.date, validity_days: int) -> Answers:
    """The answers that may decide this trial's items for this patient (empty: nobody answered).
    Evaluating several trials, read :func:`latest_answers` once and pick each trial's url."""
    return _latest_per_item(record, as_of, validity_days).get(questionnaire_url(trial), {})


def _reads(c: Criterion) -> tuple[tuple[str, frozenset[tuple[str, str]]], ...]:
    """(resource type, codes) the item's subtree reads, from the planner (manual items read nothing).
    Not kept: only an answered item is checked, once per evaluation."""
    return tuple((t, codes) for t, codes, _since in leaf_needs(c, (), None, 0) if t != "Patient")


def _newer_data(c: Criterion, record: PatientRecord, answer: Answer, as_of: dt.date, refusing: bool) -> str | None:
    """Whether a record the item reads is dated after the answer: the judgement did not see it.
    Only records there on ``as_of`` (one dated later did not exist yet on that day); on the answer's
    own day or across midnight in another time zone, by the time when both give one.

    Read from the record, not from the evidence, so the check is the same whether or not the
    evaluation keeps explanations (screening does not)."""
    # a month or a year: a favourable judgement at its first day (it may not have seen what came after), a
    # refusal at its last
    day = dt.date.fromisoformat(answer.until if answer.value is refusing else answer.first)
    timed = answer.timed  # a bare date: the judgement's time of day is not known
    for kind, codes in _reads(c):
        for f in record.facts([kind], codes):
            if f.date is None or f.date > as_of:
                continue
            # both timed: the instants (a BP at 22:00Z after a judgement at 00:30+05:00, 19:30Z, though its
            # written day is the earlier); else the written days
            at = _instant(f.instant) if timed else None
            later = at > answer.instant if at is not None else f.date > day
            if later:
                return (
                    f"the judgement by {answer.by} on {answer.date} predates {f.ref} of {f.date.isoformat()}"
                    " (stale), it does not count"
                )
    return None


def decide(
    c: Criterion,
    truth: Truth,
    reason: str,
    evidence: tuple[Evidence, ...],
    answers: Answers,
    record: PatientRecord,
    parity_here: int,
    as_of: dt.date,
) -> tuple[Truth, str, tuple[Evidence, ...], Attestation | None] | None:
    """The criterion's (truth, reason, evidence, attestation) once its answer is applied; None: no answer.

    A stale answer leaves the truth as it was and says why in the reason, except a refusal (a "no" to
    an inclusion, a "yes" to an exclusion): it stands until someone answers again. The validity
    window keeps an old "yes" from enrolling a patient whose situation may have changed; an old "no"
    aging out would forecast the patient as becoming eligible on that day, which nothing supports.
    ``parity_here``: the excludes on the path to the item, its own included. An item under an
    exclusion ("hypersensitivity to the study drug", part of A-E15) is refused by a "yes", though it
    is no exclusion itself: the answer is favourable when, through every exclude above, it passes.

    When the patient's responses were unavailable, the item is UNKNOWN (the caller adds :func:`wanted`
    to what to collect): whatever was read, a newer answer (a refusal) may be among the lost ones.
    An answer given to another wording of the item (before a protocol amendment) does not count."""
    why_lost = lost(record) if record.unavailable else None
    if why_lost is not None:
        return (
            Truth.UNKNOWN,
            f"{reason}; attestations unavailable ({why_lost}), a recorded answer may decide it",
            evidence,
            None,
        )
    current: list[Answer] = []
    other: list[Answer] = []
    for a in _chain(answers.get(c.id)):
        (current if _to_wording(c, a) else other).append(a)
    if not current:
        if not other:
            return None
        skipped = other[0]
        amended = (
            f"the answer in {skipped.of()} was given to another wording of this item "
            f"({skipped.text!r}; the protocol was amended since), it does not count"
        )
        return truth, f"{reason}; {amended}", evidence, None
    refusing = parity_here % 2 == 1  # "no" refuses an inclusion, "yes" an exclusion (through every exclude above)
    answer = _settled(current, refusing)
    if answer is None:  # only undated favourable answers
        return truth, f"{reason}; {_undated(current[0])}", evidence, None
    refusal = answer.value is refusing
    problem = (
        answer.problem
        or (_undated(answer) if not answer.first else None)
        or (_unwritten(answer, as_of) if answer.pending and not refusal else None)
        or (None if refusal else answer.stale or _reworded_since(answer, other))
        or _newer_data(c, record, answer, as_of, refusing)
    )
    if problem is not None:
        return truth, f"{reason}; {problem}", evidence, None
    said = "yes" if answer.value else "no"
    note = f"attested by {answer.by} on {answer.date}" + (f": {answer.comment}" if answer.comment else "")
    ev = (*evidence, Evidence(answer.response, answer.value, None, answer.date, note))
    if truth is Truth.REVIEW:
        text = f"clinician judgement by {answer.by} on {answer.date}: {said} (data: {reason})"
    else:
        text = f"attested by {answer.by} on {answer.date}: {said}"
    if answer.stale is not None:
        text += " (older than the validity window: a refusal stands until answered again)"
    return Truth.of(answer.value), text, ev, Attestation(answer.by, answer.date, answer.response)


__all__ = [
    "YES_MEANS",
    "Answer",
    "Answers",
    "answers_for",
    "decide",
    "latest_answers",
    "lost",
    "wanted",
]
