"""Test support code (real FHIR servers for the integration tests)."""
