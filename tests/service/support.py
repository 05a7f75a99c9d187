"""Test support for the CDS Hooks service: a live uvicorn server in a thread, client keys and JWTs,
and an EHR stand-in that answers our prefetch templates from a Bundle or from a FHIR server.

The server really listens on 127.0.0.1 (a free port), so every test goes over HTTP like an EHR.
"""

from __future__ import annotations

import base64
import contextlib
import dataclasses
import datetime as dt
import hashlib
import hmac
import json
import socket
import threading
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl

import jwt
import requests
import uvicorn
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from jwt.algorithms import ECAlgorithm, RSAAlgorithm

from fhir_eligibility.codes import codings, norm_code
from fhir_eligibility.record import PatientData
from fhir_eligibility.retrieval.files import read_patients
from fhir_eligibility.service.app import SERVICE_PATH, create_app
from fhir_eligibility.service.config import ServiceConfig

ROOT = Path(__file__).resolve().parents[2]
MINI = ROOT / "tests" / "fixtures" / "mini"
MINI_PATIENT = MINI / "patient.json"
REALDATA = ROOT.parent / "shared" / "realdata" / "cdshooks"
ISSUER = "https://ehr.example.org"
AS_OF = "2026-06-01"


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# -- the live server --------------------------------------------------------------------------------


class LiveServer:
    """``create_app(config)`` under uvicorn in a daemon thread on 127.0.0.1; ``stop()`` shuts it down."""

    def __init__(self, config: ServiceConfig) -> None:
        if config.port == 8080:
            config = dataclasses.replace(config, port=free_port())
        self.config = config
        self.app = create_app(config)
        self.server = uvicorn.Server(
            uvicorn.Config(
                self.app, host="127.0.0.1", port=config.port, log_level="warning", access_log=False, lifespan="on"
            )
        )
        self.thread = threading.Thread(target=self.server.run, name="cds-test-server", daemon=True)
        self.thread.start()
        deadline = time.monotonic() + 20
        while not self.server.started:
            if not self.thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("CDS Hooks test server did not start")
            time.sleep(0.02)

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.config.port}"

    @property
    def service_url(self) -> str:
        return self.base + SERVICE_PATH

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=20)

    def __enter__(self) -> LiveServer:
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


# -- client keys and tokens -------------------------------------------------------------------------


@dataclass
class ClientKeys:
    """An EHR's signing keys (ES384 and RS384) and the JWK Set the service is configured with."""

    es: ec.EllipticCurvePrivateKey = field(default_factory=lambda: ec.generate_private_key(ec.SECP384R1()))
    rs: rsa.RSAPrivateKey = field(
        default_factory=lambda: rsa.generate_private_key(public_exponent=65537, key_size=2048)
    )

    def jwks(self) -> dict[str, Any]:
        es = json.loads(ECAlgorithm.to_jwk(self.es.public_key()))
        rs = json.loads(RSAAlgorithm.to_jwk(self.rs.public_key()))
        return {"keys": [{**es, "kid": "es-1", "use": "sig"}, {**rs, "kid": "rs-1", "use": "sig"}]}

    def write_jwks(self, path: Path) -> Path:
        path.write_text(json.dumps(self.jwks()))
        return path

    def token(
        self,
        aud: str,
        *,
        alg: str = "ES384",
        kid: str | None = None,
        iss: str = ISSUER,
        lifetime: int = 300,
        iat: float | None = None,
        jti: str | None = None,
        extra_headers: dict[str, Any] | None = None,
    ) -> str:
        now = int(time.time() if iat is None else iat)
        claims = {"iss": iss, "aud": aud, "iat": now, "exp": now + lifetime, "jti": jti or str(uuid.uuid4())}
        headers = {"typ": "JWT", "kid": kid or ("es-1" if alg == "ES384" else "rs-1"), **(extra_headers or {})}
        if alg == "ES384":
            return jwt.encode(claims, self.es, algorithm="ES384", headers=headers)
        if alg in ("RS384", "RS256"):
            return jwt.encode(claims, self.rs, algorithm=alg, headers=headers)
        if alg == "HS256":  # signed with the public JWK text as the secret: the classic confusion attack
            secret = json.dumps(self.jwks()["keys"][0]).encode()
            return _manual(headers | {"alg": "HS256"}, claims, lambda m: hmac.new(secret, m, hashlib.sha256).digest())
        if alg == "none":
            return _manual(headers | {"alg": "none"}, claims, lambda _m: b"")
        raise ValueError(alg)


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _manual(header: dict[str, Any], claims: dict[str, Any], sign: Any) -> str:
    msg = f"{_b64(json.dumps(header).encode())}.{_b64(json.dumps(claims).encode())}"
    return f"{msg}.{_b64(sign(msg.encode()))}"


