"""Prefetch templates: valid R4 search syntax with {{context.patientId}}, no date bounds, same scope as
the searches the server retrieval sends."""

from __future__ import annotations

import re
from datetime import date
from urllib.parse import parse_qsl

from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.requirements.model import DataRequirement
from fhir_eligibility.requirements.plan import plan
from fhir_eligibility.requirements.prefetch import PATIENT_TOKEN, prefetch_descriptor, prefetch_templates
from fhir_eligibility.requirements.search import search_plan
from tests.service.support import MINI

LOINC = "http://loinc.org"
HB = (LOINC, "718-7")
# R4 search: Type?name=value(&name=value)*, names from the spec's character set
_QUERY = re.compile(r"[A-Z][A-Za-z]+\?[a-z_:\-]+=[^&]+(&[a-z_:\-]+=[^&]+)*")


def test_patient_is_an_instance_read_and_comes_first() -> None:
    ts = prefetch_templates([DataRequirement("Patient"), DataRequirement("Observation", frozenset({HB}))])
    assert ts[0].key == "patient"
    assert ts[0].query == "Patient/{{context.patientId}}"
    assert ts[0].resource_type == "Patient"


def test_templates_have_no_date_bounds_and_use_count() -> None:
    reqs = [
        DataRequirement("Observation", frozenset({HB}), date(2026, 5, 1)),
        DataRequirement("Procedure", frozenset({("http://snomed.info/sct", "1")}), date(2020, 1, 1)),
    ]
    for t in prefetch_templates(reqs)[1:]:
        assert "date" not in t.query and "effective" not in t.query and "ge20" not in t.query
        params = dict(parse_qsl(t.query.split("?", 1)[1]))
        assert params["patient"] == PATIENT_TOKEN
        assert params["_count"] == "200"


def test_mini_definitions_render_valid_r4_queries() -> None:
    ts = prefetch_templates(plan(load_trials([MINI]), None))
    d = prefetch_descriptor(ts)
    # the mini trial has manual criteria: its attestations are prefetched too (issue 14); it reads results,
    # so every report of the patient too (the results a report contains: no code search finds them)
    assert set(d) == {"patient", "condition", "diagnosticReport", "observation", "questionnaireResponse"}
    assert d["diagnosticReport"] == "DiagnosticReport?patient={{context.patientId}}&_count=200"
    assert d["questionnaireResponse"] == "QuestionnaireResponse?patient={{context.patientId}}&_count=200"
    assert d["observation"].startswith("Observation?patient={{context.patientId}}&")
    assert "http://loinc.org|1742-6,http://loinc.org|59260-0,http://loinc.org|718-7" in d["observation"]
    for key, query in d.items():
        if key != "patient":
            assert _QUERY.fullmatch(query), query
            assert query.count("{{context.patientId}}") == 1


def test_templates_equal_the_server_searches_with_the_patient_token() -> None:
    """Prefetched data must equal what the service would fetch itself: same URLs, bar dates."""
    reqs = plan(load_trials([MINI]), None)
    searches = [s for s in search_plan("PID", reqs) if s.resource_type != "Patient"]
    ts = prefetch_templates(reqs)[1:]
    assert [t.query for t in ts] == [s.url.replace("patient=PID", "patient=" + PATIENT_TOKEN) for s in searches]
    assert [t.codes for t in ts] == [s.codes for s in searches]


def test_long_code_lists_are_split_into_numbered_keys() -> None:
    codes = frozenset((LOINC, f"{n}-{n % 10}") for n in range(10000, 10400))
    ts = prefetch_templates([DataRequirement("Observation", codes)], max_url_length=500)
    keys = [t.key for t in ts[1:]]
    assert keys[0] == "observation" and keys[1] == "observation-2" and len(keys) > 3
    assert frozenset().union(*(t.codes for t in ts[1:])) == codes
    assert all(len(t.query) < 520 for t in ts[1:])


def test_escaped_tokens_and_types_without_code_search() -> None:
    odd = ("urn:x", "a,b")
    ts = prefetch_templates(
        [DataRequirement("Condition", frozenset({odd})), DataRequirement("ImagingStudy", frozenset({HB}))]
    )
    by_key = {t.key: t for t in ts}
    assert "code=urn:x|a\\,b" in by_key["condition"].query.replace("%5C", "\\")
    assert "code" not in by_key["imagingStudy"].query  # R4 cannot search ImagingStudy.procedureCode


def test_fallback_requirement_has_the_template_scope() -> None:
    ts = prefetch_templates([DataRequirement("Observation", frozenset({HB}), date(2026, 1, 1))])
    r = ts[1].requirement()
    assert (r.resource_type, r.codes, r.date_from) == ("Observation", frozenset({HB}), None)


def test_bundled_definitions_render() -> None:
    d = prefetch_descriptor(prefetch_templates(plan(load_trials(None), None)))
    assert d["patient"] == "Patient/{{context.patientId}}"
    assert all("{{context.patientId}}" in q for q in d.values())
