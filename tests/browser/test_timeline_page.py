"""The patient page's dates in Chromium (issue 16 item 1): sample 91's washout (octreotide LAR 2026-05-14, trial E
wants 4 weeks off: eligible from 2026-06-11) shows as a visible timeline whose criterion link lands on the
checklist item; trial D, which no date opens (no liver resection), has no timeline."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.browser.conftest import ARTIFACTS, ROOT, Watched, run_cli

pytestmark = pytest.mark.browser

SAMPLE = ROOT / "sample_bundles" / "91-octreotide-lar-intramuscular-atc-only.json"
E, D = "NCT01842165", "NCT05987176"


@pytest.mark.skipif(not SAMPLE.exists(), reason="the sample bundles are not in this checkout")
def test_the_timeline_is_seen_and_links_to_its_criterion(tmp_path: Path, watched: Watched) -> None:
    html = tmp_path / "patient-91.html"
    run_cli("evaluate", str(SAMPLE), "--as-of", "2026-06-01", "--assume-attested", "--format", "html", "-o", str(html))
    watched.open(html)
    page = watched.page
    e = page.locator(f'[data-testid=trial][data-trial="{E}"]')
    timeline = e.locator("[data-testid=timeline]")
    assert timeline.is_visible()
    assert (
        timeline.locator("[data-testid=when]")
        .inner_text()
        .startswith("Eligible from 2026-06-11 if nothing else changes")
    )
    opened = timeline.locator('[data-testid=timeline-date][data-date="2026-06-11"]')
    assert "E-I5" in opened.inner_text() and "fail → pass" in opened.inner_text()
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    box = e.bounding_box()
    assert box is not None
    clip = {"x": box["x"], "y": box["y"], "width": box["width"], "height": min(box["height"], 700.0)}
    page.screenshot(path=str(ARTIFACTS / "patient-91-trial-e.png"), full_page=True, clip=clip)
    link = opened.locator('[data-criteria="E-I5"] a')
    target = link.get_attribute("href")
    assert target and page.locator(target).get_attribute("data-criterion") == "E-I5"  # the checklist item
    link.click()
    assert page.locator(target).is_visible()
    assert (
        e.locator("[data-testid=next-step]")
        .inner_text()
        .endswith("Ineligible before 2026-06-11: screen again then; nothing to collect.")
    )
    assert page.locator(f'[data-testid=trial][data-trial="{D}"] [data-testid=timeline]').count() == 0
    watched.assert_clean(html)
