#!/usr/bin/env python3
"""Write the synthetic sample patients: ``sample_bundles/NN-slug.json`` and ``sample_bundles/README.md``.

Every file is one FHIR R4 transaction Bundle shaped like Synthea's output (``fullUrl`` ``urn:uuid:...``,
``request: {method: POST, url: <type>}``, references by ``urn:uuid``), holding one patient whose
``Patient.id`` is ``sample-NN`` (the evaluator reports ``Patient/sample-NN``). All data are dated relative
to the screening date **2026-06-01**; the default lab date is 2026-05-20 (12 days before).

The patients are small variations of a few "near-eligible" base patients:

* ``prrt_patient``  - 62-year-old man, ileal G2 NET (Ki-67 8 %), liver metastases, 4 x 7.4 GBq Lutathera in
  2023, lanreotide until 2026-04-15, 68Ga-DOTATATE PET on 2026-04-10, complete recent labs. Eligible for
  A, B, C and E (manual items attested); ineligible for D (no liver resection, prior PRRT).
* ``resected_patient`` - 57-year-old man, pancreatic G1 NET, liver metastases resected R0 on 2026-03-16
  (metastases now ``resolved``), no systemic therapy. Eligible for D only.
* ``netter2_patient`` - 57-year-old man, pancreatic G3 NET (Ki-67 25 %) with liver metastases diagnosed on
  2026-03-02, untreated, 68Ga-DOTATATE PET 2026-04-20, Karnofsky 80. Eligible for NETTER-2 (F) only.

Each sample's ``Patient.text`` says what it exercises. The expected verdicts are worked out by hand in
``tests/expected_verdicts.json`` (rationale in ``tests/expected_verdicts.md``); the README table is rendered
from that file. Every Bundle is validated with the ``fhir.resources`` R4B models before it is written.

Run: ``.venv/bin/python tools/build_samples.py`` (deterministic: same output every run).
"""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from samples.output import readme, validate
from samples.roster import samples

OUT_DIR = Path(__file__).resolve().parents[1] / "sample_bundles"


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--out", type=Path, default=OUT_DIR)
    args = ap.parse_args()
    out_dir: Path = args.out
    out_dir.mkdir(parents=True, exist_ok=True)
    all_samples = samples()
    assert len({s.id for s in all_samples}) == len(all_samples)
    for old in out_dir.glob("[0-9][0-9]-*.json"):
        old.unlink()
    for s in all_samples:
        b = s.bundle()
        validate(b, s.file)
        (out_dir / s.file).write_text(json.dumps(b, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    (out_dir / "README.md").write_text(readme(all_samples), encoding="utf-8")
    print(f"wrote {len(all_samples)} bundles and README.md to {out_dir}")


if __name__ == "__main__":
    main()
