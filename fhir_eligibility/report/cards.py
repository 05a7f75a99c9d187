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

from fhir_eligibility.evaluation.results import CriterionResult, MissingData, Result, TrialResult, Verdict

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
_ORDER = (Verdict.ELIGIBLE, Verdict.NEEDS_REVIEW, Verdict.UNDETERMINED, Verdict.INELIGIBLE)
MAX_SUMMARY = 139  # CDS Hooks: "<140-character summary"
MAX_ITEMS = 25  # per detail section; the report page has the rest
CARD_NAMESPACE = uuid.UUID("8f0e6c1e-2d55-4a5b-9f57-3c1f5c0b7a11")
_NCT = re.compile(r"NCT\d{8}")
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#])")

ReportLink = Callable[[TrialResult], str | None]


def card_uuid(hook_instance: str, trial: str) -> str:
    """Stable per (hook call, trial): retried calls give the same uuid, feedback maps back to the trial."""
    return str(uuid.uuid5(CARD_NAMESPACE, f"{hook_instance}|{trial}"))


def trial_url(trial: str) -> str | None:
    """The ClinicalTrials.gov page of an NCT number (None for other identifiers)."""
    return f"https://clinicaltrials.gov/study/{trial}" if _NCT.fullmatch(trial) else None


def summary(result: TrialResult) -> str:
    """``NCT…: status – title``, the title shortened so the whole stays under 140 characters."""
    head = f"{result.trial}: {STATUS[result.verdict]}"
    title = " ".join(result.title.split())
    if not title or len(head) + 4 > MAX_SUMMARY:
        return head[:MAX_SUMMARY]
    room = MAX_SUMMARY - len(head) - 3
    if len(title) > room:
        title = title[: room - 1].rstrip() + "…"
    return f"{head} – {title}"


def md(text: str) -> str:
    """One line of text safe inside GitHub-flavoured Markdown: no raw HTML, links or emphasis."""
    return _MD_SPECIAL.sub(r"\\\1", " ".join(text.split()))


def _line(c: CriterionResult) -> str:
    desc = md(c.description or c.id)
    reason = md(c.reason)
    return f"- **{md(c.id)}** ({c.type}) {desc}" + (f": {reason}" if reason and reason != desc else "")


def _missing_line(m: MissingData) -> str:
    codes = ", ".join(m.codes)
    text = f"- {md(m.what)}" + (f" ({md(codes)})" if codes else "") + f", {md(m.window)}"
    if m.latest_useful:
        text += f"; latest useful {md(m.latest_useful)}"
    return text + f" — for **{md(m.criterion)}**"


def _section(title: str, lines: list[str]) -> list[str]:
    if not lines:
        return []
    shown = lines[:MAX_ITEMS]
    if len(lines) > MAX_ITEMS:
        shown.append(f"- … and {len(lines) - MAX_ITEMS} more (see the report)")
    return ["", f"**{title}**", "", *shown]


def detail(result: TrialResult, as_of: date) -> str:
    """Markdown: the verdict, then failing, unknown and manual criteria, then the data to collect."""
    by: dict[Result, list[str]] = {}
    for c in result.criteria:
        by.setdefault(c.result, []).append(_line(c))
    lines = [f"**{md(result.title)}** ({result.trial}): {STATUS[result.verdict]} as of {as_of.isoformat()}."]
    if result.assumed_attested:
        lines.append("")
        lines.append("Manual criteria were assumed attested.")
    lines += _section("Failing criteria", by.get(Result.FAIL, []))
    lines += _section("Unknown criteria", by.get(Result.UNKNOWN, []))
    lines += _section("Manual or review criteria", by.get(Result.MANUAL, []) + by.get(Result.REVIEW, []))
    lines += _section("Data to collect", [_missing_line(m) for m in result.missing_data])
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
    source: dict[str, Any] = {"label": source_label}
    url = trial_url(result.trial)
    if url:
        source["url"] = url
        source["topic"] = {"system": "https://clinicaltrials.gov", "code": result.trial, "display": result.title}
    out: dict[str, Any] = {
        "uuid": card_uuid(hook_instance, result.trial),
        "summary": summary(result),
        "indicator": INDICATOR[result.verdict],
        "detail": detail(result, as_of),
        "source": source,
    }
    link = report_link(result) if report_link else None
    if link:
        out["links"] = [{"label": "Eligibility report", "url": link, "type": "absolute"}]
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


__all__ = ["INDICATOR", "STATUS", "card", "card_uuid", "cards", "detail", "md", "shown", "summary", "trial_url"]
