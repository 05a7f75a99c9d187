"""Site terminology that says less than it seems: a group without ``source``, and what ``validate``
warns about (maps no criterion reads, ``group.unmapped``, chains, ``compose.exclude``, "may be" maps).

Trial E (NCT01842165), T0 = 2026-06-01. E-E6 excludes brain metastases (vs-brain-mets: SNOMED CT
94225005 among them), closed world, a recorded one needing clinical judgement: a record proving it
is "review", none recorded "pass", a record that may be it "unknown" (docs/terminology.md).
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest

from fhir_eligibility.codes import PROJECT_CS
from fhir_eligibility.criteria.load import read_definitions
from fhir_eligibility.criteria.validate import validate_terminology
from fhir_eligibility.errors import DefinitionError
from fhir_eligibility.evaluation.results import Result
from fhir_eligibility.terminology.site import SiteTerminology
from tests.cases.builders import SCT, condition
from tests.terminology.site_files import bundle, write
from tests.terminology.test_site_review import LOCAL_DX, concept_map, criterion
from tests.test_cli import cli

Json = dict[str, Any]
LOINC = "http://loinc.org"
DX_MAP = "http://hospital.example.org/fhir/ConceptMap/dx"
DX_SCOPE = "http://hospital.example.org/fhir/ValueSet/all-diagnoses"
BRAIN_METS_VS = "http://fhir-eligibility.org/fhir/ValueSet/vs-brain-mets"
OTHER = "http://hospital.example.org/fhir/CodeSystem/other"


def sourceless_map(scope: Json, relation: str = "equivalent") -> Json:
    """MET-BRAIN -> SNOMED 94225005 in a group with no ``source``: the map's scope must say the system."""
    group = {
        "target": SCT,
        "element": [{"code": "MET-BRAIN", "target": [{"code": "94225005", "equivalence": relation}]}],
    }
    return {"resourceType": "ConceptMap", "url": DX_MAP, "status": "active", **scope, "group": [group]}


def local_codes(url: str, *systems: str) -> Json:
    """The site's own value set of its diagnosis codes (the map's source scope, not a trial addition)."""
    include = [{"system": s, "concept": [{"code": "MET-BRAIN"}]} for s in systems]
    return {"resourceType": "ValueSet", "url": url, "status": "active", "compose": {"include": include}}


CODE_SYSTEM = {"resourceType": "CodeSystem", "url": LOCAL_DX, "status": "active", "content": "not-present"}


def warnings(tmp_path: Path, *resources: Json) -> tuple[list[str], list[str]]:
    """(warnings, problems) of ``validate --terminology`` on the resources (one file each)."""
    paths = [write(tmp_path / f"t{i}.json", r) for i, r in enumerate(resources)]
    said: list[str] = []
    problems = validate_terminology(paths, read_definitions(None), said.append)
    return said, [str(p) for p in problems]


# ---- 1. a group without source: the map's scope says the system, or a located error -----------------


@pytest.mark.parametrize(
    "scope, extra",
    [
        ({"sourceUri": DX_SCOPE}, [local_codes(DX_SCOPE, LOCAL_DX)]),  # R4: a one-system value set
        ({"sourceCanonical": DX_SCOPE}, [{**CODE_SYSTEM, "valueSet": DX_SCOPE}]),  # the code system's all-codes set
        ({"sourceScopeUri": LOCAL_DX}, [CODE_SYSTEM]),  # R5 scope naming the code system itself
    ],
)
def test_a_group_without_source_takes_the_one_system_its_maps_scope_names(
    tmp_path: Path, scope: Json, extra: list[Json]
) -> None:
    """FHIR R4: group.source 'is not needed if the source value set is specified and it contains concepts
    from only a single system'. MET-BRAIN mapped equivalent to 94225005 proves brain metastases: E-E6 is
    'review'. The map was refused ('no source code system', exit 1) though it says its system."""
    path = write(tmp_path / "terms.json", bundle(sourceless_map(scope), *extra))
    record = condition(LOCAL_DX, "MET-BRAIN", "2026-03-01")
    assert criterion("E-E6", [record], [path]).result.value == "review"
    assert criterion("E-E6", [condition(OTHER, "MET-BRAIN", "2026-03-01")], [path]).result is Result.PASS


@pytest.mark.parametrize(
    "scope, extra, why",
    [
        ({}, [], "no sourceUri/sourceScope"),
        ({"sourceUri": DX_SCOPE}, [local_codes(DX_SCOPE, LOCAL_DX, OTHER)], "2 code systems"),
        ({"sourceUri": DX_SCOPE}, [], "not a CodeSystem or ValueSet of the terminology files"),
    ],
)
def test_a_group_without_source_whose_system_is_unclear_is_one_located_line(
    tmp_path: Path, scope: Json, extra: list[Json], why: str
) -> None:
    path = write(tmp_path / "terms.json", bundle(sourceless_map(scope), *extra))
    with pytest.raises(DefinitionError) as e:
        SiteTerminology.read([path]).raise_problems()
    line = str(e.value)
    assert "\n" not in line and f"{DX_MAP} group[0]" in line and "ConceptMap.group[0].source" in line
    assert why in line
    out = cli("validate", "--terminology", str(path))
    assert out.returncode == 1 and "Traceback" not in out.stderr
    assert f"{path}: ConceptMap.group[0].source: {DX_MAP} group[0]" in out.stdout


