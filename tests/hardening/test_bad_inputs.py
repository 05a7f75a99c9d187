"""A generated bad-input corpus through both file readers: ``evaluate`` (the in-memory reader behind
table/HTML/FHIR output, and the streamed ``--format json``) and ``screen``.

One clean base patient (``sample_bundles/01``: mostly passes; NCT05987176 ineligible on D-I5, no
liver resection, and D-E7, prior PRRT), as a Bundle and as Bulk NDJSON; each case mutates one
thing. For every case and every path: no exception other than the documented InputError (the
CLI's one-line exit 2; the CLI layer itself is exercised in ``test_bad_inputs_cli.py``), the
documented exit code, no ``fail`` criterion and no ``ineligible`` verdict that the clean patient
does not have, the same verdicts and the same warnings from every path (one reader, one policy),
and, where the case says so, a warning that names the problem.

Cases (counted by ``test_corpus_size``): 167 in all: files 34, resources 82, values 24,
encodings 12, folders 15.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest

from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.errors import InputError
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.pipeline import evaluate_files
from fhir_eligibility.report.json_report import report_json
from fhir_eligibility.screening.core import SCREENING
from fhir_eligibility.screening.runner import screen_files
from fhir_eligibility.stream import stream_json

ROOT = Path(__file__).resolve().parents[2]
BASE_FILE = ROOT / "sample_bundles" / "01-prrt-ileal-net-baseline.json"
BASE: dict[str, Any] = json.loads(BASE_FILE.read_text(encoding="utf-8"))
PID = "sample-01"
PATIENT_URL = BASE["entry"][0]["fullUrl"]
AS_OF = dt.date(2026, 6, 1)
TRIALS = load_trials(None, None)

Build = Callable[[Path], list[Path]]


@dataclass(frozen=True)
class Case:
    name: str
    kind: str  # files | resources | values | encodings | folders
    build: Build  # writes the input under a folder, returns the paths to read
    exit_code: int = 0
    warns: str = ""  # a substring some warning must contain ("say so")


# ---------------------------------------------------------------- base patient in both shapes


def bundle() -> dict[str, Any]:
    return copy.deepcopy(BASE)


def resources() -> list[dict[str, Any]]:
    """The base patient's resources as a Bulk export writes them (literal Patient references)."""
    out = []
    for e in bundle()["entry"]:
        text = json.dumps(e["resource"]).replace(PATIENT_URL, f"Patient/{PID}")
        out.append(json.loads(text))
    return out


def write_bundle(folder: Path, data: dict[str, Any] | bytes, name: str = "patient.json") -> list[Path]:
    path = folder / name
    path.write_bytes(data if isinstance(data, bytes) else json.dumps(data).encode())
    return [path]


def write_ndjson(folder: Path, lines_by_type: dict[str, list[bytes]]) -> list[Path]:
    out = folder / "export"
    out.mkdir(exist_ok=True)
    for rtype, lines in lines_by_type.items():
        (out / f"{rtype}.ndjson").write_bytes(b"".join(line + b"\n" for line in lines))
    return [out]


def ndjson_lines(items: list[dict[str, Any]] | None = None) -> dict[str, list[bytes]]:
    by_type: dict[str, list[bytes]] = {}
    for r in resources() if items is None else items:
        by_type.setdefault(str(r.get("resourceType", "Other")), []).append(json.dumps(r).encode())
    return by_type


def first_index(rtype: str) -> int:
    return next(i for i, e in enumerate(BASE["entry"]) if e["resource"]["resourceType"] == rtype)


# ---------------------------------------------------------------- case generators


def set_path(res: dict[str, Any], path: str, value: Any) -> None:
    """``a.b.0.c`` = value (creating nothing: the path exists in the base resource, but its last key may not)."""
    keys: list[Any] = [int(k) if k.isdigit() else k for k in path.split(".")]
    node: Any = res
    for k in keys[:-1]:
        node = node[k]
    node[keys[-1]] = value


def in_bundle(rtype: str, path: str, value: Any) -> Build:
    def build(folder: Path) -> list[Path]:
        b = bundle()
        set_path(b["entry"][first_index(rtype)]["resource"], path, value)
        return write_bundle(folder, b)

    return build


