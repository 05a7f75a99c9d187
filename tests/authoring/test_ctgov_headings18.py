"""import-ctgov headings and bullets that the registry's authors write besides "Inclusion/Exclusion Criteria:".

Expectations read off each text by hand: a heading is a line of only the heading words (optional qualifier
Key/Main, optional colon); every other line is a criterion under the section of the heading above it.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from fhir_eligibility.authoring.ctgov import Item, parse_criteria

ROOT = Path(__file__).resolve().parents[2]


def _texts(items: list[Item]) -> list[str]:
    return [i.text for i in items]


@pytest.mark.parametrize(
    ("inc_head", "exc_head"),
    [
        ("Key Inclusion Criteria:", "Key Exclusion Criteria:"),
        ("Main inclusion criteria:", "Main exclusion criteria:"),
        ("Inclusion:", "Exclusion:"),
        ("Inclusion Criteria:", "Non-inclusion criteria:"),
        ("**Inclusion Criteria**", "## Exclusion criteria"),
    ],
)
def test_qualified_and_short_headings_open_their_section(inc_head: str, exc_head: str) -> None:
    text = f"{inc_head}\n\n* Age 18 or more\n* Measurable disease\n\n{exc_head}\n\n* Prior PRRT\n* Pregnancy\n"
    inclusion, exclusion = parse_criteria(text)
    assert _texts(inclusion) == ["Age 18 or more", "Measurable disease"]
    assert _texts(exclusion) == ["Prior PRRT", "Pregnancy"]


def test_a_bullet_starting_with_inclusion_criteria_is_a_criterion_not_a_heading() -> None:
    text = (
        "Inclusion Criteria:\n\n* Age 18 or more\n\nExclusion Criteria:\n\n* Prior PRRT\n"
        "* Inclusion criteria of the parent study not met\n* Pregnancy\n* Active hepatitis B\n"
    )
    inclusion, exclusion = parse_criteria(text)
    assert _texts(inclusion) == ["Age 18 or more"]
    assert _texts(exclusion) == [
        "Prior PRRT",
        "Inclusion criteria of the parent study not met",
        "Pregnancy",
        "Active hepatitis B",
    ]


def test_unicode_bullets_are_split_and_indentation_decides_nesting() -> None:
    text = (
        "Inclusion Criteria:\n\n▪ ECOG 0-1\n▪ Adequate marrow\n  ◦ ANC ≥ 1.5\n  ◦ Platelets ≥ 100\n– Consent\n\n"
        "Exclusion Criteria:\n\n● Pregnancy\n● Active hepatitis B\n➢ Prior PRRT\n"
    )
    inclusion, exclusion = parse_criteria(text)
    assert _texts(inclusion) == ["ECOG 0-1", "Adequate marrow", "Consent"]
    assert _texts(inclusion[1].children) == ["ANC ≥ 1.5", "Platelets ≥ 100"]
    assert _texts(exclusion) == ["Pregnancy", "Active hepatitis B", "Prior PRRT"]
    assert not any(i.children for i in exclusion)


def _cli(tmp_path: Path, criteria: str) -> subprocess.CompletedProcess[str]:
    rec = {
        "protocolSection": {
            "identificationModule": {"nctId": "NCT00000018"},
            "eligibilityModule": {"eligibilityCriteria": criteria, "minimumAge": "18 Years"},
        }
    }
    f = tmp_path / "rec.json"
    f.write_text(json.dumps(rec))
    return subprocess.run(
        [sys.executable, "-m", "fhir_eligibility", "import-ctgov", str(f), "-o", str(tmp_path / "out")],
        capture_output=True,
        text=True,
        cwd=ROOT,
        timeout=120,
    )


@pytest.mark.parametrize("criteria", ["", "  \n\n ", "Inclusion Criteria:\n\nExclusion Criteria:\n"])
def test_empty_criteria_text_is_refused_even_with_a_registry_age(tmp_path: Path, criteria: str) -> None:
    """Only registry-age would be left: every adult eligible. Refused, exit 2, nothing written."""
    r = _cli(tmp_path, criteria)
    assert r.returncode == 2 and "no eligibility criteria" in r.stderr
    assert not (tmp_path / "out" / "EvidenceVariable.json").exists()


def test_no_exclusion_heading_is_warned_and_still_written(tmp_path: Path) -> None:
    r = _cli(tmp_path, "Inclusion Criteria:\n\n* Age 18 or more\n* Signed consent\n")
    assert r.returncode == 0 and "warning:" in r.stderr and "no exclusion heading" in r.stderr
    r = _cli(tmp_path, "Inclusion Criteria:\n\n* Age 18 or more\n\nExclusion Criteria:\n\n* Pregnancy\n")
    assert r.returncode == 0 and "warning" not in r.stderr


def test_html_lists_and_entities_are_read_as_the_markdown_they_stand_for(tmp_path: Path) -> None:
    text = "<b>Inclusion Criteria:</b><br/><ul><li>Age 18 or more</li><li>Consent</li></ul>"
    text += "<b>Exclusion Criteria:</b><ul><li>Pregnancy &#8211; or breastfeeding</li><li>Hb &lt; 9 g/dL</li></ul>"
    inclusion, exclusion = parse_criteria(text)
    assert _texts(inclusion) == ["Age 18 or more", "Consent"]
    assert _texts(exclusion) == ["Pregnancy – or breastfeeding", "Hb < 9 g/dL"]
    r = _cli(tmp_path, text)
    assert r.returncode == 0 and "warning" not in r.stderr
