"""``screen`` keeps a saved export's manifest notes when it must leave warnings out.

An adversarial review: 60 empty files and a manifest reporting an error file the folder lacks. Every
verdict is undetermined because of that error ("some data may be missing"), which ``evaluate`` lists
first; ``screen`` kept the 50 warnings first in text order (``/x/Aempty00.ndjson`` sorts before
``/x/manifest.json``) and left the one that explains the result among "12 more not shown". The tally
now orders manifest notes first, whatever order shards and workers deliver them in.
"""

from __future__ import annotations

import json
from pathlib import Path

from fhir_eligibility.screening.core import MAX_WARNINGS, SCREENING, Tally
from fhir_eligibility.screening.runner import screen_files
from tests.retrieval.test_input_review import AS_OF, TRIALS, resources, write_ndjson

ERROR = {"type": "OperationOutcome", "url": "https://x/files/err.ndjson"}


def test_the_tally_keeps_manifest_notes_first_in_any_order() -> None:
    notes = ["/x/manifest.json: a Bulk Data export", "/x/manifest.json: the export reported errors"]
    empty = [f"/x/Aempty{i:02d}.ndjson: empty file" for i in range(60)]
    reports = []
    for order in (notes + empty, empty + notes, empty[:30] + notes[1:] + empty[30:] + notes[:1]):
        tally = Tally.for_trials(TRIALS)
        tally.warn(order)
        reports.append(tally.report(AS_OF).warnings)
    assert reports[0] == reports[1] == reports[2]
    assert list(reports[0][:2]) == sorted(notes)
    assert reports[0][2:-1] == tuple(empty[: MAX_WARNINGS - 2])
    assert reports[0][-1] == "12 more warning(s) not shown"


def test_screen_keeps_the_note_that_explains_its_result(tmp_path: Path) -> None:
    folder = write_ndjson(tmp_path / "export", resources())
    for i in range(60):
        (folder / f"Aempty{i:02d}.ndjson").write_bytes(b"")
    body = {"transactionTime": "2026-05-31T23:00:00Z", "request": "https://x/$export", "output": [], "error": [ERROR]}
    (folder / "manifest.json").write_text(json.dumps(body))
    (tmp_path / "tmp").mkdir()
    report = screen_files([folder], TRIALS, AS_OF, SCREENING, workers=1, temp_dir=tmp_path / "tmp")
    said = f"{folder / 'manifest.json'}: the export reported errors the folder does not hold: some data may be missing"
    assert said in report.warnings[:2]
    assert all(t.counts["eligible"] == t.counts["needs-review"] == 0 for t in report.trials)