def in_ndjson(rtype: str, path: str, value: Any) -> Build:
    def build(folder: Path) -> list[Path]:
        items = resources()
        set_path(items[first_index(rtype)], path, value)
        return write_ndjson(folder, ndjson_lines(items))

    return build


def ndjson_without(rtype: str, key: str) -> Build:
    def build(folder: Path) -> list[Path]:
        items = resources()
        items[first_index(rtype)].pop(key)
        return write_ndjson(folder, ndjson_lines(items))

    return build


def bundle_with(mutate: Callable[[dict[str, Any]], None]) -> Build:
    def build(folder: Path) -> list[Path]:
        b = bundle()
        mutate(b)
        return write_bundle(folder, b)

    return build


def raw_bundle(text: Callable[[str], str | bytes]) -> Build:
    """The base Bundle's JSON text transformed (for what json.dumps cannot write: NaN, 1e400, bytes)."""

    def build(folder: Path) -> list[Path]:
        out = text(json.dumps(bundle()))
        return write_bundle(folder, out.encode() if isinstance(out, str) else out)

    return build


def raw_ndjson(rtype: str, line: Callable[[bytes], bytes], every: bool = False) -> Build:
    """One line of the export (the first of ``rtype``, or every line of every file) transformed."""

    def build(folder: Path) -> list[Path]:
        by_type = ndjson_lines()
        if every:
            by_type = {t: [line(x) for x in lines] for t, lines in by_type.items()}
        else:
            by_type[rtype][0] = line(by_type[rtype][0])
        return write_ndjson(folder, by_type)

    return build


def value_text(new: str) -> Callable[[str], str]:
    """Replace the first Observation's valueQuantity value (written as its JSON text)."""

    def edit(text: str) -> str:
        data = json.loads(text)
        obs = data["entry"][first_index("Observation")]["resource"]
        obs["valueQuantity"]["value"] = "@@VALUE@@"
        return json.dumps(data).replace('"@@VALUE@@"', new)

    return edit


BAD_VALUES: list[tuple[str, Any]] = [
    ("int", 5),
    ("string", "abc"),
    ("list", [5]),
    ("object", {"x": 1}),
    ("null", None),
]

# (resource type, field path, which bad values): fields the readers and the evaluator read
RESOURCE_FIELDS: list[tuple[str, str, tuple[str, ...]]] = [
    ("Patient", "identifier", ("int", "string", "list", "object")),
    ("Patient", "birthDate", ("int", "list", "null")),
    ("Patient", "gender", ("int", "list")),
    ("Patient", "meta", ("int", "string")),
    ("Patient", "name", ("int", "string")),
    ("Condition", "code", ("int", "string", "list")),
    ("Condition", "code.coding", ("int", "object", "string")),
    ("Condition", "subject", ("int", "string", "list")),
    ("Condition", "clinicalStatus", ("int", "string")),
    ("Condition", "verificationStatus", ("int", "string")),
    ("Condition", "onsetDateTime", ("int", "list")),
    ("Condition", "bodySite", ("int", "string")),
    ("Condition", "category", ("int", "string")),
    ("Observation", "valueQuantity", ("int", "string", "list")),
    ("Observation", "valueQuantity.value", ("string", "list", "object", "null")),
    ("Observation", "valueQuantity.unit", ("int", "list")),
    ("Observation", "code", ("int", "string")),
    ("Observation", "effectiveDateTime", ("int", "object")),
    ("Observation", "status", ("int", "list")),
    ("Observation", "subject", ("string", "int")),
    ("MedicationAdministration", "medicationReference", ("string", "int", "list")),
    ("MedicationAdministration", "medicationCodeableConcept", ("int", "string")),
    ("MedicationAdministration", "dosage", ("int", "string")),
    ("MedicationAdministration", "effectiveDateTime", ("int", "list")),
    ("MedicationStatement", "effectivePeriod", ("int", "string")),
    ("Procedure", "code", ("int", "string")),
    ("Procedure", "performedDateTime", ("int", "object")),
]
NDJSON_FIELDS = [
    ("Patient", "identifier", 5),
    ("Patient", "id", 5),
    ("Condition", "subject", "Patient/sample-01"),
    ("MedicationAdministration", "medicationReference", "Medication/m1"),
    ("Observation", "valueQuantity", "7 g/dL"),
    ("Condition", "code", "C7A.012"),
]


