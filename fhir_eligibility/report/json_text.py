"""The text of the JSON reports: ``json.dumps(indent=2)``'s layout, but a flat object on one line.

Why: with one key per line, the deep explanation trees spent more than a third of ``evaluate --format json``
on indentation (an evidence item took six lines). An object whose values are all scalars or lists of
scalars (an evidence item, a leaf criterion, a timeline event) now takes one line, and so does a list of
scalars that fits in :data:`WIDTH` characters. Only the layout changes: parsed, the text is the same value.

Speed: a report has thousands of nodes per patient, so each one-line part goes straight to the
standard library's C encoder, made once (``json.dumps`` builds an encoder per call, which was most of
this module's time), and strings to its C string encoder; the text is ``json.dumps``'s, byte for byte.

``NaN`` and ``Infinity`` are not JSON: a report holding one is an :class:`~fhir_eligibility.errors.OutputError`
(exit 2), never written silently for another tool to misread (``allow_nan=False``).
"""

from __future__ import annotations

import json
import json.encoder
from collections.abc import Callable, Iterable
from typing import Any

from fhir_eligibility.errors import OutputError

WIDTH = 120  # a list of scalars longer than this (a long warnings list) keeps one item per line

_string: Callable[[str], str] = json.encoder.encode_basestring  # the C one where CPython has it
# json's own C encoder with json.dumps's separators (", ", ": "), NaN refused; absent on some Pythons
_make: Callable[..., Callable[[Any, int], Iterable[str]]] | None = getattr(json.encoder, "c_make_encoder", None)
_C = _make(None, None, _string, None, ": ", ", ", False, False, False) if _make is not None else None
_PY = json.JSONEncoder(ensure_ascii=False, allow_nan=False).encode


def _one_line(v: Any) -> str:
    if isinstance(v, str):
        return _string(v)
    try:
        return "".join(_C(v, 0)) if _C is not None else _PY(v)
    except ValueError as e:  # "Out of range float values are not JSON compliant"
        raise OutputError(f"the report holds a number JSON cannot write ({e}); nothing valid to write") from None


def _nested(v: Any) -> bool:
    return isinstance(v, dict | list)


def dumps(value: Any, depth: int = 0) -> str:
    """``value`` as JSON text laid out ``depth`` levels down (no trailing newline)."""
    if not _nested(value) or not value:
        return _one_line(value)
    if isinstance(value, dict):
        for v in value.values():
            if isinstance(v, dict) or (isinstance(v, list) and any(_nested(x) for x in v)):
                break
        else:  # every value a scalar or a list of scalars
            return _one_line(value)
        pad = "\n" + "  " * (depth + 1)
        items = [f"{pad}{_string(k)}: {dumps(v, depth + 1)}" for k, v in value.items()]
        return "{" + ",".join(items) + "\n" + "  " * depth + "}"
    if not any(_nested(x) for x in value):
        text = _one_line(value)
        if len(text) + 2 * depth <= WIDTH:
            return text
    pad = "\n" + "  " * (depth + 1)
    return "[" + ",".join(pad + dumps(x, depth + 1) for x in value) + "\n" + "  " * depth + "]"


__all__ = ["WIDTH", "dumps"]
