"""The synthetic population's mix (:mod:`fhir_eligibility.synth`): NET primaries and how they are
coded, other cancers, comorbidities, and the drug codings, each with the weight it is drawn with.

Why apart: these tables are what a reviewer checks against clinical.md §2 (the ways a GEP-NET is
coded) and against a hospital export's case mix; the generator's code is the other job.
"""

from __future__ import annotations

from fhir_eligibility.codes import ATC, ICD10CM, RXNORM, SNOMED

# (weight, ICD-10-CM code, display) for the NET primary; None code = WHO site + ICD-O-3 morphology route.
NET_SITES: tuple[tuple[float, str, str], ...] = (
    (30, "C7A.012", "Malignant carcinoid tumor of the ileum"),
    (6, "C7A.011", "Malignant carcinoid tumor of the jejunum"),
    (9, "C7A.020", "Malignant carcinoid tumor of the appendix"),
    (4, "C7A.021", "Malignant carcinoid tumor of the cecum"),
    (6, "C7A.026", "Malignant carcinoid tumor of the rectum"),
    (22, "C25.4", "Malignant neoplasm of endocrine pancreas"),
    (6, "C7A.092", "Malignant carcinoid tumor of the stomach"),
    (4, "C7A.010", "Malignant carcinoid tumor of the duodenum"),
    (4, "C7A.00", "Malignant carcinoid tumor of unspecified site"),
    (4, "C7A.1", "Malignant poorly differentiated neuroendocrine tumors"),
    (5, "", "WHO ICD-10 site + ICD-O-3 morphology"),
)
OTHER_CANCERS: tuple[tuple[float, str, str], ...] = (
    (14, "C61", "Malignant neoplasm of prostate"),
    (14, "C50.911", "Malignant neoplasm of unspecified site of right female breast"),
    (10, "C18.2", "Malignant neoplasm of ascending colon"),  # an intestinal site without NET morphology
    (10, "C34.90", "Malignant neoplasm of unspecified part of unspecified bronchus or lung"),
    (5, "C25.0", "Malignant neoplasm of head of pancreas"),
    (4, "C44.91", "Basal cell carcinoma of skin, unspecified"),
    (43, "", "no cancer"),
)
COMORBIDITIES: tuple[tuple[float, str, str, str], ...] = (  # (probability, system, code, display)
    (0.30, ICD10CM, "I10", "Essential (primary) hypertension"),
    (0.15, ICD10CM, "E11.9", "Type 2 diabetes mellitus without complications"),
    (0.05, ICD10CM, "I50.9", "Heart failure, unspecified"),
    (0.04, SNOMED, "22298006", "Myocardial infarction"),
    (0.03, ICD10CM, "I48.91", "Unspecified atrial fibrillation"),
    (0.02, ICD10CM, "I63.9", "Cerebral infarction, unspecified"),
    (0.02, ICD10CM, "K74.60", "Unspecified cirrhosis of liver"),
    (0.01, ICD10CM, "E80.4", "Gilbert syndrome"),
    (0.01, ICD10CM, "B20", "Human immunodeficiency virus [HIV] disease"),
    (0.01, ICD10CM, "N04.9", "Nephrotic syndrome with unspecified morphologic changes"),
)
LU177_CODINGS = (
    {"system": ATC, "code": "V10XX04", "display": "lutetium (177Lu) oxodotreotide"},
    {"system": RXNORM, "code": "1999682", "display": "Lutathera"},
)
SSA = (("H01CB02", "octreotide"), ("H01CB03", "lanreotide"))
