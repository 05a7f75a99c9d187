"""Bad-input cases: numbers and dates no one should trust, and byte encodings."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tests.hardening.bad_inputs_base import (
    BASE,
    Build,
    Case,
    bundle_with,
    first_index,
    in_bundle,
    in_ndjson,
    ndjson_lines,
    ndjson_without,
    raw_bundle,
    raw_ndjson,
    resources,
    value_text,
    write_bundle,
    write_ndjson,
)


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