def resource_cases() -> list[Case]:
    values = dict(BAD_VALUES)
    out = [
        Case(f"bundle {rtype}.{path}={label}", "resources", in_bundle(rtype, path, values[label]))
        for rtype, path, labels in RESOURCE_FIELDS
        for label in labels
    ]
    out += [
        Case(f"ndjson {rtype}.{path}={value!r}", "resources", in_ndjson(rtype, path, value))
        for rtype, path, value in NDJSON_FIELDS
    ]
    out += [
        Case("bundle Patient.id=5", "resources", in_bundle("Patient", "id", 5), warns="Patient without a usable id"),
        Case("bundle Patient.id=list", "resources", in_bundle("Patient", "id", ["x"]), warns="usable id"),
        Case("bundle Patient.id=''", "resources", in_bundle("Patient", "id", ""), warns="usable id"),
        Case("bundle Patient.id tab", "resources", in_bundle("Patient", "id", "a\tb"), warns="usable id"),
        Case("bundle Condition.id=list", "resources", in_bundle("Condition", "id", [1])),
        Case("bundle Condition.subject.reference=5", "resources", in_bundle("Condition", "subject.reference", 5)),
        Case(
            "bundle Observation.subject.reference unresolvable",
            "resources",
            in_bundle("Observation", "subject.reference", "Group/g1"),
            warns="not resolvable",
        ),
        Case(
            "bundle Procedure resourceType Foo",
            "resources",
            in_bundle("Procedure", "resourceType", "Foo"),
            warns="not a FHIR resource type",
        ),
        Case("bundle resourceType=5", "resources", in_bundle("Observation", "resourceType", 5), warns="resourceType"),
        Case(
            "ndjson records without ids",
            "resources",
            lambda f: write_ndjson(
                f, ndjson_lines([without_id(r, ("MedicationAdministration",)) for r in resources()])
            ),
        ),
        Case(
            "bundle records without ids",
            "resources",
            bundle_with(lambda b: [e["resource"].pop("id") for e in b["entry"][1:]]),
        ),
        Case(
            "ndjson Patient without id",
            "resources",
            lambda f: write_ndjson(f, ndjson_lines([without_id(r) for r in resources()])),
            warns="Patient without a usable id",
        ),
    ]
    return out


def _dup_patient(folder: Path, *, newer: bool, ndjson: bool) -> list[Path]:
    """The same Patient id in a second file with other data; the base's copy is the one to use."""
    other = copy.deepcopy(bundle()["entry"][0]["resource"])
    other["gender"] = "male"
    other["birthDate"] = "1931-01-01"
    base_patient = bundle()["entry"][0]["resource"]
    base_patient["meta"] = {"lastUpdated": "2026-05-01T00:00:00Z"}
    other["meta"] = {"lastUpdated": "2020-01-01T00:00:00Z" if newer else "2026-05-01T00:00:00Z"}
    if ndjson:
        items = resources()
        items[0] = base_patient
        paths = write_ndjson(folder, ndjson_lines(items))
        (folder / "zz-later").mkdir()
        (folder / "zz-later" / "Patient.ndjson").write_text(json.dumps(other) + "\n")
        return [*paths, folder / "zz-later"] if newer else [folder / "zz-later", *paths]
    b = bundle()
    b["entry"][0]["resource"] = base_patient
    (folder / "a.json").write_text(
        json.dumps(
            {"resourceType": "Bundle", "type": "collection", "entry": [{"fullUrl": PATIENT_URL, "resource": other}]}
        )
    )
    (folder / "b.json").write_text(json.dumps(b))
    return [folder]


def without_id(res: dict[str, Any], types: tuple[str, ...] = ("Patient",)) -> dict[str, Any]:
    return {k: v for k, v in res.items() if k != "id" or res["resourceType"] not in types}


def one_per_file(folder: Path) -> list[Path]:
    for i, r in enumerate(resources()):
        (folder / f"{i:02d}-{r['resourceType']}.json").write_text(json.dumps(r))
    return [folder]


