"""Moved to :mod:`fhir_eligibility.measures.timing` (issue 11: the planner and the criteria use it
too); this name stays for code written against the old path while other branches merge."""

from __future__ import annotations

from fhir_eligibility.measures.timing import DATE_MAX, DATE_MIN, TimeOffset, age_range, fmt, full_years, shift

__all__ = ["DATE_MAX", "DATE_MIN", "TimeOffset", "age_range", "fmt", "full_years", "shift"]
