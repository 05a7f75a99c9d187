"""Procedures: radiotherapy, resections, embolization, major surgery, SSTR imaging, and the allergy value sets."""

from __future__ import annotations

from .atc_l01 import IFN, L01_ALL
from .fhir import CPT, HCPCS, ICD10PCS
from .vs_concepts import A, P, S
from .vs_drugs import CHEMO_PROC, CHEMO_RX, EVEROLIMUS_ONC_ATC, IFN_RX, LU177, PRRT_PROC, SSA
from .vs_registry import vs

EBRT = [
    S("33195004", "Teleradiotherapy procedure (procedure)"),
    S("108290001", "Radiation oncology AND/OR radiotherapy (procedure)"),
    S("1156506007", "External beam radiation therapy using photons (procedure)"),
    S("53438000", "Radiation therapy procedure or service (procedure)"),
    # mCODE RadiotherapyCourseSummary's fixed code: a whole course, external beam or brachytherapy (the
    # modality is in an extension the engine does not read)
    S("1217123003", "Radiotherapy course of treatment (regime/therapy)"),
    # CPT treatment-delivery codes (VSAC 'Prostate Cancer Treatment' 2.16.840.1.113883.3.526.3.398, with the
    # CPT descriptors): how a US site bills each fraction of external beam radiotherapy
    (CPT, "77402", "Radiation treatment delivery, >=1 MeV; simple"),
    (CPT, "77407", "Radiation treatment delivery, >=1 MeV; intermediate"),
    (CPT, "77412", "Radiation treatment delivery, >=1 MeV; complex"),
    (
        CPT,
        "77385",
        "Intensity modulated radiation treatment delivery (IMRT), includes guidance and tracking, when "
        "performed; simple",
    ),
    (
        CPT,
        "77386",
        "Intensity modulated radiation treatment delivery (IMRT), includes guidance and tracking, when "
        "performed; complex",
    ),
    (
        CPT,
        "77373",
        "Stereotactic body radiation therapy, treatment delivery, per fraction to 1 or more lesions, "
        "including image guidance, entire course not to exceed 5 fractions",
    ),
    (
        CPT,
        "77371",
        "Radiation treatment delivery, stereotactic radiosurgery (SRS), complete course of treatment of cranial "
        "lesion(s) consisting of 1 session; multi-source Cobalt 60 based",
    ),
    (
        CPT,
        "77372",
        "Radiation treatment delivery, stereotactic radiosurgery (SRS), complete course of treatment of cranial "
        "lesion(s) consisting of 1 session; linear accelerator based",
    ),
]
# the criteria that read vs-ebrt say how they read a course summary
COURSE_NOTE = (
    "An mCODE radiotherapy course summary (SNOMED CT 1217123003 Radiotherapy course of treatment) counts as "
    "prior radiotherapy and is reviewed like the other codes: whether it was external beam or brachytherapy is "
    "in an extension the engine does not read."
)
vs(
    "vs-ebrt",
    "External beam radiotherapy",
    "SNOMED 33195004, 1156506007 and the radiotherapy groupers 108290001 and 53438000 (mCODE's radiation "
    "procedure code): a record coded only with a grouper counts, as the criteria that read it review the extent. "
    "SNOMED 1217123003 Radiotherapy course of treatment (regime/therapy), the code mCODE's radiotherapy course "
    "summary fixes (SNOMED_SOURCES), counts the same way: the course may be brachytherapy (its modality is an "
    "extension, not read), so a criterion that needs external beam reviews it, never fails on it alone. "
    "CPT external-beam treatment delivery codes 77402, 77407, 77412 (>= 1 MeV), 77385, 77386 (IMRT), 77373 "
    "(SBRT), checked in a VSAC expansion with their CPT descriptors, and 77371, 77372 (stereotactic radiosurgery "
    "of cranial lesions, one session: external beam too, and the protocols name radiosurgery), checked against "
    "their CPT descriptors; planning and management codes are not "
    "listed (they do not date a delivered fraction).",
    EBRT,
    is_a=[S("33195004", "Teleradiotherapy procedure (procedure)")],
)
BRAIN_TUMOUR_EXCISION = [
    (
        CPT,
        "61510",
        "Craniectomy, trephination, bone flap craniotomy; for excision of brain tumor, supratentorial, except "
        "meningioma",
    ),
    (
        CPT,
        "61518",
        "Craniectomy for excision of brain tumor, infratentorial or posterior fossa; except meningioma, "
        "cerebellopontine angle tumor, or midline tumor at base of skull",
    ),
]
vs(
    "vs-brain-mets-treatment",
    "Treatment of brain metastases (radiotherapy, radiosurgery, excision)",
    "The external beam radiotherapy of vs-ebrt (radiosurgery 77371/77372 among it) and the CPT excisions of a "
    "brain tumour by craniotomy, 61510 (supratentorial) and 61518 (infratentorial or posterior fossa), checked "
    "against their CPT descriptors; meningioma excisions are left out (not a metastasis).",
    [*EBRT, *BRAIN_TUMOUR_EXCISION],
)
RESECTION = [
    S("107963000", "Excision of liver (procedure)"),
    S("307616002", "Excision of liver metastasis (procedure)"),
    S("85946004", "Lobectomy of liver (procedure)"),
    (CPT, "47120", "Hepatectomy, resection of liver; partial lobectomy"),
    (CPT, "47122", "Hepatectomy, resection of liver; trisegmentectomy"),
    (CPT, "47125", "Hepatectomy, resection of liver; total left lobectomy"),
    (CPT, "47130", "Hepatectomy, resection of liver; total right lobectomy"),
    # ICD-10-PCS (US inpatient procedures): excision (B) or resection (T) of the liver (0), its right (1)
    # or left (2) lobe, open (0), percutaneous (3, excision only) or percutaneous endoscopic (4), no
    # device (Z), not diagnostic (Z: an X qualifier is a biopsy, no resection)
    *[
        (ICD10PCS, f"0F{op}{part}{approach}ZZ", f"{name} of {site}, {how} approach")
        for op, name, approaches in (("B", "Excision", "034"), ("T", "Resection", "04"))
        for part, site in (("0", "Liver"), ("1", "Liver, Right Lobe"), ("2", "Liver, Left Lobe"))
        for approach, how in (("0", "Open"), ("3", "Percutaneous"), ("4", "Percutaneous Endoscopic"))
        if approach in approaches
    ],
]
RESECTION_CPT_NOTE = (
    " CPT 47120, 47122, 47125, 47130 (hepatectomy: partial lobectomy, trisegmentectomy, total left / right "
    "lobectomy), checked in two public CPT code lists with these descriptors; the living-donor hepatectomies "
    "(47140-47142) are not a resection of metastases and are not listed. ICD-10-PCS (US inpatient coding) "
    "0FB/0FT (excision / resection) of the liver or a lobe, open, percutaneous (excision) or percutaneous "
    "endoscopic, not diagnostic (0FB00ZZ...0FT24ZZ, 15 codes built from the code system's axes; a diagnostic "
    "X qualifier is a biopsy and is not listed)."
)
vs(
    "vs-liver-resection",
    "Hepatic resection",
    "SNOMED 107963000, 307616002, 85946004." + RESECTION_CPT_NOTE,
    RESECTION,
    is_a=[S("107963000", "Excision of liver (procedure)")],
)
EMBOLIZATION_CODES = [
    S("314617008", "Chemoembolization of liver metastases (procedure)"),
    (
        CPT,
        "37243",
        "Vascular embolization or occlusion, inclusive of all radiological supervision and interpretation, "
        "intraprocedural roadmapping, and imaging guidance necessary to complete the intervention; for tumors, "
        "organ ischemia, or infarction",
    ),
]
vs(
    "vs-embolization",
    "Liver-directed embolisation (TACE)",
    "SNOMED 314617008 (bland embolisation/SIRT: no verified SNOMED CT code) and CPT 37243 (vascular "
    "embolisation for tumours, organ ischaemia or infarction: how TACE, bland embolisation and the arterial part "
    "of SIRT are billed in the US; descriptor checked in public CPT references). CPT 37243 names no organ: in a "
    "patient with NET liver metastases it is read as liver-directed (a uterine-fibroid embolisation would be "
    "counted too; the criteria note it).",
    EMBOLIZATION_CODES,
    is_a=[S("314617008", "Chemoembolization of liver metastases (procedure)")],
)
vs(
    "vs-liver-directed",
    "Liver-directed therapy (resection, TACE)",
    "Union of vs-liver-resection and vs-embolization.",
    [*RESECTION, *EMBOLIZATION_CODES],
)
NONSURGICAL_ANTICANCER = [
    CHEMO_PROC,
    A("L01", "ANTINEOPLASTIC AGENTS"),
    *[A(c, d) for c, d in L01_ALL],
    A("L01XE04", "sunitinib (ATC before 2021)"),
    *CHEMO_RX,
    # everolimus's pre-2021 antineoplastic code (L01EG02 is in L01_ALL); not its immunosuppressant codes
    # (ATC L04): ATC classes everolimus by its use, and a transplant's everolimus is no anticancer therapy
    *EVEROLIMUS_ONC_ATC[1:],
    A("L03AB", "Interferons"),
    *[A(c, d) for c, d in IFN],
    *IFN_RX,
    *LU177,
    *PRRT_PROC,
    *EBRT,
]
vs(
    "vs-anticancer-treatment",
    "Any anticancer treatment (chemotherapy, radiotherapy, liver-directed therapy, PRRT, targeted therapy, interferon)",
    "Union used for wash-out windows: vs-chemo, vs-ifn, vs-lu177, vs-ebrt, vs-liver-resection, vs-embolization.",
    [*NONSURGICAL_ANTICANCER, *RESECTION, *EMBOLIZATION_CODES],
)
vs(
    "vs-anticancer-nonsurgical",
    "Anticancer treatment other than surgery (chemotherapy, radiotherapy, embolisation, PRRT, targeted therapy, "
    "interferon)",
    "vs-anticancer-treatment without the hepatic resections: for washouts whose protocol lists therapies, not "
    "surgery (E-E3; surgery has its own window, E-E2).",
    [*NONSURGICAL_ANTICANCER, *EMBOLIZATION_CODES],
)
vs(
    "vs-major-surgery",
    "Known major surgical procedures",
    "Hepatic resections (the only major procedures with verified codes: SNOMED CT and CPT hepatectomy); other "
    "surgery is reviewed by hand.",
    RESECTION,
)
SSTR_PET = [
    P("sstr-pet", "Somatostatin receptor PET/CT (68Ga/64Cu-DOTA-peptide)"),
    (HCPCS, "A9587", "Gallium Ga-68, dotatate, diagnostic, 0.1 millicurie"),
]
SSTR_NOTE = (
    " No SNOMED CT, LOINC or CPT code for an SSTR exam was found in the project's verified sources; the CPT PET "
    "codes 78811-78816 and generic PET concepts are tracer-agnostic (an FDG PET would count), so they are not "
    "included. A site maps its own exam code to the project code with a ConceptMap (--terminology)."
)
vs(
    "vs-sstr-pet",
    "Somatostatin-receptor PET (68Ga/64Cu-DOTATATE)",
    "HCPCS tracer code A9587 (Ga-68 dotatate, the standard code that identifies the exam) and the project's exam "
    "code." + SSTR_NOTE,
    SSTR_PET,
)
vs(
    "vs-sstr-imaging",
    "Somatostatin-receptor imaging (PET or scintigraphy)",
    "Tracer codes (HCPCS A9587; ATC V09IB01 111In-pentetreotide, V09IA07 99mTc-octreotide) and the project's "
    "exam codes." + SSTR_NOTE,
    [
        P("sstr-imaging", "Somatostatin receptor imaging exam"),
        *SSTR_PET,
        P("sstr-scintigraphy", "Somatostatin receptor scintigraphy (111In-pentetreotide / 99mTc-octreotide)"),
        A("V09IB01", "indium (111In) pentetreotide"),
        A("V09IA07", "technetium (99mTc) hynic-octreotide"),
    ],
)
vs(
    "vs-liver-mri",
    "MRI of the liver",
    "SNOMED CT 431839003 MRI of liver with contrast (clinical.md §0.13) and 241622002 MRI of liver; CPT 74181, "
    "74182, 74183 (MRI of the abdomen without / with / without and with contrast: how a liver MRI is ordered and "
    "billed in the US); the project code liver-mri for a site's own exam code (ConceptMap). No LOINC radiology "
    "code was verified, so none is listed.",
    [
        S("431839003", "Magnetic resonance imaging of liver with contrast (procedure)"),
        S("241622002", "Magnetic resonance imaging of liver (procedure)"),
        (CPT, "74181", "Magnetic resonance (eg, proton) imaging, abdomen; without contrast material(s)"),
        (CPT, "74182", "Magnetic resonance (eg, proton) imaging, abdomen; with contrast material(s)"),
        (
            CPT,
            "74183",
            "Magnetic resonance (eg, proton) imaging, abdomen; without contrast material(s), followed by with "
            "contrast material(s) and further sequences",
        ),
        P("liver-mri", "MRI of the liver"),
    ],
)
vs(
    "vs-study-drug-allergy",
    "Allergy to somatostatin analogues or Lutathera",
    "Substance codes of vs-ssa and vs-lu177-drug used as AllergyIntolerance.code (ATC; RxNorm Lutathera "
    "products and the octreotide SCD; HCPCS A9513). No SNOMED CT substance concept and no RxNorm ingredient "
    "RxCUI for octreotide, lanreotide, pasireotide or lutetium Lu 177 dotatate could be confirmed in a public "
    "source, so an allergy coded only that way is not read: the criteria keep a manual item for it.",
    [*SSA, *LU177],
)
vs(
    "vs-ssa-allergy",
    "Allergy to somatostatin analogues",
    "ATC H01CB02, H01CB03, H01CB05 and the octreotide SCD 312071 as AllergyIntolerance.code. No SNOMED CT "
    "substance concept and no RxNorm ingredient RxCUI for the somatostatin analogues could be confirmed in a "
    "public source: an allergy coded only that way is left to the criterion's manual item.",
    SSA,
)
