"""A ClinicalTrials.gov API v2 study record -> R5 ResearchStudy + EvidenceVariable (docs/authoring.md).

Every criterion bullet becomes one manual characteristic carrying its exact text, so nothing of the
protocol is lost and an informaticist makes lines computable one by one by editing the FHIR JSON; the
registry's structured age and sex are computable from the start.
"""

from __future__ import annotations

import html
import itertools
import re
from dataclasses import dataclass, field
from typing import Any

from fhir_eligibility import codes as cs
from fhir_eligibility.errors import InputError

Json = dict[str, Any]
BASE = "http://fhir-eligibility.org/fhir"
# A heading is only its words: "Key Exclusion Criteria:", "Exclusion:", "Non-inclusion criteria (Part A):";
# text may follow the colon (a heading fused with its first line) unless the line is a bullet, which is a
# criterion ("* Inclusion criteria of the parent study not met" is an exclusion, not a heading).
HEADING = re.compile(
    r"^\s*(?P<bullet>[*\-+•]\s+)?[#\s]*[*_]*\s*(?:(?:key|main|major|principal|general|additional)\s+)?"
    r"(?P<kind>non[-\s]?inclusion|inclusion|exclusion)"
    r"(?:(?P<criteria>\s+criteri(?:a|on)\b)(?P<qualifier>[^:\n]*))?\s*[*_]*\s*(?P<colon>:?)[*_\s]*(?P<rest>.*)$",
    re.I,
)
BULLET_SYMBOLS = "*\\-+•·▪▫◦●○■□➢➤►▸‣⁃∙–—"
BULLET = re.compile(rf"^(\s*)([{BULLET_SYMBOLS}]|\d{{1,2}}[.)]|[a-zA-Z][.)]|\(\w{{1,3}}\))\s+(.*)$")
SUBHEADING = re.compile(r"^[A-Z][\w\s/()&,'-]{0,40}:$")
HTML_TAG = re.compile(r"</?(?:b|i|u|em|strong|br|p|div|li|ul|ol|span|h\d)\b[^>]*>", re.I)
ESCAPE = re.compile(r"\\([\\`*_{}\[\]()#+\-.!<>~|])")
ANY_OF = re.compile(r"\b(any of|at least one|one of the following|either)\b", re.I)
ALL_OF = re.compile(r"\b(all|both) of the\b", re.I)
AGE_UNITS = {"year": "a", "years": "a", "month": "mo", "months": "mo", "week": "wk", "weeks": "wk"}
AGE_UNITS |= {"day": "d", "days": "d"}
PHASES = {
    "EARLY_PHASE1": "early-phase-1",
    "PHASE1": "phase-1",
    "PHASE2": "phase-2",
    "PHASE3": "phase-3",
    "PHASE4": "phase-4",
    "NA": "n-a",
}
SEX = {"FEMALE": "female", "MALE": "male"}


@dataclass
class Item:
    """One criterion bullet: its exact text (wrapped lines joined), its nested bullets, its sub-heading."""

    text: str
    style: str
    indent: int
    subheading: str | None = None
    ordinal: int | None = None
    children: list[Item] = field(default_factory=list)


def _style(marker: str) -> str:
    if marker[0].isdigit():
        return "number"
    if marker[0].isalpha():
        return "letter"
    if marker.startswith("("):
        return "paren"
    return "symbol" + marker


def _ordinal(marker: str) -> int | None:
    """1., 2), a., b) -> 1, 2, 1, 2: a list that restarts at 1 is a nested list in a flattened scrape."""
    m = marker.strip("().")
    if m.isdigit():
        return int(m)
    return ord(m.lower()) - 96 if len(m) == 1 and m.isalpha() else None


def _follows(prev: Item, item: Item) -> bool:
    """``item`` continues the list ``prev`` is in: same indent and bullet style, next number if numbered."""
    if prev.indent != item.indent or prev.style != item.style:
        return False
    if prev.ordinal is not None and item.ordinal is not None:
        return item.ordinal == prev.ordinal + 1
    return not _opens_list(prev)


