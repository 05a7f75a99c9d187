"""Deterministic synthetic population for screening tests and benchmarks (Bulk-style NDJSON).

Why synthetic and why this shape: screening must be measured on a population that looks like a
hospital export, not like the hand-written sample bundles. Most screened patients are *not* NET
(other cancers, cardiovascular and metabolic disease); about one in seven has a GEP-NET, coded
the ways clinical.md §2 lists (pre-coordinated ICD-10-CM C7A, WHO site + ICD-O-3 morphology,
C25.4, NEC), many with PRRT histories (Lutathera doses in MBq, GBq or mCi, by code or through a
``medicationReference``), labs in the units real laboratories use (Hb g/dL, g/L, mmol/L;
creatinine mg/dL, umol/L; platelets 10*9/L, 10*3/uL), comorbidities, stale or missing results
and entered-in-error records.

Determinism: patient ``i`` is drawn from its own ``random.Random(f"{seed}:{i}")`` and dates are
offsets from ``as_of``, so the same (seed, as_of) gives byte-identical files, and patient ``i`` is
the same whatever ``--patients`` is. Memory is flat: each patient is written as it is made.
"""

from __future__ import annotations

import datetime as dt
import json
import random
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, TextIO

from fhir_eligibility.codes import ATC, ICD10, ICD10CM, LOINC, PROJECT_CS, SNOMED, UCUM
from fhir_eligibility.synth_mix import COMORBIDITIES, LU177_CODINGS, NET_SITES, OTHER_CANCERS, SSA

ICDO3 = "http://terminology.hl7.org/CodeSystem/icd-o-3"
CLINICAL = "http://terminology.hl7.org/CodeSystem/condition-clinical"
VERIFICATION = "http://terminology.hl7.org/CodeSystem/condition-ver-status"
ALLERGY_CLINICAL = "http://terminology.hl7.org/CodeSystem/allergyintolerance-clinical"

RESOURCE_TYPES = (
    "Patient",
    "Condition",
    "Observation",
    "MedicationAdministration",
    "MedicationStatement",
    "Medication",
    "Procedure",
    "AllergyIntolerance",
)
DEFAULT_AS_OF = dt.date(2026, 6, 1)
NET_SHARE = 0.15  # share of GEP-NET patients in a hospital oncology/medicine export

Resource = dict[str, Any]


def _days(d: dt.date) -> str:
    return d.isoformat()


def _coding(system: str, code: str, display: str | None = None) -> dict[str, str]:
    out = {"system": system, "code": code}
    if display:
        out["display"] = display
    return out


def _cc(system: str, code: str, display: str | None = None) -> dict[str, Any]:
    return {"coding": [_coding(system, code, display)]}


def _qty(value: float, unit: str) -> dict[str, Any]:
    return {"value": value, "unit": unit, "system": UCUM, "code": unit}


def _pick(rng: random.Random, table: tuple[tuple[float, str, str], ...]) -> tuple[str, str]:
    _w, code, display = rng.choices(table, weights=[t[0] for t in table])[0]
    return code, display


@dataclass
class _Patient:
    """Builder for one patient's resources; ids are ``<patient id>-<n>`` so they are unique and stable."""

    pid: str
    rng: random.Random
    as_of: dt.date
    out: dict[str, list[Resource]] = field(default_factory=dict)
    n: int = 0

    def add(self, res: Resource) -> Resource:
        self.n += 1
        res["id"] = f"{self.pid}-{self.n}"
        self.out.setdefault(res["resourceType"], []).append(res)
        return res

    @property
    def subject(self) -> dict[str, str]:
        return {"reference": f"Patient/{self.pid}"}

    def ago(self, lo: int, hi: int) -> dt.date:
        return self.as_of - dt.timedelta(days=self.rng.randint(lo, hi))

    def condition(
        self,
        system: str,
        code: str,
        display: str,
        onset: dt.date | None,
        *,
        clinical: str = "active",
        verification: str = "confirmed",
    ) -> None:
        res: Resource = {
            "resourceType": "Condition",
            "clinicalStatus": _cc(CLINICAL, clinical),
            "verificationStatus": _cc(VERIFICATION, verification),
            "code": _cc(system, code, display),
            "subject": self.subject,
        }
        if onset is not None:
            res["onsetDateTime"] = _days(onset)
        else:
            res["recordedDate"] = _days(self.ago(30, 2000))
        self.add(res)

    def observation(
        self,
        code: str,
        when: dt.date,
        *,
        quantity: tuple[float, str] | None = None,
        answer: dict[str, Any] | None = None,
        high: float | None = None,
        low: float | None = None,
        system: str = LOINC,
        status: str = "final",
    ) -> None:
        res: Resource = {
            "resourceType": "Observation",
            "status": status,
            "code": _cc(system, code),
            "subject": self.subject,
            "effectiveDateTime": f"{_days(when)}T{self.rng.randint(7, 17):02d}:{self.rng.randint(0, 59):02d}:00Z",
        }
        if quantity is not None:
            res["valueQuantity"] = _qty(*quantity)
            if high is not None or low is not None:
                rr = {"low": _qty(low, quantity[1])} if low is not None else {}
                if high is not None:
                    rr["high"] = _qty(high, quantity[1])
                res["referenceRange"] = [rr]
        if answer is not None:
            res["valueCodeableConcept"] = answer
        self.add(res)


