"""The HTML report's lab plots: one per lab, with every criterion's threshold lines and windows, and
nothing drawn for a value that cannot be placed (page parsing: tests/report/html_page.py).
"""

from __future__ import annotations

from fhir_eligibility.evaluation.results import CriterionResult, Point, Report, Result, Series, TrialResult, Verdict
from fhir_eligibility.report.html import render_report_html
from tests.report.html_page import AS_OF, plots_of, stored


def test_each_series_gets_a_plot_with_its_threshold_lines(mini_report: Report) -> None:
    html = render_report_html(mini_report)
    plots = plots_of(html)
    with_series = {c.id: c for r in mini_report.results for c in r.criteria if c.series}
    assert set(with_series) == {"hb", "alt"}, "the mini fixture has two lab criteria"
    for cid, c in with_series.items():
        (g,) = [g for g in plots if cid in g["criteria"]]
        drawn = {(h[1], float(h[2])) for h in g["thresholds"]}
        for s in c.series:
            assert set(s.thresholds) <= drawn, (cid, s.thresholds, drawn)
    assert len(plots) == 2 and all(len(g["windows"]) == 1 for g in plots)
    assert {float(h[2]) for g in plots for h in g["thresholds"]} == {8.0, 2.5}
    # each criterion links to its plot, which sits once in the patient's lab section
    links = {
        cid: c[7]
        for c in stored(html)["checklists"]["p0-t0"][0][3] + stored(html)["checklists"]["p0-t0"][1][3]
        for cid in [stored(html)["texts"][c[1]]]
    }
    assert [g[0] for g in links["hb"]] == [next(g["id"] for g in plots if "hb" in g["criteria"])]
    assert 'data-plots="p0"' in html


def test_series_sharing_data_share_one_plot_and_keep_every_threshold() -> None:
    pts = (Point("2026-05-10", 3.0, "Observation/a"),)
    s1 = Series("ALT > 5 x ULN", "x ULN", pts, ((">", 5.0),), ("2026-05-04", "2026-06-01"))
    s2 = Series("ALT > 2.5 x ULN", "x ULN", pts, ((">", 2.5),), ("2026-05-04", "2026-06-01"))
    empty = Series("AST > 5 x ULN", "x ULN", (), ((">", 5.0),), ("2026-05-04", "2026-06-01"))
    kid = CriterionResult("k", "exclusion", "ALT > 2.5", Result.FAIL, "r", series=(s2,))
    c = CriterionResult("E7b", "exclusion", "liver", Result.PASS, "r", children=(kid,), series=(s1, s2, empty))
    report = Report(AS_OF, (TrialResult("Patient/p", "NCT1", "t", Verdict.ELIGIBLE, (c,), ()),))
    (g,) = plots_of(render_report_html(report))  # ALT (two thresholds); AST has no value: no chart
    assert sorted(float(h[2]) for h in g["thresholds"]) == [2.5, 5.0]
    assert len(g["points"]) == 1


def test_one_lab_read_by_two_trials_is_drawn_once_with_both_thresholds_and_windows() -> None:
    pts = (Point("2026-05-10", 7.9, "Observation/hb"),)
    a = Series("Hb >= 8", "g/dL", pts, ((">=", 8.0),), ("2026-05-04", "2026-06-01"))
    b = Series("Hb >= 9", "g/dL", pts, ((">=", 9.0),), ("2026-04-01", "2026-06-01"))
    c1 = CriterionResult("A", "inclusion", "Hb", Result.FAIL, "r", series=(a,))
    c2 = CriterionResult("E", "inclusion", "Hb", Result.FAIL, "r", series=(b,))
    r1 = TrialResult("Patient/p", "NCT1", "t", Verdict.INELIGIBLE, (c1,), ())
    r2 = TrialResult("Patient/p", "NCT2", "t", Verdict.INELIGIBLE, (c2,), ())
    (g,) = plots_of(render_report_html(Report(AS_OF, (r1, r2))))
    assert g["criteria"] == ["A", "E"]
    assert sorted(float(h[2]) for h in g["thresholds"]) == [8.0, 9.0]
    assert len(g["windows"]) == 2


def test_range_thresholds_and_open_window_are_drawn() -> None:
    s = Series(
        "ECOG 0..2",
        None,
        (Point("2025-01-01", 1.0, "Observation/e1"), Point("2026-05-30", 3.0, "Observation/e2")),
        ((">=", 0.0), ("<=", 2.0)),
        (None, "2026-06-01"),
    )
    c = CriterionResult("ecog", "inclusion", "ECOG", Result.FAIL, "r", series=(s,))
    (g,) = plots_of(
        render_report_html(Report(AS_OF, (TrialResult("Patient/p", "N", "t", Verdict.INELIGIBLE, (c,), ()),)))
    )
    assert {(h[1], h[2]) for h in g["thresholds"]} == {(">=", "0"), ("<=", "2")}
    ((x0, width),) = g["windows"]
    assert width > 0 and x0 == 50  # open start: the band starts at the axis
    # geometry stays inside the drawing; the later point is inside the window, both are
    for cx, cy, inside, *_rest in g["points"]:
        assert 0 <= cx <= 380 and 0 <= cy <= 180 and inside == 1


def test_a_point_with_a_bad_date_is_left_out_not_fatal() -> None:
    s = Series("x", "u", (Point("not a date", 1.0, "Observation/z"),), (("<", 2.0),), ("2026-05-04", "2026-06-01"))
    c = CriterionResult("c", "inclusion", "d", Result.UNKNOWN, "r", series=(s,))
    html = render_report_html(Report(AS_OF, (TrialResult("Patient/p", "N", "t", Verdict.UNDETERMINED, (c,), ()),)))
    assert plots_of(html) == [] and 'data-plots="' not in html  # no value that can be placed: no (empty) chart
