#!/usr/bin/env python3
"""Write the trial definitions under ``definitions/`` (R5 JSON, docs/encoding.md profile).

    .venv/bin/python tools/build_definitions.py [--out definitions] [--only A,B]

Deterministic: the same sources give byte-identical files. They are validated as written by the
package's own validator (``fhir-eligibility validate``: R5 models, evv-1, comparator and combination
codes, units, unique linkIds, references that resolve, no empty value set); any error aborts with
exit status 1 before the tree is replaced.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
import tempfile
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))

from definitions.codesystem import codesystem
from definitions.common import DEFAULT_WINDOW_NOTE, WOCBP_URL
from definitions.fhir import BASE, age, gender, records
from definitions.readme import readme
from definitions.seedcheck import check as seed_check
from definitions.terminology import EXTRA_CODES, HIERARCHY, PARTS, VALUESETS
from definitions.tree import is_computable

from definitions import trial_a, trial_b, trial_c, trial_d, trial_e
from fhir_eligibility.codes import ATC as ATC_SYSTEM
from fhir_eligibility.codes import EXT_DEFAULT_LOOKBACK
from fhir_eligibility.criteria.load import read_definitions
from fhir_eligibility.criteria.validate import validate as validate_definitions
from fhir_eligibility.errors import DefinitionError

ROOT = Path(__file__).resolve().parent.parent
SEEDS = ROOT.parent / "shared" / "seeds"  # the protocol texts (beside the repo); checked when present
DATE = "2025-06-01"  # fixed publication date: keeps the output byte-stable
TRIALS = {"A": trial_a, "B": trial_b, "C": trial_c, "D": trial_d, "E": trial_e}
PHASE_DISPLAY = {"phase-2": "Phase 2"}


def _listed(system: str, code: str, seen: dict[tuple[str, str], str]) -> bool:
    """In the value set, itself or (ATC) by a group it belongs to (codes.with_atc_groups)."""
    groups = [code[:n] for n in (1, 3, 4, 5) if len(code) > n] if system == ATC_SYSTEM else []
    return (system, code) in seen or any((system, g) in seen for g in groups)


def valueset(vs_id: str) -> dict[str, Any]:
    title, description, concepts = VALUESETS[vs_id]
    seen: dict[tuple[str, str], str] = {}
    for s, c, d in concepts:
        seen.setdefault((s, c), d)
    by_system: dict[str, list[dict[str, str]]] = {}
    for (s, c), d in seen.items():
        by_system.setdefault(s, []).append({"code": c, "display": d})
    include: list[dict[str, Any]] = [{"system": s, "concept": cs} for s, cs in by_system.items()]
    for part in PARTS.get(vs_id, []):
        missing = {(s, c) for s, c, _d in VALUESETS[part][2] if not _listed(s, c, seen)}
        assert not missing, f"{vs_id} includes {part}, which holds {sorted(missing)} it does not list"
    if vs_id in PARTS:
        include.append({"valueSet": [f"{BASE}/ValueSet/{p}" for p in PARTS[vs_id]]})
    compose: dict[str, Any] = {"include": include}
    roots, minus = HIERARCHY.get(vs_id, ([], []))
    include += [{"system": s, "filter": [{"property": "concept", "op": "is-a", "value": c}]} for s, c, _ in roots]
    if minus:
        compose["exclude"] = [
            {"system": s, "filter": [{"property": "concept", "op": "is-a", "value": c}]} for s, c, _ in minus
        ]
    return {
        "resourceType": "ValueSet",
        "id": vs_id,
        "url": f"{BASE}/ValueSet/{vs_id}",
        "version": "0.1.0",
        "name": "".join(p.capitalize() for p in vs_id.split("-")),
        "title": title,
        "status": "active",
        "experimental": False,
        "date": DATE,
        "publisher": "fhir-eligibility",
        "description": description,
        "compose": compose,
        "expansion": {
            "timestamp": f"{DATE}T00:00:00Z",
            "total": len(seen),
            "contains": [{"system": s, "code": c, "display": d} for (s, c), d in seen.items()],
        },
    }


def wocbp() -> dict[str, Any]:
    return {
        "resourceType": "EvidenceVariable",
        "id": "wocbp",
        "url": WOCBP_URL,
        "version": "0.1.0",
        "name": "WomanOfChildbearingPotential",
        "title": "Woman of childbearing potential (WOCBP)",
        "status": "active",
        "date": DATE,
        "publisher": "fhir-eligibility",
        "description": "Female, younger than 55 years, with no coded hysterectomy, bilateral oophorectomy or "
        "documented post-menopausal state (clinical.md §0.11). All characteristics must hold.",
        "note": [
            {
                "text": "The age limit of 55 years is the configurable heuristic of clinical.md §0.11 for "
                "'post-menopausal'. A documented post-menopausal status is read as a Condition (or any record "
                "type the characteristic reads) coded SNOMED CT 76498008 'Postmenopausal state', any clinical "
                "status; clinical.md lists no verified code for it, this one is from a published HL7 IG "
                "(SNOMED_SOURCES). Other ways of recording it (an Observation's value) are not read: such "
                "women are caught by the age heuristic or attested through the trial's own criterion."
            },
            {
                "text": "Hysterectomy and bilateral oophorectomy are read as ICD-10-CM Z90.710 / Z90.711 (no uterus, "
                "with or without a cervical stump), Z90.722 (no ovaries) or SNOMED CT 236886002 Hysterectomy "
                "(vs-surgical-sterility). Z90.712 (cervix removed, uterus kept) and Z90.721 (one ovary) leave "
                "childbearing potential."
            },
        ],
        "actual": False,
        "characteristic": [
            gender("Female (administrative gender)", "female", link="wocbp-female"),
            age("Younger than 55 years (heuristic for pre-menopausal status)", "<", 55, link="wocbp-age"),
            records(
                "No hysterectomy, bilateral oophorectomy or post-menopausal state coded (condition or procedure)",
                ["Condition", "Procedure"],
                "vs-surgical-sterility",
                methods=["history"],
                exclude=True,
                link="wocbp-no-sterility",
            ),
        ],
    }


def research_study(meta: dict[str, Any]) -> dict[str, Any]:
    nct = meta["nct"]
    rs: dict[str, Any] = {
        "resourceType": "ResearchStudy",
        "id": nct,
        "url": f"{BASE}/ResearchStudy/{nct}",
        "identifier": [{"system": "https://clinicaltrials.gov", "value": nct}],
        "name": nct,
        "title": meta["title"],
        "status": "active",
        "date": DATE,
    }
    if meta.get("phase"):
        rs["phase"] = {
            "coding": [
                {
                    "system": "http://hl7.org/fhir/research-study-phase",
                    "code": meta["phase"],
                    "display": PHASE_DISPLAY[meta["phase"]],
                }
            ],
            "text": PHASE_DISPLAY[meta["phase"]],
        }
    rs["condition"] = [({"coding": [c[1]], "text": c[0]} if c[1] else {"text": c[0]}) for c in meta["conditions"]]
    rs["descriptionSummary"] = meta["summary"]
    if meta.get("status"):
        ps: dict[str, Any] = {
            "state": {
                "coding": [
                    {
                        "system": "http://hl7.org/fhir/research-study-status",
                        "code": meta["status"],
                        "display": meta["status_display"],
                    }
                ]
            },
            "actual": True,
        }
        rs["progressStatus"] = [ps]
    if meta.get("sponsor"):
        rs["associatedParty"] = [
            {
                "name": meta["sponsor"],
                "role": {
                    "coding": [
                        {
                            "system": "http://hl7.org/fhir/research-study-party-role",
                            "code": "sponsor",
                            "display": "sponsor",
                        }
                    ]
                },
            }
        ]
    rs["recruitment"] = {
        "eligibility": {"reference": f"EvidenceVariable/{nct}-eligibility", "display": f"Eligibility criteria of {nct}"}
    }
    if meta.get("end"):
        rs["period"] = {"end": meta["end"]}
    return rs


def evidence_variable(meta: dict[str, Any], chars: list[dict[str, Any]]) -> dict[str, Any]:
    nct = meta["nct"]
    return {
        "resourceType": "EvidenceVariable",
        "id": f"{nct}-eligibility",
        "url": f"{BASE}/EvidenceVariable/{nct}-eligibility",
        "identifier": [{"system": "https://clinicaltrials.gov", "value": nct}],
        "version": "0.1.0",
        "name": f"{nct.replace('-', '')}Eligibility",
        "title": f"Eligibility criteria of {nct} (trial {meta['key']}, seed {meta['seed']})",
        "status": "active",
        "date": DATE,
        "publisher": "fhir-eligibility",
        "description": f"Inclusion and exclusion criteria of {nct}, one top-level characteristic per criterion line of "
        f"the protocol (seed {meta['seed']}), encoded per docs/encoding.md. linkIds follow "
        "shared/reference/clinical.md.",
        "actual": True,
        "characteristic": chars,
    }


def mark_default_lookback(chars: list[dict[str, Any]], inherited: bool = False) -> None:
    """Mark the study-start windows of each characteristic whose note says the protocol gives none
    (DEFAULT_WINDOW_NOTE), and of its parts, with the default-lookback extension: ``--lookback-days``
    replaces their 28 days (clinical.md §0.2, configurable); a window the protocol wrote stays."""
    for ch in chars:
        marked = inherited or DEFAULT_WINDOW_NOTE in [n.get("text") for n in ch.get("note") or []]
        if marked and ch.get("timeFromEvent"):
            ch["timeFromEvent"] = [_marked(tfe) for tfe in ch["timeFromEvent"]]
        inner = (ch.get("definitionByCombination") or {}).get("characteristic") or []
        mark_default_lookback(inner, marked)


def _marked(tfe: dict[str, Any]) -> dict[str, Any]:
    """A copy (the builders share window objects such as W28 between criteria), marked if study-start."""
    events = (tfe.get("eventCodeableConcept") or {}).get("coding") or []
    if "range" not in tfe or not any(c.get("code") == "study-start" for c in events):
        return tfe
    return {**tfe, "extension": [{"url": EXT_DEFAULT_LOOKBACK, "valueBoolean": True}]}


def dump(obj: dict[str, Any]) -> str:
    return json.dumps(obj, indent=2, ensure_ascii=False) + "\n"


def build(keys: list[str]) -> tuple[dict[str, dict[str, Any]], dict[str, Any]]:
    files: dict[str, dict[str, Any]] = {}
    files["shared/CodeSystem-eligibility.json"] = codesystem(DATE)
    files["shared/EvidenceVariable-wocbp.json"] = wocbp()
    for vs_id in VALUESETS:
        files[f"shared/ValueSet-{vs_id}.json"] = valueset(vs_id)
    summary: dict[str, Any] = {}
    for key in keys:
        mod = TRIALS[key]
        meta = mod.META
        chars = mod.characteristics()
        mark_default_lookback(chars)
        files[f"{meta['nct']}/ResearchStudy.json"] = research_study(meta)
        files[f"{meta['nct']}/EvidenceVariable.json"] = evidence_variable(meta, chars)
        summary[key] = (meta, chars)
    return files, summary


def validate(files: dict[str, dict[str, Any]]) -> list[str]:
    """Duplicate ids here, everything else by the package's own validator (what ``fhir-eligibility
    validate`` runs: R5 models, evv-1, codes, units, references, empty value sets), on the files as written."""
    errors: list[str] = []
    ids: dict[str, str] = {}
    for path, res in files.items():
        key = f"{res['resourceType']}/{res['id']}"
        if key in ids:
            errors.append(f"{path}: duplicate id {key} (also {ids[key]})")
        ids[key] = path
    with tempfile.TemporaryDirectory() as tmp:
        for path, res in files.items():
            (Path(tmp) / path).parent.mkdir(parents=True, exist_ok=True)
            (Path(tmp) / path).write_text(dump(res), encoding="utf-8")
        try:
            problems = [str(p).replace(tmp + "/", "") for p in validate_definitions(read_definitions([Path(tmp)]))]
        except DefinitionError as e:
            problems = [str(e).replace(tmp + "/", "")]
    return errors + problems


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", default=str(ROOT / "definitions"))
    ap.add_argument("--only", default="A,B,C,D,E", help="comma-separated trial keys (default all)")
    args = ap.parse_args()
    keys = [k.strip() for k in args.only.split(",") if k.strip()]
    files, summary = build(keys)
    errors = validate(files)
    seeds = sorted(SEEDS.glob("00*.txt")) if SEEDS.is_dir() else []
    for key, (meta, chars) in summary.items():
        seed = [p for p in seeds if p.name.startswith(meta["seed"])]
        if seed:
            lines, tops = seed_check(seed[0], chars, errors)
            meta["seed_lines"] = lines
            print(f"{key} seed {seed[0].name}: {lines} criterion lines -> {tops} top-level characteristics")
    if errors:
        for e in errors:
            print("ERROR", e, file=sys.stderr)
        print(f"{len(errors)} error(s); definitions not written", file=sys.stderr)
        return 1
    out = Path(args.out)
    with tempfile.TemporaryDirectory() as tmp:
        t = Path(tmp)
        for path, res in files.items():
            p = t / path
            p.parent.mkdir(parents=True, exist_ok=True)
            p.write_text(dump(res), encoding="utf-8")
        (t / "README.md").write_text(readme(summary, EXTRA_CODES), encoding="utf-8")
        if out.exists():  # replace what this generator writes; authored trials (docs/authoring.md) stay
            generated = {Path(path).parts[0] for path in files}
            for child in out.iterdir():
                if child.is_dir() and child.name in generated:
                    shutil.rmtree(child)
                elif child.name == "README.md":
                    child.unlink()
        out.mkdir(parents=True, exist_ok=True)
        for p in sorted(t.rglob("*")):
            if p.is_file():
                dest = out / p.relative_to(t)
                dest.parent.mkdir(parents=True, exist_ok=True)
                shutil.copyfile(p, dest)
    for key, (meta, chars) in summary.items():
        comp = sum(is_computable(c) for c in chars)
        print(f"{key} {meta['nct']}: {len(chars)} criteria, {comp} computable, {len(chars) - comp} manual")
    print(f"wrote {len(files) + 1} files to {out}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
