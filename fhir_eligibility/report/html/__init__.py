"""HTML pages for people: the patient eligibility page (``evaluate --format html``, :mod:`.patient`) and the
screening dashboard (``screen --format html``, :mod:`.dashboard`), on a shared frame (:mod:`.shell`) with the
lab plots in :mod:`.plots`. Coordinators look; they don't read JSON. Pure functions of computed data.
"""

from fhir_eligibility.report.html.dashboard import render_screening_html
from fhir_eligibility.report.html.patient import render_report_html
from fhir_eligibility.report.html.shell import CSP, PALETTE

__all__ = ["CSP", "PALETTE", "render_report_html", "render_screening_html"]
