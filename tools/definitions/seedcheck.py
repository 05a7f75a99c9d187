"""Walk each seed file criterion line by criterion line and check the definitions cover it.

A criterion line is a bullet ('- ' / '•') or a numbered item of the seed's criteria section. Every line
must be covered by at least one top-level characteristic whose description (or 'Registry text' note, when
the description restates a garbled line) is a verbatim part of it (whitespace-normalised), and every top-level characteristic must come from exactly one line (lines are
never merged). Sub-lines of a numbered item (seed 004) are nested characteristics, checked the same way.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from .tree import walk


def norm(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip()


def _bullets(lines: list[str], start: str, bullet: str) -> list[str]:
    items: list[str] = []
    on = False
    for line in lines:
        s = line.strip()
        if s.startswith(start):
            on = True
            s = s[len(start) :].strip()
            if not s:
                continue
        if not on:
            continue
        if s.startswith("Exclusion Criteria"):
            s = s.split(":", 1)[1].strip()
            if not s:
                continue
        if s.startswith("Study details"):
            break
        if s.startswith(bullet):
            items.append(s[len(bullet) :].strip())
        elif s and items:
            items[-1] += " " + s
    return items


def seed_items(path: Path) -> list[str]:
    text = path.read_text(encoding="utf-8")
    lines = text.splitlines()
    name = path.name[:3]
    if name == "000":
        return _bullets(lines, "Criteria", "- ")
    if name == "001":
        body = text.split("Inclusion Criteria:", 1)[1]
        return _bullets(("Inclusion Criteria:" + body).splitlines(), "Inclusion Criteria:", "- ")
    if name == "002":
        return _bullets(lines, "Inclusion Criteria:", "• ")
    if name == "003":
        items = []
        for line in lines:
            if not re.match(r"\s*1\. ", line):
                continue
            expect, cuts = 1, []
            for m in re.finditer(r"(?:(?<=\s)|^)(\d{1,2})\. ", line):
                if int(m.group(1)) == expect:
                    cuts.append(m.start(1))
                    expect += 1
            items += [norm(line[a:b]) for a, b in zip(cuts, [*cuts[1:], len(line)], strict=True)]
        return items
    if name == "004":
        items: list[str] = []
        expect = 1
        for line in lines:
            s = line.strip().rstrip("|").strip()
            if s.startswith("Exclusion Criteria"):
                expect = 1
                continue
            m = re.match(r"(\d+)\. ", s)
            if m and int(m.group(1)) == expect:
                items.append(s)
                expect += 1
            elif (items and s and not s.endswith(":")) or (items and s.startswith("- ")) or (items and s):
                items[-1] += " " + s
        return items
    raise ValueError(path)


def registry_text(c: dict[str, Any]) -> str:
    """The seed words a characteristic comes from: its description, or the 'Registry text: "..."' note of a
    characteristic whose description states the rule because the seed garbled it (a lost comparator)."""
    for n in c.get("note") or []:
        m = re.match(r'Registry text: "(.*?)" - ', n.get("text", ""))
        if m:
            return m.group(1)
    return str(c["description"])


def check(seed: Path, chars: list[dict[str, Any]], errors: list[str]) -> tuple[int, int]:
    items = [norm(i) for i in seed_items(seed)]
    owner: dict[str, list[int]] = {}
    covered = [0] * len(items)
    for c in chars:
        d = norm(registry_text(c))
        hits = [i for i, it in enumerate(items) if d in it]
        if len(hits) > 1 and len({items[i] for i in hits}) == 1:  # a line the protocol repeats verbatim
            free = [i for i in hits if covered[i] == 0]
            hits = free[:1] or hits[:1]
        if len(hits) != 1:
            errors.append(f"{seed.name}: {c['linkId']} description matches {len(hits)} seed lines")
        for i in hits:
            covered[i] += 1
        owner[c["linkId"]] = hits
        for sub, _ in walk((c.get("definitionByCombination") or {}).get("characteristic") or []):
            link = sub.get("linkId", "")
            if link.startswith(("E-I3.", "E-I13")) and norm(sub["description"]) not in " ".join(items):
                errors.append(f"{seed.name}: nested {link} description is not verbatim")
    for i, n in enumerate(covered):
        if n == 0:
            errors.append(f"{seed.name}: seed line {i + 1} not covered: {items[i][:70]}")
    return len(items), len(chars)
