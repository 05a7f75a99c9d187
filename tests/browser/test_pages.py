"""The pages in a real browser: rendered by the CLI, opened from file://, looked at by headless Chromium.

Uses the sample patients and bundled definitions when they are present (three chosen patients), otherwise the
mini fixture. Every criterion on the page is checked against the CLI's own JSON for the same run, and a few
named criteria against what a clinician expects. Screenshots (and a PDF print) go to ``test-artifacts/browser``.
"""

from __future__ import annotations

import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from tests.browser.conftest import ARTIFACTS, ROOT, Watched, run_cli

pytestmark = pytest.mark.browser

AS_OF = "2026-06-01"
MINI = ROOT / "tests" / "fixtures" / "mini"
SAMPLES = ROOT / "sample_bundles"
REAL_DATA = any(SAMPLES.glob("*.json")) and any((ROOT / "definitions").glob("*/ResearchStudy.json"))
# Chosen for what they show: ALT 3 x ULN with liver metastases (review), Hb only outside the window (unknown),
# ANC and platelets just below their thresholds (fail).
PREFERRED = (
    "03-alt-3x-uln-liver-mets.json",
    "08-hb-outside-28-day-window.json",
    "12-anc-1-4-platelets-99-mgfr-49.json",
)
RESULT_LABEL = {
    "pass": "Pass",
    "fail": "Fail",
    "unknown": "Unknown",
    "manual": "Manual check",
    "review": "Needs review",
}
VERDICT_LABEL = {
    "eligible": "Eligible",
    "ineligible": "Ineligible",
    "undetermined": "Undetermined",
    "needs-review": "Needs review",
}
# (patient file stem or "mini") -> trial -> criterion -> label a coordinator must see; worked out by hand
# (tests/expected_verdicts.json for the samples), not copied from the engine.
SPOT_CHECKS: dict[str, dict[str, dict[str, str]]] = {
    "mini": {"NCT00000001": {"age": "Pass", "hb": "Pass", "consent": "Manual check", "alt": "Pass"}},
    "03-alt-3x-uln-liver-mets": {
        "NCT04954820": {"A-E7b": "Needs review", "A-I11-hb": "Pass"},
        "NCT04837885": {"C-I6-alt-ast": "Fail"},
    },
    "08-hb-outside-28-day-window": {"NCT04954820": {"A-I11-hb": "Unknown"}, "NCT05773274": {"B-I8": "Unknown"}},
    "12-anc-1-4-platelets-99-mgfr-49": {"NCT04954820": {"A-I11-anc": "Fail", "A-I11-hb": "Pass"}},
}
SPOT_VERDICTS = {
    "mini": {"NCT00000001": "Needs review"},
    "03-alt-3x-uln-liver-mets": {"NCT04954820": "Needs review"},
    "08-hb-outside-28-day-window": {"NCT04954820": "Undetermined"},
    "12-anc-1-4-platelets-99-mgfr-49": {"NCT04954820": "Ineligible", "NCT05773274": "Eligible"},
}


def _patients() -> list[tuple[str, Path]]:
    if not REAL_DATA:
        return [("mini", MINI / "patient.json")]
    chosen = [SAMPLES / n for n in PREFERRED if (SAMPLES / n).exists()] or sorted(SAMPLES.glob("*.json"))[:3]
    return [(p.stem, p) for p in chosen]


def _common_args() -> list[str]:
    # The samples' expectations assume every manual criterion attested; the mini page shows "Manual check".
    return ["--as-of", AS_OF, "--assume-attested"] if REAL_DATA else ["--as-of", AS_OF, "--definitions", str(MINI)]


@dataclass(frozen=True)
class Rendered:
    name: str
    html: Path
    results: list[dict[str, Any]]


@pytest.fixture(scope="module")
def rendered(tmp_path_factory: pytest.TempPathFactory) -> dict[str, Rendered]:
    out_dir = tmp_path_factory.mktemp("pages")
    pages: dict[str, Rendered] = {}
    for name, path in _patients():
        html = out_dir / f"patient-{name}.html"
        run_cli("evaluate", str(path), *_common_args(), "--format", "html", "-o", str(html))
        data = json.loads(run_cli("evaluate", str(path), *_common_args(), "--format", "json").stdout)
        pages[name] = Rendered(name, html, data["results"])
    return pages


