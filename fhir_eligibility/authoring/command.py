"""The authoring commands: ``import-ctgov``, ``convert``, and what ``show --rules`` prints.

An edge like cli.py: reads files, writes files, prints; the conversions themselves are pure.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from fhir_eligibility.authoring.ctgov import has_exclusion_heading, import_study
from fhir_eligibility.authoring.group import evidence_variable_to_group, group_to_evidence_variable
from fhir_eligibility.authoring.rules import rules_html, rules_text
from fhir_eligibility.criteria.load import load_trials, nct_number, read_definitions
from fhir_eligibility.errors import DefinitionError, InputError
from fhir_eligibility.output import lines, write_output

Json = dict[str, Any]


def _dump(resource: Json) -> str:
    return json.dumps(resource, indent=2, ensure_ascii=False) + "\n"


def show_rules(trial: str, definitions: tuple[Path, ...], fmt: str) -> str:
    """The text or HTML rules page of one trial, from the loaded definitions."""
    paths = list(definitions) or None
    t = load_trials(paths, [trial])[0]
    ds = read_definitions(paths)
    return rules_html(t, ds) if fmt == "html" else rules_text(t, ds)


@click.command(name="import-ctgov")
@click.argument("study", type=click.Path(path_type=Path, dir_okay=False))
@click.option(
    "-o",
    "--output",
    "out_dir",
    type=click.Path(path_type=Path, file_okay=False),
    required=True,
    help="Folder to write ResearchStudy.json and EvidenceVariable.json into (e.g. definitions/NCT...).",
)
def import_ctgov(study: Path, out_dir: Path) -> None:
    """Turn a saved ClinicalTrials.gov API v2 study record into ResearchStudy + EvidenceVariable."""
    try:
        record = json.loads(study.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError, RecursionError) as e:
        raise InputError(f"{study}: not readable JSON ({e.__class__.__name__})") from None
    rs, ev = import_study(record)
    # a trial of only the registry's age and sex would read every adult as eligible: the criteria text must
    # hold at least one line (an empty, whitespace-only or headings-only text is refused)
    if not any(not str(c.get("linkId", "")).startswith("registry-") for c in ev["characteristic"]):
        raise InputError(
            f"{study}: no eligibility criteria text in the record "
            "(protocolSection.eligibilityModule.eligibilityCriteria)"
        )
    text = str(((record.get("protocolSection") or {}).get("eligibilityModule") or {}).get("eligibilityCriteria") or "")
    if not has_exclusion_heading(text):
        click.echo(
            f"warning: {study}: no exclusion heading found: every line was imported as an inclusion; "
            "check the protocol and move exclusions (exclude: true)",
            err=True,
        )
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise InputError(f"{out_dir}: cannot create ({e.strerror})") from None
    write_output(lines(_dump(rs)), out_dir / "ResearchStudy.json")
    write_output(lines(_dump(ev)), out_dir / "EvidenceVariable.json")
    n = sum(1 for c in ev["characteristic"] if "definitionByTypeAndValue" not in c)
    click.echo(f"wrote {out_dir}: {len(ev['characteristic'])} criteria ({n} manual); next: docs/authoring.md", err=True)


@click.command()
@click.argument("trial")
@click.option("--to", "target", type=click.Choice(["r6-group", "r5-evidencevariable"]), required=True)
@click.option("--definitions", type=click.Path(path_type=Path), multiple=True, help="Definition folder(s).")
@click.option("-o", "--output", type=click.Path(path_type=Path), help="Write to FILE instead of stdout.")
def convert(trial: str, target: str, definitions: tuple[Path, ...], output: Path | None) -> None:
    """Write a trial's eligibility as an R6 Group or an R5 EvidenceVariable; report what has no equivalent."""
    ds = read_definitions(list(definitions) or None)
    study = next((s for _, s in ds.studies() if nct_number(s) == trial), None)
    ref = ((study or {}).get("recruitment") or {}).get("eligibility", {}).get("reference", "")
    source = ds.resolve(ref) if study else None
    if source is None:
        raise DefinitionError(f"no eligibility definition found for {trial!r}")
    warnings: list[str] = []
    if target == "r6-group" and source.get("resourceType") == "EvidenceVariable":
        source, warnings = evidence_variable_to_group(source)
    elif target == "r5-evidencevariable" and source.get("resourceType") == "Group":
        source, warnings = group_to_evidence_variable(source)
    for w in warnings:
        click.echo(f"warning: {w}", err=True)
    write_output(lines(_dump(source)), output)
    if output is not None:
        click.echo(f"wrote {output} ({len(warnings)} warning(s))", err=True)


def register(cli: click.Group) -> None:
    cli.add_command(import_ctgov)
    cli.add_command(convert)