def _opens_list(item: Item) -> bool:
    """'...any of the following:' with no bullets under it yet: the next bullet belongs under it."""
    return item.text.endswith(":") and not item.children


def _split_inline_numbers(line: str) -> list[str]:
    """'1. a 2. b 3. c' on one line (a flattened numbered list) -> one line per number, in sequence only."""
    if not re.match(r"^\s*1[.)]\s", line):
        return [line]
    cuts, expect = [], 2
    for m in re.finditer(r"(?<=\s)(\d{1,2})[.)]\s", line):
        if int(m.group(1)) == expect:
            cuts.append(m.start())
            expect += 1
    if not cuts:
        return [line]
    bounds = [0, *cuts, len(line)]
    return [line[a:b].strip() for a, b in itertools.pairwise(bounds)]


def _from_html(text: str) -> str:
    """Criteria pasted as HTML (``<li>``, ``<br/>``) or with entities (``&gt;=``) -> the Markdown lines the
    registry writes: a list item is a bullet, a break or block end a line, entities their characters."""
    if "<" in text and HTML_TAG.search(text):
        text = re.sub(r"<li\b[^>]*>", "\n* ", text, flags=re.I)
        text = re.sub(r"<br\s*/?>|</(?:p|div|li|ul|ol|h\d)>|<(?:p|div|ul|ol|h\d)\b[^>]*>", "\n", text, flags=re.I)
        text = HTML_TAG.sub("", text)
    return html.unescape(text) if "&" in text else text


def heading(line: str) -> tuple[str | None, str]:
    """("inclusion" | "exclusion" | None, text after the heading) of one line; non-inclusion is exclusion."""
    m = HEADING.match(line)
    if m is None:
        return None, line
    rest, qualifier = m["rest"].strip(), (m["qualifier"] or "").strip(" *_")
    if qualifier and not m["colon"]:  # "Inclusion criteria of the parent study not met": a sentence
        return None, line
    if rest and (m["bullet"] or not m["colon"]):  # a bullet with more text, or words with no colon
        return None, line
    return ("inclusion" if m["kind"].lower() == "inclusion" else "exclusion"), m["rest"]


def has_exclusion_heading(markdown: str) -> bool:
    """Whether the text has an exclusion heading: without one every line is read as an inclusion."""
    return any(heading(raw)[0] == "exclusion" for raw in _from_html(markdown).splitlines())


def parse_criteria(markdown: str) -> tuple[list[Item], list[Item]]:
    """(inclusion, exclusion) bullet trees of the registry's Markdown criteria text.

    Nesting follows indentation; where a scrape lost it, a change of bullet style starts a nested list.
    Text before the first heading counts as inclusion; a line without a bullet continues the previous one.
    """
    sections: dict[str, list[Item]] = {"inclusion": [], "exclusion": []}
    current = "inclusion"
    stack: list[Item] = []
    subheading: str | None = None
    last: Item | None = None
    lines: list[str] = []
    for raw in _from_html(markdown).replace("\r\n", "\n").split("\n"):
        kind, rest = heading(raw)
        if kind:
            lines.append(f"\0{kind}")
            raw = rest
        lines.extend(_split_inline_numbers(ESCAPE.sub(r"\1", raw.rstrip())))
    # a change of bullet style nests only in a scrape that lost its indentation: where the text indents its
    # nested lists, "▪ a / ◦ b (indented) / – c" has c as a sibling of a, not a child of b's parent
    indented = any((b := BULLET.match(line)) is not None and b.group(1) for line in lines if line.strip())
    for line in lines:
        if line.startswith("\0"):
            current, stack, subheading, last = line[1:], [], None, None
            continue
        if not line.strip():
            if last is not None and last.style == "line":  # a blank line ends a prose paragraph
                last = None
            continue
        b = BULLET.match(line)
        if b is None:
            text = line.strip()
            if SUBHEADING.match(text) and (last is None or last.text.rstrip().endswith((".", ";", ":"))):
                subheading, stack, last = text, [], None
            elif last is not None:
                last.text = f"{last.text} {text}"
            else:  # prose without bullets: each paragraph is a criterion
                last = Item(text, "line", 0, subheading)
                sections[current].append(last)
            continue
        indent, marker, text = len(b.group(1).expandtabs(4)), b.group(2), b.group(3).strip()
        item = Item(text, _style(marker), indent, subheading, _ordinal(marker))
        opened = bool(stack) and _opens_list(stack[-1]) and indent >= stack[-1].indent
        level = None if opened else next((j for j in reversed(range(len(stack))) if _follows(stack[j], item)), None)
        if level is not None:
            del stack[level:]
        else:
            while stack and stack[-1].indent > indent:
                stack.pop()
            nested = stack and (
                indent > stack[-1].indent
                or (item.style != stack[-1].style and not indented)
                or _opens_list(stack[-1])
                or item.ordinal == 1
            )
            if stack and not nested:
                stack.pop()
        (stack[-1].children if stack else sections[current]).append(item)
        stack.append(item)
        last = item
    return sections["inclusion"], sections["exclusion"]


