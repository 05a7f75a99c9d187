"""The ``codes`` command, and the ``--terminology`` option that evaluate, screen and validate share.

An edge like cli.py: it reads the data files and prints. ``codes`` streams NDJSON line by line (a
site runs it on its whole export) and reads Bundles through the same reader as ``evaluate``.
"""

from __future__ import annotations

import json
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import click

from fhir_eligibility.codes import Code, display
from fhir_eligibility.criteria.load import load_trials, read_definitions
from fhir_eligibility.retrieval.files import read_file, read_line
from fhir_eligibility.retrieval.inputs import input_files, is_ndjson, ndjson_lines
from fhir_eligibility.retrieval.reading import Drops, WarningLog
from fhir_eligibility.terminology.usage import (
    CodeUse,
    Suggester,
    Suggestion,
    count_unread,
    definition_displays,
    read_codes,
)

F = TypeVar("F", bound=Callable[..., Any])
DRAFT_URL = "urn:fhir-eligibility:conceptmap:site-draft"


def terminology_option(f: F) -> F:
    """``--terminology PATH`` (repeatable): the site's ConceptMaps and value-set additions."""
    return click.option(
        "--terminology",
        "terminology",
        type=click.Path(path_type=Path),
        multiple=True,
        help="Site ConceptMap(s)/ValueSet(s): a JSON resource, a Bundle of them, or a folder (repeatable).",
    )(f)


def iter_resources(paths: list[Path], log: WarningLog) -> Iterator[dict[str, Any]]:
    """Every resource of the files, read with the one reading policy (retrieval/reading.py);
    NDJSON streamed one line at a time, so an export of any size fits in memory."""
    lost = Drops()  # what could not be read only matters for evaluation, not for a code listing
    for index, f in enumerate(input_files(paths, log)):
        if not is_ndjson(f):
            for _at, _url, res in read_file(f, index, log, lost):
                yield res
            continue
        for n, line in enumerate(ndjson_lines(f), 1):  # a .ndjson.gz decompressed as it is read
            line = line.strip()
            if line:
                got, _lenient = read_line(line, str(f), index, lambda n=n: n, log, lost)  # type: ignore[misc]
                if got is not None:
                    yield got


def _suggestion_json(s: Suggestion) -> dict[str, Any]:
    return {
        "target": {"system": s.target[0], "code": s.target[1], "display": s.target_display},
        "score": s.score,
        "unitCompatible": s.unit_match,
        "criteria": list(s.criteria),
    }


def _use_json(u: CodeUse, sugg: list[Suggestion]) -> dict[str, Any]:
    return {
        "system": u.code[0],
        "code": u.code[1],
        "display": u.display,
        "count": u.count,
        "unit": u.unit,
        "suggestions": [_suggestion_json(s) for s in sugg],
    }


def _table(rows: list[tuple[CodeUse, list[Suggestion]]], text_only: Counter[str]) -> str:
    out = [
        f"{rtype}: {n} record(s) coded by text alone (no coding): no criterion can read them"
        for rtype, n in sorted(text_only.items())
    ]
    for rtype in sorted({u.resource_type for u, _ in rows}):
        mine = [(u, s) for u, s in rows if u.resource_type == rtype]
        out.append(f"{rtype}: {len(mine)} code(s) no criterion reads ({sum(u.count for u, _ in mine)} occurrences)")
        for u, sugg in mine:
            unit = f"  [{u.unit}]" if u.unit else ""
            out.append(f"  {u.count:>7}  {display(u.code)}  {u.display!r}{unit}")
            for s in sugg:
                ok = ", unit compatible" if s.unit_match else ""
                out.append(
                    f"           -> {display(s.target)} {s.target_display!r} ({s.score:g}{ok}):"
                    f" {', '.join(s.criteria[:6])}{' ...' if len(s.criteria) > 6 else ''}"
                )
    return "\n".join(out) if out else "every record in the data is coded, and every code read by a criterion"


