"""A panel Observation's contained members named in ``hasMember`` ("#hb1") are the patient's results, read
as a DiagnosticReport's contained results are (review rev-entry 21, finding 2: set5/p52-member, ignored
on every path before, so an older normal Hb decided E-I7-hb).
"""

from __future__ import annotations

from pathlib import Path

from fhir_eligibility.evaluation.facts import facts_of
from tests.cases.builders import LOINC
from tests.evaluation.test_contained_results_facts21 import (
    E_ID,
    SUBJECT,
    Json,
    cbc_panel,
    cbc_report,
    from_files,
    hb,
    sample,
)


def _observations(res: Json) -> list[tuple[str, str | None]]:
    return [(f.ref, f.date.isoformat() if f.date else None) for f in facts_of(res) if f.kind == "Observation"]


def test_a_contained_member_is_read_as_a_reports_contained_result() -> None:
    """Its own status decides; with no date of its own it is dated as its panel is (as a report's
    contained result is dated as its report); one not listed in hasMember is not read."""
    undated = {k: v for k, v in hb().items() if k != "effectiveDateTime"}
    assert _observations(cbc_panel(undated)) == [
        ("Observation/cbc-panel", "2026-05-28"),
        ("Observation/cbc-panel#hb1", "2026-05-28"),
    ]
    (member,) = [f for f in facts_of(cbc_panel()) if f.ref.endswith("#hb1")]
    assert member.quantity is not None and member.codes == frozenset({(LOINC, "718-7")})
    assert len(facts_of(cbc_panel(members=()))) == 1
    assert len(facts_of(cbc_panel(hb(status="entered-in-error")))) == 1
    assert len(facts_of(cbc_panel(hb(status="preliminary")))) == 1
    assert len(facts_of(cbc_panel(hb(status="preliminary")), include_preliminary=True)) == 2
    assert facts_of(cbc_panel(status="entered-in-error")) == []  # a void panel voids its members


def test_a_member_named_twice_or_a_member_of_a_contained_panel_is_read_once() -> None:
    """A report listing a contained panel whose member is contained beside it: the panel and the Hb,
    once each, even when the report lists the Hb too."""
    panel = {k: v for k, v in cbc_panel().items() if k not in ("contained", "subject")}
    panel["id"] = "panel"
    report = cbc_report(panel, hb(), result=("#panel", "#hb1"))
    refs = [f.ref for f in facts_of(report) if f.kind == "Observation"]
    assert refs == ["DiagnosticReport/cbc-report#panel", "DiagnosticReport/cbc-report#hb1"]


def test_a_member_that_is_a_resource_of_its_own_is_read_once(tmp_path: Path) -> None:
    """``hasMember: Observation/hb-own``: that Observation is read as itself, never again as a member."""
    own = {**hb(), "id": "hb-own", "subject": SUBJECT}
    panel = {k: v for k, v in cbc_panel(members=("Observation/hb-own",)).items() if k != "contained"}
    assert [f.ref for f in facts_of(panel)] == ["Observation/cbc-panel"]
    files = from_files(tmp_path, sample(panel, own))
    assert files[E_ID][1] == "fail" and files[E_ID][2].startswith("7 g/dL")
