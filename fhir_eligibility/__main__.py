"""``python -m fhir_eligibility`` runs the CLI."""

from fhir_eligibility.cli import main

main()