def file_cases() -> list[Case]:
    def entries(value: Any) -> Build:
        return bundle_with(lambda b: b.__setitem__("entry", value))

    def prepend(items: list[Any]) -> Build:
        return bundle_with(lambda b: b.__setitem__("entry", items + b["entry"]))

    def nested(b: dict[str, Any]) -> None:
        b["entry"] = [{"resource": {"resourceType": "Bundle", "type": "collection", "entry": b["entry"]}}]

    def full_url(value: Any) -> Build:
        return bundle_with(lambda b: b["entry"][first_index("Observation")].__setitem__("fullUrl", value))

    def top(text: bytes) -> Build:
        return lambda f: write_bundle(f, text)

    deep = b'{"resourceType":"Bundle","type":"collection","entry":' + b"[" * 100_000 + b"]" * 100_000 + b"}"
    deep_resource = bundle()
    deep_resource["entry"][first_index("Observation")]["resource"]["extension"] = "@@DEEP@@"
    deep_text = json.dumps(deep_resource).replace('"@@DEEP@@"', "[" * 150 + "]" * 150).encode()
    return [
        Case("entry int", "files", entries(5), 2, warns=""),
        Case("entry string", "files", entries("abc"), 2),
        Case("entry object", "files", entries({"resource": {}}), 2),
        Case("entry null", "files", entries(None), 2),
        Case("entry empty list", "files", entries([]), 2),
        Case("entry items int", "files", prepend([5, 6, 7]), warns="entry not a FHIR resource"),
        Case("entry items null x10000", "files", prepend([None] * 10_000), warns="(10000 times"),
        Case("entry resource int", "files", prepend([{"resource": 5}]), warns="not a FHIR resource"),
        Case("entry resource null", "files", prepend([{"resource": None}]), warns="not a FHIR resource"),
        Case("entry resource no type", "files", prepend([{"resource": {"id": "x"}}]), warns="no resourceType"),
        Case("entry Foo", "files", prepend([{"resource": {"resourceType": "Foo"}}]), warns="'Foo'"),
        Case("entry response only", "files", prepend([{"response": {"status": "201"}}])),
        Case("nested Bundle", "files", bundle_with(nested)),
        Case("Bundle type int", "files", bundle_with(lambda b: b.__setitem__("type", 5))),
        Case("Observation fullUrl list", "files", full_url(["urn:uuid:x"]), warns="fullUrl is not a string"),
        Case("Observation fullUrl int", "files", full_url(5), warns="fullUrl is not a string"),
        Case("Patient fullUrl list", "files", bundle_with(lambda b: b["entry"][0].__setitem__("fullUrl", [1]))),
        Case("duplicate entries", "files", bundle_with(lambda b: b.__setitem__("entry", b["entry"] * 2))),
        Case(
            "duplicate Patient id, other file older",
            "files",
            lambda f: _dup_patient(f, newer=True, ndjson=False),
            warns="different Patient resources",
        ),
        Case(
            "duplicate Patient id ndjson, tie: last wins",
            "files",
            lambda f: _dup_patient(f, newer=False, ndjson=True),
            warns="different Patient resources",
        ),
        Case(
            "duplicate Patient id ndjson, base newer",
            "files",
            lambda f: _dup_patient(f, newer=True, ndjson=True),
            warns="different Patient resources",
        ),
        Case("not JSON", "files", top(b'{"resourceType": "Bundle", "entry": ['), 2),
        Case("empty .json", "files", top(b""), 2),
        Case("JSON array", "files", top(b"[]"), 2),
        Case("JSON null", "files", top(b"null"), 2),
        Case("top-level Foo", "files", top(b'{"resourceType":"Foo"}'), 2),
        Case("no resourceType", "files", top(b'{"entry": []}'), 2),
        Case("trailing garbage", "files", top(json.dumps(BASE).encode() + b" xyz"), 2),
        Case("two documents", "files", top(json.dumps(BASE).encode() * 2), 2),
        Case("10^5-deep JSON", "files", top(deep), 2),
        Case("150-deep extension", "files", top(deep_text), 2),
        Case("one resource per .json file", "files", one_per_file),
        Case(
            "ndjson lines are Bundles", "files", lambda f: write_ndjson(f, {"Bundle": [json.dumps(BASE).encode()]}), 2
        ),
        Case(
            "ndjson Foo line", "files", raw_ndjson("Procedure", lambda x: x + b'\n{"resourceType":"Foo"}'), warns="Foo"
        ),
    ]


