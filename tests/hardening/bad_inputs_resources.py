"""Bad-input cases: a resource field given a value of the wrong kind, in a Bundle and in NDJSON."""

from __future__ import annotations

from typing import Any

from tests.hardening.bad_inputs_base import (
    Case,
    bundle_with,
    in_bundle,
    in_ndjson,
    ndjson_lines,
    resources,
    without_id,
    write_ndjson,
)

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
