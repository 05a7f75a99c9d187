"""``screen --pages DIR``: one eligibility page per candidate, so the dashboard's candidates link to the details.

Only candidates get a page (a screening of 100,000 patients has a few hundred); they are evaluated again through
the single evaluation path, with lab series, exactly as ``evaluate --format html`` would.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from fhir_eligibility.criteria.model import Trial
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.identity import AS_RECORDED, IdentityPolicy
from fhir_eligibility.pipeline import evaluate_patients
from fhir_eligibility.report.html import render_report_html
from fhir_eligibility.report.screening import ScreeningReport
from fhir_eligibility.retrieval.files import read_patients


def page_name(patient: str) -> str:
    """``Patient/a b`` -> ``a_b.html``: a file name any file system accepts, stable per patient."""
    return re.sub(r"[^A-Za-z0-9._-]", "_", patient.removeprefix("Patient/")) + ".html"


def write_pages(
    report: ScreeningReport,
    paths: list[Path],
    trials: list[Trial],
    as_of: dt.date,
    settings: Settings,
    out: Path,
    identity: IdentityPolicy = AS_RECORDED,
) -> dict[str, str]:
    """Write a page per candidate under ``out``; returns patient -> link relative to the dashboard's folder."""
    wanted = {c.patient for t in report.trials for c in t.candidates}
    out.mkdir(parents=True, exist_ok=True)
    patients, _warnings = read_patients(paths)
    links: dict[str, str] = {}
    page_settings = Settings(
        default_lookback_days=settings.default_lookback_days,
        assume_attested=settings.assume_attested,
        collect_series=True,
    )
    for data in patients:
        patient = f"Patient/{data.patient_id}"
        if patient not in wanted:
            continue
        target = out / page_name(patient)
        page = identity.report(evaluate_patients([data], trials, as_of, page_settings))
        target.write_text(render_report_html(page, trials), encoding="utf-8")
        links[patient] = target.as_posix()
    return links
