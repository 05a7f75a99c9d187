"""import-ctgov: a ClinicalTrials.gov API v2 record becomes definitions that validate and evaluate.

Expected counts and structures are read off the protocol text by hand (NETTER-2's saved record: 8 inclusion
bullets, 7 exclusion bullets, no nesting; see tests/fixtures/ctgov/NCT03972488.PROVENANCE.md for what of it is
the registry's text). Nesting is tested on a small record written here.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from fhir_eligibility.authoring.ctgov import import_study, parse_criteria
from fhir_eligibility.criteria.load import compile_trial, read_definitions
from fhir_eligibility.criteria.model import Age, Combination, Manual
from fhir_eligibility.criteria.validate import validate

ROOT = Path(__file__).resolve().parents[2]
FIXTURES = ROOT / "tests" / "fixtures" / "ctgov"
NETTER2 = FIXTURES / "NCT03972488.json"
SHARED = ROOT / "definitions" / "shared"
# bullets per seed, counted by hand in the protocol text (nested bullets included)
SEED_BULLETS = {"000": 34, "001": 30, "002": 24, "003": 25, "004": 32}


def _record(path: Path = NETTER2) -> dict[str, Any]:
    return dict(json.loads(path.read_text(encoding="utf-8")))


def _all(chs: list[dict[str, Any]]) -> list[dict[str, Any]]:
    out = []
    for ch in chs:
        out.append(ch)
        out.extend(_all((ch.get("definitionByCombination") or {}).get("characteristic") or []))
    return out


def cli(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "fhir_eligibility", *args], capture_output=True, text=True, cwd=ROOT, timeout=120
    )


def test_netter2_one_characteristic_per_bullet_with_exact_text() -> None:
    study, ev = import_study(_record())
    chs = ev["characteristic"]
    assert (
        study["id"] == "NCT03972488"
        and study["recruitment"]["eligibility"]["reference"] == f"EvidenceVariable/{ev['id']}"
    )
    inclusion = [c for c in chs if c["linkId"].startswith("I")]
    exclusion = [c for c in chs if c["linkId"].startswith("E")]
    assert len(inclusion) == 8 and len(exclusion) == 7
    assert all(c.get("exclude") is True for c in exclusion) and not any(c.get("exclude") for c in inclusion)
    kps = next(c for c in inclusion if "Karnofsky" in c["description"])
    assert kps == {"linkId": "I6", "description": "Karnofsky Performance Score (KPS) \u2265 60"}
    assert inclusion[1]["description"] == "Ki67 index \u226510 and \u2264 55%"
    assert exclusion[1]["description"] == "Prior treatment with radioligand therapy (PRRT)"
    # the registry's hyperkalaemia line comes in as the last exclusion, manual, with its exact text
    assert exclusion[6] == {
        "linkId": "E7",
        "description": "Hyperkaleamia > 6.0 mmol/L (CTCAE Grade 3) which is not corrected prior to study enrolment",
        "exclude": True,
    }


def test_nested_bullets_become_nested_characteristics() -> None:
    rec = _record()
    rec["protocolSection"]["eligibilityModule"]["eligibilityCriteria"] = (
        "Inclusion Criteria:\n\n* Imaging by any of the following modalities:\n"
        "  * \\[68Ga\\]-DOTA-TATE PET/CT\n  * \\[111In\\]-pentetreotide SPECT/CT\n\n"
        "Exclusion Criteria:\n\n* Treatment with any of the following:\n  * Prior PRRT\n  * Prior TACE\n"
    )
    _, ev = import_study(rec)
    imaging = next(c for c in ev["characteristic"] if c["linkId"] == "I1")
    assert imaging["definitionByCombination"]["code"] == "any-of"  # "any of the following ... modalities"
    kids = imaging["definitionByCombination"]["characteristic"]
    assert [k["description"] for k in kids] == [
        "[68Ga]-DOTA-TATE PET/CT",  # Markdown escapes \[ \] removed
        "[111In]-pentetreotide SPECT/CT",
    ]
    treatment = next(c for c in ev["characteristic"] if c["linkId"] == "E1")
    assert treatment["exclude"] is True and len(treatment["definitionByCombination"]["characteristic"]) == 2
    assert not any(k.get("exclude") for k in treatment["definitionByCombination"]["characteristic"])


def test_netter2_age_is_computable_and_everything_else_manual() -> None:
    study, ev = import_study(_record())
    age = ev["characteristic"][0]["definitionByTypeAndValue"]
    assert age["valueQuantity"]["value"] == 15 and age["valueQuantity"]["comparator"] == ">="
    assert age["valueQuantity"]["code"] == "a"
    assert not any(c["linkId"] == "registry-sex" for c in ev["characteristic"])  # sex ALL: no restriction
    ds = read_definitions([SHARED])
    ds.add("EvidenceVariable.json", ev)
    ds.add("ResearchStudy.json", study)
    trial = compile_trial(ds, "ResearchStudy.json", study)
    assert isinstance(trial.criteria[0].definition, Age)
    leaves = [n for c in trial.criteria[1:] for n in c.walk() if not isinstance(n.definition, Combination)]
    assert leaves and all(isinstance(n.definition, Manual) for n in leaves)


def test_structured_sex_and_age_range() -> None:
    rec = _record()
    rec["protocolSection"]["eligibilityModule"] |= {"sex": "FEMALE", "maximumAge": "75 Years"}
    _, ev = import_study(rec)
    age = ev["characteristic"][0]["definitionByTypeAndValue"]["valueRange"]
    assert (age["low"]["value"], age["high"]["value"]) == (15, 75)
    sex = next(c for c in ev["characteristic"] if c["linkId"] == "registry-sex")
    assert sex["definitionByTypeAndValue"]["valueCodeableConcept"]["coding"][0]["code"] == "female"


def test_flattened_scrape_keeps_nesting_from_numbering_and_colons() -> None:
    """Seed E lost its indentation: '3. ... at least one of the following):' then dashes, a list restarting at 1."""
    rec = _record(FIXTURES / "seed-004-NCT01842165.json")
    inclusion, exclusion = parse_criteria(rec["protocolSection"]["eligibilityModule"]["eligibilityCriteria"])
    assert len(inclusion) == 13 and len(exclusion) == 9
    progression = inclusion[2]
    assert progression.text.startswith("Disease progression defined as follows")
    assert len(progression.children) == 3
    both = progression.children[2]
    assert both.text == "Both of the following criteria (a+b):"
    assert [k.text.split(":")[0] for k in both.children] == ["clinical progression", "biochemical progression"]
    assert len(both.children[0].children) == 2
    assert inclusion[12].subheading == "Lesion-based:" and inclusion[0].subheading == "Patient-based:"


@pytest.mark.parametrize("seed", sorted(SEED_BULLETS))
def test_each_seed_imports_validates_and_keeps_every_bullet(seed: str) -> None:
    path = next(FIXTURES.glob(f"seed-{seed}-*.json"))
    study, ev = import_study(_record(path))
    criteria = [c for c in _all(ev["characteristic"]) if not c["linkId"].startswith("registry-")]
    assert len(criteria) == SEED_BULLETS[seed]
    text = _record(path)["protocolSection"]["eligibilityModule"]["eligibilityCriteria"]
    flat = " ".join(text.split())
    for c in criteria:  # exact wording: each description is in the protocol text (line wraps joined)
        assert c["description"] in flat, c["linkId"]
    ds = read_definitions([SHARED])
    ds.add("EvidenceVariable.json", ev)
    ds.add("ResearchStudy.json", study)
    assert validate(ds) == []


def test_cli_import_validate_evaluate(tmp_path: Path) -> None:
    out = tmp_path / "NCT03972488"
    r = cli("import-ctgov", str(NETTER2), "-o", str(out))
    assert r.returncode == 0, r.stderr
    assert sorted(p.name for p in out.iterdir()) == ["EvidenceVariable.json", "ResearchStudy.json"]
    r = cli("validate", str(out), str(SHARED))
    assert r.returncode == 0 and "definitions valid" in r.stdout, r.stdout
    # a 10-year-old fails the registry's minimum age 15; a 60-year-old with every manual line attested is eligible
    for pid, birth, verdict in (("child", "2016-01-01", "ineligible"), ("adult", "1966-01-01", "eligible")):
        bundle = {
            "resourceType": "Bundle",
            "type": "collection",
            "entry": [{"resource": {"resourceType": "Patient", "id": pid, "birthDate": birth, "gender": "male"}}],
        }
        f = tmp_path / f"{pid}.json"
        f.write_text(json.dumps(bundle))
        r = cli(
            "evaluate",
            str(f),
            "--definitions",
            str(out),
            "--as-of",
            "2026-06-01",
            "--assume-attested",
            "--format",
            "json",
        )
        assert r.returncode == 0, r.stderr
        (result,) = json.loads(r.stdout)["results"]
        assert (result["trial"], result["verdict"]) == ("NCT03972488", verdict)
        assert result["criteria"][0]["id"] == "registry-age"


def test_cli_bad_record_is_one_line_exit_2(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json")
    r = cli("import-ctgov", str(bad), "-o", str(tmp_path / "x"))
    assert r.returncode == 2 and "Traceback" not in r.stderr and len(r.stderr.strip().splitlines()) == 1
    bad.write_text(json.dumps({"protocolSection": {}}))
    r = cli("import-ctgov", str(bad), "-o", str(tmp_path / "x"))
    assert r.returncode == 2 and "nctId" in r.stderr


def test_prose_paragraphs_and_headings_fused_with_the_first_bullet() -> None:
    text = (
        "Inclusion Criteria:- Adults with a\nwrapped line\n- Second\n\nExclusion Criteria:\n\n"
        "Any prior PRRT.\n\nPregnancy or\nlactation."
    )
    inclusion, exclusion = parse_criteria(text)
    assert [i.text for i in inclusion] == ["Adults with a wrapped line", "Second"]
    assert [i.text for i in exclusion] == ["Any prior PRRT.", "Pregnancy or lactation."]