# ---- 2. validate warns about terminology that silently does nothing ----------------------------------


def test_validate_warns_about_a_map_whose_target_no_criterion_reads(tmp_path: Path) -> None:
    """Body temperature (LOINC 8310-5) is read by no criterion of the bundled trials: TEMP's mapping
    adds nothing anywhere; brain metastases is read by E-E6, so MET-BRAIN's is not warned about."""
    cm = concept_map(
        DX_MAP,
        LOCAL_DX,
        LOINC,
        [{"code": "TEMP", "target": [{"code": "8310-5", "equivalence": "equivalent"}]}],
    )
    cm["group"].append(
        {
            "source": LOCAL_DX,
            "target": SCT,
            "element": [{"code": "MET-BRAIN", "target": [{"code": "94225005", "equivalence": "equivalent"}]}],
        }
    )
    said, problems = warnings(tmp_path, cm)
    assert problems == []
    assert len(said) == 1, said
    assert said[0].startswith(f"warning: {tmp_path / 't0.json'}: ConceptMap.group[0].element[0].target[0]: ")
    assert "http://loinc.org|8310-5" in said[0] and "no criterion reads" in said[0]


def test_validate_warns_that_group_unmapped_is_not_applied(tmp_path: Path) -> None:
    """``unmapped`` mode 'fixed' would make every other diagnosis code of the site brain metastases,
    codes nobody reviewed: not applied, a site code the map does not list counts for nothing."""
    cm = concept_map(
        DX_MAP,
        LOCAL_DX,
        SCT,
        [{"code": "MET-BRAIN", "target": [{"code": "94225005", "equivalence": "equivalent"}]}],
    )
    cm["group"][0]["unmapped"] = {"mode": "fixed", "code": "94225005"}
    said, problems = warnings(tmp_path, cm)
    assert problems == []
    assert any(
        w.startswith(f"warning: {tmp_path / 't0.json'}: ConceptMap.group[0].unmapped: ") and "not applied" in w
        for w in said
    ), said
    path = tmp_path / "t0.json"
    assert criterion("E-E6", [condition(LOCAL_DX, "MET-SPINE", "2026-03-01")], [path]).result is Result.PASS


def test_validate_warns_that_a_chain_of_maps_is_not_followed(tmp_path: Path) -> None:
    """OLD-7 -> MET-BRAIN (one map), MET-BRAIN -> 94225005 (another): OLD-7 is not read as 94225005 (a
    record coded OLD-7 leaves E-E6 'pass', none recorded); validate says so at OLD-7's target."""
    old = concept_map(
        "http://hospital.example.org/fhir/ConceptMap/old-to-new",
        OTHER,
        LOCAL_DX,
        [{"code": "OLD-7", "target": [{"code": "MET-BRAIN", "equivalence": "equivalent"}]}],
    )
    new = concept_map(
        DX_MAP, LOCAL_DX, SCT, [{"code": "MET-BRAIN", "target": [{"code": "94225005", "equivalence": "equivalent"}]}]
    )
    said, problems = warnings(tmp_path, old, new)
    assert problems == []
    chain = [w for w in said if "chain" in w]
    assert len(chain) == 1, said
    assert chain[0].startswith(f"warning: {tmp_path / 't0.json'}: ConceptMap.group[0].element[0].target[0]: ")
    assert f"{LOCAL_DX}|MET-BRAIN" in chain[0] and "not followed" in chain[0]
    paths = [tmp_path / "t0.json", tmp_path / "t1.json"]
    assert criterion("E-E6", [condition(OTHER, "OLD-7", "2026-03-01")], paths).result is Result.PASS
    assert criterion("E-E6", [condition(LOCAL_DX, "MET-BRAIN", "2026-03-01")], paths).result.value == "review"


def brain_mets_addition(exclude: list[Json]) -> Json:
    include = [{"system": LOCAL_DX, "concept": [{"code": "MB-1"}, {"code": "MB-2"}]}]
    compose = {"include": include, "exclude": exclude}
    return {"resourceType": "ValueSet", "url": BRAIN_METS_VS, "status": "active", "compose": compose}


def test_a_site_value_sets_exclude_removes_the_sites_own_codes(tmp_path: Path) -> None:
    """The site adds MB-1 and MB-2 to vs-brain-mets, excluding MB-2: the value set FHIR describes holds
    MB-1 only. MB-1 proves brain metastases (E-E6 'review'); MB-2 is no brain metastasis ('pass'): it
    was added all the same."""
    vs = brain_mets_addition([{"system": LOCAL_DX, "concept": [{"code": "MB-2"}]}])
    path = write(tmp_path / "vs.json", vs)
    assert criterion("E-E6", [condition(LOCAL_DX, "MB-1", "2026-03-01")], [path]).result.value == "review"
    assert criterion("E-E6", [condition(LOCAL_DX, "MB-2", "2026-03-01")], [path]).result is Result.PASS
    said, problems = warnings(tmp_path, vs)
    assert problems == [] and said == []