def auth_config(keys: ClientKeys, tmp: Path, **kw: Any) -> ServiceConfig:
    """A config with authentication on (the JWK Set written under ``tmp``)."""
    defaults: dict[str, Any] = {
        "port": free_port(),
        "definitions": (MINI,),
        "as_of": dt.date.fromisoformat(AS_OF),
        "jwks": keys.write_jwks(tmp / "jwks.json"),
        "issuers": (ISSUER,),
        "data_dir": tmp / "data",
    }
    return ServiceConfig(**(defaults | kw))


def open_config(tmp: Path, **kw: Any) -> ServiceConfig:
    """A config with authentication off (for tests about something else)."""
    defaults: dict[str, Any] = {
        "port": free_port(),
        "definitions": (MINI,),
        "as_of": dt.date.fromisoformat(AS_OF),
        "insecure_no_auth": True,
        "data_dir": tmp / "data",
    }
    return ServiceConfig(**(defaults | kw))


# -- requests -------------------------------------------------------------------------------------


def hook_body(
    patient_id: str,
    prefetch: dict[str, Any] | None = None,
    *,
    fhir_server: str | None = None,
    access_token: str | None = None,
) -> dict[str, Any]:
    body: dict[str, Any] = {
        "hook": "patient-view",
        "hookInstance": str(uuid.uuid4()),
        "context": {"userId": "Practitioner/example", "patientId": patient_id},
    }
    if prefetch is not None:
        body["prefetch"] = prefetch
    if fhir_server is not None:
        body["fhirServer"] = fhir_server
    if access_token is not None:
        body["fhirAuthorization"] = {
            "access_token": access_token,
            "token_type": "Bearer",
            "expires_in": 300,
            "scope": "user/Patient.read user/Observation.read user/Condition.read",
            "subject": "trial-eligibility",
        }
    return body


def post(url: str, body: object, token: str | None = None, **kw: Any) -> requests.Response:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    return requests.post(url, data=data, headers=headers, timeout=60, **kw)


def card_verdicts(response: dict[str, Any]) -> dict[str, str]:
    """trial -> verdict word as the cards state it (via the summary's status phrase)."""
    from fhir_eligibility.report.cards import STATUS

    by_phrase = {phrase: verdict.value for verdict, phrase in STATUS.items()}
    out = {}
    for c in response["cards"]:
        phrase = c["summary"].split(": ", 1)[0].lower()  # "Status: title"; the trial is the source's topic
        out[c["source"]["topic"]["code"]] = by_phrase[phrase]
    return out


# -- an EHR stand-in ---------------------------------------------------------------------------------

_CODE_FIELDS = ("code", "medicationCodeableConcept", "vaccineCode", "type", "procedureCode")


def _tokens(value: str) -> set[tuple[str, str]]:
    out = set()
    for part in _split_unescaped(value, ","):
        system, _, code = part.rpartition("|") if "|" in part else ("", "", part)
        unescape = lambda s: s.replace("\\,", ",").replace("\\|", "|").replace("\\$", "$").replace("\\\\", "\\")  # noqa: E731
        n = norm_code(unescape(system), unescape(code))
        if n:
            out.add(n)
    return out


