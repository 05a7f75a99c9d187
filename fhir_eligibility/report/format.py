"""One formatter for values, units and reason text, shared by every renderer (table, HTML, cards, dashboard,
JSON and FHIR output).

The evaluation core writes reasons in UCUM and full precision (its outputs are compared byte for byte across
builds); people read them through :func:`reason`, which names units the way a clinician writes them,
rounds values to the precision the threshold is written in, and states the comparison that holds
("7.9 g/dL on 2025-02-25 < 8 g/dL"). The JSON keeps each full value and its UCUM code in the evidence items.
"""

from __future__ import annotations

import functools
import math
import re
import unicodedata

from fhir_eligibility import codes
from fhir_eligibility.shorten import shorten

UNIT_NAMES: dict[str, str] = {
    "a": "years",
    "mo": "months",
    "wk": "weeks",
    "d": "days",
    "h": "hours",
    "mm[Hg]": "mmHg",
    "mL/min/{1.73_m2}": "mL/min/1.73 m²",
    "mL/min/1.73m2": "mL/min/1.73 m²",
    "10*9/L": "× 10⁹/L",
    "10*12/L": "× 10¹²/L",
    "10*3/uL": "× 10³/µL",
    "10*6/uL": "× 10⁶/µL",
    "/mm3": "/mm³",
    "umol/L": "µmol/L",
    "ug/L": "µg/L",
    "ug/dL": "µg/dL",
    "kg/m2": "kg/m²",
    "m2": "m²",
    "[iU]/L": "IU/L",
    "[IU]/L": "IU/L",
    "m[IU]/mL": "mIU/mL",
    "{copies}/mL": "copies/mL",
    "{score}": "",
    "{INR}": "",
    "{ratio}": "",
    "1": "",
    "x ULN": "× ULN",
    "x LLN": "× LLN",
}
_SUPERSCRIPT = str.maketrans("0123456789-", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻")
_SYSTEMS = {
    codes.LOINC: "LOINC",
    codes.SNOMED: "SNOMED CT",
    codes.ICD10CM: "ICD-10-CM",
    codes.ICD10: "ICD-10",
    codes.RXNORM: "RxNorm",
    codes.ATC: "ATC",
}
COMPARATOR = {">=": "≥", "<=": "≤", "!=": "≠", ">": ">", "<": "<", "=": "="}
_NEGATED = {">=": "<", ">": "≤", "<=": ">", "<": "≥", "=": "≠", "!=": "="}
INTERNAL_NOTES = ("(title not in the seed)",)


# C0/C1 controls (ANSI escapes, CR, BEL), line and paragraph separators, and bidirectional overrides
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f\u2028\u2029\u200e\u200f\u061c\u202a-\u202e\u2066-\u2069]")


def printable(text: str) -> str:
    """Text from the data as a terminal may show it: each control character ``?``. Why: a name or an id
    holding an ANSI escape or a carriage return would rewrite what the terminal shows (or run its commands)."""
    return _CONTROL.sub("?", text)


