"""Links from the screening dashboard to the candidate pages are URLs: a folder named ``pg #1?x`` must not
turn into a fragment (``#1``) and a query (``?x``) the browser strips from the path."""

from __future__ import annotations

import html as html_lib
import re
from pathlib import Path
from urllib.parse import unquote

import pytest
from click.testing import CliRunner

from fhir_eligibility.cli import cli
from fhir_eligibility.report.html.dashboard import render_screening_html

SAMPLE = Path(__file__).resolve().parents[2] / "sample_bundles" / "01-prrt-ileal-net-baseline.json"
DATA = {
    "asOf": "2026-06-01",
    "trials": [{"trial": "NCT01842165", "counts": {"eligible": 1}, "candidates": [{"patient": "Patient/p"}]}],
}


def _hrefs(html: str) -> list[str]:
    return [html_lib.unescape(h) for h in re.findall(r'<a href="([^"#][^"]*)" data-testid="patient-page"', html)]


@pytest.mark.parametrize(
    ("path", "href"),
    [
        ("pg #1?x/p-1.html", "pg%20%231%3Fx/p-1.html"),
        ("../out/100%/p&q.html", "../out/100%25/p%26q.html"),
        ("pages/p.html", "pages/p.html"),
    ],
)
def test_a_page_path_is_percent_encoded(path: str, href: str) -> None:
    assert _hrefs(render_screening_html(DATA, {"Patient/p": path})) == [href]


@pytest.mark.skipif(not SAMPLE.exists(), reason="no samples")
def test_the_written_dashboard_links_to_the_written_pages(tmp_path: Path) -> None:
    pages, out = tmp_path / "pg #1?x", tmp_path / "dash.html"
    args = ["screen", str(SAMPLE), "--trial", "NCT01842165", "--as-of", "2026-06-01", "--format", "html"]
    res = CliRunner().invoke(cli, [*args, "--pages", str(pages), "-o", str(out)])
    assert res.exit_code == 0, res.output
    (href,) = _hrefs(out.read_text(encoding="utf-8"))
    assert href.startswith("pg%20%231%3Fx/")
    assert (tmp_path / unquote(href)).is_file()
