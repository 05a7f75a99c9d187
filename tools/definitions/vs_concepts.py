"""Concept tuples and their one-letter constructors, with the ICD groups generated into ``icd_codes.json``."""

from __future__ import annotations

import json
from pathlib import Path

from .fhir import ATC, ICD10, ICD10CM, ICDO3, LOINC, PROJECT_CS, RXNORM, SNOMED

Concept = tuple[str, str, str]  # (system, code, display)

_ICD = json.loads(Path(__file__).with_name("icd_codes.json").read_text(encoding="utf-8"))


def cm(group: str) -> list[Concept]:
    return [(ICD10CM, c, d) for c, d in _ICD["icd-10-cm"][group]]


def who(group: str) -> list[Concept]:
    return [(ICD10, c, d) for c, d in _ICD["icd-10"][group]]


def cm_codes(group: str, *codes: str) -> list[Concept]:
    table = dict(_ICD["icd-10-cm"][group])
    return [(ICD10CM, c, table[c]) for c in codes]


def L(code: str, display: str) -> Concept:
    return (LOINC, code, display)


def S(code: str, display: str) -> Concept:
    return (SNOMED, code, display)


def A(code: str, display: str) -> Concept:
    return (ATC, code, display)


def R(code: str, display: str) -> Concept:
    return (RXNORM, code, display)


def ICDO(code: str, display: str) -> Concept:
    return (ICDO3, code, display)


def P(code: str, display: str) -> Concept:
    return (PROJECT_CS, code, display)


def who_pick(group: str, *codes: str) -> list[Concept]:
    table = dict(_ICD["icd-10"][group])
    return [(ICD10, c, table[c]) for c in codes]


def cm_pick(group: str, *codes: str) -> list[Concept]:
    return cm_codes(group, *codes)
