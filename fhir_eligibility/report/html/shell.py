"""The frame every page shares: escaping, colours, icons, CSS, the print script and the page shell.

Plain string building with :func:`html.escape` rather than templates: no runtime dependency, mypy checks
every line. Every string from definitions or patient data goes through :func:`e`. Pages are self-contained
(inline CSS, SVG and a few lines of JS, system fonts) under a Content-Security-Policy of ``default-src 'none'``.
Results are shown by colour *and* an icon *and* a text label; icons are drawn once per file (an SVG sprite)
and referenced, so a page with thousands of badges stays small.
"""

from __future__ import annotations

import html
import json

from fhir_eligibility.errors import OutputError
from fhir_eligibility.evaluation.results import Result, Verdict

# (text colour, background, border/fill) per state; text on background >= 4.5:1, fill on white >= 3:1.
PALETTE: dict[str, tuple[str, str, str]] = {
    "pass": ("#14532d", "#dcfce7", "#15803d"),
    "fail": ("#7f1d1d", "#fee2e2", "#b91c1c"),
    "unknown": ("#713f12", "#fef3c7", "#a16207"),
    "manual": ("#3b0764", "#f3e8ff", "#7e22ce"),
    "review": ("#7c2d12", "#ffedd5", "#c2410c"),
    "eligible": ("#14532d", "#dcfce7", "#15803d"),
    "ineligible": ("#7f1d1d", "#fee2e2", "#b91c1c"),
    "undetermined": ("#713f12", "#fef3c7", "#a16207"),
    "needs-review": ("#7c2d12", "#ffedd5", "#c2410c"),
    "met": ("#1e3a8a", "#dbeafe", "#1d4ed8"),
    "not-met": ("#1f2937", "#f3f4f6", "#4b5563"),
}
RESULT_LABEL = {
    Result.PASS: "Pass",
    Result.FAIL: "Fail",
    Result.UNKNOWN: "Unknown",
    Result.MANUAL: "Manual check",
    Result.REVIEW: "Needs review",
}
VERDICT_LABEL = {
    Verdict.ELIGIBLE: "Eligible",
    Verdict.INELIGIBLE: "Ineligible",
    Verdict.UNDETERMINED: "Undetermined",
    Verdict.NEEDS_REVIEW: "Needs review",
}
VERDICT_ICON = {"eligible": "pass", "ineligible": "fail", "undetermined": "unknown", "needs-review": "review"}
STATE_ICON = {"met": "pass", "not-met": "fail"}
_ICON_PATHS = {
    "pass": "M2 6.5 5 9.5 10 2.5",
    "fail": "M3 3 9 9M9 3 3 9",
    "unknown": "M4 4.3a2 2 0 1 1 3 1.8c-.8.5-1 .9-1 1.9M6 9.6v.6",
    "manual": "M2 10 2.8 7.4 8 2.2 9.8 4 4.6 9.2Z",
    "review": "M3 11V1.5M3 2h6.5L8 4.5 9.5 7H3",
}
RESULT_ORDER = ("pass", "fail", "unknown", "manual", "review")
VERDICT_ORDER = ("eligible", "needs-review", "undetermined", "ineligible")

CSP = (
    "default-src 'none'; style-src 'unsafe-inline'; script-src 'unsafe-inline'; img-src data:; "
    "base-uri 'none'; form-action 'none'"
)


def e(value: object) -> str:
    """Escape anything for text and quoted attributes; None shows as an em dash."""
    return "—" if value is None else html.escape(str(value), quote=True)


def num(v: float) -> str:
    return str(int(v)) if float(v).is_integer() and abs(v) < 1e15 else format(v, ".6g")


def icon(kind: str) -> str:
    name = STATE_ICON.get(kind, VERDICT_ICON.get(kind, kind))
    return f'<svg class="icon" aria-hidden="true"><use href="#i-{name}"/></svg>'


def badge(state: str, label: str, testid: str = "result-label") -> str:
    return f'<span class="badge s-{state}" data-testid="{testid}">{icon(state)} {e(label)}</span>'


def verdict_label(v: str) -> str:
    return next((label for verdict, label in VERDICT_LABEL.items() if verdict.value == v), v)


_SPRITE = (
    '<svg class="sprite" aria-hidden="true" focusable="false" xmlns="http://www.w3.org/2000/svg">'
    + "".join(f'<symbol id="i-{k}" viewBox="0 0 12 12"><path d="{p}"/></symbol>' for k, p in _ICON_PATHS.items())
    + "</svg>"
)