def value_cases() -> list[Case]:
    def obs_value(text: str) -> Build:
        return raw_bundle(value_text(text))

    def line_value(text: bytes) -> Build:
        def edit(line: bytes) -> bytes:
            data = json.loads(line)
            data["valueQuantity"]["value"] = "@@V@@"
            return json.dumps(data).encode().replace(b'"@@V@@"', text)

        return raw_ndjson("Observation", edit)

    def lab(code: str, mutate: Callable[[dict[str, Any]], None]) -> Build:
        """One of the base patient's results (by LOINC code), changed."""

        def edit(b: dict[str, Any]) -> None:
            (res,) = [
                e["resource"]
                for e in b["entry"]
                if e["resource"]["resourceType"] == "Observation"
                and any(c.get("code") == code for c in e["resource"]["code"]["coding"])
            ]
            mutate(res)

        return bundle_with(edit)

    def as_text(res: dict[str, Any]) -> None:
        res["valueString"] = "<5"
        del res["valueQuantity"]

    female_only = {"coding": [{"system": "http://hl7.org/fhir/administrative-gender", "code": "female"}]}

    def hb_versions(newest_first: bool) -> Build:
        """Hb twice under one id: a full export's version (7.0 g/dL) and a later _since export's amended
        one (13.2): the latest meta.lastUpdated counts, whatever the order (was: both, 7.0 failed A-I11)."""

        def build(folder: Path) -> list[Path]:
            items = resources()
            hb = next(r for r in items if any(c.get("code") == "718-7" for c in r.get("code", {}).get("coding", [])))
            old = {**copy.deepcopy(hb), "meta": {"lastUpdated": "2026-05-20T10:00:00Z"}}
            old["valueQuantity"] = {**old["valueQuantity"], "value": 7.0}
            new = {**copy.deepcopy(hb), "status": "amended", "meta": {"lastUpdated": "2026-05-22T10:00:00Z"}}
            items = [r for r in items if r is not hb]
            lines = ndjson_lines(items)
            pair = [new, old] if newest_first else [old, new]
            lines["Observation"] = [*lines["Observation"], *(json.dumps(r).encode() for r in pair)]
            return write_ndjson(folder, lines)

        return build

    def searchset_page(b: dict[str, Any]) -> None:
        b["type"] = "searchset"
        b["link"] = [{"relation": "next", "url": "https://fhir.example.org/r4/Condition?page=2"}]
        for e in b["entry"]:
            e.pop("request", None)

    return [
        Case(
            "Condition subject 'patient/sample-01'",
            "values",
            in_bundle("Condition", "subject", {"reference": "patient/sample-01"}),
            warns="not resolvable",
        ),
        Case(
            "ndjson Condition subject ' Patient/sample-01/'",
            "values",
            in_ndjson("Condition", "subject", {"reference": " Patient/sample-01/"}),
            warns="not resolvable",
        ),
        Case("Hb in two versions, older first", "values", hb_versions(False), warns="different versions"),
        Case("Hb in two versions, newest first", "values", hb_versions(True), warns="different versions"),
        Case("a searchset page with a next link", "values", bundle_with(searchset_page), warns="next link"),
        # found on data nobody here wrote (adversarial review): each a data error, said, and never a fail
        Case(
            "Hb 132 typed as g/dL",
            "values",
            lab("718-7", lambda r: r["valueQuantity"].update(value=132)),
            warns="not a possible haemoglobin",
        ),
        Case("Hb valueString '<5'", "values", lab("718-7", as_text), warns="number written as text"),
        Case(
            "Hb effectiveDateTime '2026-5-20'",
            "values",
            lab("718-7", lambda r: r.update(effectiveDateTime="2026-5-20")),
            warns="is not a FHIR date",
        ),
        Case("Hb without subject", "values", lab("718-7", lambda r: r.pop("subject")), warns="no patient reference"),
        # a diagnosis placed with no one was dropped: "none recorded", ineligible (adversarial review)
        Case(
            "Condition without subject",
            "values",
            bundle_with(lambda b: b["entry"][first_index("Condition")]["resource"].pop("subject")),
            warns="no patient reference",
        ),
        Case("ndjson Condition without subject", "values", ndjson_without("Condition", "subject"), warns="no patient"),
        Case(
            "ALT range for women only (a man)",
            "values",
            lab("1742-6", lambda r: r["referenceRange"][0].update(appliesTo=[female_only])),
        ),
        Case("value 1e400", "values", obs_value("1e400"), warns="beyond range"),
        Case("value -1e400", "values", obs_value("-1e400"), warns="beyond range"),
        Case("value 100,000 digits", "values", obs_value("9" * 100_000), warns="beyond range"),
        Case("value 2^64", "values", obs_value(str(2**64))),
        Case("value NaN", "values", obs_value("NaN"), 2),
        Case("value Infinity", "values", obs_value("Infinity"), 2),
        Case("value true", "values", obs_value("true")),
        Case("value -1", "values", obs_value("-1")),
        Case("value 1e-400", "values", obs_value("1e-400")),
        Case('value "NaN"', "values", obs_value('"NaN"')),
        Case("ndjson value 1e400", "values", line_value(b"1e400"), warns="beyond range"),
        Case("ndjson value 100,000 digits", "values", line_value(b"1" * 100_000), warns="beyond range"),
        Case("ndjson value NaN", "values", line_value(b"NaN"), warns="not valid JSON"),
        Case("ndjson value Infinity", "values", line_value(b"-Infinity"), warns="not valid JSON"),
    ]


