"""A trial's attestation checklist as an R4 ``Questionnaire``, and a coordinator's answers to it as a
``QuestionnaireResponse`` (+ ``Provenance``). Pure: ids and timestamps are arguments.

The items come from :mod:`fhir_eligibility.criteria.attestable` (the evaluator reads the answers
by the same linkIds, url and version). ``true`` means the criterion's statement holds as written:
for an exclusion, that the excluding condition is present.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

from fhir_eligibility.criteria.attestable import Item, canonical, items
from fhir_eligibility.criteria.model import Combination, Criterion, Trial
from fhir_eligibility.errors import InputError
from fhir_eligibility.evaluation.attestation import YES_MEANS
from fhir_eligibility.plain_text import first_not_text

Json = dict[str, Any]
SECTIONS = (("inclusion", "Inclusion criteria"), ("exclusion", "Exclusion criteria"))
YES = {"yes", "y", "true", "1"}
NO = {"no", "n", "false", "0"}
PARTICIPANT_TYPE = "http://terminology.hl7.org/CodeSystem/provenance-participant-type"
_UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


def check_text(text: str, what: str, *, one_line: bool) -> None:
    """:class:`InputError` when typed text holds a character a FHIR string must not, or that shows it as
    other text than it is: a control character, a format character (U+202E makes "Dr Ada" read backwards,
    U+200B makes "Dr\u200bAda" look like "DrAda"), a lone surrogate or a line or paragraph separator
    (U+2028, U+2029: a form's text box sends a line feed); in a name (``one_line``) a tab or a line break
    too. One rule with the text read from outside records (:mod:`fhir_eligibility.plain_text`).

    Why refused rather than stripped: an attestation records who said what, and text cleaned without a
    word would be recorded as said when it was not; a person typing in the form never sends these, so
    the sender (a script, a paste) is told (400 on the served form, exit 2 for ``attest``) and can resend."""
    found = first_not_text(text, one_line=one_line)
    if found is not None:
        raise InputError(
            f"{what} holds U+{ord(found):04X}, which is no plain text (a control, format, invisible, line break "
            "or lone surrogate character): not recorded"
        )


def yes_refuses(trial: Trial) -> dict[str, bool]:
    """Per item, whether "yes" rules the patient out: an odd count of exclusions on the path to it, its own
    included, as the evaluation decides (evaluation.combination passes that parity to attestation.decide).
    Why not by section: an item under a "must NOT hold" inside an inclusion (E-I5's somatostatin-analogue
    judgement) is refused by "yes", and one under an exclusion's own exclusion is not; a clinician read no
    hint there and answered "yes" to a short-acting analogue. A linkId met twice is asked once: its first."""
    out: dict[str, bool] = {}

    def walk(c: Criterion, parity: int) -> None:
        here = parity + (1 if c.exclude else 0)
        out.setdefault(c.id, here % 2 == 1)
        if isinstance(c.definition, Combination):
            for k in c.definition.children:
                walk(k, here)

    for top in trial.criteria:
        walk(top, 0)
    return {i.link_id: out[i.link_id] for i in items(trial)}


def yes_means(trial: Trial) -> dict[str, str]:
    """Per item, the hint the Questionnaire adds to its text: what "yes" does (rules the patient out, or counts
    toward eligibility; for a judgement item, as a judgement). Said for every item: "Raised quantitative hCG:
    pregnancy or tumour hCG, a clinician decides" is no yes/no statement, and its "yes" (acceptable: tumour
    hCG) counts, while under the pregnancy exclusion "yes" (pregnancy) rules out. The evaluator compares texts
    without it (attestation._wording)."""
    refuses = yes_refuses(trial)
    return {i.link_id: YES_MEANS[i.kind, refuses[i.link_id]] for i in items(trial)}


def _boolean_item(i: Item, hint: str) -> Json:
    return {"linkId": i.link_id, "text": i.text + hint, "type": "boolean"}


def questionnaire(trial: Trial) -> Json:
    """One boolean item per manual or reviewable criterion, each with an optional comment, by section."""
    url, version = canonical(trial)
    hints = yes_means(trial)
    groups: list[Json] = []
    for section, title in SECTIONS:
        entries: list[Json] = []
        for i in items(trial):
            if i.section == section:
                entries.append(_boolean_item(i, hints[i.link_id]))
                entries.append({"linkId": f"{i.link_id}-comment", "text": f"Comment on {i.link_id}", "type": "string"})
        if entries:
            groups.append({"linkId": section, "text": title, "type": "group", "item": entries})
    return {
        "resourceType": "Questionnaire",
        "id": f"eligibility-{trial.id}",
        "url": url,
        "version": version,
        "name": "Eligibility" + re.sub(r"[^A-Za-z0-9_]", "_", trial.id),
        "title": f"Eligibility attestations: {trial.id} {trial.title}"[:250],
        "status": "active",
        "subjectType": ["Patient"],
        "description": (
            "Criteria only a person can attest (consent, imaging reads, tumour board...) and data-driven items that "
            "need a clinician's judgement. Answer yes when the criterion's statement holds as written (for an "
            "exclusion: the excluding condition is present); each item says what its yes does: it rules the "
            "patient out, or it counts toward eligibility."
        ),
        "item": groups,
    }


def parse_answer(text: str) -> bool:
    """``yes``/``no`` (also y/n, true/false, 1/0) -> bool."""
    value = text.strip().lower()
    if value in YES:
        return True
    if value in NO:
        return False
    raise InputError(f"answer {text!r} is not yes or no")


def questionnaire_response(
    trial: Trial,
    patient_id: str,
    answers: Mapping[str, bool],
    *,
    author: str,
    authored: str,
    response_id: str,
    comments: Mapping[str, str] | None = None,
    author_reference: str | None = None,
) -> Json:
    """A completed response; an answer to an item the trial does not have is an error (a typo would be lost).

    ``author_reference``: who answered as an authenticated party named them (the CDS service: the hook's
    ``context.userId``); ``author`` is then only its display, whatever it says ("": no reference at all). Without
    it (``attest``, run
    by whoever holds the server's credentials) an ``author`` written ``Practitioner/<id>`` is a reference."""
    comments = comments or {}
    check_text(author, "the author's name", one_line=True)
    for link_id, comment in comments.items():
        check_text(comment, f"the comment on {link_id}", one_line=False)
    known = {i.link_id: i for i in items(trial)}
    unknown = sorted(set(answers) - set(known)) + sorted(set(comments) - set(known))
    if unknown:
        raise InputError(f"{trial.id} has no attestation item {', '.join(unknown)} (see `questionnaire {trial.id}`)")
    url, version = canonical(trial)
    groups: list[Json] = []
    for section, title in SECTIONS:
        entries: list[Json] = []
        for i in known.values():
            if i.section != section:
                continue
            if i.link_id in answers:
                entries.append({"linkId": i.link_id, "text": i.text, "answer": [{"valueBoolean": answers[i.link_id]}]})
            if i.link_id in comments:
                entries.append({"linkId": f"{i.link_id}-comment", "answer": [{"valueString": comments[i.link_id]}]})
        if entries:
            groups.append({"linkId": section, "text": title, "item": entries})
    return {
        "resourceType": "QuestionnaireResponse",
        "id": response_id,
        "questionnaire": f"{url}|{version}",
        "status": "completed",
        "subject": {"reference": f"Patient/{patient_id}"},
        "authored": authored,
        "author": _reference(author) if author_reference is None else _named(author_reference, author),
        "item": groups,
    }


def _named(reference: str, display: str) -> Json:
    """The authenticated party as the reference, the typed name only as its display ("": display only)."""
    return {"reference": reference, "display": display} if reference else {"display": display}


def _reference(who: str) -> Json:
    """``Practitioner/x`` (or PractitionerRole/..., Patient/...) as a reference, anything else as a display name:
    a patient's reference stays one, so the reader sees who answered (``attestation_authors.not_staff``)."""
    if re.fullmatch(r"(Practitioner|PractitionerRole|Person|RelatedPerson|Patient)/[A-Za-z0-9\-.]{1,64}", who):
        return {"reference": who}
    return {"display": who}


def provenance(response: Json, provenance_id: str, *, recorded: str | None = None) -> Json:
    """Who attested, when: the R4 Provenance of a response. ``recorded`` (an instant) defaults to ``authored``;
    a response authored as a bare date needs one (``attest`` gives the time it writes the record)."""
    return {
        "resourceType": "Provenance",
        "id": provenance_id,
        "target": [{"reference": f"QuestionnaireResponse/{response['id']}"}],
        "recorded": recorded or response["authored"],
        "activity": {
            "coding": [{"system": "http://terminology.hl7.org/CodeSystem/v3-DataOperation", "code": "CREATE"}]
        },
        "agent": [
            {
                "type": {"coding": [{"system": PARTICIPANT_TYPE, "code": "author"}]},
                "who": response["author"],
            }
        ],
    }


def attestation_bundle(response: Json, prov: Json | None) -> Json:
    """A transaction Bundle a FHIR server accepts as is, and that ``evaluate`` reads from a folder."""
    entries = [response] + ([prov] if prov is not None else [])
    return {
        "resourceType": "Bundle",
        "type": "transaction",
        "entry": [
            {
                **({"fullUrl": f"urn:uuid:{r['id']}"} if _UUID.fullmatch(r["id"]) else {}),
                "resource": r,
                "request": {"method": "PUT", "url": f"{r['resourceType']}/{r['id']}"},
            }
            for r in entries
        ],
    }


__all__ = [
    "attestation_bundle",
    "parse_answer",
    "provenance",
    "questionnaire",
    "questionnaire_response",
    "yes_means",
    "yes_refuses",
]
