"""Reading the HTML pages without a browser, for the tests/report/test_html*.py modules: a structural
parse (every element with its attributes and ancestors), the page's data block, and a report and a
screening summary whose every string carries markup.

Why a structural parse rather than string matching: "no fetches" and "every <th> has a scope" are claims about
elements and attributes, and a hostile string in the data must never become one.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

from fhir_eligibility.evaluation.results import (
    CriterionResult,
    Evidence,
    MissingData,
    Point,
    Report,
    Result,
    Series,
    TrialResult,
    Verdict,
)

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "tests" / "fixtures" / "mini"
EVIL = "<script>alert(1)</script>\"'><img src=x onerror=alert(2)>&amp;"
AS_OF = dt.date(2026, 6, 1)


@dataclass
class Element:
    tag: str
    attrs: dict[str, str]
    parents: tuple[str, ...]


@dataclass
class Page(HTMLParser):
    """Every element with its attributes and ancestors, and the text of <style> and <script>."""

    elements: list[Element] = field(default_factory=list)
    styles: list[str] = field(default_factory=list)
    scripts: list[str] = field(default_factory=list)
    data: list[str] = field(default_factory=list)  # inert <script type="application/json"> blocks
    text: list[str] = field(default_factory=list)
    stack: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        HTMLParser.__init__(self, convert_charrefs=True)

    VOID = frozenset({"meta", "br", "img", "input", "link", "hr", "col", "wbr", "source", "area", "base"})

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append(Element(tag, {k: v or "" for k, v in attrs}, tuple(self.stack)))
        if tag not in self.VOID:
            self.stack.append(tag)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.elements.append(Element(tag, {k: v or "" for k, v in attrs}, tuple(self.stack)))

    def handle_endtag(self, tag: str) -> None:
        if tag in self.stack:
            while self.stack and self.stack.pop() != tag:
                pass

    def handle_data(self, data: str) -> None:
        if self.stack and self.stack[-1] == "style":
            self.styles.append(data)
        elif self.stack and self.stack[-1] == "script":
            last = next(e for e in reversed(self.elements) if e.tag == "script")
            (self.data if last.attrs.get("type") == "application/json" else self.scripts).append(data)
        else:
            self.text.append(data)

    def find(self, tag: str | None = None, **attrs: str) -> list[Element]:
        return [
            e
            for e in self.elements
            if (tag is None or e.tag == tag) and all(e.attrs.get(k.replace("_", "-")) == v for k, v in attrs.items())
        ]


def parse(html: str) -> Page:
    p = Page()
    p.feed(html)
    p.close()
    return p


def stored(html: str) -> dict[str, Any]:
    """The page's data block (checklists and lab plots, drawn by its script), strings resolved."""
    (block,) = parse(html).data
    data: dict[str, Any] = json.loads(block)
    return data


def plots_of(html: str) -> list[dict[str, Any]]:
    data = stored(html)
    texts = data["texts"]
    return [{**g, "criteria": [texts[u[1]] for u in g["users"]]} for gs in data.get("labs", {}).values() for g in gs]


def checklist_of(html: str) -> list[tuple[str, str, str, str, list[Any]]]:
    """(element id, criterion id, result, reason, parts) of every top-level criterion, in page order."""
    data = stored(html)
    texts = data["texts"]
    return [
        (c[0], texts[c[1]], c[2], texts[c[4]], c[8])
        for groups in data.get("checklists", {}).values()
        for _id, _h, _n, crits in groups
        for c in crits
    ]


def evil_report() -> Report:
    """Every string field carries markup; numbers and dates are ordinary."""
    series = Series(
        label=EVIL,
        unit=EVIL,
        points=(Point("2026-05-01", 3.0, EVIL), Point("2026-05-20", 6.5, "Observation/o2")),
        thresholds=((">", 5.0),),
        window=("2026-05-04", "2026-06-01"),
    )
    child = CriterionResult(EVIL, "exclusion", EVIL, Result.FAIL, EVIL, (Evidence(EVIL, EVIL, EVIL, EVIL, EVIL),))
    top = CriterionResult(
        EVIL,
        "exclusion",
        EVIL,
        Result.REVIEW,
        EVIL,
        (Evidence(EVIL, 6.5, EVIL, "2026-05-20", EVIL),),
        children=(child,),
        series=(series,),
    )
    trial = TrialResult(
        f"Patient/{EVIL}",
        EVIL,
        EVIL,
        Verdict.NEEDS_REVIEW,
        (top,),
        (MissingData(EVIL, EVIL, (EVIL,), EVIL, EVIL),),
    )
    return Report(AS_OF, (trial,), (EVIL,))


def evil_screening() -> dict[str, object]:
    return {
        "asOf": EVIL,
        "patients": 3,
        "source": EVIL,
        "warnings": [EVIL],
        "trials": [
            {
                "trial": EVIL,
                "title": EVIL,
                "counts": {"eligible": 1, EVIL: 2},
                "funnel": [{"criterion": EVIL, "pass": 2, "fail": 1, "unknown": 0, "manual": 0, "review": 0}],
                "candidates": [
                    {"patient": EVIL, "verdict": EVIL, "missing": [EVIL, {"criterion": EVIL, "what": EVIL}]},
                    {"patient": "Patient/a", "verdict": "eligible", "missing": []},
                ],
            }
        ],
    }
