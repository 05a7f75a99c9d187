"""Integration tests against real FHIR servers started on 127.0.0.1 (see servers/README.md)."""
