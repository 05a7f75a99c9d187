"""Adversarial review 19, finding 2: a primary-site code and a NET morphology count as the site's NET only
on one record.

A-I2 (intestinal NET), C-I1 (GEP-NET) and A-E4 (pancreatic NET) read "a NET of the site" as a site code
(C17-C20, C16-C20/C25, C25) together with a NET morphology (ICD-O-3 8240/3, also in the mCODE
histology-morphology-behavior extension of the same Condition, or a C7A code naming no site). Read over
any two Conditions, a gastric NET (C16.9 + 8240/3 on one Condition) beside an old colon adenocarcinoma
(C18.7, another) passed A-I2, and a lung NET beside an old rectal cancer passed C-I1. Worked out by hand
(clinical.md §1.1 A-I2 "pancreas/stomach are not intestine", §1.3 C-I1, §0.7, VS-NET-INTESTINAL "C17-C20
with ICD-O 8240/3"): the route needs the site and the morphology of one tumour. One Condition carrying both
passes; two Conditions may be one tumour coded twice or two tumours: review, never pass (a clinician's
answer decides). Each case is sample 01 (ileal NET, eligible for A and C with its manual items attested)
without its NET code C7A.012, plus the Conditions named.
"""

from __future__ import annotations

from typing import Any

import pytest

from fhir_eligibility.codes import EXT_SAME_RECORD
from fhir_eligibility.criteria.attestable import items
from fhir_eligibility.criteria.model import CodeMapping, Combination, Criterion, Trial
from fhir_eligibility.criteria.parse import Parser
from fhir_eligibility.errors import DefinitionError
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.evaluation.patient_record import build_record
from fhir_eligibility.evaluation.program import Program
from fhir_eligibility.evaluation.trial import RESULT_OF
from fhir_eligibility.pipeline import evaluate_patient
from fhir_eligibility.record import PatientData
from fhir_eligibility.report.questionnaire import questionnaire_response
from fhir_eligibility.terminology.site_apply import apply_mappings
from tests.cases.builders import ICD, condition, has, run
from tests.evaluation.test_clinical_review import AS_OF, ATTESTED, TRIALS, A, C
from tests.evaluation.test_net_site18 import ICDO3, MCODE, without_primary

Json = dict[str, Any]


def sited(site: str, morphology: str = "8240/3", onset: str = "2021-02-15", status: str = "active") -> Json:
    """One Condition: a primary-site code with its morphology in the mCODE extension."""
    return {
        "resourceType": "Condition",
        "id": f"p19-{site}-{morphology.replace('/', '-')}",
        "subject": {"reference": "Patient/sample-01"},
        "clinicalStatus": {"coding": [{"code": status}]},
        "verificationStatus": {"coding": [{"code": "confirmed"}]},
        "code": {"coding": [{"system": ICD, "code": site}]},
        "extension": [{"url": MCODE, "valueCodeableConcept": {"coding": [{"system": ICDO3, "code": morphology}]}}],
        "onsetDateTime": onset,
    }


def coded(*codes: tuple[str, str], onset: str = "2021-02-15", status: str = "active") -> Json:
    """One Condition coded with every (system, code) given."""
    return {
        "resourceType": "Condition",
        "id": "p19-" + "-".join(c.replace("/", "-") for _s, c in codes),
        "subject": {"reference": "Patient/sample-01"},
        "clinicalStatus": {"coding": [{"code": status}]},
        "verificationStatus": {"coding": [{"code": "confirmed"}]},
        "code": {"coding": [{"system": s, "code": c} for s, c in codes]},
        "onsetDateTime": onset,
    }


OLD_COLON_CA = sited("C18.7", "8140/3", onset="2014-03-01", status="resolved")  # adenocarcinoma, cured
OLD_RECTAL_CA = sited("C20", "8140/3", onset="2014-03-01", status="resolved")