# One round trip: what the checklist shows, per trial and criterion.
CHECKLIST_JS = """() => [...document.querySelectorAll('[data-testid=trial]')].map(t => ({
  trial: t.dataset.trial,
  verdict: t.querySelector('[data-testid=verdict]').innerText.trim(),
  criteria: [...t.querySelectorAll('li[data-testid=criterion]')].map(li => {
    const badge = li.querySelector('[data-testid=result-label]');  // the first is the criterion's own
    const r = badge.getBoundingClientRect();
    return {id: li.dataset.criterion, label: badge.innerText.trim(), visible: r.width > 0 && r.height > 0,
            icon: !!badge.querySelector('svg.icon'), colour: getComputedStyle(badge).backgroundColor};
  }),
}))"""

PLOTS_JS = """() => [...document.querySelectorAll('figure[data-testid=lab-plot]')].map(f => {
  const svg = f.querySelector('svg').getBoundingClientRect();
  const box = e => { const r = e.getBoundingClientRect(); return [r.left, r.top, r.width, r.height]; };
  return {
    criteria: f.dataset.criteria.split(' '),
    svg: [svg.left, svg.top, svg.width, svg.height],
    thresholds: [...f.querySelectorAll('line.threshold')].map(l => ({value: l.dataset.value, box: box(l),
                 stroke: getComputedStyle(l).stroke, dash: getComputedStyle(l).strokeDasharray})),
    windows: [...f.querySelectorAll('rect[data-testid=window]')].map(box),
    points: [...f.querySelectorAll('circle[data-testid=point]')].map(c => c.getAttribute('class')),
  };
})"""


@pytest.mark.parametrize("name", [n for n, _p in _patients()])
def test_patient_page(name: str, rendered: dict[str, Rendered], watched: Watched) -> None:
    page_file = rendered[name].html
    watched.open(page_file)
    watched.screenshot(f"patient-{name}-top")
    watched.screenshot(f"patient-{name}", full_page=True, type="jpeg", quality=70)
    watched.assert_clean(page_file)
    shown = {t["trial"]: t for t in watched.page.evaluate(CHECKLIST_JS)}

    # every criterion of every trial shows the result the run produced, as a visible label with an icon
    for r in rendered[name].results:
        t = shown[r["trial"]]
        assert t["verdict"] == VERDICT_LABEL[r["verdict"]], r["trial"]
        assert [c["id"] for c in t["criteria"]] == [c["id"] for c in r["criteria"]]
        for c, s in zip(r["criteria"], t["criteria"], strict=True):
            assert s["label"] == RESULT_LABEL[c["result"]], (r["trial"], c["id"])
            assert s["visible"] and s["icon"], (r["trial"], c["id"])
    # colours differ between results, but each is paired with its label
    colours = {c["label"]: c["colour"] for t in shown.values() for c in t["criteria"]}
    assert len(set(colours.values())) == len(colours)

    # named criteria show what a clinician expects
    for trial, checks in SPOT_CHECKS.get(name, {}).items():
        labels = {c["id"]: c["label"] for c in shown[trial]["criteria"]}
        for cid, label in checks.items():
            assert labels.get(cid) == label, (trial, cid, labels.get(cid))
    for trial, verdict in SPOT_VERDICTS.get(name, {}).items():
        assert shown[trial]["verdict"] == verdict

    # each lab plot has a visible dashed threshold line across it and a shaded window
    plots = watched.page.evaluate(PLOTS_JS)
    assert plots, "no lab plot on the page"
    for p in plots:
        sx, sy, sw, sh = p["svg"]
        assert sw > 100 and sh > 60, p["criteria"]
        assert p["thresholds"], f"plot for {p['criteria']} has no threshold line"
        assert p["points"], f"plot for {p['criteria']} is empty"  # no chart without data
        for t in p["thresholds"]:
            x, y, w, _h = t["box"]
            assert w > sw * 0.5 and sx <= x and sy <= y <= sy + sh, (p["criteria"], t)
            assert t["stroke"] not in ("none", "") and t["dash"] not in ("none", ""), (p["criteria"], t)
        assert p["windows"] and all(w[2] > 0 and w[3] > 0 for w in p["windows"]), p["criteria"]
    by_criterion = {c: p for p in plots for c in p["criteria"]}
    # plots sit once per patient, in its lab section, not inside each trial
    assert watched.page.locator("[data-testid=trial] figure[data-testid=lab-plot]").count() == 0
    if name == "mini":
        assert {c: [t["value"] for t in by_criterion[c]["thresholds"]] for c in ("hb", "alt")} == {
            "hb": ["8"],
            "alt": ["2.5"],
        }
    if name == "08-hb-outside-28-day-window":  # the only Hb is outside the window: drawn hollow, outside the band
        hb = by_criterion["A-I11-hb"]
        assert hb["points"] and all("out" in c for c in hb["points"])
    # criteria link to their plot; a close-up of the first spot-checked criterion that has one
    for trial, checks in SPOT_CHECKS.get(name, {}).items():
        for cid in checks:
            link = watched.page.locator(f'[data-trial="{trial}"] li[data-criterion="{cid}"] a[data-testid=plot-link]')
            if link.count():
                link.first.click()
                target = watched.page.locator(link.first.get_attribute("href") or "")
                assert target.is_visible() and cid in (target.get_attribute("data-criteria") or "").split()
                target.screenshot(path=str(ARTIFACTS / f"patient-{name}-{cid}.png"))
                return


