"""CDS Hooks 2.0 cards from trial results (pure: reads results, never evaluates, no clock, no I/O).

One card per trial the patient may enter. Indicators, chosen so that ``warning`` means "you can
act on this now":

    eligible      info     every criterion passed; the card is a pointer to the trial
    needs-review  info     computable criteria passed; a person must confirm manual/judgement ones
    undetermined  warning  data are missing: the detail lists what to collect to decide
    ineligible    info     only when configured to show them (a criterion failed)

The card ``uuid`` is derived from the hook instance and the trial (UUID v5), so the same call
renders the same cards and feedback can be traced back to the trial without storing anything.
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from datetime import date
from typing import Any

from fhir_eligibility.evaluation.collect import collect_first
from fhir_eligibility.evaluation.results import CriterionResult, Result, TrialResult, Verdict
from fhir_eligibility.report import format as fmt
from fhir_eligibility.report.when import headline, rescreen

INDICATOR: dict[Verdict, str] = {
    Verdict.ELIGIBLE: "info",
    Verdict.NEEDS_REVIEW: "info",
    Verdict.UNDETERMINED: "warning",
    Verdict.INELIGIBLE: "info",
}
STATUS: dict[Verdict, str] = {
    Verdict.ELIGIBLE: "eligible on available data",
    Verdict.NEEDS_REVIEW: "possibly eligible, needs review",
    Verdict.UNDETERMINED: "eligibility undetermined, data missing",
    Verdict.INELIGIBLE: "not eligible",
}
# The results that decide each verdict (evaluation.engine.verdict_of): what a card lists as "decided by".
DECIDING: dict[Verdict, tuple[Result, ...]] = {
    Verdict.INELIGIBLE: (Result.FAIL,),
    Verdict.UNDETERMINED: (Result.UNKNOWN,),
    Verdict.NEEDS_REVIEW: (Result.REVIEW, Result.MANUAL),
    Verdict.ELIGIBLE: (),
}
_ORDER = (Verdict.ELIGIBLE, Verdict.NEEDS_REVIEW, Verdict.UNDETERMINED, Verdict.INELIGIBLE)
MAX_SUMMARY = 139  # CDS Hooks: "<140-character summary"
MAX_ITEMS = 3  # deciding items on a card; the report page has the rest
MAX_TESTS = 4  # tests named in "Next step" (collectFirst orders; the report page has the rest)
MAX_TEST = 80  # characters of one test's name
CARD_NAMESPACE = uuid.UUID("8f0e6c1e-2d55-4a5b-9f57-3c1f5c0b7a11")
NCT_SYSTEM = "https://clinicaltrials.gov"  # ClinicalTrials.gov's identifier system (NCT numbers)
# a trial the definitions identify by no NCT number is known by the product's own id (the ResearchStudy id)
TRIAL_ID_SYSTEM = "http://fhir-eligibility.org/fhir/CodeSystem/trial-id"
LINK_LABEL = "Full eligibility report"
_NCT = re.compile(r"NCT\d{8}")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")

ReportLink = Callable[[TrialResult], str | None]


def card_uuid(hook_instance: str, trial: str) -> str:
    """Stable per (hook call, trial): retried calls give the same uuid, feedback maps back to the trial."""
    return str(uuid.uuid5(CARD_NAMESPACE, f"{hook_instance}|{trial}"))


def topic(result: TrialResult) -> dict[str, str]:
    """The card's ``source.topic`` Coding: always with its system (CDS Hooks: code and system are required)."""
    system = NCT_SYSTEM if _NCT.fullmatch(result.trial) else TRIAL_ID_SYSTEM
    return {"system": system, "code": result.trial, "display": short_title(result)}


def trial_url(trial: str) -> str | None:
    """The ClinicalTrials.gov page of an NCT number (None for other identifiers)."""
    return f"https://clinicaltrials.gov/study/{trial}" if _NCT.fullmatch(trial) else None


def short_title(result: TrialResult) -> str:
    """The trial's title without its id prefix or internal notes (the card's source names the trial)."""
    t = fmt.title(result.title)
    if t.startswith(result.trial):
        t = t[len(result.trial) :].lstrip(" :–-")
    return t or result.trial


def summary(result: TrialResult) -> str:
    """``Status: title``, the title cut at a word so the whole stays under 140 characters."""
    head = STATUS[result.verdict].capitalize()
    return fmt.shorten(f"{head}: {short_title(result)}", MAX_SUMMARY)


def md(text: str) -> str:
    """One line of text safe inside GitHub-flavoured Markdown: no raw HTML, links or emphasis."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _item(c: CriterionResult) -> str:
    """A deciding criterion in a clinician's words: what it asks and the value that decided it."""
    what = fmt.label(c.description or c.id, 70)
    if c.result is Result.MANUAL:
        return f"- {md(what)} (to attest)"
    why = fmt.shorten(fmt.reason(c.reason), 110) if c.reason else ""
    return f"- {md(what)}" + (f": {md(why)}" if why and why != what else "")


def deciding(result: TrialResult) -> list[CriterionResult]:
    """The criteria that decide the verdict, data-triggered reviews before manual attestations."""
    wanted = DECIDING[result.verdict]
    return sorted((c for c in result.criteria if c.result in wanted), key=lambda c: wanted.index(c.result))


def _dated(not_before: str | None, by: str | None) -> str:
    """When a result counts, as collectFirst gives it (an open end is not named)."""
    if not_before and by:
        return f"dated {not_before} to {by}"
    return f"dated on or after {not_before}" if not_before else f"by {by}" if by else ""


