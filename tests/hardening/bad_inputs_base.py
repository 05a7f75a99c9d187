"""The bad-input corpus's clean base patient (Bundle and Bulk NDJSON), its ``Case`` and the mutators cases use."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from fhir_eligibility.criteria.load import load_trials

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


def without_id(res: dict[str, Any], types: tuple[str, ...] = ("Patient",)) -> dict[str, Any]:
    return {k: v for k, v in res.items() if k != "id" or res["resourceType"] not in types}
