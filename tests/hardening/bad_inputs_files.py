"""Bad-input cases: whole files that are not what they seem (shape, size, duplicates, one resource per file)."""

from __future__ import annotations

import copy
import json
from pathlib import Path
from typing import Any

from tests.hardening.bad_inputs_base import (
    BASE,
    PATIENT_URL,
    Build,
    Case,
    bundle,
    bundle_with,
    first_index,
    ndjson_lines,
    raw_ndjson,
    resources,
    write_bundle,
    write_ndjson,
)


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