def _split_unescaped(value: str, sep: str) -> list[str]:
    parts, cur, esc = [], "", False
    for ch in value:
        if esc:
            cur += "\\" + ch
            esc = False
        elif ch == "\\":
            esc = True
        elif ch == sep:
            parts.append(cur)
            cur = ""
        else:
            cur += ch
    parts.append(cur)
    return parts


def _matches(resource: dict[str, Any], codes: set[tuple[str, str]]) -> bool:
    found: set[tuple[str, str]] = set()
    for f in _CODE_FIELDS:
        found |= codings(resource.get(f))
        if isinstance(resource.get(f), list):
            for item in resource[f]:
                found |= codings(item)
    for comp in resource.get("component") or []:  # combo-code also matches Observation.component.code
        found |= codings(comp.get("code") if isinstance(comp, dict) else None)
    return bool(found & codes)


def with_patient_refs(data: PatientData) -> list[dict[str, Any]]:
    """The patient's resources with subject/patient references as ``Patient/<id>`` (what a server returns)."""
    out = []
    for res in data.resources:
        res = json.loads(json.dumps(res))
        for key in ("subject", "patient"):
            if isinstance(res.get(key), dict) and "reference" in res[key]:
                res[key]["reference"] = f"Patient/{data.patient_id}"
        out.append(res)
    return out


def emulate_prefetch(
    templates: dict[str, str], data: PatientData, *, empty: str = "bundle", only: set[str] | None = None
) -> dict[str, Any]:
    """Answer each template from the patient's resources as an EHR would (code tokens matched, no paging).

    ``empty``: "bundle" (an empty searchset) or "null" for searches with no match; ``only``: keys to answer.
    """
    resources = with_patient_refs(data)
    out: dict[str, Any] = {}
    for key, query in templates.items():
        if only is not None and key not in only:
            continue
        if query.startswith("Patient/"):
            patients = [r for r in resources if r.get("resourceType") == "Patient"]
            out[key] = patients[0] if patients else None
            continue
        rtype, _, qs = query.partition("?")
        params = dict(parse_qsl(qs, keep_blank_values=True))
        code_param = next((k for k in params if "code" in k or k == "type"), None)
        codes = _tokens(params[code_param]) if code_param else None
        hits = [r for r in resources if r.get("resourceType") == rtype and (codes is None or _matches(r, codes))]
        if not hits and empty == "null":
            out[key] = None
        else:
            out[key] = {
                "resourceType": "Bundle",
                "type": "searchset",
                "total": len(hits),
                "entry": [
                    {"fullUrl": f"{rtype}/{r.get('id')}", "resource": r, "search": {"mode": "match"}} for r in hits
                ],
            }
    return out


def server_prefetch(templates: dict[str, str], base_url: str, patient_id: str) -> dict[str, Any]:
    """Answer each template by running it against a FHIR server, as an EHR with a FHIR back end would."""
    out: dict[str, Any] = {}
    for key, query in templates.items():
        url = f"{base_url}/{query.replace('{{context.patientId}}', patient_id)}"
        r = requests.get(url, headers={"Accept": "application/fhir+json"}, timeout=30)
        r.raise_for_status()
        out[key] = r.json()
    return out


def patients_of(path: Path) -> list[PatientData]:
    patients, _warnings = read_patients([path])
    return patients


def iter_sample_files() -> Iterator[Path]:
    yield from sorted((ROOT / "sample_bundles").glob("*.json"))


@contextlib.contextmanager
def attesting(tmp: Path, fhir_base: str, now: dt.datetime, **kw: Any) -> Iterator[LiveServer]:
    """The service recording attestations on the FHIR server at ``fhir_base`` (a test's recorder), its
    clock at ``now``; ``kw``: more of the config (definitions...)."""
    config = open_config(tmp, allow_fhir_servers=(fhir_base,), attest_fhir_server=fhir_base, fhir_retries=0, **kw)
    with LiveServer(config) as server:
        server.app.state.service.now = lambda: now
        yield server