# ---- labs ------------------------------------------------------------------------------------------


def _hb(p: _Patient, when: dt.date, low: bool) -> None:
    g_dl = round(p.rng.uniform(6.8, 8.6) if low else p.rng.uniform(9.0, 15.5), 1)
    form = p.rng.random()
    if form < 0.5:
        p.observation("718-7", when, quantity=(g_dl, "g/dL"))
    elif form < 0.8:
        p.observation("718-7", when, quantity=(round(g_dl * 10), "g/L"))
    else:
        p.observation("59260-0", when, quantity=(round(g_dl * 0.6206, 2), "mmol/L"))


def _counts(p: _Patient, when: dt.date, low: bool) -> None:
    plt = round(p.rng.uniform(45, 95) if low else p.rng.uniform(110, 380))
    p.observation(p.rng.choice(("777-3", "26515-7")), when, quantity=(plt, p.rng.choice(("10*9/L", "10*3/uL"))))
    anc = round(p.rng.uniform(0.6, 1.4) if low else p.rng.uniform(1.6, 6.5), 2)
    if p.rng.random() < 0.2:
        p.observation("751-8", when, quantity=(round(anc * 1000), "/mm3"))
    else:
        p.observation("751-8", when, quantity=(anc, "10*9/L"))
    p.observation("6690-2", when, quantity=(round(anc + p.rng.uniform(1.0, 4.0), 1), "10*9/L"))


def _chemistry(p: _Patient, when: dt.date, renal: bool, hepatic: bool) -> None:
    scr = round(p.rng.uniform(1.6, 2.8) if renal else p.rng.uniform(0.6, 1.3), 2)
    if p.rng.random() < 0.5:
        p.observation("2160-0", when, quantity=(scr, "mg/dL"))
    else:
        p.observation("14682-9", when, quantity=(round(scr * 88.4), "umol/L"))
    alt_uln, ast_uln = 40.0, 35.0
    factor = p.rng.uniform(2.6, 6.0) if hepatic else p.rng.uniform(0.3, 1.2)
    p.observation("1742-6", when, quantity=(round(alt_uln * factor), "U/L"), high=alt_uln)
    p.observation("1920-8", when, quantity=(round(ast_uln * factor * p.rng.uniform(0.8, 1.1)), "U/L"), high=ast_uln)
    bili = round(p.rng.uniform(0.3, 1.1), 2)
    if p.rng.random() < 0.6:
        p.observation("1975-2", when, quantity=(bili, "mg/dL"), high=1.2)
    else:
        p.observation("14631-6", when, quantity=(round(bili * 17.1, 1), "umol/L"), high=21.0)
    alb = round(p.rng.uniform(2.6, 4.8), 1)
    if p.rng.random() < 0.5:
        p.observation("1751-7", when, quantity=(alb, "g/dL"))
    else:
        p.observation("1751-7", when, quantity=(round(alb * 10), "g/L"))
    p.observation("6301-6", when, quantity=(round(p.rng.uniform(0.9, 1.3), 2), "{INR}"), high=1.2)
    p.observation("1558-6", when, quantity=(round(p.rng.uniform(75, 140)), "mg/dL"), high=99.0)
    p.observation("29463-7", when, quantity=(round(p.rng.uniform(48, 110), 1), "kg"))


