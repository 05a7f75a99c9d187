"""CDS Hooks feedback: validate its shape and keep it in an append-only JSON Lines file.

Why JSONL and not a database: feedback is written once and read in bulk for analysis; appending
one line per item under a lock, flushed and fsync-ed, survives restarts and crashes (a torn last
line is skipped on reading) and needs no server or migration. Nothing is ever rewritten.

A stored line: ``{"receivedAt", "service", "card", "outcome", "outcomeTimestamp",
"acceptedSuggestions"?, "overrideReason"?, "trial"?}``; ``trial`` is added when the card was
issued by this process (card uuids are not reversible). No patient data is in feedback.
"""

from __future__ import annotations

import json
import os
import re
import threading
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

OUTCOMES = ("accepted", "overridden")
_UUID = re.compile(r"(urn:uuid:)?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
_INSTANT = re.compile(r"\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:\d{2})")
MAX_ITEMS = 1000
MAX_COMMENT = 2000


class FeedbackError(ValueError):
    """The feedback body does not have the CDS Hooks shape; the message says where."""


def _coding(value: object, where: str) -> dict[str, Any]:
    if not isinstance(value, dict):
        raise FeedbackError(f"{where}: expected a Coding object")
    for key in ("code", "system"):
        if not isinstance(value.get(key), str) or not value[key]:
            raise FeedbackError(f"{where}.{key}: required string")
    if "display" in value and not isinstance(value["display"], str):
        raise FeedbackError(f"{where}.display: expected a string")
    return {k: value[k] for k in ("system", "code", "display") if k in value}


def validate(body: object) -> list[dict[str, Any]]:
    """The feedback items, normalised to the keys CDS Hooks defines; :class:`FeedbackError` if malformed."""
    if not isinstance(body, dict) or not isinstance(body.get("feedback"), list):
        raise FeedbackError("body must be an object with a 'feedback' array")
    items = body["feedback"]
    if not items:
        raise FeedbackError("feedback: at least one entry required")
    if len(items) > MAX_ITEMS:
        raise FeedbackError(f"feedback: at most {MAX_ITEMS} entries per request")
    out: list[dict[str, Any]] = []
    for i, item in enumerate(items):
        where = f"feedback[{i}]"
        if not isinstance(item, dict):
            raise FeedbackError(f"{where}: expected an object")
        card = item.get("card")
        if not isinstance(card, str) or not _UUID.fullmatch(card):
            raise FeedbackError(f"{where}.card: required card uuid")
        outcome = item.get("outcome")
        if outcome not in OUTCOMES:
            raise FeedbackError(f"{where}.outcome: must be accepted or overridden")
        stamp = item.get("outcomeTimestamp")
        if not isinstance(stamp, str) or not _INSTANT.fullmatch(stamp):
            raise FeedbackError(f"{where}.outcomeTimestamp: required ISO 8601 instant")
        entry: dict[str, Any] = {"card": card, "outcome": outcome, "outcomeTimestamp": stamp}
        accepted = item.get("acceptedSuggestions")
        if outcome == "accepted" and accepted is None:
            raise FeedbackError(f"{where}.acceptedSuggestions: required when outcome is accepted")
        if accepted is not None:
            if not isinstance(accepted, list) or not all(
                isinstance(s, dict) and isinstance(s.get("id"), str) and s["id"] for s in accepted
            ):
                raise FeedbackError(f"{where}.acceptedSuggestions: expected [{{'id': suggestion uuid}}]")
            entry["acceptedSuggestions"] = [{"id": s["id"]} for s in accepted]
        reason = item.get("overrideReason")
        if reason is not None:
            if not isinstance(reason, dict):
                raise FeedbackError(f"{where}.overrideReason: expected an object")
            kept: dict[str, Any] = {}
            if "reason" in reason:
                kept["reason"] = _coding(reason["reason"], f"{where}.overrideReason.reason")
            if "userComment" in reason:
                comment = reason["userComment"]
                if not isinstance(comment, str):
                    raise FeedbackError(f"{where}.overrideReason.userComment: expected a string")
                kept["userComment"] = comment[:MAX_COMMENT]
            if not kept:
                raise FeedbackError(f"{where}.overrideReason: needs a reason, a userComment, or both")
            entry["overrideReason"] = kept
        out.append(entry)
    return out


class FeedbackStore:
    """Append-only JSONL file; safe for concurrent requests in one process."""

    def __init__(self, path: Path, clock: Callable[[], datetime] = lambda: datetime.now(UTC)) -> None:
        self.path = path
        self.clock = clock
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)

    def append(self, service: str, items: list[dict[str, Any]], trial_of: Callable[[str], str | None]) -> int:
        received = self.clock().isoformat().replace("+00:00", "Z")
        lines = []
        for item in items:
            record = {"receivedAt": received, "service": service, **item}
            trial = trial_of(item["card"])
            if trial:
                record["trial"] = trial
            lines.append(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
        data = "".join(lines).encode("utf-8")
        with self._lock:
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
        return len(lines)

    def read_all(self) -> list[dict[str, Any]]:
        """Every stored item, oldest first; an unreadable (torn) line is skipped."""
        if not self.path.exists():
            return []
        out: list[dict[str, Any]] = []
        for line in self.path.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict):
                out.append(record)
        return out


__all__ = ["FeedbackError", "FeedbackStore", "validate"]
