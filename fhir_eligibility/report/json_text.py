"""The text of the JSON reports: ``json.dumps(indent=2)``'s layout, but a flat object on one line.

Why: with one key per line, the deep explanation trees spent more than a third of ``evaluate --format json``
on indentation (an evidence item took six lines). An object whose values are all scalars or lists of
scalars (an evidence item, a leaf criterion, a timeline event) now takes one line, and so does a list of
scalars that fits in :data:`WIDTH` characters. Only the layout changes: parsed, the text is the same value.
"""

from __future__ import annotations

import json
from typing import Any

WIDTH = 120  # a list of scalars longer than this (a long warnings list) keeps one item per line


def _scalar(v: Any) -> bool:
    return not isinstance(v, dict | list)


def _flat(v: Any) -> bool:
    return _scalar(v) or (isinstance(v, list) and all(_scalar(x) for x in v))


def _one_line(v: Any) -> str:
    return json.dumps(v, ensure_ascii=False)


def dumps(value: Any, depth: int = 0) -> str:
    """``value`` as JSON text laid out ``depth`` levels down (no trailing newline)."""
    if _scalar(value) or not value:
        return _one_line(value)
    if isinstance(value, dict):
        if all(_flat(v) for v in value.values()):
            return _one_line(value)
        pad = "\n" + "  " * (depth + 1)
        items = [f"{pad}{_one_line(k)}: {dumps(v, depth + 1)}" for k, v in value.items()]
        return "{" + ",".join(items) + "\n" + "  " * depth + "}"
    if all(_scalar(x) for x in value):
        text = _one_line(value)
        if len(text) + 2 * depth <= WIDTH:
            return text
    pad = "\n" + "  " * (depth + 1)
    return "[" + ",".join(pad + dumps(x, depth + 1) for x in value) + "\n" + "  " * depth + "]"


__all__ = ["WIDTH", "dumps"]
