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
from fhir_eligibility.report.html.shell import Store, num


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


def plot_data(g: PlotGroup, store: Store) -> dict[str, object]:
    """A small chart as data (geometry computed here, drawn by :data:`JS_PLOTS`): values over time, threshold
    line(s) dashed, the time window(s) as shaded bands, with a title, a description and a table of the values."""
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
        return round(_L + pw * (d - d0).days / max(1, (d1 - d0).days), 1)

    def y(v: float) -> float:
        return round(_T + ph * (1 - (v - y0) / (y1 - y0)), 1)

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
    windows = []
    for lo_w, hi_w in g.windows:
        wx0, wx1 = (x(lo_w) if lo_w else _L), (x(hi_w) if hi_w else _L + pw)
        windows.append([wx0, round(max(1.0, wx1 - wx0), 1)])
    thresholds: list[list[object]] = []
    label_ys: list[float] = []
    for comp, val in sorted(g.thresholds, key=lambda t: -t[1]):
        ty = y(val)
        ly = max(ty + 3.5, label_ys[-1] + 11) if label_ys else ty + 3.5  # labels in the right margin, no overlap
        label_ys.append(ly)
        thresholds.append([ty, comp, num(val), round(ly, 1)])
    axis_dates = ((first, "start"), (last, "end")) if first != last else ((first, "middle"),)
    return {
        "id": g.pid,
        "label": store.ref(label),
        "unit": store.ref(unit),
        "desc": store.ref(desc),
        "caption": store.ref(f"Window {win_text}; threshold {thr_text}."),
        "users": [[u.anchor, store.ref(u.criterion)] for u in g.users],
        "windows": windows,
        "ticks": [[y(v), num(round(v, 6))] for v in ticks],
        "dates": [[x(d), a, d.isoformat()] for d, a in axis_dates],
        "thresholds": thresholds,
        "points": [
            [x(d), y(v), int((d, v, ref) in inside), d.isoformat(), fmt.number(v), store.ref(ref)]
            for d, v, ref in g.points
        ],
    }


# Draws the charts from plot_data(); every string arrives as text (textContent), never as markup.
JS_PLOTS = """
function drawPlot(g){var ns=NS,W=380,H=180,L=50,R=50,T=28,B=30,pw=W-L-R,ph=H-T-B;
 function s(tag,a,text){var n=document.createElementNS(ns,tag);for(var k in a){n.setAttribute(k,a[k]);}
  if(text!=null){n.textContent=text;}return n;}
 var f=el('figure','lab-plot'),unit=t(g.unit),svg=s('svg',{viewBox:'0 0 '+W+' '+H,width:W,height:H,role:'img',
  'aria-labelledby':g.id+'-t','aria-describedby':g.id+'-d'});
 f.id=g.id;f.setAttribute('data-testid','lab-plot');
 f.setAttribute('data-criteria',g.users.map(function(u){return t(u[1]);}).join(' '));
 svg.appendChild(s('title',{id:g.id+'-t'},t(g.label)));svg.appendChild(s('desc',{id:g.id+'-d'},t(g.desc)));
 g.windows.forEach(function(w){svg.appendChild(s('rect',{'class':'window','data-testid':'window',x:w[0],y:T,
  width:w[1],height:ph}));});
 var w0=g.windows[0];svg.appendChild(s('text',{'class':'window-label',x:w0[0]+w0[1]/2,y:T-6,'text-anchor':'middle'},
  'window'));
 svg.appendChild(s('path',{'class':'grid',d:g.ticks.map(function(k){return 'M'+L+' '+k[0]+'H'+(L+pw);}).join('')}));
 var yt=s('g',{'class':'tick','text-anchor':'end'});g.ticks.forEach(function(k){yt.appendChild(s('text',
  {x:L-4,y:k[0]+3},k[1]));});svg.appendChild(yt);
 svg.appendChild(s('path',{'class':'axis',d:'M'+L+' '+T+'V'+(T+ph)+'H'+(L+pw)}));
 g.dates.forEach(function(d){svg.appendChild(s('text',{'class':'tick',x:d[0],y:H-12,'text-anchor':d[1]},d[2]));});
 if(unit){svg.appendChild(s('text',{'class':'tick unit',x:4,y:T-16},unit));}
 g.thresholds.forEach(function(h){svg.appendChild(s('line',{'class':'threshold','data-testid':'threshold',
  'data-comparator':h[1],'data-value':h[2],x1:L,y1:h[0],x2:L+pw,y2:h[0]}));
  svg.appendChild(s('text',{'class':'thr-label',x:L+pw+3,y:h[3]},(CMP[h[1]]||h[1])+' '+h[2]));});
 if(g.points.length>1){svg.appendChild(s('polyline',{'class':'values-line',
  points:g.points.map(function(p){return p[0]+','+p[1];}).join(' ')}));}
 g.points.forEach(function(p){var c=s('circle',{'class':'point '+(p[2]?'in':'out'),'data-testid':'point',
  cx:p[0],cy:p[1],r:3.5});c.appendChild(s('title',{},p[3]+': '+p[4]+' '+unit+(p[2]?'':', outside the window')));
  svg.appendChild(c);});
 f.appendChild(svg);var cap=el('figcaption');cap.appendChild(el('strong',null,t(g.label)));
 cap.appendChild(document.createTextNode((unit?' ('+unit+')':'')+'. '+t(g.caption)+' Read by '));
 g.users.forEach(function(u,i){var a=el('a',null,t(u[1]));a.href='#'+u[0];if(i){cap.appendChild(
  document.createTextNode(', '));}cap.appendChild(a);});cap.appendChild(document.createTextNode('.'));
 f.appendChild(cap);var det=el('details','values');det.appendChild(el('summary',null,'Values ('+g.points.length+')'));
 var tb=el('table'),hr=el('tr');['Date','Value'+(unit?' ('+unit+')':''),'Record'].forEach(function(h){
  var th=el('th',null,h);th.setAttribute('scope','col');hr.appendChild(th);});var th_=el('thead');th_.appendChild(hr);
 tb.appendChild(th_);var body=el('tbody');g.points.forEach(function(p){var tr=el('tr');tr.appendChild(el('td','date',
  p[3]));tr.appendChild(el('td','num',p[4]));tr.appendChild(el('td','ref',t(p[5])));body.appendChild(tr);});
 tb.appendChild(body);det.appendChild(tb);f.appendChild(det);return f;}
"""