def evaluated(*extra: Json, answers: Json | None = None) -> dict[tuple[str, str], tuple[str, str]]:
    """(trial, criterion or "verdict") -> (result, reason), manual items attested."""
    resources = [*without_primary(), *extra, *([answers] if answers else [])]
    out = {}
    for r in evaluate_patient(PatientData("sample-01", resources), TRIALS, AS_OF, ATTESTED):
        out.update({(r.trial, c.id): (c.result.value, c.reason) for c in r.criteria})
        out[(r.trial, "verdict")] = (r.verdict.value, "")
    return out


def test_a_gastric_net_beside_an_old_colon_cancer_is_no_intestinal_net() -> None:
    got = evaluated(sited("C16.9"), OLD_COLON_CA)
    result, reason = got[(A, "A-I2")]
    assert result == "review"  # before: pass
    assert "different records" in reason and "C187" in reason and "8240/3" in reason
    assert got[(A, "verdict")][0] == "needs-review"
    assert got[(C, "C-I1")][0] == "pass"  # a gastric NET is a GEP-NET, on one Condition


def test_a_lung_net_beside_an_old_rectal_cancer_is_no_gep_net() -> None:
    got = evaluated(sited("C34.11"), OLD_RECTAL_CA)
    assert (got[(A, "A-I2")][0], got[(C, "C-I1")][0]) == ("review", "review")  # before: pass, pass


@pytest.mark.parametrize(
    "net",
    [
        sited("C17.1"),
        coded((ICD, "C17.1"), (ICDO3, "8240/3")),
        coded((ICD, "C18.2"), (ICD, "C7A.00")),
    ],
    ids=["C17.1 + mCODE 8240/3", "C17.1 and 8240/3 codings", "C18.2 and C7A.00 codings"],
)
def test_site_and_morphology_on_one_condition_are_the_sites_net(net: Json) -> None:
    for extra in ([net], [net, OLD_COLON_CA]):  # an old cancer beside it changes nothing
        got = evaluated(*extra)
        assert (got[(A, "A-I2")][0], got[(C, "C-I1")][0]) == ("pass", "pass")


def test_an_unsited_net_beside_an_old_colon_cancer_is_reviewed() -> None:
    """C7A.00 (NET of unspecified site) and C18.7 on two Conditions: before, A-I2 and C-I1 passed."""
    got = evaluated(coded((ICD, "C7A.00")), OLD_COLON_CA)
    assert (got[(A, "A-I2")][0], got[(C, "C-I1")][0]) == ("review", "review")


def test_a_pancreatic_net_needs_pancreas_and_morphology_on_one_condition() -> None:
    old_pancreatic_ca = sited("C25.0", "8140/3", onset="2014-03-01", status="resolved")
    assert evaluated(sited("C34.11"), old_pancreatic_ca)[(A, "A-E4")][0] == "review"  # before: fail
    assert evaluated(sited("C25.0"))[(A, "A-E4")][0] == "fail"


def _nodes(trial: Trial, top: str | None = None) -> list[Criterion]:
    """The same-record nodes of the trial (of its top-level criterion ``top``)."""
    tops = [c for c in trial.criteria if top in (None, c.id)]
    return [n for c in tops for n in c.walk() if isinstance(n.definition, Combination) and n.definition.same_record]


def test_the_flag_survives_loading_and_site_terminology() -> None:
    trials = {t.id: t for t in TRIALS}
    assert len(_nodes(trials[A])) == 2 and len(_nodes(trials[C])) == 1  # A-I2, A-E4; C-I1
    mapped = apply_mappings(
        list(TRIALS), [CodeMapping(("http://site.example/dx", "ILEUM"), (ICD, "C171"), "cm", "equivalent")]
    )
    assert [len(_nodes(t)) for t in mapped] == [len(_nodes(t)) for t in TRIALS]


