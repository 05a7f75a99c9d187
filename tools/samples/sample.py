"""``Sample``: one synthetic patient's transaction Bundle and the resources it can add."""

from __future__ import annotations

import html
import uuid
from collections.abc import Callable

from .codes import (
    ALLERGY_CLINICAL,
    ALLERGY_VERIFICATION,
    AS_OF,
    CATALOGUE,
    CATEGORY_DISPLAY,
    CLINICAL,
    COND_CATEGORY,
    ECOG_LA,
    HCG_NEG,
    HCG_POS,
    HCPCS,
    LAB,
    LOINC,
    LU_ATC,
    LU_RX,
    NS,
    OBS_CATEGORY,
    PROJECT_CS,
    SAMPLE_ID_SYSTEM,
    SNOMED,
    UCUM,
    UNIT_TEXT,
    VERIFICATION,
    Coding,
    Json,
    cc,
    dt,
    qty,
)


class Sample:
    """One synthetic patient and its transaction Bundle."""

    def __init__(self, num: int, slug: str, exercises: str, *, gender: str, birth: str, name: tuple[str, str]) -> None:
        self.num = num
        self.id = f"sample-{num:02d}"
        self.file = f"{num:02d}-{slug}.json"
        self.exercises = exercises
        self.entries: list[Json] = []
        self._count = 0
        self.patient_uuid = self._uuid("Patient")
        self.gender = gender
        self.birth = birth
        given, family = name
        patient: Json = {
            "resourceType": "Patient",
            "id": self.id,
            "text": {
                "status": "generated",
                "div": '<div xmlns="http://www.w3.org/1999/xhtml"><p><b>'
                + html.escape(self.id, quote=False)
                + "</b> (synthetic "
                "test patient, screening date "
                + AS_OF
                + ")</p><p>"
                + html.escape(exercises, quote=False)
                + "</p></div>",
            },
            "identifier": [{"system": SAMPLE_ID_SYSTEM, "value": self.id}],
            "name": [{"use": "official", "family": family, "given": [given]}],
            "gender": gender,
            "birthDate": birth,
        }
        self.entries.append(
            {
                "fullUrl": f"urn:uuid:{self.patient_uuid}",
                "resource": patient,
                "request": {"method": "POST", "url": "Patient"},
            }
        )

    # -- plumbing --------------------------------------------------------------------------------------
    def _uuid(self, key: str) -> str:
        return str(uuid.uuid5(NS, f"{self.id}/{key}"))

    @property
    def subject(self) -> Json:
        return {"reference": f"urn:uuid:{self.patient_uuid}"}

    def add(self, resource: Json) -> Json:
        self._count += 1
        rtype = resource["resourceType"]
        rid = self._uuid(f"{rtype}/{self._count}")
        body = {"resourceType": rtype, "id": rid, **{k: v for k, v in resource.items() if k != "resourceType"}}
        self.entries.append(
            {"fullUrl": f"urn:uuid:{rid}", "resource": body, "request": {"method": "POST", "url": rtype}}
        )
        return body

    def bundle(self) -> Json:
        return {"resourceType": "Bundle", "type": "transaction", "entry": self.entries}

    # -- resources ---------------------------------------------------------------------------------------
    def condition(
        self,
        codings: list[Coding],
        text: str,
        onset: str,
        *,
        clinical: str | None = "active",
        verification: str = "confirmed",
        abatement: str | None = None,
        category: str = "problem-list-item",
    ) -> Json:
        res: Json = {"resourceType": "Condition"}
        if clinical:
            res["clinicalStatus"] = cc([(CLINICAL, clinical, clinical.capitalize())])
        res["verificationStatus"] = cc([(VERIFICATION, verification, verification.capitalize())])
        res["category"] = [
            cc(
                [
                    (
                        COND_CATEGORY,
                        category,
                        "Problem List Item" if category == "problem-list-item" else "Encounter Diagnosis",
                    )
                ]
            )
        ]
        res["code"] = cc(codings, text)
        res["subject"] = self.subject
        res["onsetDateTime"] = dt(onset, "10:00:00")
        if abatement:
            res["abatementDateTime"] = dt(abatement, "10:00:00")
        res["recordedDate"] = dt(onset, "10:00:00")
        return self.add(res)

    def obs(
        self,
        key: str,
        value: float | None = None,
        *,
        date: str = LAB,
        unit: str | None = None,
        low: float | None = None,
        high: float | None = None,
        status: str = "final",
        comparator: str | None = None,
        concept: list[Coding] | None = None,
        code: Coding | None = None,
        category: str | None = None,
        note: str | None = None,
        issued_time: str = "12:00:00",
    ) -> Json:
        """An Observation from the catalogue (``key``) or an explicit ``code``."""
        if code is not None:
            system, c, display = code
            ucum, cat = unit or "", category or "laboratory"
        else:
            system, c, display, ucum, cat = CATALOGUE[key]
            ucum = unit or ucum
            cat = category or cat
        res: Json = {
            "resourceType": "Observation",
            "status": status,
            "category": [cc([(OBS_CATEGORY, cat, CATEGORY_DISPLAY[cat])])],
            "code": cc([(system, c, display)], display),
            "subject": self.subject,
            "effectiveDateTime": dt(date),
            "issued": f"{date}T{issued_time}.000+00:00",
        }
        if concept is not None:
            res["valueCodeableConcept"] = cc(concept, concept[0][2])
        elif value is not None:
            res["valueQuantity"] = qty(value, ucum, UNIT_TEXT.get(ucum, ucum), comparator)
        rr: Json = {}
        if low is not None:
            rr["low"] = qty(low, ucum, UNIT_TEXT.get(ucum, ucum))
        if high is not None:
            rr["high"] = qty(high, ucum, UNIT_TEXT.get(ucum, ucum))
        if rr:
            res["referenceRange"] = [rr]
        if note:
            res["note"] = [{"text": note}]
        return self.add(res)

    def ecog(self, score: int, *, date: str = LAB, as_integer: bool = False, status: str = "final") -> Json:
        code = (LOINC, "89247-1", "ECOG Performance Status score")
        res: Json = {
            "resourceType": "Observation",
            "status": status,
            "category": [cc([(OBS_CATEGORY, "survey", "Survey")])],
            "code": cc([code], "ECOG performance status"),
            "subject": self.subject,
            "effectiveDateTime": dt(date),
            "issued": f"{date}T12:00:00.000+00:00",
        }
        if as_integer:
            res["valueInteger"] = score
        else:
            la, display = ECOG_LA[score]
            res["valueCodeableConcept"] = cc([(LOINC, la, display)], f"ECOG {score}")
        return self.add(res)

    def blood_pressure(self, systolic: float, diastolic: float, *, date: str = LAB) -> Json:
        return self.add(
            {
                "resourceType": "Observation",
                "status": "final",
                "category": [cc([(OBS_CATEGORY, "vital-signs", "Vital Signs")])],
                "code": cc([(LOINC, "85354-9", "Blood pressure panel with all children optional")], "Blood pressure"),
                "subject": self.subject,
                "effectiveDateTime": dt(date),
                "issued": f"{date}T12:00:00.000+00:00",
                "component": [
                    {
                        "code": cc([(LOINC, "8480-6", "Systolic blood pressure")]),
                        "valueQuantity": qty(systolic, "mm[Hg]", "mm[Hg]"),
                    },
                    {
                        "code": cc([(LOINC, "8462-4", "Diastolic blood pressure")]),
                        "valueQuantity": qty(diastolic, "mm[Hg]", "mm[Hg]"),
                    },
                ],
            }
        )

    def pregnancy_test(self, positive: bool, *, date: str, serum: bool = True, status: str = "final") -> Json:
        code = (
            (LOINC, "2118-8", "Choriogonadotropin (pregnancy test) [Presence] in Serum or Plasma")
            if serum
            else (LOINC, "2106-3", "Choriogonadotropin (pregnancy test) [Presence] in Urine")
        )
        return self.obs("", code=code, concept=HCG_POS if positive else HCG_NEG, date=date, status=status)

    def lutathera(
        self,
        day: str,
        value: float = 7400,
        unit: str = "MBq",
        *,
        codes: str = "both",
        status: str = "completed",
        reason: str | None = None,
    ) -> Json:
        codings = {"both": [LU_ATC, LU_RX], "atc": [LU_ATC], "rxnorm": [LU_RX]}[codes]
        res: Json = {
            "resourceType": "MedicationAdministration",
            "status": status,
            "medicationCodeableConcept": cc(codings, "Lutetium Lu 177 dotatate (Lutathera)"),
            "subject": self.subject,
            "effectiveDateTime": dt(day, "09:00:00"),
            "dosage": {
                "route": cc([(SNOMED, "47625008", "Intravenous route")]),
                "dose": {"value": value, "unit": unit, "system": UCUM, "code": unit},
            },
        }
        if reason:
            res["statusReason"] = [{"text": reason}]
        return self.add(res)

    def med_admin(self, codings: list[Coding], text: str, day: str, dose: Json | None = None) -> Json:
        res: Json = {
            "resourceType": "MedicationAdministration",
            "status": "completed",
            "medicationCodeableConcept": cc(codings, text),
            "subject": self.subject,
            "effectiveDateTime": dt(day, "09:00:00"),
        }
        if dose:
            res["dosage"] = {"route": cc([(SNOMED, "26643006", "Oral route")]), "dose": dose}
        return self.add(res)

    def med_statement(
        self,
        codings: list[Coding],
        text: str,
        start: str,
        end: str | None,
        *,
        status: str = "completed",
        dosage: str | None = None,
    ) -> Json:
        period: Json = {"start": start}
        if end:
            period["end"] = end
        res: Json = {
            "resourceType": "MedicationStatement",
            "status": status,
            "medicationCodeableConcept": cc(codings, text),
            "subject": self.subject,
            "effectivePeriod": period,
            "dateAsserted": dt(end or LAB, "10:00:00"),
        }
        if dosage:
            res["dosage"] = [{"text": dosage}]
        return self.add(res)

    def procedure(
        self, codings: list[Coding], text: str, day: str, *, body_site: str | None = None, status: str = "completed"
    ) -> Json:
        res: Json = {"resourceType": "Procedure", "status": status}
        res["code"] = cc(codings, text) if codings else {"text": text}
        res["subject"] = self.subject
        res["performedDateTime"] = dt(day, "11:00:00")
        if body_site:
            res["bodySite"] = [{"text": body_site}]
        return self.add(res)

    def sstr_pet(self, day: str) -> Json:
        return self.procedure(
            [
                (PROJECT_CS, "sstr-imaging", "Somatostatin receptor imaging exam"),
                (PROJECT_CS, "sstr-pet", "Somatostatin receptor PET/CT (68Ga/64Cu-DOTA-peptide)"),
                (HCPCS, "A9587", "Gallium Ga-68, dotatate, diagnostic, 0.1 millicurie"),
            ],
            "68Ga-DOTATATE PET/CT",
            day,
        )

    def liver_mri(self, day: str) -> Json:
        return self.procedure([(PROJECT_CS, "liver-mri", "MRI of the liver")], "MRI of the liver", day)

    def allergy(self, codings: list[Coding], text: str, onset: str) -> Json:
        return self.add(
            {
                "resourceType": "AllergyIntolerance",
                "clinicalStatus": cc([(ALLERGY_CLINICAL, "active", "Active")]),
                "verificationStatus": cc([(ALLERGY_VERIFICATION, "confirmed", "Confirmed")]),
                "type": "allergy",
                "category": ["medication"],
                "criticality": "high",
                "code": cc(codings, text),
                "patient": self.subject,
                "onsetDateTime": dt(onset, "10:00:00"),
                "reaction": [
                    {"manifestation": [cc([(SNOMED, "39579001", "Anaphylaxis (disorder)")])], "severity": "severe"}
                ],
            }
        )


Extra = Callable[[Sample], object]
