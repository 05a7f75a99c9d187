"""Procedure codes that name a kind of treatment, not the product given.

Why: "Radionuclide therapy" (SNOMED CT 399315003) is how a site may record a Lutathera cycle, but
also an I-131 ablation for Graves' disease; "Administration of radiopharmaceutical" also codes a
diagnostic tracer; CPT 79101 "Radiopharmaceutical therapy, by intravenous administration" is how a
US site bills the act of giving Lutathera, and equally an I-131 MIBG or a 223Ra dose (the drug is
billed apart, e.g. HCPCS A9513 for Lutathera). clinical.md §2.5 counts them as Lutathera (VS-LU177)
only "when the product is coded". So, for every criterion whose value set holds one: a Procedure
matched by such a code alone counts when its ``usedCode`` names a code of the value set (the
product); otherwise it is the same cycle as a record that counts a day or less from it, or else
uncertain (never a fifth cycle, a second course or a prior therapy on its own, and never dropped as
absent: the criterion is unknown, for the coordinator to say which radiopharmaceutical it was).
"""

from __future__ import annotations

from fhir_eligibility.codes import CPT, SNOMED, Code

GENERIC_PROCEDURES: frozenset[Code] = frozenset(
    {
        (SNOMED, "399315003"),  # Radionuclide therapy (procedure)
        (SNOMED, "427541000119103"),  # Intravenous radionuclide therapy (procedure)
        (SNOMED, "440252007"),  # Administration of radiopharmaceutical (procedure)
        (CPT, "79101"),  # Radiopharmaceutical therapy, by intravenous administration
    }
)