def encoding_cases() -> list[Case]:
    pretty = json.dumps(BASE, ensure_ascii=False, indent=1)
    return [
        Case("BOM", "encodings", raw_bundle(lambda t: b"\xef\xbb\xbf" + t.encode())),
        Case("UTF-16", "encodings", raw_bundle(lambda t: t.encode("utf-16")), 2),
        Case(
            "invalid UTF-8 in a name",
            "encodings",
            raw_bundle(lambda t: t.replace("Patient", "Pat\udcffient", 1).encode("utf-8", "surrogateescape")),
            2,
        ),
        Case(
            "escaped lone surrogate",
            "encodings",
            raw_bundle(lambda t: t.replace('"family": "', '"family": "\\ud800', 1)),
            2,
        ),
        Case("NUL escape", "encodings", raw_bundle(lambda t: t.replace('"family": "', '"family": "\\u0000', 1))),
        Case("CRLF line ends", "encodings", lambda f: write_bundle(f, pretty.replace("\n", "\r\n").encode())),
        Case("ndjson BOM on each line", "encodings", raw_ndjson("", lambda x: b"\xef\xbb\xbf" + x, every=True)),
        Case("ndjson CRLF", "encodings", raw_ndjson("", lambda x: x + b"\r", every=True)),
        Case(
            "ndjson invalid UTF-8 Observation line",
            "encodings",
            raw_ndjson("Observation", lambda x: x.replace(b"final", b"fin\xffal", 1)),
            warns="not valid UTF-8",
        ),
        Case(
            "ndjson truncated Observation line",
            "encodings",
            raw_ndjson("Observation", lambda x: x[: len(x) // 2]),
            warns="not valid JSON",
        ),
        Case(
            "ndjson NUL bytes line",
            "encodings",
            raw_ndjson("Procedure", lambda _l: b"\x00\x00\x00"),
            warns="not valid JSON",
        ),
        Case(
            "ndjson Latin-1 Patient line",
            "encodings",
            raw_ndjson("Patient", lambda x: x.replace(b'"name"', b'"n\xe4me"', 1)),
            warns="not valid UTF-8",
        ),
    ]


# Valid JSON that is no FHIR resource, as real export folders hold beside the data.
MANIFEST = {"transactionTime": "2026-05-31T00:00:00Z", "request": "x/$export", "output": [], "error": []}
CDS_REQUEST = {"hook": "patient-view", "context": {"patientId": "p1"}, "prefetch": {}}


def top_level(folder: Path, data: dict[str, Any]) -> list[Path]:
    path = folder / "manifest.json"
    path.write_text(json.dumps(data))
    return [path]


def folder_cases() -> list[Case]:
    def with_extra(extra: Callable[[Path], None], ndjson: bool = True) -> Build:
        def build(folder: Path) -> list[Path]:
            paths = write_ndjson(folder, ndjson_lines()) if ndjson else write_bundle(folder / "in", bundle())
            extra(paths[0] if ndjson else folder / "in")
            return [paths[0] if ndjson else folder / "in"]

        def wrapped(folder: Path) -> list[Path]:
            if not ndjson:
                (folder / "in").mkdir()
            return build(folder)

        return wrapped

    def fifo(d: Path) -> None:
        os.mkfifo(d / "stream.ndjson")

    def huge_document(folder: Path) -> list[Path]:
        path = folder / "export.json"
        with path.open("wb") as fh:
            fh.truncate(2**30 + 2**26)  # sparse
        return [path]

    def huge_line(d: Path) -> None:
        with (d / "Condition-2.ndjson").open("wb") as fh:
            fh.truncate(70 * 2**20)  # sparse: no disk used, 70 MiB of NUL bytes and no newline

    def linked_conditions(folder: Path) -> list[Path]:
        (export,) = write_ndjson(folder, ndjson_lines())
        elsewhere = folder / "elsewhere"
        elsewhere.mkdir()
        (export / "Condition.ndjson").rename(elsewhere / "Condition.ndjson")
        (export / "conditions").symlink_to(elsewhere)
        return [export]

    return [
        Case(
            "empty .ndjson beside data",
            "folders",
            with_extra(lambda d: (d / "Empty.ndjson").write_bytes(b"")),
            warns="empty file",
        ),
        Case(
            "blank-lines .ndjson",
            "folders",
            with_extra(lambda d: (d / "Blank.ndjson").write_bytes(b"\n\n \n")),
            warns="empty file",
        ),
        Case("FIFO in folder", "folders", with_extra(fifo), warns="not a regular file"),
        Case(
            "dangling symlink",
            "folders",
            with_extra(lambda d: (d / "gone.ndjson").symlink_to(d / "nowhere")),
            warns="not a regular file",
        ),
        Case("symlink loop", "folders", with_extra(lambda d: (d / "loop").symlink_to(d)), warns="already read"),
        # a 70 MiB line (a sparse file, no newline) was read whole (4 GB for 2 GB), a MemoryError
        # traceback under a limit: skipped as read, said, and its type (from the file name) unknown
        Case("a 70 MiB line in a Condition file", "folders", with_extra(huge_line), warns="longer than 64 MiB"),
        # the Conditions in a linked sub-folder were skipped, silently: "no diagnosis", ineligible
        Case("Conditions in a symlinked sub-folder", "folders", linked_conditions),
        Case("directory named x.json", "folders", with_extra(lambda d: (d / "x.json").mkdir(), ndjson=False)),
        Case("README beside data", "folders", with_extra(lambda d: (d / "README.md").write_text("# export"))),
        Case(
            "Bulk manifest.json beside NDJSON",
            "folders",
            with_extra(lambda d: (d / "manifest.json").write_text(json.dumps(MANIFEST))),
            warns="a Bulk Data export as of 2026-05-31T00:00:00Z",  # read as the export's (retrieval.manifest)
        ),
        Case(
            "CDS Hooks request beside Bundles",
            "folders",
            with_extra(lambda d: (d / "request.json").write_text(json.dumps(CDS_REQUEST)), ndjson=False),
            warns="file skipped",
        ),
        Case("a corrupt Bundle in a folder", "folders", with_extra(lambda d: (d / "x.json").write_text("{"), False), 2),
        Case("a manifest named by the user", "folders", lambda f: top_level(f, MANIFEST), 2),
        Case("empty folder", "folders", lambda f: [f], 2),
        # read whole and parsed at once: 4.2 GB of memory for 2 GB, a segfault in orjson under a limit
        Case("a 1.1 GiB .json file", "folders", huge_document, 2),
        Case("only an empty .ndjson", "folders", lambda f: write_ndjson(f, {"Patient": []}), 2),
        Case("FIFO as the argument", "folders", lambda f: (os.mkfifo(f / "p.ndjson"), [f / "p.ndjson"])[1], 2),
        Case("missing path", "folders", lambda f: [f / "nope.json"], 2),
    ]


CASES = file_cases() + resource_cases() + value_cases() + encoding_cases() + folder_cases()


def test_corpus_size() -> None:
    kinds: dict[str, int] = {}
    for c in CASES:
        kinds[c.kind] = kinds.get(c.kind, 0) + 1
    assert len(CASES) >= 100 and len({c.name for c in CASES}) == len(CASES)
    assert kinds == {"files": 34, "resources": 82, "values": 26, "encodings": 12, "folders": 18}, kinds


# ---------------------------------------------------------------- running one input through every path


@dataclass
class Run:
    exit_code: int
    fails: dict[str, set[str]]  # trial -> criteria with a fail (any patient)
    ineligible: set[str]  # trials with an ineligible verdict (any patient)
    warnings: set[str]
    verdicts: dict[str, dict[str, int]] = field(default_factory=dict)  # trial -> verdict -> patients


def _from_results(results: list[dict[str, Any]], warnings: list[str]) -> Run:
    fails: dict[str, set[str]] = {}
    ineligible = set()
    verdicts: dict[str, dict[str, int]] = {}
    for r in results:
        fails.setdefault(r["trial"], set()).update(c["id"] for c in r["criteria"] if c["result"] == "fail")
        if r["verdict"] == "ineligible":
            ineligible.add(r["trial"])
        counts = verdicts.setdefault(r["trial"], {})
        counts[r["verdict"]] = counts.get(r["verdict"], 0) + 1
    return Run(0, fails, ineligible, set(warnings), verdicts)


def run_evaluate(paths: list[Path]) -> Run:
    try:
        data = report_json(evaluate_files(paths, TRIALS, AS_OF, Settings()))
    except InputError:
        return Run(2, {}, set(), set())
    return _from_results(data["results"], data["warnings"])


def run_stream(paths: list[Path]) -> Run:
    try:
        data = json.loads("".join(stream_json(paths, TRIALS, AS_OF, Settings())))
    except InputError:
        return Run(2, {}, set(), set())
    return _from_results(data["results"], data["warnings"])


def run_screen(paths: list[Path], tmp: Path) -> Run:
    try:
        report = screen_files(paths, TRIALS, AS_OF, SCREENING, workers=1, temp_dir=tmp)
    except InputError:
        return Run(2, {}, set(), set())
    fails: dict[str, set[str]] = {}
    ineligible = set()
    for t in report.trials:
        fails[t.trial] = {f.criterion for f in t.funnel if f.counts["fail"]}
        if t.counts["ineligible"]:
            ineligible.add(t.trial)
    verdicts = {t.trial: {v: n for v, n in t.counts.items() if n} for t in report.trials}
    return Run(0, fails, ineligible, set(report.warnings), verdicts)


@pytest.fixture(scope="module")
def clean(tmp_path_factory: pytest.TempPathFactory) -> Run:
    folder = tmp_path_factory.mktemp("clean")
    run = run_evaluate(write_bundle(folder, bundle()))
    nd = run_evaluate(write_ndjson(folder, ndjson_lines()))
    assert run.exit_code == 0 and (run.fails, run.ineligible) == (nd.fails, nd.ineligible)
    # sample 01 had no liver resection (D-I5) and had PRRT (D-E7); for NETTER-2 its NET is from 2021 (I1), Ki-67 8 %
    # (I2) and it had PRRT (E2): tests/expected_verdicts.md
    assert run.ineligible == {"NCT05987176", "NCT03972488"}
    return run


PARAMS = [pytest.param(c, id=c.name) for c in CASES]


@pytest.mark.parametrize("case", PARAMS)
def test_bad_input(case: Case, clean: Run, tmp_path: Path) -> None:
    (tmp_path / "in").mkdir()
    (tmp_path / "tmp").mkdir()
    paths = case.build(tmp_path / "in")
    runs = {
        "evaluate": run_evaluate(paths),
        "evaluate --format json": run_stream(paths),
        "screen": run_screen(paths, tmp_path / "tmp"),
    }
    for name, run in runs.items():
        assert run.exit_code == case.exit_code, name
        for trial, failed in run.fails.items():
            assert failed <= clean.fails.get(trial, set()), (name, trial, failed - clean.fails.get(trial, set()))
        assert run.ineligible <= clean.ineligible, name
    assert runs["evaluate --format json"].verdicts == runs["evaluate"].verdicts == runs["screen"].verdicts
    warnings = runs["evaluate"].warnings
    assert runs["evaluate --format json"].warnings == warnings
    assert runs["screen"].warnings == warnings
    if case.warns:
        assert any(case.warns in w for w in warnings), warnings
    assert len(warnings) < 20  # counted, never one per occurrence
    assert not list((tmp_path / "tmp").iterdir())  # screening removed its shards