def _collect(result: TrialResult) -> list[str]:
    """The tests to order, as ``collectFirst`` groups them (evaluation.collect): one name per order, so
    "ALT > 5 x ULN" and "ALT in the last 4 weeks" are one ALT, and the name is the test, not a threshold."""
    items = collect_first([result])
    names = list(dict.fromkeys(fmt.label(i.what, MAX_TEST) for i in items))
    more = f" and {len(names) - MAX_TESTS} more tests" if len(names) > MAX_TESTS else ""
    bounds = {tuple(fmt.fhir_date(d, fmt.FHIR_DATETIME) for d in (i.not_before, i.by)) for i in items}
    last = min((hi for _lo, hi in bounds if hi), default=None)
    dated = _dated(*next(iter(bounds))) if len(bounds) == 1 else ""
    by = f", {dated}" if dated else f" (by {last})" if last else ""
    return [f"**Next step:** collect {md('; '.join(names[:MAX_TESTS]))}{more}{by}."]


def review_step(result: TrialResult) -> str:
    """The two kinds of "needs review", data-driven first: a clinician judges the data, a person attests."""
    judge = sum(1 for c in result.criteria if c.result is Result.REVIEW)
    attest = sum(1 for c in result.criteria if c.result is Result.MANUAL)
    steps = [f"clinician judgement of {judge} item(s)" if judge else "", f"attest {attest} item(s)" if attest else ""]
    return ", then ".join(s for s in steps if s) or "review the open items"


def next_step(result: TrialResult) -> list[str]:
    """What to do now: collect data, attest manual items, contact the trial team, or nothing."""
    if result.verdict is Verdict.INELIGIBLE:
        day = rescreen(result)
        if day:  # a washout or a wait ends: time alone opens the trial
            return [f"**Next step:** screen again on {day}; nothing to collect now."]
        return ["**Next step:** none; nothing to collect (a criterion is not met)."]
    if result.verdict is Verdict.UNDETERMINED and result.missing_data:
        return _collect(result)
    if result.verdict is Verdict.NEEDS_REVIEW:
        return [f"**Next step:** {review_step(result)} on the full report, then contact the trial team."]
    if result.verdict is Verdict.UNDETERMINED:
        return ["**Next step:** collect the data named above."]
    return ["**Next step:** contact the trial team to confirm eligibility."]


def detail(result: TrialResult, as_of: date) -> str:
    """Markdown, at most 8 non-blank lines: the verdict, when it starts or stops holding, up to 3 deciding
    items with values, the next step."""
    items = list(dict.fromkeys(_item(c) for c in deciding(result)))
    lines = [f"**{STATUS[result.verdict].capitalize()}** as of {as_of.isoformat()}."]
    if result.assumed_attested:
        lines[0] += " Manual criteria were assumed attested."
    when = headline(result)
    if when:  # issue 16: the date to plan around, on the line under the verdict
        lines.append(f"**When:** {md(when)}.")
    if items:
        lines += ["", "**Decided by:**", *items[:MAX_ITEMS]]
        if len(items) > MAX_ITEMS:
            lines.append(f"- and {len(items) - MAX_ITEMS} more on the full report")
    lines += ["", *next_step(result)]
    return "\n".join(lines)


def card(
    result: TrialResult,
    *,
    as_of: date,
    hook_instance: str,
    source_label: str,
    report_link: ReportLink | None = None,
) -> dict[str, Any]:
    """One card; optional fields are omitted when empty (CDS Hooks: no nulls, no empty values)."""
    source: dict[str, Any] = {"label": source_label, "topic": topic(result)}
    url = trial_url(result.trial)
    if url:
        source["url"] = url
    out: dict[str, Any] = {
        "uuid": card_uuid(hook_instance, result.trial),
        "summary": summary(result),
        "indicator": INDICATOR[result.verdict],
        "detail": detail(result, as_of),
        "source": source,
    }
    link = report_link(result) if report_link else None
    if link:
        out["links"] = [{"label": LINK_LABEL, "url": link, "type": "absolute"}]
    return out


def shown(results: Iterable[TrialResult], include_ineligible: bool = False) -> list[TrialResult]:
    """The results that get a card, most actionable first (eligible, needs review, undetermined)."""
    kept = [r for r in results if include_ineligible or r.verdict is not Verdict.INELIGIBLE]
    return sorted(kept, key=lambda r: (_ORDER.index(r.verdict), r.trial))


def cards(
    results: Sequence[TrialResult],
    *,
    as_of: date,
    hook_instance: str,
    source_label: str = "Clinical-trial eligibility",
    include_ineligible: bool = False,
    report_link: ReportLink | None = None,
) -> list[dict[str, Any]]:
    """The ``cards`` array of a CDS Hooks response (empty when no trial fits)."""
    return [
        card(r, as_of=as_of, hook_instance=hook_instance, source_label=source_label, report_link=report_link)
        for r in shown(results, include_ineligible)
    ]


__all__ = [
    "DECIDING",
    "INDICATOR",
    "LINK_LABEL",
    "NCT_SYSTEM",
    "STATUS",
    "TRIAL_ID_SYSTEM",
    "card",
    "card_uuid",
    "cards",
    "deciding",
    "detail",
    "md",
    "next_step",
    "short_title",
    "shown",
    "summary",
    "topic",
    "trial_url",
]