def _labs(p: _Patient, recent: bool, *, low: bool = False, renal: bool = False, hepatic: bool = False) -> None:
    when = p.ago(0, 20) if recent else p.ago(45, 400)
    _hb(p, when, low)
    _counts(p, when, low)
    _chemistry(p, when, renal, hepatic)


# ---- NET history -----------------------------------------------------------------------------------


def _lutathera(p: _Patient, when: dt.date, mbq: float, by_reference: bool) -> None:
    form = p.rng.random()
    if form < 0.45:
        dose = _qty(round(mbq), "MBq")
    elif form < 0.8:
        dose = _qty(round(mbq / 1000, 2), "GBq")
    else:
        dose = _qty(round(mbq / 37, 1), "mCi")
    res: Resource = {
        "resourceType": "MedicationAdministration",
        "status": "completed",
        "subject": p.subject,
        "effectiveDateTime": f"{_days(when)}T10:00:00Z",
        "dosage": {"dose": dose, "route": _cc(SNOMED, "47625008", "Intravenous route")},
    }
    if by_reference:
        res["medicationReference"] = {"reference": "Medication/lutathera"}
    else:
        res["medicationCodeableConcept"] = {"coding": [p.rng.choice(LU177_CODINGS)], "text": "Lutathera"}
    p.add(res)
    if p.rng.random() < 0.3:  # the same cycle also recorded as a procedure (de-duplicated by date)
        p.add(
            {
                "resourceType": "Procedure",
                "status": "completed",
                "code": _cc(SNOMED, "427541000119103", "Intravenous radionuclide therapy"),
                "subject": p.subject,
                "performedDateTime": _days(when),
            }
        )


def _prrt(p: _Patient) -> None:
    rng = p.rng
    cycles = rng.choices((4, 3, 2), weights=(80, 12, 8))[0]
    start = p.ago(420, 1900)
    by_reference = rng.random() < 0.2
    day = start
    for k in range(cycles):
        mbq = 7400.0 if rng.random() > 0.1 or k == 0 else 3700.0
        _lutathera(p, day, mbq, by_reference)
        day += dt.timedelta(days=rng.randint(49, 63))
    if rng.random() < 0.3 and day + dt.timedelta(days=365) < p.as_of:  # second PRRT course
        second = day + dt.timedelta(days=rng.randint(365, max(366, (p.as_of - day).days - 14)))
        for _k in range(2):
            if second <= p.as_of:
                _lutathera(p, second, 7400.0, by_reference)
            second += dt.timedelta(days=56)