def _age(text: str | None) -> tuple[float, str] | None:
    """'15 Years' -> (15, 'a'); the registry writes N + unit (Years, Months, Weeks, Days)."""
    m = re.match(r"^\s*(\d+(?:\.\d+)?)\s+(\w+)\s*$", text or "")
    if not m or m.group(2).lower() not in AGE_UNITS:
        return None
    return float(m.group(1)), AGE_UNITS[m.group(2).lower()]


def _quantity(value: float, unit: str, comparator: str | None = None) -> Json:
    q: Json = {"value": int(value) if value == int(value) else value}
    if comparator:
        q["comparator"] = comparator
    return q | {"unit": unit, "system": cs.UCUM, "code": unit}


def _characteristic(item: Item, link: str, exclude: bool) -> Json:
    ch: Json = {"linkId": link, "description": item.text}
    notes = []
    if item.subheading:
        notes.append(f"Listed under the protocol's sub-heading {item.subheading!r}.")
    if item.children:
        code = "any-of" if ANY_OF.search(item.text) and not ALL_OF.search(item.text) else "all-of"
        notes.append(f"Nested bullets combined {code} (read from the wording; check against the protocol).")
        ch["definitionByCombination"] = {
            "code": code,
            "characteristic": [_characteristic(k, f"{link}.{i}", False) for i, k in enumerate(item.children, start=1)],
        }
    if notes:
        ch["note"] = [{"text": n} for n in notes]
    if exclude:
        ch["exclude"] = True
    return ch


def structured_characteristics(elig: Json) -> list[Json]:
    """The registry's structured fields that are computable as written: age bounds and a single sex."""
    out: list[Json] = []
    low, high = _age(elig.get("minimumAge")), _age(elig.get("maximumAge"))
    if low or high:
        age_type = {"coding": [{"system": cs.SNOMED, "code": "397669002", "display": "Age"}]}
        tv: Json = {"type": age_type}
        if low and high:
            tv["valueRange"] = {"low": _quantity(*low), "high": _quantity(*high)}
        elif low:
            tv["valueQuantity"] = _quantity(*low, comparator=">=")
        elif high:
            tv["valueQuantity"] = _quantity(*high, comparator="<=")
        words = " and ".join(
            f"{k} {elig[f]}" for k, f in (("minimum", "minimumAge"), ("maximum", "maximumAge")) if elig.get(f)
        )
        out.append(
            {
                "linkId": "registry-age",
                "description": f"Age: {words} (ClinicalTrials.gov eligibilityModule)",
                "note": [
                    {
                        "text": "From the registry's structured age fields; bounds are inclusive (the registry's "
                        "maximum age includes that whole year of age only if written in completed years)."
                    }
                ],
                "definitionByTypeAndValue": tv,
            }
        )
    sex = SEX.get(str(elig.get("sex") or "").upper())
    if sex:
        out.append(
            {
                "linkId": "registry-sex",
                "description": f"Sex: {elig['sex']} (ClinicalTrials.gov eligibilityModule)",
                "definitionByTypeAndValue": {
                    "type": {"coding": [{"system": cs.SNOMED, "code": "263495000", "display": "Gender"}]},
                    "valueCodeableConcept": {"coding": [{"system": cs.GENDER, "code": sex}]},
                },
            }
        )
    return out


