"""Population screening: many patients x several trials -> verdict counts, a funnel, candidates.

    files (Bulk NDJSON / Bundles) --partition (parallel tasks, hash by patient, shard parts on disk)--> shards
    FHIR server --anchoring-diagnosis search--> candidate ids --fetch_patients--> PatientData
    FHIR server with $export --kick-off, poll, manifest, download--> NDJSON --> files path
    shard | batch --worker: screen_patient (= pipeline.evaluate_patient)--> partial Tally
    partial Tallies --merge--> ScreeningReport --report.screening--> table | CSV | JSON

``screen_patient`` and ``Tally`` (core.py) are the pieces a distributed engine reuses; the rest
is local orchestration (processes, temporary files, HTTP).
"""

from fhir_eligibility.screening.core import Tally, TrialOutcome, screen_patient

__all__ = ["Tally", "TrialOutcome", "screen_patient"]