def _net(p: _Patient, female: bool, age: int) -> None:
    rng = p.rng
    code, display = _pick(rng, NET_SITES)
    onset = p.ago(400, 3000)
    if code:
        p.condition(ICD10CM, code, display, onset)
    else:  # WHO ICD-10 site plus ICD-O-3 morphology: the second route of VS-NET-INTESTINAL
        p.condition(ICD10, rng.choice(("C17.2", "C17.1", "C18.0")), "Malignant neoplasm of the site", onset)
        p.condition(ICDO3, rng.choice(("8240/3", "8249/3")), "Neuroendocrine tumour", onset)
    if rng.random() < 0.03:  # a wrong code later marked entered-in-error
        p.condition(ICD10CM, "C7A.1", "Malignant poorly differentiated NET", onset, verification="entered-in-error")
    if rng.random() < 0.6:
        p.condition(ICD10CM, "C78.7", "Secondary malignant neoplasm of liver", onset + dt.timedelta(days=30))
    if rng.random() < 0.1:
        p.condition(ICD10CM, "C79.51", "Secondary malignant neoplasm of bone", p.ago(60, 900))
    if rng.random() < 0.02:
        p.condition(SNOMED, "94225005", "Secondary malignant neoplasm of brain", p.ago(60, 900))
    if rng.random() < 0.05:
        p.condition(ICD10CM, "E34.01", "Carcinoid heart syndrome", p.ago(60, 900))
    if rng.random() < 0.9:  # Ki-67 from the pathology report
        ki67 = round(rng.choices((rng.uniform(0.5, 2.9), rng.uniform(3, 20), rng.uniform(21, 45)), (45, 45, 10))[0], 1)
        p.observation("29593-1", onset, quantity=(ki67, "%"))
    if rng.random() < 0.55:
        _prrt(p)
    if rng.random() < 0.6:
        atc, name = rng.choice(SSA)
        p.add(
            {
                "resourceType": "MedicationStatement",
                "status": rng.choice(("active", "completed")),
                "medicationCodeableConcept": _cc(ATC, atc, name),
                "subject": p.subject,
                "effectivePeriod": {"start": _days(p.ago(200, 2000))},
            }
        )
    if rng.random() < 0.1:
        start = p.ago(60, 1500)
        p.add(
            {
                "resourceType": "MedicationStatement",
                "status": "completed",
                "medicationCodeableConcept": _cc(ATC, "L01EG02", "everolimus"),
                "subject": p.subject,
                "effectivePeriod": {
                    "start": _days(start),
                    "end": _days(start + dt.timedelta(days=rng.choice((20, 90, 240)))),
                },
            }
        )
    if rng.random() < 0.05:
        p.add(
            {
                "resourceType": "MedicationStatement",
                "status": "completed",
                "medicationCodeableConcept": _cc(ATC, "L01AX03", "temozolomide"),
                "subject": p.subject,
                "effectivePeriod": {"start": _days(p.ago(100, 1500))},
            }
        )
    if rng.random() < 0.6:  # SSTR PET (local exam code: no standard code exists), often recent re-staging
        p.add(
            {
                "resourceType": "Procedure",
                "status": "completed",
                "code": _cc(PROJECT_CS, "sstr-pet", "68Ga-DOTATATE PET/CT"),
                "subject": p.subject,
                "performedDateTime": _days(p.ago(5, 300)),
            }
        )
    if rng.random() < 0.08:
        p.add(
            {
                "resourceType": "Procedure",
                "status": "completed",
                "code": _cc(SNOMED, "307616002", "Excision of liver metastasis"),
                "subject": p.subject,
                "performedDateTime": _days(p.ago(10, 700)),
            }
        )
    if rng.random() < 0.04:
        p.add(
            {
                "resourceType": "Procedure",
                "status": "completed",
                "code": _cc(SNOMED, "33195004", "Teleradiotherapy procedure"),
                "subject": p.subject,
                "performedDateTime": _days(p.ago(30, 1500)),
            }
        )
    if rng.random() < 0.02:
        p.add(
            {
                "resourceType": "AllergyIntolerance",
                "clinicalStatus": _cc(ALLERGY_CLINICAL, "active"),
                "code": _cc(ATC, "H01CB02", "octreotide"),
                "patient": p.subject,
                "recordedDate": _days(p.ago(100, 1500)),
            }
        )
    # Performance status and labs: most have a recent work-up, some only stale results, a few none.
    workup = rng.random()
    if workup < 0.93:
        recent = workup < 0.75
        ecog = rng.choices((0, 1, 2, 3), (35, 40, 18, 7))[0]
        when = p.ago(0, 20) if recent else p.ago(40, 300)
        if rng.random() < 0.6:
            p.observation("89247-1", when, answer=_cc(LOINC, f"LA962{2 + ecog}-{(7, 5, 3, 0)[ecog]}"))
        else:
            p.observation("89247-1", when, quantity=(ecog, "{score}"))
        _labs(p, recent, low=rng.random() < 0.08, renal=rng.random() < 0.06, hepatic=rng.random() < 0.05)
        if rng.random() < 0.25:  # measured GFR (51Cr-EDTA; local code) where a PRRT centre measures it
            p.observation(
                "mgfr-51cr-edta",
                p.ago(0, 25),
                system=PROJECT_CS,
                quantity=(round(rng.uniform(38, 110)), "mL/min/{1.73_m2}"),
            )
        if rng.random() < 0.4:  # prothrombin activity (Quick %), low limit 70 %
            p.observation("5894-1", p.ago(0, 20), quantity=(round(rng.uniform(55, 110)), "%"), low=70.0)
        if rng.random() < 0.04:  # an erroneous result, corrected: entered-in-error must be ignored
            p.observation("718-7", p.ago(0, 10), quantity=(4.1, "g/dL"), status="entered-in-error")
        if rng.random() < 0.3:
            p.observation("9811-1", p.ago(0, 300), quantity=(round(rng.uniform(40, 900)), "ng/mL"))
    if female and age < 55 and rng.random() < 0.5:
        p.observation("2106-3", p.ago(0, 6), answer=_cc(SNOMED, "260385009", "Negative"))