def _status(overall: str | None) -> Json:
    code = (overall or "unknown").lower().replace("_", "-")
    code = {"active-not-recruiting": "active-but-not-recruiting"}.get(code, code)
    system = "http://hl7.org/fhir/research-study-status"
    return {"state": {"coding": [{"system": system, "code": code, "display": overall}]}, "actual": True}


def import_study(record: Json) -> tuple[Json, Json]:
    """(ResearchStudy, EvidenceVariable) of one API v2 study record; InputError if it is not one."""
    proto = record.get("protocolSection") if isinstance(record, dict) else None
    ident = (proto or {}).get("identificationModule") or {}
    nct = str(ident.get("nctId") or "")
    if not re.fullmatch(r"NCT\d{8}", nct):
        raise InputError("not a ClinicalTrials.gov API v2 study record (protocolSection.identificationModule.nctId)")
    assert proto is not None
    elig = proto.get("eligibilityModule") or {}
    status = proto.get("statusModule") or {}
    design = proto.get("designModule") or {}
    title = str(ident.get("officialTitle") or ident.get("briefTitle") or nct)
    ev_id = f"{nct}-eligibility"
    identifier = [{"system": "https://clinicaltrials.gov", "value": nct}]
    inclusion, exclusion = parse_criteria(str(elig.get("eligibilityCriteria") or ""))
    characteristics = structured_characteristics(elig)
    characteristics += [_characteristic(it, f"I{i}", False) for i, it in enumerate(inclusion, start=1)]
    characteristics += [_characteristic(it, f"E{i}", True) for i, it in enumerate(exclusion, start=1)]
    notes = [f"healthyVolunteers: {elig['healthyVolunteers']}"] if "healthyVolunteers" in elig else []
    if elig.get("stdAges"):
        notes.append("stdAges: " + ", ".join(map(str, elig["stdAges"])))
    if elig.get("sex") and str(elig["sex"]).upper() not in SEX:
        notes.append(f"sex: {elig['sex']} (no restriction, so no characteristic)")
    ev: Json = {
        "resourceType": "EvidenceVariable",
        "id": ev_id,
        "url": f"{BASE}/EvidenceVariable/{ev_id}",
        "identifier": identifier,
        "name": f"{nct}Eligibility",
        "title": f"Eligibility criteria of {nct} (imported from ClinicalTrials.gov)",
        "status": "draft",
        "description": f"Imported by fhir-eligibility import-ctgov: one characteristic per criterion bullet of {nct}, "
        "every line manual until encoded (docs/authoring.md); age and sex from the registry's structured fields.",
        "actual": True,
        "characteristic": characteristics,
    }
    if notes:
        ev["note"] = [{"text": "ClinicalTrials.gov " + n} for n in notes]
    study: Json = {
        "resourceType": "ResearchStudy",
        "id": nct,
        "url": f"{BASE}/ResearchStudy/{nct}",
        "identifier": identifier,
        "name": nct,
        "title": title,
        "status": "draft",
        "recruitment": {"eligibility": {"reference": f"EvidenceVariable/{ev_id}", "display": ev["title"]}},
    }
    if ident.get("acronym"):
        study["label"] = [{"value": str(ident["acronym"])}]
    phases = [PHASES[p] for p in design.get("phases") or [] if p in PHASES]
    if phases:
        code = "-".join(phases)
        study["phase"] = {"coding": [{"system": "http://hl7.org/fhir/research-study-phase", "code": code}]}
    conditions = ((proto.get("conditionsModule") or {}).get("conditions")) or []
    if conditions:
        study["condition"] = [{"text": str(c)} for c in conditions]
    if status.get("overallStatus"):
        study["progressStatus"] = [_status(status["overallStatus"])]
    sponsor = ((proto.get("sponsorCollaboratorsModule") or {}).get("leadSponsor") or {}).get("name")
    if sponsor:
        role = {"coding": [{"system": "http://hl7.org/fhir/research-study-party-role", "code": "sponsor"}]}
        study["associatedParty"] = [{"name": str(sponsor), "role": role}]
    return study, ev
