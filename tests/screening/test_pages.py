"""``screen --pages``: the candidates' pages come from the screening's shard reader, only the candidates are
parsed (memory flat in the population), and each page is byte for byte the page the ``evaluate`` reader and
the one evaluation path give for that patient (what the command drew before)."""

from __future__ import annotations

import datetime as dt
import json
import shutil
from pathlib import Path

import pytest

from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.pipeline import evaluate_patients
from fhir_eligibility.report.html import render_report_html
from fhir_eligibility.retrieval.files import read_patients
from fhir_eligibility.screening import pages as pages_module
from fhir_eligibility.screening.pages import page_name
from tests.screening.helpers import AS_OF, SAMPLES, invoke

DAY = dt.date.fromisoformat(AS_OF)


@pytest.fixture(scope="module")
def population(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Twelve sample Bundles and a synthetic Bulk NDJSON population side by side (both readers' paths)."""
    root = tmp_path_factory.mktemp("pages")
    bundles = root / "in" / "bundles"
    bundles.mkdir(parents=True)
    for f in sorted(SAMPLES.glob("*.json"))[:12]:
        shutil.copy(f, bundles / f.name)
    r = invoke("synth", "--patients", "60", "--seed", "3", "--as-of", AS_OF, "--out", str(root / "in" / "bulk"))
    assert r.exit_code == 0, r.output
    return root / "in"


def _screen(population: Path, out: Path) -> dict[str, object]:
    args = ["screen", str(population), "--as-of", AS_OF, "--workers", "1", "--format", "json"]
    r = invoke(*args, "--pages", str(out))
    assert r.exit_code == 0, r.output
    data: dict[str, object] = json.loads(r.stdout)
    return data


def _candidates(report: dict[str, object]) -> set[str]:
    return {c["patient"] for t in report["trials"] for c in t["candidates"]}  # type: ignore[attr-defined,index]


def test_pages_are_those_the_evaluate_reader_gives(population: Path, tmp_path: Path) -> None:
    report = _screen(population, tmp_path / "pages")
    wanted = _candidates(report)
    assert len(wanted) > 10
    written = {p.name for p in (tmp_path / "pages").iterdir()}
    assert written == {page_name(p) for p in wanted}
    trials = load_trials()
    settings = Settings(collect_series=True, horizon_days=30)  # screen's default horizon
    patients, _ = read_patients([population])
    seen = 0
    for data in patients:  # the reference: the evaluate reader, as the command drew pages before
        patient = f"Patient/{data.patient_id}"
        if patient not in wanted:
            continue
        expected = render_report_html(evaluate_patients([data], trials, DAY, settings), trials)
        assert (tmp_path / "pages" / page_name(patient)).read_text(encoding="utf-8") == expected, patient
        seen += 1
    assert seen == len(wanted)


def test_only_candidates_are_loaded(population: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    loaded: list[str] = []
    real = pages_module.patient_of

    def spy(pid: str, *args: object, **kw: object) -> object:
        loaded.append(pid)
        return real(pid, *args, **kw)  # type: ignore[arg-type]

    monkeypatch.setattr(pages_module, "patient_of", spy)
    report = _screen(population, tmp_path / "pages")
    wanted = _candidates(report)
    assert sorted(f"Patient/{p}" for p in loaded) == sorted(wanted)  # each candidate once, nobody else
    assert report["patients"] > len(wanted)  # there were non-candidates to leave alone


def test_a_candidates_page_shows_the_dates_its_dashboard_row_gives(population: Path, tmp_path: Path) -> None:
    """A candidate listed as eligible from (or until) a date within the horizon: the page says so too."""
    report = _screen(population, tmp_path / "pages")
    dated = [
        (c["patient"], c.get("eligibleFrom") or c.get("eligibleUntil"))
        for t in report["trials"]  # type: ignore[attr-defined]
        for c in t["candidates"]
        if c.get("eligibleFrom") or c.get("eligibleUntil")
    ]
    assert dated, "the population has candidates whose verdict changes within 30 days"
    for patient, day in dated:
        page = (tmp_path / "pages" / page_name(patient)).read_text(encoding="utf-8")
        assert 'data-testid="timeline"' in page and day in page, (patient, day)
