"""``codes``: the site codes in patient data no criterion reads, with likely trial concepts; its draft
ConceptMap counts for nothing until a person edits it, and then the code is read.
"""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest

from fhir_eligibility.codes import PROJECT_CS
from fhir_eligibility.evaluation.results import Result
from tests.cases.builders import patient
from tests.terminology.site_files import GFR_UNIT, TRIAL_E, bundle, e_i6, local_obs, write
from tests.test_cli import cli


def test_codes_lists_the_unmapped_code_and_the_round_trip_makes_it_count(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    write(data / "p.json", bundle(patient(), local_obs(62, rid="a"), local_obs(58, date="2026-05-01", rid="b")))
    listed = cli("codes", str(data), "--trial", TRIAL_E, "--format", "json")
    assert listed.returncode == 0, listed.stderr
    (use,) = [u for u in json.loads(listed.stdout)["unreadCodes"]["Observation"] if u["code"] == "MGFR-51CR"]
    assert use["count"] == 2 and use["unit"] == GFR_UNIT
    best = use["suggestions"][0]
    assert best["target"] == {"system": PROJECT_CS, "code": "mgfr-51cr-edta", "display": best["target"]["display"]}
    assert f"{TRIAL_E} E-I6" in best["criteria"] and best["unitCompatible"]
    table = cli("codes", str(data), "--trial", TRIAL_E)
    assert "MGFR-51CR" in table.stdout and "E-I6" in table.stdout

    draft = cli("codes", str(data), "--trial", TRIAL_E, "--format", "conceptmap")
    cm = json.loads(draft.stdout)
    assert cm["status"] == "draft"
    targets = [t for g in cm["group"] for e in g["element"] for t in e["target"]]
    assert {t["equivalence"] for t in targets} <= {"relatedto", "inexact"}
    as_drafted = write(tmp_path / "draft.json", cm)
    assert e_i6([local_obs(62)], [as_drafted]).result is Result.UNKNOWN  # suggestions count for nothing

    edited = copy.deepcopy(cm)
    for g in edited["group"]:
        for e in g["element"]:
            for t in e["target"]:
                if e["code"] == "MGFR-51CR" and t["code"] == "mgfr-51cr-edta":
                    t["equivalence"] = "equivalent"
    reviewed = write(tmp_path / "reviewed.json", edited)
    assert e_i6([local_obs(62)], [reviewed]).result is Result.PASS
    again = cli("codes", str(data), "--trial", TRIAL_E, "--format", "json", "--terminology", str(reviewed))
    assert "MGFR-51CR" not in again.stdout  # read now: no longer listed


def test_codes_streams_ndjson(tmp_path: Path) -> None:
    nd = tmp_path / "Observation.ndjson"
    nd.write_text("\n".join(json.dumps(local_obs(60, rid=f"o{i}")) for i in range(3)) + "\nnot json\n")
    out = cli("codes", str(nd), "--trial", TRIAL_E, "--format", "json")
    data = json.loads(out.stdout)
    assert data["unreadCodes"]["Observation"][0]["count"] == 3 and any("line 4" in w for w in data["warnings"])


REALDATA = Path(__file__).resolve().parents[2].parent / "shared" / "realdata" / "synthea"


@pytest.mark.skipif(not REALDATA.is_dir(), reason="../shared/realdata/synthea is not present")
def test_codes_on_synthea_and_its_draft_is_valid_terminology(tmp_path: Path) -> None:
    out = cli("codes", str(REALDATA), "--format", "json")
    assert out.returncode == 0, out.stderr
    unread = json.loads(out.stdout)["unreadCodes"]
    assert "Condition" in unread and all(u["count"] >= 1 for us in unread.values() for u in us)
    draft = cli("codes", str(REALDATA), "--format", "conceptmap", "-o", str(tmp_path / "draft.json"))
    assert draft.returncode == 0, draft.stderr
    checked = cli("validate", "--terminology", str(tmp_path / "draft.json"))
    assert checked.returncode == 0, checked.stdout
