"""``screen --pages DIR``: one eligibility page per candidate, so the dashboard's candidates link to the details.

Only candidates get a page (a screening of 100,000 patients has a few hundred); they are evaluated again through
the single evaluation path, with lab series, exactly as ``evaluate --format html`` would. Their data comes from
the screening's own reader (pass 1 of :mod:`~fhir_eligibility.screening.partition` into temporary shards), and of
each shard only the candidates' lines are parsed: memory stays that of one shard, whatever the population, where
the ``evaluate`` reader would hold every patient of a Bulk export at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import tempfile
from collections.abc import Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import Any

from fhir_eligibility.criteria.model import Trial
from fhir_eligibility.errors import InputError, OutputError
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.identity import AS_RECORDED, IdentityPolicy
from fhir_eligibility.output import write_output
from fhir_eligibility.pipeline import evaluate_patients
from fhir_eligibility.record import PatientData
from fhir_eligibility.report.html import render_report_html
from fhir_eligibility.report.screening import ScreeningReport
from fhir_eligibility.retrieval.reading import Drops
from fhir_eligibility.screening.partition import partition
from fhir_eligibility.screening.shard_read import patient_of


def page_name(patient: str) -> str:
    """``Patient/a b`` -> ``a_b-<16 hex>.html``: the id made a file name any file system accepts (cut at
    64 characters), then the first 16 hex digits of the id's SHA-256. Why the hash: ids the sanitiser maps
    together (``x_1``, ``x 1``, ``xé1``; ``A`` and ``a`` on a case-insensitive disk) would share one page,
    and a row would link to another patient's. The dashboard links through this name too."""
    pid = patient.removeprefix("Patient/")
    digest = hashlib.sha256(pid.encode("utf-8")).hexdigest()[:16]
    return f"{re.sub(r'[^A-Za-z0-9._-]', '_', pid)[:64]}-{digest}.html"


def candidates_of(
    parts: Sequence[Path], wanted: set[str], medications: dict[str, dict[str, Any]], drops: Drops | None
) -> Iterator[PatientData]:
    """The wanted patients of one shard (sorted by id, as the screening reads them); other lines stay unparsed."""
    groups: dict[str, list[bytes]] = {}
    for path in parts:
        try:
            with path.open("rb") as fh:
                for line in fh:
                    key, _, text = line.partition(b"\t")
                    pid = key.decode("utf-8")
                    if pid in wanted:
                        groups.setdefault(pid, []).append(text)
        except OSError as e:
            raise InputError(f"{path}: cannot read shard ({e.__class__.__name__})") from None
    for pid in sorted(groups):
        yield patient_of(pid, groups.pop(pid), medications, drops)


def write_pages(
    report: ScreeningReport,
    paths: list[Path],
    trials: list[Trial],
    as_of: dt.date,
    settings: Settings,
    out: Path,
    identity: IdentityPolicy = AS_RECORDED,
    temp_dir: Path | None = None,
) -> dict[str, str]:
    """Write a page per candidate under ``out``; returns patient -> link relative to the dashboard's folder."""
    wanted = {c.patient.removeprefix("Patient/") for t in report.trials for c in t.candidates}
    try:
        out.mkdir(parents=True, exist_ok=True)
    except OSError as e:
        raise OutputError(f"{out}: cannot create the pages folder ({e.strerror or e.__class__.__name__})") from None
    links: dict[str, str] = {}
    if not wanted:
        return links
    # the screening's own settings (its horizon: the dates its dashboard lists are on the page too),
    # with every explanation and the lab series a page draws
    page_settings = replace(settings, explain=True, collect_series=True)
    with tempfile.TemporaryDirectory(prefix="fhir-pages-", dir=temp_dir) as tmp:
        parts = partition(paths, Path(tmp))
        for shard in parts.shards:
            for data in candidates_of(shard, wanted, parts.medications, parts.drops):
                patient = f"Patient/{data.patient_id}"
                target = out / page_name(patient)
                page = identity.report(evaluate_patients([data], trials, as_of, page_settings))
                write_output([render_report_html(page, trials)], target)  # atomic, as -o: never half a page
                links[patient] = target.as_posix()
    return links


__all__ = ["candidates_of", "page_name", "write_pages"]
