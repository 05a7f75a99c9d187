"""The PRRT base patient whose coordinator attested A's manual items (issue 14), built with the project's renderer."""

from __future__ import annotations

from pathlib import Path

from .base import prrt_patient
from .sample import Sample

ROOT = Path(__file__).resolve().parents[2]

# A's manual items as a research coordinator answers them for the PRRT base patient (yes = the statement holds
# as written; for an exclusion: the excluding condition is present).
A_ANSWERS = {
    "characteristic[3].1": True,  # progression >= 12 months after the last 2023 cycle
    "A-I5": True,  # progression after the first PRRT
    "A-I6": True,  # tumour board decision
    "A-I8": True,  # life expectancy >= 6 months
    "characteristic[8].1": True,  # >= 90 % of lesions with uptake >= liver on the 2026-04-10 PET
    "A-I10": True,  # measurable per RECIST 1.1
    "A-I13": True,  # contraception agreed
    "A-I14": True,  # signed consent
    "A-I15": True,  # willing and able to comply
    "A-I16": True,  # French social security
    "A-E1": False,  # responded to the first PRRT
    "A-E2": False,
    "characteristic[20].1": False,  # no grade 4 toxicity in the first PRRT
    "A-E14": False,
    "characteristic[33].1": False,  # no other hypersensitivity
    "A-E16": False,
    "A-E18": False,
}


def attested_by_coordinator() -> Sample:
    """The PRRT base patient with A's manual items answered in a QuestionnaireResponse (+ Provenance), so A is
    eligible without --assume-attested (issue 14). Built with the project's own Questionnaire renderer, so the
    canonical and linkIds are the ones the evaluator reads."""
    import sys

    sys.path.insert(0, str(ROOT))
    from fhir_eligibility.criteria.load import load_trials
    from fhir_eligibility.report.questionnaire import provenance, questionnaire_response

    s = prrt_patient(
        97,
        "attested-by-coordinator",
        "PRRT base patient (as sample-01) whose research coordinator answered every manual item of A in a "
        "completed QuestionnaireResponse (2026-05-25, inclusions yes, exclusions no): A is eligible without "
        "--assume-attested; B, C and E await attestations (needs-review), D ineligible as base.",
        name=("Marc", "Durand"),
    )
    trial = load_trials(None, ["NCT04954820"])[0]
    response = questionnaire_response(
        trial,
        s.id,
        A_ANSWERS,
        author="Claire Martin (research coordinator)",
        authored="2026-05-25T14:30:00+02:00",
        response_id="unused",
        comments={"A-I6": "RENATEN tumour board of 2026-05-21 validated the second PRRT"},
    )
    body = s.add({k: v for k, v in response.items() if k != "id"} | {"subject": s.subject})
    prov = provenance({**body, "id": "unused"}, "unused")
    prov["target"] = [{"reference": f"urn:uuid:{body['id']}"}]
    s.add({k: v for k, v in prov.items() if k != "id"})
    return s
