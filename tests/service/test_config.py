"""Config file loading (TOML and JSON), option precedence, validation of every kind of value."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import pytest

from fhir_eligibility.errors import InputError
from fhir_eligibility.service.config import FIELDS, ServiceConfig, build, load

DOC = Path(__file__).resolve().parents[2] / "docs" / "cds-hooks.md"


def test_defaults_are_safe() -> None:
    c = ServiceConfig()
    assert c.host == "127.0.0.1" and c.port == 8080
    assert not c.insecure_no_auth and c.cors_origins == () and c.max_body_bytes == 1024 * 1024
    assert c.base_url == "http://127.0.0.1:8080"
    assert not c.include_ineligible


def test_toml_file_with_relative_paths(tmp_path: Path) -> None:
    (tmp_path / "keys").mkdir()
    f = tmp_path / "service.toml"
    f.write_text(
        """
host = "127.0.0.1"
port = 9000
public_base_url = "https://cds.example.org"
jwks = "keys/jwks.json"
issuers = ["https://ehr.example.org"]
allow_fhir_servers = ["https://fhir.example.org/r4"]
definitions = ["defs"]
data_dir = "data"
as_of = 2026-06-01
cors_origins = ["https://ehr.example.org"]
max_body_bytes = 2048
include_ineligible = true
fhir_timeout_seconds = 5
"""
    )
    c = load(f)
    assert c.port == 9000
    assert c.jwks == tmp_path / "keys" / "jwks.json"
    assert c.definitions == (tmp_path / "defs",)
    assert c.data_dir == tmp_path / "data"
    assert c.as_of == dt.date(2026, 6, 1)
    assert c.base_url == "https://cds.example.org"
    assert c.include_ineligible and c.fhir_timeout_seconds == 5.0
    assert c.issuers == ("https://ehr.example.org",)


def test_json_file_and_dashed_keys(tmp_path: Path) -> None:
    f = tmp_path / "service.json"
    f.write_text(json.dumps({"insecure-no-auth": True, "port": 9001, "as_of": "2026-06-01"}))
    c = load(f)
    assert c.insecure_no_auth and c.port == 9001 and c.as_of == dt.date(2026, 6, 1)


def test_options_override_the_file(tmp_path: Path) -> None:
    f = tmp_path / "s.toml"
    f.write_text('port = 9000\nissuers = ["a"]\n')
    c = load(f, {"port": 9100, "issuers": ("b", "c"), "host": None, "jku_allow": ()})
    assert c.port == 9100 and c.issuers == ("b", "c") and c.host == "127.0.0.1"


@pytest.mark.parametrize(
    ("settings", "message"),
    [
        ({"prot": 1}, "unknown config key"),
        ({"port": "80"}, "expected int"),
        ({"port": 0}, "port must be"),
        ({"insecure_no_auth": "yes"}, "expected true or false"),
        ({"issuers": [1]}, "list of strings"),
        ({"allow_fhir_servers": ["ftp://x"]}, "http(s) URL"),
        ({"public_base_url": "https://x/prefix"}, "must not have a path"),
        ({"max_body_bytes": 10}, "at least 1024"),
        ({"fhir_batch": "sometimes"}, "auto, always or never"),
        ({"as_of": "June"}, "YYYY-MM-DD"),
        ({"log_level": "loud"}, "not a logging level"),
    ],
)
def test_bad_settings_are_refused(settings: dict[str, object], message: str) -> None:
    with pytest.raises(InputError, match=message.replace("(", r"\(").replace(")", r"\)")):
        build(settings)


def test_bad_files(tmp_path: Path) -> None:
    bad = tmp_path / "bad.toml"
    bad.write_text("port = ")
    with pytest.raises(InputError, match="not valid TOML"):
        load(bad)
    arr = tmp_path / "arr.json"
    arr.write_text("[]")
    with pytest.raises(InputError, match="table/object"):
        load(arr)


def test_ipv6_base_url() -> None:
    assert ServiceConfig(host="::1", port=8081).base_url == "http://[::1]:8081"


def test_every_key_is_documented() -> None:
    text = DOC.read_text()
    missing = [k for k in sorted(FIELDS) if f"`{k}`" not in text]
    assert not missing, f"undocumented config keys: {missing}"
