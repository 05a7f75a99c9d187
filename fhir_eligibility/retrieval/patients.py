"""``--patient system|value``: a patient named by an identifier (an MRN) instead of the server's id.

One search per identifier, ``Patient?identifier=system|value``, through :class:`FhirServer` (its URL
policy and deadlines). Exactly one match is used; none or several is :class:`InputError` (exit 2):
guessing between two people is not an option. The identifier never reaches a log line.
"""

from __future__ import annotations

from collections.abc import Sequence
from urllib.parse import quote

from fhir_eligibility.errors import InputError
from fhir_eligibility.retrieval.server import FhirServer, ServerOptions


def resolve_patient(server: FhirServer, identifier: str) -> str:
    """The id of the one Patient with ``system|value``."""
    page = server.search_page(f"Patient?identifier={quote(identifier, safe='')}&_count=2")
    ids = {str(r.get("id")) for r in page.resources if r.get("resourceType") == "Patient"}
    if len(ids) != 1 or (page.total or 0) > 1:
        found = "no Patient" if not ids else f"{max(len(ids), page.total or 0)} Patients"
        raise InputError(f"--patient {identifier}: {found} on {server.options.base} with this identifier")
    return ids.pop()


def resolve_patients(options: ServerOptions, patients: Sequence[str]) -> list[str]:
    """Ids for ``--patient`` values: an id as given (a FHIR id holds no ``|``), an identifier by one search."""
    if not any("|" in p for p in patients):
        return list(patients)
    with FhirServer(options) as server:
        return [resolve_patient(server, p) if "|" in p else p for p in patients]


__all__ = ["resolve_patient", "resolve_patients"]
