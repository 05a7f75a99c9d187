"""What a parsed request body must be before any handler reads it: bounded depth, valid Unicode.

Why at the edge: ``json.loads`` accepts ``"\\ud800"`` (a lone surrogate that cannot be written as
UTF-8) and nesting as deep as the C parser allows; either would later fail deep inside a handler
(recursion over nested Bundles, appending feedback to a UTF-8 file) as a 500. A client's mistake
is a 400 with an OperationOutcome.
"""

from __future__ import annotations

MAX_JSON_DEPTH = 64  # a CDS request is a few levels deep; a Bundle in a Bundle stays far below this


def json_problem(value: object) -> str | None:
    """Why a parsed body cannot be handled safely (nested too deep, a lone surrogate), else None.

    Checked once at the edge, iteratively, so no later step (recursion over Bundles, writing
    feedback as UTF-8) can fail on it with a 500.
    """
    stack: list[tuple[object, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return f"nested deeper than {MAX_JSON_DEPTH} levels"
        if isinstance(item, str):
            if not _encodable(item):
                return "a string is not valid Unicode (lone surrogate)"
        elif isinstance(item, dict):
            for k, v in item.items():
                if not _encodable(k):
                    return "a key is not valid Unicode (lone surrogate)"
                stack.append((v, depth + 1))
        elif isinstance(item, list):
            stack.extend((v, depth + 1) for v in item)
    return None


def _encodable(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


__all__ = ["MAX_JSON_DEPTH", "json_problem"]