def test_a_clinician_answers_the_review() -> None:
    """The node is a Questionnaire item: "yes, one tumour" passes A-I2, "no" fails it."""
    trial = next(t for t in TRIALS if t.id == A)
    (node,) = _nodes(trial, "A-I2")
    assert node.id in {i.link_id for i in items(trial) if i.kind == "review"}
    for answer, expected in ((True, "pass"), (False, "fail")):
        qr = questionnaire_response(
            trial, "sample-01", {node.id: answer}, author="Dr R", authored="2026-05-25T10:00:00+00:00", response_id="r"
        )
        assert evaluated(sited("C16.9"), OLD_COLON_CA, answers=qr)[(A, "A-I2")][0] == expected


@pytest.mark.parametrize(
    "extra",
    [
        [sited("C16.9"), OLD_COLON_CA],
        [sited("C34.11"), OLD_RECTAL_CA],
        [sited("C17.1"), OLD_COLON_CA],
        [coded((ICD, "C7A.00")), OLD_COLON_CA],
        [sited("C34.11"), sited("C25.0", "8140/3")],
    ],
)
def test_the_compiled_program_gives_the_explained_answers(extra: list[Json]) -> None:
    data = PatientData("sample-01", [*without_primary(), *extra])
    explained = [[c.result for c in r.criteria] for r in evaluate_patient(data, TRIALS, AS_OF, ATTESTED)]
    program = Program(TRIALS, Settings(assume_attested=True, explain=False))
    bare = program.run(build_record(data), program.batch(AS_OF))
    assert [[RESULT_OF[t._value_] for t in program.truths(bare, i)] for i in range(len(TRIALS))] == explained


# ---- the engine's rule, on a characteristic of its own ---------------------------------------------------


def one_record(*children: Json, code: str = "all-of") -> Json:
    comb = {"extension": [{"url": EXT_SAME_RECORD, "valueBoolean": True}], "code": code}
    return {"linkId": "x", "definitionByCombination": {**comb, "characteristic": list(children)}}


def dx(code: str, **extra: Any) -> Json:
    return {"definitionByTypeAndValue": has(["Condition"], [(ICD, code)]), **extra}


def both(code_a: str, code_b: str) -> Json:
    return {
        **condition(ICD, code_a, "2021-01-01"),
        "code": {"coding": [{"system": ICD, "code": c} for c in (code_a, code_b)]},
    }


@pytest.mark.parametrize("explain", [True, False])
@pytest.mark.parametrize(
    ("records", "expected"),
    [
        ([both("C18.2", "C7A.00")], "pass"),
        ([condition(ICD, "C18.2", "2021-01-01"), condition(ICD, "C7A.00", "2021-01-01")], "review"),
        ([condition(ICD, "C18.2", "2021-01-01")], "fail"),
        ([condition(ICD, "C18.2", "2021-01-01", verification="unconfirmed"), both("C7A.00", "C80.1")], "unknown"),
    ],
    ids=["one record", "two records", "one leaf unmet", "one leaf uncertain"],
)
def test_one_record_must_meet_every_leaf(records: list[Json], expected: str, explain: bool) -> None:
    result = run(one_record(dx("C18.2"), dx("C7A.00")), records, settings=Settings(explain=explain))
    assert result.criteria[0].result.value == expected


@pytest.mark.parametrize(
    "characteristic",
    [
        one_record(dx("C18.2"), dx("C7A.00"), code="any-of"),
        one_record(dx("C18.2"), dx("C7A.00", exclude=True)),
        one_record(dx("C18.2"), dx("C7A.00", instancesQuantity={"value": 2})),
        one_record(dx("C18.2"), {"definitionByCombination": {"code": "all-of", "characteristic": [dx("C7A.00")]}}),
        one_record(dx("C18.2"), {"definitionId": "y"}),
    ],
    ids=["any-of", "excluded leaf", "counted leaf", "nested combination", "definitionId"],
)
def test_the_flag_is_refused_on_anything_but_an_all_of_of_record_leaves(characteristic: Json) -> None:
    with pytest.raises(DefinitionError, match="same-record"):
        Parser(lambda _ref: None).characteristic(characteristic, "c0")