def test_print_expands_collapsed_parts(rendered: dict[str, Rendered], watched: Watched) -> None:
    name = next(iter(rendered))
    watched.open(rendered[name].html)
    collapsed = watched.page.locator("details:not([open]) > :not(summary)").first
    assert not collapsed.is_visible()
    watched.page.emulate_media(media="print")
    assert collapsed.is_visible(), "print CSS leaves collapsed details hidden"
    criterion = watched.page.locator("li[data-testid=criterion]").first
    assert criterion.evaluate("e => getComputedStyle(e).breakInside") == "avoid"
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    watched.page.pdf(path=str(ARTIFACTS / f"patient-{name}.pdf"), format="A4", print_background=True)
    watched.assert_clean(rendered[name].html)


# ---- screening dashboard ------------------------------------------------------------------------------


def _population(target: Path) -> list[str]:
    """A small population with different verdicts: ten sample patients, or mini variants."""
    target.mkdir()
    if REAL_DATA:
        for f in sorted(SAMPLES.glob("*.json"))[:10]:
            shutil.copy(f, target / f.name)
        return ["--as-of", AS_OF, "--assume-attested"]
    bundle = json.loads((MINI / "patient.json").read_text(encoding="utf-8"))
    no_hb = {**bundle, "entry": [e for e in bundle["entry"] if e["resource"].get("id") != "o1"]}
    for pid, b in (("p1", bundle), ("p0", bundle), ("p2", no_hb)):
        text = json.dumps(b).replace('"p1"', f'"{pid}"').replace("urn:uuid:p1", f"urn:uuid:{pid}")
        (target / f"{pid}.json").write_text(text, encoding="utf-8")
    return ["--as-of", AS_OF, "--definitions", str(MINI)]


