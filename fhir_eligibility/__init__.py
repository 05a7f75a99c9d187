"""fhir-eligibility: clinical-trial eligibility criteria (FHIR R5 EvidenceVariable) evaluated on FHIR data.

    trials = load_trials()                               # definitions/ -> compiled criteria trees
    report = evaluate_files([Path("export/")], trials, date(2026, 6, 1))
    report = evaluate_server(ServerOptions("https://fhir.example.org/r4"), ["123"], trials, date.today())
    results = evaluate_patient(patient_data, trials, as_of)   # one patient, any source

Every entry point (CLI, FHIR server, CDS Hooks, screening) goes through ``pipeline``.
"""

from fhir_eligibility.criteria.load import load_trials
from fhir_eligibility.evaluation.engine import Settings
from fhir_eligibility.evaluation.results import CriterionResult, Report, Result, TrialResult, Verdict
from fhir_eligibility.pipeline import evaluate_files, evaluate_patient, evaluate_patients, evaluate_server, plan
from fhir_eligibility.record import PatientData
from fhir_eligibility.retrieval.server import ServerOptions

__all__ = [
    "CriterionResult",
    "PatientData",
    "Report",
    "Result",
    "ServerOptions",
    "Settings",
    "TrialResult",
    "Verdict",
    "evaluate_files",
    "evaluate_patient",
    "evaluate_patients",
    "evaluate_server",
    "load_trials",
    "plan",
]
