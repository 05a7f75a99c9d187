"""Lab plots: one small SVG per lab and patient, shared by every criterion (of every trial) that reads it.

A patient's Hb is read by five trials; drawing it once, with each trial's threshold and window, keeps the page
small and lets a coordinator compare the thresholds at a glance. A series without a single dated value gets no
chart (a male patient has no hCG chart): the criterion's reason already says that nothing was found.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Sequence
from dataclasses import dataclass

from fhir_eligibility.evaluation.results import CriterionResult, Series
from fhir_eligibility.report import format as fmt
from fhir_eligibility.report.html.shell import e, num


@dataclass(frozen=True)
class User:
    """A criterion that reads the lab: its element id on the page, its trial and id."""

    anchor: str
    trial: str
    criterion: str


@dataclass
class PlotGroup:
    """Series over the same values (same unit and points) share one plot; thresholds and windows are merged."""

    pid: str
    labels: list[str]
    unit: str | None
    points: tuple[tuple[dt.date, float, str], ...]
    thresholds: list[tuple[str, float]]
    windows: list[tuple[dt.date | None, dt.date | None]]
    users: list[User]


def subtree_series(c: CriterionResult) -> list[Series]:
    seen: list[Series] = []
    stack = [c]
    while stack:
        node = stack.pop(0)
        seen.extend(s for s in node.series if s not in seen)
        stack.extend(node.children)
    return seen


def _date(text: str | None) -> dt.date | None:
    if not text:
        return None
    try:
        return dt.date.fromisoformat(text[:10])
    except ValueError:
        return None


def plot_groups(uses: Sequence[tuple[User, Series]], prefix: str) -> list[PlotGroup]:
    """Merge series over the same points; undated or non-finite points are left out (they cannot be placed),
    and a series left with no point gets no plot."""
    groups: dict[object, PlotGroup] = {}
    for user, s in uses:
        pts = tuple(
            sorted(
                (d, float(p.value), p.reference)
                for p in s.points
                if (d := _date(p.date)) is not None and math.isfinite(p.value)
            )
        )
        if not pts:
            continue
        key = (s.unit, pts)
        g = groups.get(key)
        if g is None:
            g = groups[key] = PlotGroup(f"{prefix}{len(groups)}", [], s.unit, pts, [], [], [])
        if s.label not in g.labels:
            g.labels.append(s.label)
        g.thresholds.extend(t for t in s.thresholds if t not in g.thresholds)
        w = (_date(s.window[0]), _date(s.window[1]))
        if w not in g.windows:
            g.windows.append(w)
        if user not in g.users:
            g.users.append(user)
    return list(groups.values())


_W, _H = 380, 180
_L, _R, _T, _B = 50, 50, 28, 30  # margins; threshold labels go in the right one


def _nice_step(span: float, n: int = 4) -> float:
    """A 1/2/2.5/5 x 10^k step giving about ``n`` intervals, so axis labels are round numbers."""
    raw = span / n
    mag: float = 10.0 ** math.floor(math.log10(raw))
    return next(m * mag for m in (1, 2, 2.5, 5, 10) if m * mag >= raw)


def comparator(c: str) -> str:
    return fmt.COMPARATOR.get(c, c)


def _inside(d: dt.date, windows: Sequence[tuple[dt.date | None, dt.date | None]]) -> bool:
    return any((lo is None or d >= lo) and (hi is None or d <= hi) for lo, hi in windows)


def _window_text(w: tuple[dt.date | None, dt.date | None]) -> str:
    return f"{w[0].isoformat() if w[0] else 'any time'} to {w[1].isoformat() if w[1] else 'open'}"


def plot(g: PlotGroup) -> str:
    """A small SVG: values over time, threshold line(s) dashed, the time window(s) as shaded bands."""
    pid = g.pid
    dates = [p[0] for p in g.points] + [d for w in g.windows for d in w if d is not None]
    first, last = min(dates), max(dates)
    d0, d1 = first, last
    if d0 == d1:
        d0, d1 = d0 - dt.timedelta(days=7), d1 + dt.timedelta(days=7)
    pad_days = max(1, round((d1 - d0).days * 0.04))
    d0, d1 = d0 - dt.timedelta(days=pad_days), d1 + dt.timedelta(days=pad_days)

    ys = [p[1] for p in g.points] + [t[1] for t in g.thresholds]
    lo_v, hi_v = min(ys), max(ys)
    if lo_v == hi_v:
        lo_v, hi_v = lo_v - (abs(lo_v) * 0.2 or 1.0), hi_v + (abs(hi_v) * 0.2 or 1.0)
    pad = (hi_v - lo_v) * 0.08
    lo_v, hi_v = (max(0.0, lo_v - pad) if lo_v >= 0 else lo_v - pad), hi_v + pad
    step = _nice_step(hi_v - lo_v)
    y0, y1 = math.floor(lo_v / step) * step, math.ceil(hi_v / step) * step
    ticks = [y0 + k * step for k in range(round((y1 - y0) / step) + 1)]
    pw, ph = _W - _L - _R, _H - _T - _B

    def x(d: dt.date) -> float:
        return _L + pw * (d - d0).days / max(1, (d1 - d0).days)

    def y(v: float) -> float:
        return _T + ph * (1 - (v - y0) / (y1 - y0))

    unit = fmt.unit(g.unit)
    label = " / ".join(fmt.label(x, 80) for x in g.labels)
    thr_text = "; ".join(f"{comparator(c)} {num(v)} {unit}".strip() for c, v in g.thresholds) or "none"
    win_text = "; ".join(_window_text(w) for w in g.windows)
    inside = [p for p in g.points if _inside(p[0], g.windows)]
    latest = g.points[-1]
    desc = (
        f"{len(g.points)} value(s), {len(inside)} inside the window {win_text}; threshold {thr_text}. "
        f"Latest {fmt.quantity(latest[1], g.unit)} on {latest[0].isoformat()}."
    )
    used_by = " ".join(u.criterion for u in g.users)
    out = [
        f'<figure class="lab-plot" data-testid="lab-plot" id="{pid}" data-criteria="{e(used_by)}">',
        f'<svg viewBox="0 0 {_W} {_H}" width="{_W}" height="{_H}" role="img" '
        f'aria-labelledby="{pid}-t" aria-describedby="{pid}-d" xmlns="http://www.w3.org/2000/svg">',
        f'<title id="{pid}-t">{e(label)}</title><desc id="{pid}-d">{e(desc)}</desc>',
    ]
    for lo_w, hi_w in g.windows:
        wx0, wx1 = (x(lo_w) if lo_w else _L), (x(hi_w) if hi_w else _L + pw)
        out.append(
            f'<rect class="window" data-testid="window" x="{wx0:.1f}" y="{_T}" width="{max(1.0, wx1 - wx0):.1f}" '
            f'height="{ph}"/>'
        )
    lo_w, hi_w = g.windows[0]
    wx0, wx1 = (x(lo_w) if lo_w else _L), (x(hi_w) if hi_w else _L + pw)
    out.append(f'<text class="window-label" x="{(wx0 + wx1) / 2:.1f}" y="{_T - 6}" text-anchor="middle">window</text>')
    out.append('<path class="grid" d="' + "".join(f"M{_L} {y(v):.1f}H{_L + pw}" for v in ticks) + '"/>')
    out.append(
        '<g class="tick" text-anchor="end">'
        + "".join(f'<text x="{_L - 4}" y="{y(v) + 3:.1f}">{num(round(v, 6))}</text>' for v in ticks)
        + "</g>"
    )
    out.append(f'<path class="axis" d="M{_L} {_T}V{_T + ph}H{_L + pw}"/>')
    for d, anchor in ((first, "start"), (last, "end")) if first != last else ((first, "middle"),):
        out.append(f'<text class="tick" x="{x(d):.1f}" y="{_H - 12}" text-anchor="{anchor}">{d.isoformat()}</text>')
    if unit:
        out.append(f'<text class="tick unit" x="4" y="{_T - 16}">{e(unit)}</text>')
    label_ys: list[float] = []
    for comp, val in sorted(g.thresholds, key=lambda t: -t[1]):
        ty = y(val)
        out.append(
            f'<line class="threshold" data-testid="threshold" data-comparator="{e(comp)}" data-value="{num(val)}" '
            f'x1="{_L}" y1="{ty:.1f}" x2="{_L + pw}" y2="{ty:.1f}"/>'
        )
        ly = max(ty + 3.5, label_ys[-1] + 11) if label_ys else ty + 3.5  # labels in the right margin, no overlap
        label_ys.append(ly)
        out.append(f'<text class="thr-label" x="{_L + pw + 3}" y="{ly:.1f}">{e(comparator(comp))} {num(val)}</text>')
    if len(g.points) > 1:
        pts = " ".join(f"{x(d):.1f},{y(v):.1f}" for d, v, _r in g.points)
        out.append(f'<polyline class="values-line" points="{pts}"/>')
    for d, v, ref in g.points:
        where = "in" if (d, v, ref) in inside else "out"
        out.append(
            f'<circle class="point {where}" data-testid="point" cx="{x(d):.1f}" cy="{y(v):.1f}" r="3.5">'
            f"<title>{d.isoformat()}: {fmt.number(v)} {e(unit)}"
            f"{'' if where == 'in' else ', outside the window'}</title></circle>"
        )
    out.append("</svg>")
    users = ", ".join(f'<a href="#{u.anchor}">{e(u.criterion)}</a>' for u in g.users)
    out.append(
        f"<figcaption><strong>{e(label)}</strong>{' (' + e(unit) + ')' if unit else ''}. Window "
        f"{e(win_text)}; threshold {e(thr_text)}. Read by {users}.</figcaption>"
    )
    out.append(_values_table(g, unit))
    out.append("</figure>")
    return "\n".join(out)


def _values_table(g: PlotGroup, unit: str) -> str:
    rows = "".join(
        f"<tr><td class='date'>{d.isoformat()}</td><td class='num'>{fmt.number(v)}</td>"
        f"<td class='ref'>{e(ref)}</td></tr>"
        for d, v, ref in g.points
    )
    return (
        f'<details class="values"><summary>Values ({len(g.points)})</summary><table>'
        f'<thead><tr><th scope="col">Date</th><th scope="col">Value{" (" + e(unit) + ")" if unit else ""}</th>'
        f'<th scope="col">Record</th></tr></thead><tbody>{rows}</tbody></table></details>'
    )