def draft_conceptmap(rows: list[tuple[CodeUse, list[Suggestion]]], url: str) -> dict[str, Any]:
    """An R4 ConceptMap for a person to review: suggestions are relatedto (best) or inexact, which
    count for nothing until the reviewer sets ``equivalence`` to equivalent (or wider)."""
    groups: dict[tuple[str, str], dict[Code, dict[str, Any]]] = {}
    for u, sugg in rows:
        if not u.code[0]:
            continue  # no code system: nothing a map can name
        for i, s in enumerate(sugg):
            elements = groups.setdefault((u.code[0], s.target[0]), {})
            element = elements.setdefault(u.code, {"code": u.code[1], "display": u.display or None, "target": []})
            element["target"].append(
                {
                    "code": s.target[1],
                    "display": s.target_display or None,
                    "equivalence": "relatedto" if i == 0 else "inexact",
                    "comment": f"read by {', '.join(s.criteria)} (score {s.score:g}"
                    + (", unit compatible" if s.unit_match else "")
                    + f"); {u.count} {u.resource_type} coding(s) in the data",
                }
            )
    clean = [
        {"source": src, "target": tgt, "element": [_drop_none(e) for e in els.values()]}
        for (src, tgt), els in sorted(groups.items())
    ]
    return {
        "resourceType": "ConceptMap",
        "url": url,
        "name": "SiteCodesToTrialConcepts",
        "title": "Site codes to trial concepts (draft for review)",
        "status": "draft",
        "description": "Written by `fhir-eligibility codes --format conceptmap`. Every target is a suggestion "
        "(relatedto/inexact) and counts for nothing: set equivalence to 'equivalent' (or 'wider' when the "
        "local code is narrower than the trial concept) where a person has checked it, delete the rest.",
        "group": clean,
    }


def _drop_none(d: dict[str, Any]) -> dict[str, Any]:
    out = {k: v for k, v in d.items() if v is not None}
    if isinstance(out.get("target"), list):
        out["target"] = [_drop_none(t) for t in out["target"]]
    return out


@click.command()
@click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))
@click.option("--trial", "trial_ids", multiple=True, help="NCT number (repeatable; default all).")
@click.option("--format", "fmt", type=click.Choice(["table", "json", "conceptmap"]), default="table")
@click.option("--url", default=DRAFT_URL, show_default=True, help="Canonical url of the draft ConceptMap.")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write to FILE instead of stdout.")
@click.option(
    "--definitions",
    type=click.Path(path_type=Path),
    multiple=True,
    help="Definition folder(s) or files (default: the bundled definitions/).",
)
@terminology_option
def codes(
    paths: tuple[Path, ...],
    trial_ids: tuple[str, ...],
    fmt: str,
    url: str,
    output: Path | None,
    definitions: tuple[Path, ...],
    terminology: tuple[Path, ...],
) -> None:
    """List the codes in the data that no criterion reads, with the criteria they most likely mean."""
    trials = load_trials(list(definitions) or None, list(trial_ids) or None, list(terminology) or None)
    displays = definition_displays(r for _f, r in read_definitions(list(definitions) or None).resources)
    log = WarningLog()
    unread = count_unread(iter_resources(list(paths), log), read_codes(trials))
    warnings = log.lines()
    suggester = Suggester(trials, displays)
    ordered = sorted(unread.uses.values(), key=lambda u: (u.resource_type, -u.count, u.code))
    rows = [(u, suggester.suggest(u)) for u in ordered]
    if fmt == "json":
        by_type: dict[str, list[dict[str, Any]]] = {}
        for u, s in rows:
            by_type.setdefault(u.resource_type, []).append(_use_json(u, s))
        report = {
            "unreadCodes": by_type,
            "textOnlyRecords": dict(sorted(unread.text_only.items())),
            "warnings": warnings,
        }
        text = json.dumps(report, indent=2, ensure_ascii=False)
    elif fmt == "conceptmap":
        text = json.dumps(draft_conceptmap(rows, url), indent=2, ensure_ascii=False)
    else:
        text = _table(rows, unread.text_only) + "".join(f"\nwarning: {w}" for w in warnings)
    if output is None:
        click.echo(text)
    else:
        output.write_text(text + "\n", encoding="utf-8")
        click.echo(f"wrote {output}", err=True)


def register(group: click.Group) -> None:
    """Add ``codes`` to the CLI group (one line in cli.py)."""
    group.add_command(codes)


__all__ = ["codes", "draft_conceptmap", "iter_resources", "register", "terminology_option"]