def _other(p: _Patient) -> None:
    rng = p.rng
    code, display = _pick(rng, OTHER_CANCERS)
    if code:
        p.condition(ICD10CM, code, display, p.ago(100, 4000))
        if code == "C18.2":
            p.condition(ICDO3, "8140/3", "Adenocarcinoma, NOS", p.ago(100, 4000))
        if rng.random() < 0.25:
            p.condition(ICD10CM, "C78.7", "Secondary malignant neoplasm of liver", p.ago(30, 900))
    if rng.random() < 0.6:
        _labs(p, rng.random() < 0.3, low=rng.random() < 0.05, renal=rng.random() < 0.08)
    if code and rng.random() < 0.2:
        p.add(
            {
                "resourceType": "MedicationStatement",
                "status": "completed",
                "medicationCodeableConcept": _cc(ATC, "L01XA01", "cisplatin"),
                "subject": p.subject,
                "effectivePeriod": {"start": _days(p.ago(60, 2000))},
            }
        )


def patient_resources(seed: int, index: int, as_of: dt.date = DEFAULT_AS_OF) -> dict[str, list[Resource]]:
    """Every resource of patient ``index``, by resource type (pure: same arguments, same output)."""
    rng = random.Random(f"{seed}:{index}")
    pid = f"syn{seed}-{index:07d}"
    p = _Patient(pid, rng, as_of)
    net = rng.random() < NET_SHARE
    age = rng.randint(35, 88) if net else rng.randint(18, 92)
    gender = rng.choices(("female", "male", "unknown"), (49, 50, 1))[0]
    birth = as_of.replace(year=as_of.year - age) - dt.timedelta(days=rng.randint(1, 364))
    patient: Resource = {
        "resourceType": "Patient",
        "id": pid,
        "identifier": [{"system": "urn:oid:1.2.3.4.5.synthetic-mrn", "value": f"MRN{seed}{index:07d}"}],
        "gender": gender,
        "birthDate": birth.isoformat()[:4] if rng.random() < 0.01 else birth.isoformat(),
    }
    p.out["Patient"] = [patient]
    for prob, system, code, display in COMORBIDITIES:
        if rng.random() < prob:
            p.condition(system, code, display, p.ago(10, 3000), clinical=rng.choice(("active", "active", "resolved")))
    if net:
        _net(p, gender == "female", age)
    else:
        _other(p)
    return p.out


MEDICATIONS: tuple[Resource, ...] = (
    {
        "resourceType": "Medication",
        "id": "lutathera",
        "code": {"coding": list(LU177_CODINGS), "text": "Lutathera (lutetium Lu 177 dotatate)"},
    },
)


def iter_patients(patients: int, seed: int, as_of: dt.date = DEFAULT_AS_OF) -> Iterator[dict[str, list[Resource]]]:
    for i in range(patients):
        yield patient_resources(seed, i, as_of)


def write_population(
    out_dir: Path,
    patients: int,
    seed: int = 0,
    as_of: dt.date = DEFAULT_AS_OF,
    progress: Callable[[int], None] | None = None,
) -> dict[str, int]:
    """Write one ``<Type>.ndjson`` per resource type; returns the count written per type."""
    out_dir.mkdir(parents=True, exist_ok=True)
    counts = dict.fromkeys(RESOURCE_TYPES, 0)
    files: dict[str, TextIO] = {}
    dumps = json.JSONEncoder(ensure_ascii=False, separators=(",", ":")).encode
    try:
        for t in RESOURCE_TYPES:
            files[t] = (out_dir / f"{t}.ndjson").open("w", encoding="utf-8", newline="\n")
        for med in MEDICATIONS:
            files["Medication"].write(dumps(med) + "\n")
            counts["Medication"] += 1
        for i, by_type in enumerate(iter_patients(patients, seed, as_of), 1):
            for t, resources in by_type.items():
                fh = files[t]
                for r in resources:
                    fh.write(dumps(r) + "\n")
                counts[t] += len(resources)
            if progress is not None and (i % 1000 == 0 or i == patients):
                progress(i)
    finally:
        for fh in files.values():
            fh.close()
    return counts


__all__ = ["DEFAULT_AS_OF", "RESOURCE_TYPES", "iter_patients", "patient_resources", "write_population"]