CSS_BASE = """
:root{color-scheme:light;--ink:#111827;--muted:#4b5563;--line:#d1d5db;--band:#e0e7ff}
*{box-sizing:border-box}
body{margin:0 auto;max-width:72rem;padding:1.5rem;color:var(--ink);background:#fff;line-height:1.45;
 font:15px/1.45 system-ui,-apple-system,"Segoe UI",Roboto,"DejaVu Sans",Arial,sans-serif}
h1{font-size:1.6rem;margin:0 0 .25rem}h2{font-size:1.35rem;margin:2rem 0 .5rem;border-bottom:2px solid var(--ink)}
h3{font-size:1.15rem;margin:1.5rem 0 .4rem}h4{font-size:1rem;margin:1rem 0 .4rem}
.muted,.meta{color:var(--muted)}
code,.ref{font-family:"DejaVu Sans Mono",monospace;font-size:.86em;overflow-wrap:anywhere}
a{color:#1d4ed8}a:focus-visible,button:focus-visible,summary:focus-visible,input:focus-visible,select:focus-visible
 {outline:3px solid #1d4ed8;outline-offset:2px}
.badge{display:inline-flex;align-items:center;gap:.3em;padding:.05em .5em;border:1px solid;border-radius:.3em;
 font-weight:600;font-size:.85rem;white-space:nowrap}
.icon{width:12px;height:12px;fill:none;stroke:currentColor;stroke-width:1.8;stroke-linecap:round;
 stroke-linejoin:round;flex:none}
.sprite{position:absolute;width:0;height:0;overflow:hidden}
table{border-collapse:collapse;margin:.3rem 0;font-size:.88rem}
th,td{border:1px solid var(--line);padding:.2rem .45rem;text-align:left;vertical-align:top}
th{background:#f3f4f6}td.date,td.num{white-space:nowrap}
details>summary{cursor:pointer;color:#1e3a8a;font-weight:600}
.skip{position:absolute;left:-999px}.skip:focus{left:1rem;top:1rem;background:#fff;padding:.4rem}
.visually-hidden{position:absolute;width:1px;height:1px;overflow:hidden;clip:rect(0 0 0 0);white-space:nowrap}
"""

CSS_PRINT = """
@media print{
 body{max-width:none;padding:0;font-size:10.5pt}
 @page{margin:14mm 12mm}
 .skip,.controls,button.sort .arrow{display:none}
 details::details-content{content-visibility:visible;display:block}
 details>summary{list-style:none}
 /* a criterion stays on one page; one whose expanded parts are long breaks between parts, not inside one */
 .criterion:not(:has(details.parts)),.crit-main,.part:not(:has(details.parts)),figure,tr,.collect li
  {break-inside:avoid;page-break-inside:avoid}
 h2,h3,h4{break-after:avoid;page-break-after:avoid}
 .trial+.trial,.patient+.patient{break-before:page}
 .trial{border:0;padding:0}
 .badge,.bar,.window,.point{-webkit-print-color-adjust:exact;print-color-adjust:exact}
 a{color:inherit;text-decoration:none}
}
"""

# Print from a browser's menu: open every <details> first (also covers browsers without ::details-content).
JS_PRINT = """
addEventListener('beforeprint',function(){document.querySelectorAll('details:not([open])').forEach(function(d){
 d.setAttribute('open','');d.setAttribute('data-print-opened','');});});
addEventListener('afterprint',function(){document.querySelectorAll('details[data-print-opened]').forEach(function(d){
 d.removeAttribute('open');d.removeAttribute('data-print-opened');});});
"""


class Store:
    """What the page script draws, as one inert JSON block: every string once (criterion texts repeat on every
    patient; reasons like "none recorded" on most), referred to by index; checklists and lab plots as compact
    lists. An 88-patient report was 48 MB of markup; as data it is a few MB, and nothing is left out."""

    def __init__(self) -> None:
        self._index: dict[str, int] = {}
        self.blocks: dict[str, dict[str, object]] = {}

    def ref(self, text: str) -> int:
        return self._index.setdefault(text, len(self._index))

    def put(self, block: str, key: str, value: object) -> None:
        self.blocks.setdefault(block, {})[key] = value

    def script(self) -> str:
        """Inert JSON; '<', '>' and '&' escaped so no string can close the element or form markup."""
        if not self._index and not self.blocks:
            return ""
        try:  # NaN or Infinity would break the page's JSON.parse, silently: refused as in every JSON output
            data = json.dumps(
                {"texts": list(self._index), **self.blocks}, ensure_ascii=False, separators=(",", ":"), allow_nan=False
            )
        except ValueError as e:
            raise OutputError(f"the page holds a number JSON cannot write ({e}); nothing valid to write") from None
        data = data.replace("<", "\\u003c").replace(">", "\\u003e").replace("&", "\\u0026")
        return f'<script type="application/json" id="data">{data}</script>\n'


def palette_css() -> str:
    out = []
    for state, (ink, bg, edge) in PALETTE.items():
        out.append(f".s-{state}{{color:{ink};background:{bg};border-color:{edge}}}")
        out.append(f".bar.f-{state},.swatch.f-{state}{{fill:{edge};background:{edge}}}")
        out.append(f".criterion.c-{state}{{border-left-color:{edge}}}")
    return "\n".join(out)


def page(title: str, css: str, body: str, script: str, store: Store | None = None, csp: str = CSP) -> str:
    return (
        "<!DOCTYPE html>\n"
        '<html lang="en">\n<head>\n<meta charset="utf-8">\n'
        f'<meta http-equiv="Content-Security-Policy" content="{csp}">\n'
        '<meta name="viewport" content="width=device-width, initial-scale=1">\n'
        '<meta name="generator" content="fhir-eligibility">\n'
        f"<title>{e(title)}</title>\n"
        f"<style>{CSS_BASE}{palette_css()}{css}{CSS_PRINT}</style>\n"
        "</head>\n<body>\n"
        f"{_SPRITE}\n"
        '<a class="skip" href="#main">Skip to content</a>\n'
        f"{body}\n"
        f"{store.script() if store else ''}"
        f"<script>{JS_PRINT}{script}</script>\n"
        "</body>\n</html>\n"
    )
