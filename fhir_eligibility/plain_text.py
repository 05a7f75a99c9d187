"""Characters that are no text to show: the one rule for text from outside reaching a report.

Controls, format characters (U+202E shows "1234" as "4321", zero-width spaces hide text), lone
surrogates and the line and paragraph separators. Text the product takes from a person here
(``attest``, the served form) refuses them (report.questionnaire.check_text); text read from outside
records (a patient's name and MRN, an attestation's author and comment) has them replaced by U+FFFD,
so every output (HTML, CSV, JSON, FHIR) shows that something was there and cannot be misread.
"""

from __future__ import annotations

import unicodedata

NOT_TEXT = frozenset({"Cc", "Cf", "Cs", "Zl", "Zp"})
BREAKS = frozenset("\t\n\r")  # FHIR strings allow them: a comment may span lines, a name may not


def first_not_text(text: str, *, one_line: bool = True) -> str | None:
    """The first character of ``text`` that is no text (tab, CR and LF allowed when not ``one_line``), or None."""
    keep = frozenset() if one_line else BREAKS
    return next((ch for ch in text if unicodedata.category(ch) in NOT_TEXT and ch not in keep), None)


def cleaned(text: str, *, one_line: bool = True) -> str:
    """``text`` with every character that is no text replaced by U+FFFD (tab, CR and LF kept when not
    ``one_line``); the same object when there is none (the usual case, no copy)."""
    keep = frozenset() if one_line else BREAKS
    if text.isascii() and text.isprintable():
        return text
    return "".join("\ufffd" if unicodedata.category(ch) in NOT_TEXT and ch not in keep else ch for ch in text)