@pytest.fixture(scope="module")
def screening(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    work = tmp_path_factory.mktemp("screening")
    args = _population(work / "population")
    html = work / "screening.html"
    common = [str(work / "population"), *args, "--workers", "1", "--no-progress"]
    run_cli("screen", *common, "--format", "html", "-o", str(html))
    data = json.loads(run_cli("screen", *common, "--format", "json").stdout)
    return html, data


def _column(w: Watched, table: str, col: int) -> list[str]:
    return list(
        w.page.evaluate(
            "([t, c]) => [...document.getElementById(t).tBodies[0].rows].filter(r => !r.hidden)"
            ".map(r => r.cells[c].innerText.trim().split('\\n')[0])",  # the first line: the id, the verdict
            [table, col],
        )
    )


def test_screening_page(screening: tuple[Path, dict[str, Any]], watched: Watched) -> None:
    html, data = screening
    watched.open(html)
    watched.screenshot("screening-top")
    watched.screenshot("screening", full_page=True, type="jpeg", quality=70)
    watched.assert_clean(html)
    page = watched.page
    trials = data["trials"]
    assert page.locator("[data-testid=screen-trial]").count() == len(trials)
    for i, t in enumerate(trials):
        section = page.locator(f"#t{i}")
        assert section.get_attribute("data-trial") == t["trial"]
        # the funnel: one bar group per criterion, segment counts as in the data
        chart = section.locator("svg[data-testid=funnel-chart]")
        assert chart.is_visible()
        for row in t["funnel"]:
            group = chart.locator(f'g[data-criterion="{row["criterion"]}"]')
            counts = {
                r.get_attribute("data-result"): int(r.get_attribute("data-count") or 0)
                for r in group.locator("rect.bar").all()
            }
            assert counts == {k: v for k in RESULT_LABEL if (v := row.get(k, 0))}, row["criterion"]
        rows = section.locator("table[data-testid=candidates] tbody tr")
        assert rows.count() == len(t["candidates"])

    # sorting and filtering, on the trial with the most candidates
    i, t = max(enumerate(trials), key=lambda p: len(p[1]["candidates"]))
    assert len(t["candidates"]) >= 2, "the population gives too few candidates to sort"
    section = page.locator(f"#t{i}")
    table = f"t{i}-cand"
    patients = [c["patient"] for c in t["candidates"]]
    assert _column(watched, table, 1) == patients  # ranked as the screening ranked them

    section.locator("[data-testid=sort-patient]").click()
    assert _column(watched, table, 1) == sorted(patients)
    assert section.locator("th:has([data-testid=sort-patient])").get_attribute("aria-sort") == "ascending"
    section.locator("[data-testid=sort-patient]").click()
    assert _column(watched, table, 1) == sorted(patients, reverse=True)
    assert section.locator("th:has([data-testid=sort-patient])").get_attribute("aria-sort") == "descending"
    section.locator("[data-testid=sort-verdict]").click()  # most actionable first
    rank_of = {VERDICT_LABEL[v]: n for n, v in enumerate(("eligible", "needs-review", "undetermined", "ineligible"))}
    ranks = [rank_of[v] for v in _column(watched, table, 2)]
    assert ranks == sorted(ranks)
    section.locator("[data-testid=sort-rank]").click()
    assert _column(watched, table, 1) == patients
    section.screenshot(path=str(ARTIFACTS / "screening-sorted.png"))

    target = patients[-1]
    section.locator("[data-testid=filter]").fill(target.split("/")[-1])
    assert _column(watched, table, 1) == [p for p in patients if target.split("/")[-1] in p]
    assert section.locator("[data-testid=shown]").inner_text().startswith(f"{len(_column(watched, table, 1))} of ")
    section.screenshot(path=str(ARTIFACTS / "screening-filtered.png"))
    section.locator("[data-testid=filter]").fill("")
    assert _column(watched, table, 1) == patients

    verdicts = sorted({c["verdict"] for c in t["candidates"]})
    for v in verdicts:
        section.locator("[data-testid=verdict-filter]").select_option(v)
        expected = [c["patient"] for c in t["candidates"] if c["verdict"] == v]
        assert _column(watched, table, 1) == expected, v
    section.locator("[data-testid=verdict-filter]").select_option("")
    assert len(_column(watched, table, 1)) == len(patients)
    # issue 15: a needs-review row lists its own open checks (judgement first), never a dash
    for n, c in enumerate(t["candidates"]):
        if c["verdict"] != "needs-review":
            continue
        cell = section.locator("table[data-testid=candidates] tbody tr").nth(n).locator("td").nth(3)
        shown = [li.inner_text() for li in cell.locator("li[data-check]").all()]
        judge, attest = c["outstanding"]["judgement"], c["outstanding"]["attestation"]
        assert [s.split(" ")[0] for s in shown] == ["judge:"] * len(judge) + ["attest:"] * len(attest)
        assert [s.split(" ")[1] for s in shown] == judge + attest
    watched.assert_clean(html)
