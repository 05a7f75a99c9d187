"""CDS Hooks feedback: validate its shape and keep it in an append-only JSON Lines file.

Why JSONL and not a database: feedback is written once and read in bulk for analysis; appending
one line per item under a lock, flushed and fsync-ed, survives restarts and crashes (a torn last
line is skipped on reading) and needs no server or migration. Nothing is ever rewritten.

A stored line: ``{"receivedAt", "service", "client", "card", "outcome", "outcomeTimestamp",
"acceptedSuggestions"?, "overrideReason"?, "trial"?}``; ``trial`` is added when the card was
issued by this process (card uuids are not reversible). No patient data is in feedback.

Hardening (issue 12 item 16): a torn last line left by a crash is cut off when the store opens,
so the next append starts on a line of its own; a retried POST stores nothing twice (an item is
identified by client, card, outcome and outcomeTimestamp); each client may write at most
``client_bytes_per_hour`` and the file holds at most ``max_bytes`` (429 / 507, nothing written).
"""

from __future__ import annotations

import json
import math
import os
import re
import threading
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import jwt

OUTCOMES = ("accepted", "overridden")
_UUID = re.compile(r"(urn:uuid:)?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}")
# the shape; :func:`_instant` then checks it names a real instant (the pattern took 2026-99-99T99:99Z)
_INSTANT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}(:[0-9]{2}(\.[0-9]+)?)?(Z|[+-][0-9]{2}:[0-9]{2})")
MAX_ITEMS = 1000
MAX_COMMENT = 2000
MAX_FILE_BYTES = 64 * 1024 * 1024  # months of feedback from a busy site; past it, someone must rotate the file
CLIENT_BYTES_PER_HOUR = 1024 * 1024  # about 3,000 items an hour per EHR client
WINDOW = timedelta(hours=1)


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


def _instant(text: str) -> bool:
    """An ISO 8601 instant with a zone, and a real one: no 29 February of a common year, hour 24, minute 60,
    leap second (no UTC clock shows 23:59:60 to an EHR), year 0000 or offset of 24 hours or more. Stored
    as written, it must mean one moment to whoever analyses the feedback."""
    if not _INSTANT.fullmatch(text):
        return False
    try:
        datetime.fromisoformat(text)
    except ValueError:
        return False
    return True


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
        if not isinstance(stamp, str) or not _instant(stamp):
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


class FeedbackLimit(Exception):
    """A cap was reached: nothing of the request was stored."""

    def __init__(self, status: int, message: str, retry_after: int | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.retry_after = retry_after


Key = tuple[str, str]
# what the store adds to an item (:meth:`FeedbackStore.add`): not part of what the EHR said
_ADDED = frozenset({"receivedAt", "service", "client", "trial"})


def feedback_client(request: Any) -> str:
    """Who is sending, for the per-client cap: the JWT ``iss`` (already verified by then) or the peer address."""
    auth = str(request.headers.get("authorization", ""))
    if auth.lower().startswith("bearer "):
        try:
            claims = jwt.decode(auth[7:], options={"verify_signature": False})
        except jwt.PyJWTError:
            claims = {}
        if isinstance(claims.get("iss"), str) and claims["iss"]:
            return str(claims["iss"])[:200]
    return f"peer:{request.client.host if request.client else 'unknown'}"


def _key(client: str, item: dict[str, Any]) -> Key:
    """A retry sends the same item again: stored once. The whole item is the key, so a second feedback on
    the same card and timestamp that says something else (a corrected override reason) is stored too."""
    said = {k: v for k, v in item.items() if k not in _ADDED}
    return client, json.dumps(said, ensure_ascii=False, sort_keys=True)


class FeedbackStore:
    """Append-only JSONL file; safe for concurrent requests in one process."""

    def __init__(
        self,
        path: Path,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
        max_bytes: int = MAX_FILE_BYTES,
        client_bytes_per_hour: int = CLIENT_BYTES_PER_HOUR,
    ) -> None:
        self.path = path
        self.clock = clock
        self.max_bytes = max_bytes
        self.client_bytes_per_hour = client_bytes_per_hour
        self._lock = threading.Lock()
        self._recent: dict[str, deque[tuple[datetime, int]]] = {}
        path.parent.mkdir(parents=True, exist_ok=True)
        self._repair()
        self._seen: set[Key] = {_key(str(r.get("client", "")), r) for r in self.read_all()}
        self._size = path.stat().st_size if path.exists() else 0

    def _repair(self) -> None:
        """Cut a torn last line (a crash mid-write): it is no record, and the next append must not join it."""
        if not self.path.exists():
            return
        with self.path.open("rb+") as f:
            pos = f.seek(0, os.SEEK_END)
            if pos == 0:
                return
            f.seek(pos - 1)
            if f.read(1) == b"\n":
                return
            while pos > 0:  # back to the last complete line
                step = min(65536, pos)
                pos -= step
                f.seek(pos)
                cut = f.read(step).rfind(b"\n")
                if cut >= 0:
                    f.truncate(pos + cut + 1)
                    return
            f.truncate(0)

    def _admit(self, client: str, size: int, now: datetime) -> None:
        if self._size + size > self.max_bytes:
            raise FeedbackLimit(507, "feedback store is full; nothing stored")
        window = self._recent.setdefault(client, deque())
        while window and now - window[0][0] > WINDOW:
            window.popleft()
        used = sum(n for _t, n in window)
        if used + size > self.client_bytes_per_hour:
            wait = max(1, math.ceil((window[0][0] + WINDOW - now).total_seconds())) if window else 3600
            raise FeedbackLimit(429, "feedback rate limit for this client reached; nothing stored", wait)

    def append(
        self, service: str, items: list[dict[str, Any]], trial_of: Callable[[str], str | None], client: str = ""
    ) -> int:
        """Store the items not stored before (a retried POST adds nothing); the number of new lines."""
        now = self.clock()
        received = now.isoformat().replace("+00:00", "Z")
        with self._lock:
            lines, keys = [], []
            for item in items:
                key = _key(client, item)
                if key in self._seen or key in keys:
                    continue
                record = {"receivedAt": received, "service": service, "client": client, **item}
                trial = trial_of(item["card"])
                if trial:
                    record["trial"] = trial
                lines.append(json.dumps(record, ensure_ascii=False, sort_keys=True) + "\n")
                keys.append(key)
            if not lines:
                return 0
            data = "".join(lines).encode("utf-8")
            self._admit(client, len(data), now)
            fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
            try:
                os.write(fd, data)
                os.fsync(fd)
            finally:
                os.close(fd)
            self._size += len(data)
            self._seen.update(keys)
            self._recent.setdefault(client, deque()).append((now, len(data)))
        return len(lines)

    def read_all(self) -> list[dict[str, Any]]:
        """Every stored item, oldest first; an unreadable (torn) line is skipped."""
        if not self.path.exists():
            return []
        out: list[dict[str, Any]] = []
        for line in self.path.read_text(encoding="utf-8", errors="replace").splitlines():
            try:
                record = json.loads(line)
            except json.JSONDecodeError:
                continue
            if isinstance(record, dict):
                out.append(record)
        return out


__all__ = ["FeedbackError", "FeedbackLimit", "FeedbackStore", "feedback_client", "validate"]
