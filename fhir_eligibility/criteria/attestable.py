"""Which criteria a person answers: the items of a trial's attestation Questionnaire.

One walk of the criteria tree serves the Questionnaire renderer, the planner (a trial with items
needs the patient's QuestionnaireResponses) and the evaluator (which response belongs to which
trial): they cannot disagree about linkIds, url or version.

An item is a manual criterion (consent, imaging read, tumour board...) or a criterion that can end
in ``review`` (a judgement flag, a derived score that only clinical inputs can settle, or a
same-record combination met by different records). Its linkId is the criterion id; the answer
``true`` means the criterion's statement holds as written (for an exclusion: the excluding
condition is present).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass

from fhir_eligibility.criteria.model import Combination, Criterion, Derived, Manual, Trial
from fhir_eligibility.measures.concepts import DERIVED

# Derived scores whose value can straddle the threshold only because of clinical inputs that are
# never coded (Child-Pugh: ascites, encephalopathy); see evaluation.forms.derived.derived_value.
BASE_URL = "http://fhir-eligibility.org/fhir/Questionnaire"


@dataclass(frozen=True)
class Item:
    link_id: str
    text: str
    kind: str  # "manual" | "review"
    section: str  # "inclusion" | "exclusion": of its top-level criterion
    top: str  # id of its top-level criterion


def _kind(c: Criterion) -> str | None:
    d = c.definition
    if isinstance(d, Manual):
        return "manual"
    if c.judgement or (isinstance(d, Derived) and d.concept in DERIVED and DERIVED[d.concept].judged):
        return "review"
    if isinstance(d, Combination) and d.same_record:  # met by different records: a person says if they are one
        return "review"
    return None


def items(trial: Trial) -> tuple[Item, ...]:
    """Every attestable node, in protocol order; a linkId used twice in the tree is asked once."""
    out: dict[str, Item] = {}

    def walk(c: Criterion, top: Criterion) -> None:
        kind = _kind(c)
        if kind is not None and c.id not in out:
            text = " ".join((c.description or c.id).split())
            if kind == "review":
                text = f"Clinician judgement: {text}"
            out[c.id] = Item(c.id, text, kind, "exclusion" if top.exclude else "inclusion", top.id)
        if isinstance(c.definition, Combination):
            for k in c.definition.children:
                walk(k, top)

    for top in trial.criteria:
        walk(top, top)
    return tuple(out.values())


def questionnaire_url(trial: Trial) -> str:
    """The url of the trial's Questionnaire (names the trial; answers are filed under it)."""
    return f"{BASE_URL}/eligibility-{trial.id}"


def canonical(trial: Trial) -> tuple[str, str]:
    """(url, version) of the trial's Questionnaire: the url names the trial, the version is a hash of
    the items, so a changed protocol gives a new version while unchanged linkIds keep their answers.
    Computed on each call: only the Questionnaire and its form need the version (the evaluation
    needs the url only, :func:`questionnaire_url`)."""
    digest = hashlib.sha256()
    for i in items(trial):
        digest.update(f"{i.link_id}\x1f{i.kind}\x1f{i.section}\x1f{i.text}\x1e".encode())
    return questionnaire_url(trial), digest.hexdigest()[:12]


__all__ = ["Item", "canonical", "items", "questionnaire_url"]