def test_a_site_exclude_of_a_trial_code_is_not_applied_and_said(tmp_path: Path) -> None:
    """A site value set adds codes, never removes the trial's: excluding 94225005 removes nothing from
    the site's own includes, so a record coded 94225005 still proves brain metastases ('review')."""
    vs = brain_mets_addition([{"system": SCT, "concept": [{"code": "94225005"}]}])
    path = write(tmp_path / "vs.json", vs)
    assert criterion("E-E6", [condition(SCT, "94225005", "2026-03-01")], [path]).result.value == "review"
    said, problems = warnings(tmp_path, vs)
    assert problems == []
    assert len(said) == 1 and said[0].startswith(f"warning: {tmp_path / 't0.json'}: ValueSet.compose.exclude[0]: ")
    assert "not applied" in said[0] and f"{SCT}|94225005" in said[0]


def test_a_site_exclude_by_filter_is_a_located_error(tmp_path: Path) -> None:
    """An exclude we cannot compute (a filter) would leave codes the site excluded counting: an error."""
    vs = brain_mets_addition([{"system": LOCAL_DX, "filter": [{"property": "concept", "op": "is-a", "value": "MB"}]}])
    _said, problems = warnings(tmp_path, vs)
    assert problems and problems[0].startswith(f"{tmp_path / 't0.json'}: ValueSet.compose.exclude[0].filter: ")


# ---- 3. "may be" maps: validate lists them, with the criteria they make unknown ----------------------


def test_validate_lists_the_maps_that_make_a_criterion_unknown(tmp_path: Path) -> None:
    """MET-CNS 'CNS metastases' mapped narrower to 94225005 (it may be spinal): a record with it makes
    E-E6 unknown, never a decision (test_site_review). Mapped narrower to the trial's measured GFR (a
    lab), it is not read at all. validate says both, with the criteria, never a patient."""
    cm = concept_map(
        DX_MAP, LOCAL_DX, SCT, [{"code": "MET-CNS", "target": [{"code": "94225005", "equivalence": "narrower"}]}]
    )
    lab = concept_map(
        "http://hospital.example.org/fhir/ConceptMap/lab",
        "http://hospital.example.org/codes/lab",
        PROJECT_CS,
        [{"code": "GFR-ANY", "target": [{"code": "mgfr-51cr-edta", "relationship": "source-is-broader-than-target"}]}],
    )
    said, problems = warnings(tmp_path, cm, lab)
    assert problems == []
    where = f"warning: {tmp_path / 't0.json'}: ConceptMap.group[0].element[0].target[0]: "
    maybe = [w for w in said if w.startswith(where)]
    assert len(maybe) == 1, said
    assert "narrower" in maybe[0] and "unknown" in maybe[0] and "NCT01842165 E-E6" in maybe[0]
    lab_where = f"warning: {tmp_path / 't1.json'}: ConceptMap.group[0].element[0].target[0]: "
    lab_said = [w for w in said if w.startswith(lab_where)]
    assert len(lab_said) == 1 and "not read" in lab_said[0], said
    assert criterion("E-E6", [condition(LOCAL_DX, "MET-CNS", "2026-03-01")], [tmp_path / "t0.json"]).result.value == (
        "unknown"
    )


def test_validate_prints_warnings_on_stderr_and_stays_valid(tmp_path: Path) -> None:
    cm = concept_map(
        DX_MAP, LOCAL_DX, SCT, [{"code": "MET-CNS", "target": [{"code": "94225005", "equivalence": "narrower"}]}]
    )
    path = write(tmp_path / "cm.json", cm)
    out = cli("validate", "--terminology", str(path))
    assert out.returncode == 0, out.stdout + out.stderr
    lines = [ln for ln in out.stderr.splitlines() if ln.startswith("warning: ")]
    assert len(lines) == 1 and "NCT01842165 E-E6" in lines[0] and "Traceback" not in out.stderr


def test_a_trial_value_set_named_as_a_maps_source_scope_is_a_located_error(tmp_path: Path) -> None:
    """A site value set with vs-brain-mets' url that a map also names as its source scope is either the
    site's own codes or an addition to the trial's: read as one, the other would be dropped silently."""
    addition = brain_mets_addition([])
    _said, problems = warnings(tmp_path, bundle(sourceless_map({"sourceUri": BRAIN_METS_VS}), addition))
    assert problems == [
        f"{tmp_path / 't0.json'}: ValueSet.url: {BRAIN_METS_VS!r} is a map's source scope"
        " (the site's codes) and a trial value set"
    ]
