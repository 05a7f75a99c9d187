"""Site terminology, fourth adversarial review: what a site's maps, value sets and data spell that
the terminology layer had read wrongly or not at all.

Trial E (NCT01842165), T0 = 2026-06-01. E-E3 excludes anticancer therapy (vs-anticancer-nonsurgical,
holding ATC L01 and L02BX) in [T0-12 weeks, T0]; E-E6 excludes brain metastases (vs-brain-mets, SNOMED
CT 94225005 among them), closed world, a recorded one needing clinical judgement ("review").
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from fhir_eligibility.codes import norm_code
from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.criteria.model import CodeMapping, Records, Trial
from fhir_eligibility.criteria.parse import Parser
from fhir_eligibility.errors import DefinitionError, InputError
from fhir_eligibility.evaluation.results import CriterionResult, Result
from fhir_eligibility.pipeline import evaluate_patient
from fhir_eligibility.record import PatientData
from fhir_eligibility.terminology.site import SiteTerminology
from tests.cases.builders import AS_OF, ATC, SCT, condition, lab, med_admin, obs, patient, window
from tests.terminology.site_files import TRIAL_E, bundle, find, write
from tests.test_cli import cli

Json = dict[str, Any]
PHARMACY = "http://hospital.example.org/fhir/CodeSystem/pharmacy"
PHARMACY_MAP = "http://hospital.example.org/fhir/ConceptMap/pharmacy"


def concept_map(url: str, source: str, target: str, elements: list[Json]) -> Json:
    return {
        "resourceType": "ConceptMap",
        "url": url,
        "status": "active",
        "group": [{"source": source, "target": target, "element": elements}],
    }


def criterion(cid: str, resources: list[Json], terminology: list[Path] | None = None) -> CriterionResult:
    trials = load_trials(only=[TRIAL_E], terminology=terminology)
    result = evaluate_patient(PatientData("p", [patient(), *resources]), trials, AS_OF)[0]
    return find(result.criteria, cid)


# ---- 1. a site code mapped to a specific ATC code is in the value sets of its groups ---------------


def test_a_site_drug_mapped_to_a_specific_atc_code_counts_in_a_value_set_of_its_group(tmp_path: Path) -> None:
    """Cabozantinib, ATC L01XE26, is in group L01 (antineoplastic agents) that vs-anticancer-nonsurgical
    lists; given 2026-05-20 (T0-12 d, inside E-E3's 12 weeks) it fails the exclusion. The site's CABO60
    mapped equivalent to L01XE26 was dropped (the map was looked up by the exact code L01XE26, which no
    value set lists): E-E3 was left to a person, as for an unknown drug.

    The other way holds no more than in the data: ONCO mapped to L01 (some antineoplastic) is not
    everolimus L01EG02, which NCT05773274 B-I3b reads without L01 (a record coded L01 is not either)."""
    elements = [
        {"code": "CABO60", "target": [{"code": "L01XE26", "equivalence": "equivalent"}]},
        {"code": "ONCO", "target": [{"code": "L01", "equivalence": "wider"}]},
    ]
    cm = write(tmp_path / "cm.json", concept_map(PHARMACY_MAP, PHARMACY, ATC, elements))
    direct = criterion("E-E3", [med_admin("L01XE26", "2026-05-20")])
    assert direct.result is Result.FAIL, direct.reason  # the code itself, read through its group
    mapped = criterion("E-E3", [med_admin("CABO60", "2026-05-20", system=PHARMACY)], [cm])
    assert mapped.result is Result.FAIL, mapped.reason
    (ev,) = [e for c in (mapped, *mapped.children) for e in c.evidence]
    assert ev.code == f"{PHARMACY}|CABO60" and ev.mapped_to == f"{ATC}|L01XE26" and ev.mapped_by == PHARMACY_MAP
    assert criterion("E-E3", [med_admin("CABO60", "2026-05-20", system=PHARMACY)]).result is Result.MANUAL

    (trial,) = load_trials(only=["NCT05773274"], terminology=[cm])
    nodes = {n.id: getattr(n.definition, "codes", frozenset()) for top in trial.criteria for n in top.walk()}
    with_l01 = {n for n, codes in nodes.items() if (ATC, "L01") in codes}
    assert with_l01 and with_l01 == {n for n, codes in nodes.items() if (PHARMACY, "ONCO") in codes}
    assert with_l01 == {n for n, codes in nodes.items() if (PHARMACY, "CABO60") in codes}
    everolimus = next(n for n in trial.criteria if n.id == "B-I3b").walk()[1]
    assert (ATC, "L01EG02") in nodes[everolimus.id] and everolimus.id not in with_l01


def test_codes_treats_an_atc_code_read_through_its_group_as_read(tmp_path: Path) -> None:
    """``codes`` listed L01XE26 as read by no criterion while E-E3 reads it (through L01)."""
    data = write(
        tmp_path / "p.json",
        bundle(patient(), med_admin("L01XE26", "2026-05-20"), med_admin("CABO60", "2026-05-20", system=PHARMACY)),
    )
    out = cli("codes", str(data), "--trial", TRIAL_E, "--format", "json")
    assert out.returncode == 0, out.stderr
    listed = {u["code"] for u in json.loads(out.stdout)["unreadCodes"]["MedicationAdministration"]}
    assert listed == {"CABO60"}


# ---- 2. a site value set's include that would add nothing, or other codes, is a located error ---------

DX = "http://hospital.example.org/fhir/CodeSystem/dx"
BRAIN_METS = "http://fhir-eligibility.org/fhir/ValueSet/vs-brain-mets"
LIVER_METS = "http://fhir-eligibility.org/fhir/ValueSet/vs-liver-mets"


@pytest.mark.parametrize(
    ("include", "where", "message"),
    [
        # a value set neither the definitions nor the site have: it added nothing, "definitions valid"
        ({"valueSet": ["http://hospital.example.org/ValueSet/nope"]}, "include[0].valueSet[0]", "not a value set"),
        # FHIR: a system without concept or filter is every code of the system; it added none
        ({"system": DX}, "include[0].concept", "every code of"),
        # valueSet is 0..* canonical: a string was read letter by letter (none resolved)
        ({"system": DX, "concept": [{"code": "MET-CNS"}], "valueSet": LIVER_METS}, "include[0].valueSet", "a list"),
        # beside codes, FHIR reads their intersection: it was read as their union
        (
            {"system": DX, "concept": [{"code": "MET-CNS"}], "valueSet": [LIVER_METS]},
            "include[0].valueSet",
            "intersection",
        ),
    ],
)
def test_a_site_value_set_include_that_cannot_be_read_as_written_is_a_located_error(
    tmp_path: Path, include: Json, where: str, message: str
) -> None:
    site_vs = {"resourceType": "ValueSet", "url": BRAIN_METS, "status": "active", "compose": {"include": [include]}}
    path = write(tmp_path / "vs.json", site_vs)
    out = cli("validate", "--terminology", str(path))
    assert out.returncode == 1, out.stdout
    assert f"ValueSet.compose.{where}" in out.stdout and message in out.stdout
    with pytest.raises(DefinitionError, match=message):
        load_trials(only=[TRIAL_E], terminology=[path])
    # written as FHIR reads it (a value set of the definitions, in an include of its own), it is valid
    site_vs["compose"] = {"include": [{"valueSet": [LIVER_METS]}, {"system": DX, "concept": [{"code": "MET-CNS"}]}]}
    (trial,) = load_trials(only=[TRIAL_E], terminology=[write(tmp_path / "ok.json", site_vs)])
    e_e6 = next(c for c in trial.criteria if c.id == "E-E6").walk()[-1].definition
    assert isinstance(e_e6, Records) and (DX, "MET-CNS") in e_e6.codes


# ---- 3. SNOMED CT written with its term, a system with whitespace: the concept they name ---------------

TERM = "94225005 |Secondary malignant neoplasm of brain|"


def brain_mets(system: str, code: str, rid: str = "bm1") -> Json:
    return condition(system, code, onset="2026-03-01", rid=rid)


def test_snomed_with_its_term_or_a_padded_system_is_the_concept_in_data_and_in_a_map(tmp_path: Path) -> None:
    """E-E6 (brain metastases, closed world): a recorded 94225005 is for clinical judgement (review).
    Written as "94225005 |Secondary malignant neoplasm of brain|" or under "http://snomed.info/sct "
    it matched nothing and the exclusion passed ("none recorded"); so did a site code mapped to the
    concept written with its term."""
    for system, code in [(SCT, TERM), ("http://snomed.info/sct ", "94225005"), (f" {SCT}", "94225005")]:
        assert criterion("E-E6", [brain_mets(system, code)]).result is Result.REVIEW, (system, code)
    elements = [{"code": "MET-CNS", "target": [{"code": TERM, "equivalence": "equivalent"}]}]
    cm = write(tmp_path / "cm.json", concept_map(PHARMACY_MAP, DX, f"{SCT} ", elements))
    mapped = criterion("E-E6", [brain_mets(DX, "MET-CNS")], [cm])
    assert mapped.result is Result.REVIEW, mapped.reason
    assert any(e.mapped_to == f"{SCT}|94225005" for c in (mapped, *mapped.children) for e in c.evidence)


def test_a_postcoordinated_snomed_expression_is_not_read_as_its_focus_concept() -> None:
    """Brain metastasis refined by laterality is a post-coordinated expression, not the concept 94225005:
    it is left as written (``codes`` lists it for the site to map), and reading it raises nothing."""
    expression = f"{TERM} : 272741003 |Laterality| = 7771000 |Left|"
    assert norm_code(SCT, expression) == (SCT, expression)
    assert norm_code(SCT, f"<< {TERM}") == (SCT, f"<< {TERM}")  # a constraint, not a concept
    assert criterion("E-E6", [brain_mets(SCT, expression, "bm2"), brain_mets(SCT, TERM)]).result is Result.REVIEW


# ---- 4. a terminology file nested too deeply is one line, exit 2 -------------------------------------------


def test_a_deeply_nested_terminology_file_is_one_line_exit_2(tmp_path: Path) -> None:
    """JSON nested beyond the parser's stack raised RecursionError, a traceback (exit 1); the patient
    data reader says it in one line, exit 2, and so does the terminology reader now."""
    deep = tmp_path / "deep.json"
    deep.write_text('{"resourceType": "ConceptMap", "group": ' + "[" * 100_000 + "]" * 100_000 + "}")
    with pytest.raises(InputError, match="nested too deeply"):
        load_trials(only=[TRIAL_E], terminology=[deep])
    for command in (["validate"], ["evaluate", str(write(tmp_path / "p.json", bundle(patient())))]):
        out = cli(*command, "--terminology", str(deep))
        assert out.returncode == 2, out.stderr
        assert out.stderr.strip().splitlines() == [f"error: {deep}: not valid JSON (nested too deeply)"]


# ---- 5. codes never prints free text; it reports records coded by text alone ------------------------------


def _dx(rid: str, code: str | None, text: str, display: str | None = None) -> Json:
    coding = [{"system": DX, "code": code} | ({"display": display} if display else {})] if code else []
    c = condition(DX, "x", onset="2026-03-01", rid=rid)
    c["code"] = {"coding": coding, "text": text}
    return c


def test_codes_never_shows_a_concepts_free_text_as_a_codes_display(tmp_path: Path) -> None:
    """A coding without display was shown with CodeableConcept.text, a clinician's words ("... (Lambert)",
    the patient's name) in the table, the JSON and the draft ConceptMap a site shares. A coding's own
    display is still shown."""
    data = write(
        tmp_path / "p.json",
        bundle(
            patient(),
            _dx("a", "MET-CNS", "Metastases to the brain (Lambert)"),
            _dx("b", "MET-HEP", "Henri Lambert: liver metastases", display="Liver metastases"),
        ),
    )
    outputs = {
        fmt: cli("codes", str(data), "--trial", TRIAL_E, "--format", fmt) for fmt in ("table", "json", "conceptmap")
    }
    for fmt, out in outputs.items():
        assert out.returncode == 0 and "Lambert" not in out.stdout, (fmt, out.stdout)
    uses = {u["code"]: u["display"] for u in json.loads(outputs["json"].stdout)["unreadCodes"]["Condition"]}
    assert uses == {"MET-CNS": "", "MET-HEP": "Liver metastases"}


def test_codes_reports_records_coded_by_text_alone_without_their_text(tmp_path: Path) -> None:
    """A Condition with text and no coding is read by no criterion, yet ``codes`` said "every code in
    the data is read by a criterion". It is counted per resource type; its text is never printed."""
    data = write(tmp_path / "p.json", bundle(patient(), _dx("a", None, "Brain metastases (Lambert)")))
    table = cli("codes", str(data), "--trial", TRIAL_E)
    assert table.returncode == 0, table.stderr
    assert "Condition: 1 record(s) coded by text alone" in table.stdout and "every" not in table.stdout
    listed = json.loads(cli("codes", str(data), "--trial", TRIAL_E, "--format", "json").stdout)
    assert listed["textOnlyRecords"] == {"Condition": 1} and "Condition" not in listed["unreadCodes"]
    assert "Lambert" not in table.stdout + json.dumps(listed)


# ---- 6. one site answer mapped to Positive and to Negative -----------------------------------------------

ANSWERS = "http://hospital.example.org/fhir/CodeSystem/lab-answers"
ANSWER_MAP = "http://hospital.example.org/fhir/ConceptMap/answers"
NEGATIVE, POSITIVE = (SCT, "260385009"), (SCT, "10828004")


def test_a_site_answer_mapped_to_exclusive_answers_is_a_located_error(tmp_path: Path) -> None:
    """Positive and Negative answer one question and exclude each other (terminology/answers.py): a
    site code X mapped equivalent to both made a result coded X both. validate said valid."""
    both = [{"code": "X", "target": [{"code": c, "equivalence": "equivalent"} for c in ("260385009", "10828004")]}]
    one = write(tmp_path / "one.json", concept_map(ANSWER_MAP, ANSWERS, SCT, both))
    out = cli("validate", "--terminology", str(one))
    assert out.returncode == 1
    assert f"{one}: ConceptMap.group[0].element[0].target[1]: {ANSWERS}|X is mapped to" in out.stdout
    assert "exclude each other" in out.stdout
    # the same said by two maps, each consistent alone: where the second says it
    (tmp_path / "site").mkdir()
    for name, target in (("a.json", "260385009"), ("b.json", "10828004")):
        element = [{"code": "X", "target": [{"code": target, "equivalence": "equivalent"}]}]
        write(tmp_path / "site" / name, concept_map(ANSWER_MAP, ANSWERS, SCT, element))
    with pytest.raises(DefinitionError, match=r"b\.json: ConceptMap\.group\[0\]\.element\[0\]\.target\[0\]: .*exclude"):
        load_trials(only=[TRIAL_E], terminology=[tmp_path / "site"])


def test_a_site_answer_mapped_to_exclusive_answers_is_read_as_neither() -> None:
    """ "Qualitative hCG (LOINC 2106-3) negative" in [T0-28 d, T0], the site's result coded X: mapped to
    Negative it passes; mapped to Negative and to Positive it passed too (X was an accepted answer and
    a refuting one at once); it is unknown, for a person to read the result."""
    ch = {
        "linkId": "neg",
        "definitionByTypeAndValue": lab(
            ["2106-3"], valueCodeableConcept={"coding": [{"system": SCT, "code": "260385009"}]}
        ),
        "timeFromEvent": window(-28),
    }
    trial = Trial("NCT0", "t", (Parser(lambda _r: None).characteristic(ch, "c0"),))
    result = obs("2106-3", "2026-05-30", valueCodeableConcept={"coding": [{"system": ANSWERS, "code": "X"}]}, rid="hcg")
    data = PatientData("p", [patient(), result])
    neg = CodeMapping((ANSWERS, "X"), NEGATIVE, ANSWER_MAP, "equivalent")
    pos = CodeMapping((ANSWERS, "X"), POSITIVE, ANSWER_MAP, "equivalent")
    assert evaluate_patient(data, SiteTerminology([neg]).apply([trial]), AS_OF)[0].criteria[0].result is Result.PASS
    both = evaluate_patient(data, SiteTerminology([neg, pos]).apply([trial]), AS_OF)[0].criteria[0]
    assert both.result is Result.UNKNOWN, both.reason


# ---- 7. a site code broader than the concept may be it: unknown, never absent ------------------------


LOCAL_DX = "http://hospital.example.org/fhir/CodeSystem/diagnoses"


@pytest.mark.parametrize(
    ("relationship", "key", "expected"),
    [
        ("narrower", "equivalence", "unknown"),  # R4: the target is narrower than the local code
        ("specializes", "equivalence", "unknown"),
        ("source-is-broader-than-target", "relationship", "unknown"),  # R5
        ("equivalent", "equivalence", "review"),  # proves brain metastases: E-E6's clinical judgement
        ("inexact", "equivalence", "pass"),  # a suggestion: not read, none recorded
    ],
)
def test_a_site_code_broader_than_the_concept_makes_a_closed_world_exclusion_unknown(
    tmp_path: Path, relationship: str, key: str, expected: str
) -> None:
    """E-E6 excludes brain metastases (SNOMED 94225005 in vs-brain-mets), closed world. The site's MET-CNS
    'CNS metastases' mapped 'narrower' to 94225005 (the local code means more: spinal metastases too)
    was dropped like no record, and E-E6 passed ('none recorded'). Such a record may be brain
    metastases: unknown, for a person to resolve."""
    cm = concept_map(
        "http://hospital.example.org/fhir/ConceptMap/dx",
        LOCAL_DX,
        SCT,
        [{"code": "MET-CNS", "target": [{"code": "94225005", key: relationship}]}],
    )
    path = write(tmp_path / "cm.json", cm)
    record = condition(LOCAL_DX, "MET-CNS", "2026-03-01")
    got = criterion("E-E6", [record], [path])
    assert got.result.value == expected, got.reason
    assert criterion("E-E6", [], [path]).result is Result.PASS  # nobody with the code: none recorded
