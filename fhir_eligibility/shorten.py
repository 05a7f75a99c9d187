"""The one rule for cutting a text to a width, shared by the evaluation core (timeline texts) and every renderer."""

from __future__ import annotations


def shorten(text: str, width: int) -> str:
    """At most ``width`` characters, cut at a space with an ellipsis.

    A cut never falls inside a word, and so never inside a date, a date range or a number
    ("2026-05-21–2026-06-15" is one word): a cut date reads as another date.
    """
    t = " ".join(text.split())
    if len(t) <= width:
        return t
    cut = t[: width - 1]
    if not t[width - 1].isspace():
        cut = cut[: cut.rfind(" ")] if " " in cut else ""
    return cut.rstrip(" ,;:–-") + "…"
