"""``--patient system|value``: a patient named by an identifier (an MRN) instead of the server's id.

One search per identifier, ``Patient?identifier=system|value``, through :class:`FhirServer` (its URL
policy and deadlines). Exactly one match is used; none or several is :class:`InputError` (exit 2):
guessing between two people is not an option. The identifier never reaches a log line.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any
from urllib.parse import quote

from fhir_eligibility.errors import InputError
from fhir_eligibility.retrieval.options import scoped
from fhir_eligibility.retrieval.server import FhirServer, ServerOptions


def _carries(patient: dict[str, Any], system: str, value: str) -> bool:
    idents = patient.get("identifier")
    return any(
        isinstance(i, dict) and i.get("system") == system and i.get("value") == value
        for i in (idents if isinstance(idents, list) else [])
    )


def resolve_patient(server: FhirServer, identifier: str) -> str:
    """The id of the one Patient with ``system|value``. The Patient returned must carry exactly that
    identifier: a server matching on the value alone, or ignoring the parameter, would otherwise
    hand over another hospital's patient 12345 (and write-back would record them)."""
    system, _, value = identifier.partition("|")
    page = server.search_page(f"Patient?identifier={quote(identifier, safe='')}&_count=2")
    found = [r for r in page.resources if r.get("resourceType") == "Patient"]
    ids = {str(r.get("id")) for r in found if _carries(r, system, value)}
    if len(ids) != 1 or (page.total or 0) > 1 or page.next_link is not None or len(found) > 1:
        what = "no Patient" if not ids else f"{max(len(found), page.total or 0)} Patients"
        if found and not ids:
            what = "no Patient carrying exactly this identifier (the server returned others)"
        raise InputError(f"--patient {identifier}: {what} on {server.options.base} with this identifier")
    return ids.pop()


def resolve_patients(options: ServerOptions, patients: Sequence[str]) -> list[str]:
    """Ids for ``--patient`` values: an id as given (a FHIR id holds no ``|``), an identifier by one
    search; each patient once, however many times (or ways) it was named."""
    if not any("|" in p for p in patients):
        return list(dict.fromkeys(patients))
    with FhirServer(scoped(options, ["Patient"])) as server:
        return list(dict.fromkeys(resolve_patient(server, p) if "|" in p else p for p in patients))


__all__ = ["resolve_patient", "resolve_patients"]
