"""Data requirements derived from the criteria tree, rendered as searches and prefetch templates."""

from fhir_eligibility.requirements.model import DataRequirement, Unavailable

__all__ = ["DataRequirement", "Unavailable"]