def width(text: str) -> int:
    """Terminal columns ``text`` takes: East-Asian wide and full-width characters two, combining marks none."""
    return sum(0 if unicodedata.combining(ch) else 2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def pad(text: str, columns: int) -> str:
    """``text`` left-aligned in ``columns`` terminal columns (``str.ljust`` counts characters, not columns)."""
    return text + " " * max(0, columns - width(text))


# FHIR's own regular expressions for date and dateTime
_DATE = r"([0-9]([0-9]([0-9][1-9]|[1-9]0)|[1-9]00)|[1-9]000)(-(0[1-9]|1[0-2])(-(0[1-9]|[1-2][0-9]|3[0-1])"
FHIR_DATE = re.compile(_DATE + ")?)?")
FHIR_DATETIME = re.compile(
    _DATE
    + r"(T([01][0-9]|2[0-3]):[0-5][0-9]:([0-5][0-9]|60)(\.[0-9]{1,9})?)?)?"
    + r"(Z|(\+|-)((0[0-9]|1[0-3]):[0-5][0-9]|14:00)?)?)?"
)


def fhir_date(value: str | None, pattern: re.Pattern[str] = FHIR_DATE) -> str | None:
    """``value`` when it is a valid FHIR date (or what ``pattern`` accepts); None otherwise (``"any"``, a
    date written "2026-5-25"): a field with no valid value is left out, never filled with text."""
    return value if value and pattern.fullmatch(value) else None


def unit(u: str | None) -> str:
    """A UCUM code as people write it: ``a`` -> years, ``mm[Hg]`` -> mmHg, ``{score}`` -> nothing."""
    if not u:
        return ""
    if u in UNIT_NAMES:
        return UNIT_NAMES[u]
    text = re.sub(r"10\*(-?\d+)", lambda m: "× 10" + m.group(1).translate(_SUPERSCRIPT), u)
    text = re.sub(r"\{([^}]*)\}", r"\1", text).replace("[", "").replace("]", "")
    return re.sub(r"(?<![A-Za-z])u(?=[gLlmM])", "µ", text)


def decimals(threshold: str | float | int) -> int:
    """How many decimals a threshold is written with ("8" -> 0, "1.50" -> 2)."""
    text = threshold if isinstance(threshold, str) else _plain(float(threshold))
    _, dot, frac = text.strip().partition(".")
    return len(frac.rstrip()) if dot else 0


def _plain(v: float) -> str:
    return str(int(v)) if v.is_integer() and abs(v) < 1e15 else repr(v)


def number(v: float | int, places: int | None = None, threshold: float | None = None) -> str:
    """``v`` rounded to ``places`` decimals (default: about 3 significant digits), never to a figure that
    would equal the threshold it is compared with (7.94 vs 8 shows as 7.9, not 8); no exponent notation."""
    v = float(v)
    if not math.isfinite(v):
        return str(v)
    if v and not 1e-6 <= abs(v) < 1e15:  # a denormal limit (5e-324) would print 324 decimals
        return f"{v:.3g}"
    if places is None:
        a = abs(v)
        places = 0 if a >= 100 or a == 0 else 1 if a >= 10 else 2 if a >= 1 else max(2, 1 - math.floor(math.log10(a)))
    while threshold is not None and places < 6 and round(v, places) == threshold and v != threshold:
        places += 1
    text = f"{round(v, places):.{places}f}"
    if "." in text:
        text = text.rstrip("0").rstrip(".")
    return "0" if text == "-0" else text


def quantity(value: str | float | int | bool | None, u: str | None = None, places: int | None = None) -> str:
    """A value with its human unit: ``7.9 g/dL``, ``64 years``, ``0.58 × ULN``; booleans as yes/no."""
    if value is None:
        return "—"
    if isinstance(value, bool):
        return "yes" if value else "no"
    shown = number(value, places) if isinstance(value, int | float) else str(value)
    name = unit(u)
    return f"{shown} {name}" if name else shown


def code(system_code: str) -> str:
    """``http://loinc.org|718-7`` -> ``LOINC 718-7``: coordinators know the names, not the URIs."""
    system, sep, c = system_code.rpartition("|")
    return f"{_SYSTEMS.get(system, system.rsplit('/', 1)[-1])} {c}" if sep else system_code


def label(text: str, width: int = 70) -> str:
    """A criterion's text as a short label: no protocol numbering or trailing punctuation, ≥ for >=."""
    t = re.sub(r"^\s*(?:\d+[.)]|-)\s+", "", " ".join(text.split()))
    t = re.sub(r"(?<![<>=!])(>=|<=)", lambda m: COMPARATOR[m.group(1)], t)
    return shorten(t.rstrip(" ;,.:"), width)


def title(text: str) -> str:
    """A trial title without internal notes from the definitions build."""
    for note in INTERNAL_NOTES:
        text = text.replace(note, "")
    return " ".join(text.split())


_NUM = r"-?\d+(?:\.\d+)?(?:e[+-]?\d+)?"
_UNITS_RE = "|".join(re.escape(u) for u in sorted(UNIT_NAMES, key=len, reverse=True) if len(u) > 1 and u != "m2")
_COMPARISON = re.compile(
    rf"(?P<v>{_NUM})(?P<vu>(?: [^\s;:]+)*?)(?P<conv> \(= [^)]*\))? (?P<verb>meets|does not meet) "
    rf"(?P<cmp>>=|<=|!=|>|<|=) ?(?P<t>{_NUM})(?P<tu>(?: [^\s;:]+)*?)(?P<note>; note: [^;]*?)?"
    r"(?: on (?P<d>\d{4}-\d\d-\d\d))?(?=$|[;)])"
)


def _comparison(m: re.Match[str]) -> str:
    """``7.9 g/dL does not meet >= 8 g/dL on D`` -> ``7.9 g/dL on D < 8 g/dL``: the comparison that holds."""
    t = m.group("t")
    cmp = m.group("cmp")
    shown_cmp = COMPARATOR[cmp] if m.group("verb") == "meets" else _NEGATED[cmp]
    # converted first (0.25 {ratio} = 25 %): the value is in another unit than the threshold, so its
    # precision is its own (rounded to the threshold's, 0.25 showed as 0.2, under a 20 % limit it exceeds)
    v = number(float(m.group("v"))) if m.group("conv") else number(float(m.group("v")), decimals(t) + 1, float(t))
    on = f" on {m.group('d')}" if m.group("d") else ""
    note = m.group("note") or ""
    threshold = number(float(t), decimals(t)) + m.group("tu")
    return f"{v}{m.group('vu')}{m.group('conv') or ''}{on} {shown_cmp} {threshold}{note}"


_RANGE = re.compile(
    rf"(?P<v>{_NUM})(?P<vu>(?: [^\s;:]+)*?) (?P<verb>meets|does not meet) (?P<lo>{_NUM})(?: [^\s;:.]+)? ?\.\. ?"
    rf"(?P<hi>{_NUM})(?P<u>(?: [^\s;:]+)*?)(?: on (?P<d>\d{{4}}-\d\d-\d\d))?(?=$|[;)])"
)


def _range(m: re.Match[str]) -> str:
    """``2 does not meet 0 .. 1 on D`` -> ``2 on D, outside 0–1``."""
    on = f" on {m.group('d')}" if m.group("d") else ""
    where = "within" if m.group("verb") == "meets" else "outside"
    return f"{m.group('v')}{m.group('vu')}{on}, {where} {m.group('lo')}–{m.group('hi')}{m.group('u')}"


def _long_number(m: re.Match[str]) -> str:
    return number(float(m.group(0)))


@functools.lru_cache(maxsize=8192)  # bounded; many reasons repeat across patients ("none recorded in <window>")
def reason(text: str) -> str:
    """A reason from the core, for people: comparisons that hold, human units, rounded values, words."""
    t = title(text)
    t = re.sub(r"FHIRPath '.*?' is true", "met", t)
    t = re.sub(r"FHIRPath '.*?' is false", "not met", t)
    t = re.sub(r"\ball 1 conditions met\b", "the condition is met", t)
    t = re.sub(r"\ball \d+ conditions met\b", "all conditions met", t)
    t = _COMPARISON.sub(_comparison, t)
    t = _RANGE.sub(_range, t)
    t = re.sub(r"(?<![\w.])\d+\.\d{3,}(?:e[+-]?\d+)?(?![\w.])|(?<![\w.])\d(?:\.\d+)?e\+\d+(?![\w.])", _long_number, t)
    t = re.sub(rf"(?<=\d) ?({_UNITS_RE})(?=$|[\s,;:)])", lambda m: " " + UNIT_NAMES[m.group(1)], t)
    t = re.sub(r"(?<=\d) (a|d|wk|mo)(?=$|[\s,;:)])", lambda m: " " + UNIT_NAMES[m.group(1)], t)
    t = " ".join(t.split())
    t = re.sub(r"(\d{4}-\d\d-\d\d) ?\.\. ?(\d{4}-\d\d-\d\d)", r"\1 to \2", t)
    t = re.sub(r"(?<=\d) ?\.\. ?(?=-?\d)", "–", t)
    t = re.sub(r"(?<![<>=!])(>=|<=|!=)(?!=)", lambda m: COMPARATOR[m.group(1)], t)
    t = re.sub(r"https?://[^\s|,;)]+\|[\w.\-]+", lambda m: code(m.group(0)), t)
    return t.replace(" ,", ",")


def window(text: str) -> str:
    """``2026-05-04..2026-06-01`` -> ``2026-05-04 to 2026-06-01``."""
    return re.sub(r"(\d{4}-\d\d-\d\d)\.\.(\d{4}-\d\d-\d\d)", r"\1 to \2", text)


__all__ = [
    "COMPARATOR",
    "FHIR_DATE",
    "FHIR_DATETIME",
    "UNIT_NAMES",
    "code",
    "decimals",
    "fhir_date",
    "label",
    "number",
    "pad",
    "printable",
    "quantity",
    "reason",
    "shorten",
    "title",
    "unit",
    "width",
]
