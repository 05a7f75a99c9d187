"""The shared formatter: human units, rounding to the threshold's precision, whole words, readable reasons."""

from __future__ import annotations

import pytest

from fhir_eligibility.report import format as fmt


@pytest.mark.parametrize(
    ("ucum", "human"),
    [
        ("a", "years"),
        ("mL/min/{1.73_m2}", "mL/min/1.73 m²"),
        ("mm[Hg]", "mmHg"),
        ("10*9/L", "× 10⁹/L"),
        ("g/dL", "g/dL"),
        ("%", "%"),
        ("{score}", ""),
        ("umol/L", "µmol/L"),
        ("10*6/L", "× 10⁶/L"),  # not in the table: the general rule
        (None, ""),
    ],
)
def test_units_read_as_clinicians_write_them(ucum: str | None, human: str) -> None:
    assert fmt.unit(ucum) == human


def test_values_are_rounded_without_exponents_or_float_noise() -> None:
    assert fmt.number(1.0224121678455418) == "1.02"
    assert fmt.number(29600.0) == "29600"
    assert fmt.number(186) == "186"
    assert fmt.number(0.58333) == "0.58"
    assert fmt.number(7.94, 0, threshold=8) == "7.9"  # rounding must not make it equal the threshold
    assert fmt.quantity(64, "a") == "64 years" and fmt.quantity(3, "{score}") == "3"
    assert fmt.decimals("1.50") == 2 and fmt.decimals(8.0) == 0


def test_shorten_never_cuts_a_word() -> None:
    text = "end-to-end anastomosis of the bowel"
    assert fmt.shorten(text, 24) == "end-to-end anastomosis…"
    assert fmt.shorten(text, 100) == text
    assert len(fmt.shorten("x " * 200, 139)) <= 139


@pytest.mark.parametrize(
    ("raw", "readable"),
    [
        ("7.9 g/dL does not meet >= 8 g/dL on 2025-02-25", "7.9 g/dL on 2025-02-25 < 8 g/dL"),
        ("186 mm[Hg] meets >= 160 mm[Hg] on 2025-02-20", "186 mmHg on 2025-02-20 ≥ 160 mmHg"),
        ("1.0224121678455418 mg/dL meets < 1.7 mg/dL on 2025-01-01", "1.02 mg/dL on 2025-01-01 < 1.7 mg/dL"),
        ("age 63 years on 2026-06-01 does not meet < 55 a", "age 63 years on 2026-06-01 ≥ 55 years"),
        ("1.2 10*9/L does not meet >= 1.5 10*9/L on 2026-05-20", "1.2 × 10⁹/L on 2026-05-20 < 1.5 × 10⁹/L"),
        ("2 does not meet 0 .. 1 on 2026-05-20", "2 on 2026-05-20, outside 0–1"),
        ("0.7 mg/dL = 0.5833 x ULN (1.2) on 2026-05-10", "0.7 mg/dL = 0.58 × ULN (1.2) on 2026-05-10"),
        ("all 1 conditions met", "the condition is met"),
        ("all 3 conditions met", "all conditions met"),
        ("none recorded in 2026-05-04..2026-06-01", "none recorded in 2026-05-04 to 2026-06-01"),
        (
            "egfr 82.61..100.1 mL/min/{1.73_m2} vs < 40 mL/min/{1.73_m2}",
            "egfr 82.61–100.1 mL/min/1.73 m² vs < 40 mL/min/1.73 m²",
        ),
        ("cumulative-activity 2.96e+04 MBq", "cumulative-activity 29600 MBq"),
        ("FHIRPath 'true' is true", "met"),
        ("code http://loinc.org|718-7 missing", "code LOINC 718-7 missing"),
    ],
)
def test_reasons_say_what_was_compared_in_plain_units(raw: str, readable: str) -> None:
    assert fmt.reason(raw) == readable


def test_labels_drop_protocol_numbering_and_keep_the_comparator() -> None:
    assert fmt.label("7. Adequate bone marrow function with hemoglobin >= 9 g/dL;") == (
        "Adequate bone marrow function with hemoglobin ≥ 9 g/dL"
    )
    assert fmt.title("NCT01842165: trial (title not in the seed)") == "NCT01842165: trial"
